"""einsum with torch's equation syntax ('ij,jk->ik', implicit outputs, '...' broadcasting,
repeated subscripts for diagonals) and its sublist form, lowered to diagonal, sum, permute,
reshape and matmul, so it is as fast as the matmul it becomes and its gradient comes from
those ops.
"""
import numpy as np

from graphgrad.errors import DTypeError, ShapeError
from graphgrad.ops._core import as_tensor, describe

ELLIPSIS = "..."


def _subscript(n):
    if n is Ellipsis:
        return ELLIPSIS
    if isinstance(n, (int, np.integer)) and 0 <= n < 26:
        return chr(ord("A") + n)
    if isinstance(n, (int, np.integer)) and 26 <= n < 52:
        return chr(ord("a") + n - 26)
    raise ValueError(f"einsum(): subscript {n!r} in a sublist is not within [0, 52)")


def _from_sublists(args):
    """einsum(op0, [0, 1], op1, [1, 2], [0, 2]) -> ('AB,BC->AC', [op0, op1])."""
    pairs = args[:len(args) - len(args) % 2]
    operands = list(pairs[0::2])
    equation = ",".join("".join(map(_subscript, s)) for s in pairs[1::2])
    if len(args) % 2:
        equation += "->" + "".join(map(_subscript, args[-1]))
    return equation, operands


def _parse_term(term, what):
    labels = []
    i = 0
    while i < len(term):
        if term.startswith(ELLIPSIS, i):
            if ELLIPSIS in labels:
                raise ValueError(f"einsum(): more than one ellipsis in {what}")
            labels.append(ELLIPSIS)
            i += 3
        elif term[i].isalpha() and term[i].isascii():
            labels.append(term[i])
            i += 1
        else:
            raise ValueError(f"einsum(): invalid subscript {term[i]!r} in {what}: subscripts "
                             "must be letters in [a-zA-Z]")
    return labels


def _expand_ellipsis(labels, ndim, k, n_ellipsis):
    """Operand k's labels with its ellipsis replaced by the labels of the dims it covers
    (aligned to the right of all ellipsis dims, so they broadcast like NumPy)."""
    letters = len(labels) - (ELLIPSIS in labels)
    if ELLIPSIS not in labels:
        if letters != ndim:
            raise ShapeError(f"einsum(): the number of subscripts ({letters}) does not match "
                             f"the number of dims ({ndim}) of operand {k}, and no ellipsis "
                             "was given")
        return labels
    covered = ndim - letters
    if covered < 0:
        raise ShapeError(f"einsum(): operand {k} has {ndim} dims, fewer than its {letters} "
                         "subscripts")
    at = labels.index(ELLIPSIS)
    dots = [(ELLIPSIS, i) for i in range(n_ellipsis - covered, n_ellipsis)]
    return labels[:at] + dots + labels[at + 1:]


def parse(equation, shapes):
    """(labels of each operand, labels of the output); the dims of an ellipsis get the labels
    ('...', i)."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum(): the equation has {len(terms)} operand terms, "
                         f"{len(shapes)} operands were given")
    parsed = [_parse_term(t, f"operand {k}") for k, t in enumerate(terms)]
    n_ellipsis = max([len(s) - len(p) + 1 for p, s in zip(parsed, shapes) if ELLIPSIS in p],
                     default=0)
    inputs = [_expand_ellipsis(p, len(s), k, n_ellipsis)
              for k, (p, s) in enumerate(zip(parsed, shapes))]
    dots = [(ELLIPSIS, i) for i in range(n_ellipsis)]
    if arrow:
        out = _parse_term(rhs, "the output")
        at = out.index(ELLIPSIS) if ELLIPSIS in out else None
        if at is not None:
            out = out[:at] + dots + out[at + 1:]
        _check_output(out, inputs)
    else:
        counts = {}
        for labels in inputs:
            for label in labels:
                counts[label] = counts.get(label, 0) + 1
        out = dots + sorted(a for a, c in counts.items() if c == 1 and isinstance(a, str))
    return inputs, out


def _check_output(out, inputs):
    seen = set()
    every = {label for labels in inputs for label in labels}
    for label in out:
        if label in seen:
            raise ValueError(f"einsum(): output subscript {label} appears more than once in the "
                             "output")
        if label not in every and isinstance(label, str):
            raise ValueError(f"einsum(): output subscript {label} does not appear in the "
                             "equation for any input operand")
        seen.add(label)


def _name(label):
    return "..." if isinstance(label, tuple) else label


def label_sizes(inputs, operands):
    """The size of every label, broadcasting size-1 dims; an error on any other mismatch."""
    sizes = {}
    for k, (labels, x) in enumerate(zip(inputs, operands)):
        own = {}
        for label, n in zip(labels, x.shape):
            if label in own and own[label] != n:
                raise ShapeError(f"einsum(): subscript {_name(label)} is repeated for operand "
                                 f"{k} but the sizes don't match, {own[label]} != {n}")
            own[label] = n
            seen = sizes.get(label, 1)
            if seen == 1:
                sizes[label] = n
            elif n not in (1, seen):
                raise ShapeError(f"einsum(): subscript {_name(label)} has size {n} for operand "
                                 f"{k} which does not broadcast with previously seen size "
                                 f"{seen}")
    return sizes


# -- lowering ---------------------------------------------------------------------------------


def _take_diagonals(x, labels):
    """Repeated labels within one operand ('ii', 'iji') select the diagonal."""
    from graphgrad.ops.matrix import diagonal
    labels = list(labels)
    while len(set(labels)) < len(labels):
        label = next(a for a in labels if labels.count(a) > 1)
        first = labels.index(label)
        second = labels.index(label, first + 1)
        x = diagonal(x, 0, first, second)
        labels = [a for i, a in enumerate(labels) if i not in (first, second)] + [label]
    return x, labels


def _sum_out(x, labels, drop):
    from graphgrad.ops.reduce import sum_dims
    dims = tuple(i for i, a in enumerate(labels) if a in drop)
    if not dims:
        return x, labels
    return sum_dims(x, dims), [a for a in labels if a not in drop]


def _arrange(x, labels, order):
    from graphgrad.ops.movement import permute
    perm = tuple(labels.index(a) for a in order)
    return permute(x, perm) if perm != tuple(range(len(perm))) else x


def _prod(shape):
    return int(np.prod(shape, dtype=np.int64))


def _contract(a, la, b, lb, keep):
    """Contract two operands over their shared labels not in `keep`: a batched matmul of
    (batch, a-only, shared) by (batch, shared, b-only), or a broadcast product when nothing is
    shared. Returns the result and its labels (batch, a-only, b-only)."""
    from graphgrad.ops.linalg import matmul
    from graphgrad.ops.movement import reshape
    from graphgrad.ops.reduce import sum_dims
    a, la = _sum_out(a, la, {x for x in la if x not in lb and x not in keep})
    b, lb = _sum_out(b, lb, {x for x in lb if x not in la and x not in keep})
    batch = [x for x in la if x in lb and x in keep]
    shared = [x for x in la if x in lb and x not in keep]
    a_only = [x for x in la if x not in lb]
    b_only = [x for x in lb if x not in la]
    # a shared label of size 1 on one side only: the other side is summed over it first
    for label in shared:
        na, nb = a.shape[la.index(label)], b.shape[lb.index(label)]
        if na != nb:
            if na > nb:
                a = sum_dims(a, (la.index(label),), keepdim=True)
            else:
                b = sum_dims(b, (lb.index(label),), keepdim=True)
    a = _arrange(a, la, batch + a_only + shared)
    b = _arrange(b, lb, batch + shared + b_only)
    nb = len(batch)
    a_batch, b_batch = a.shape[:nb], b.shape[:nb]
    a_rows = _prod(a.shape[nb:nb + len(a_only)])
    b_cols = _prod(b.shape[nb + len(shared):])
    inner = _prod(a.shape[nb + len(a_only):])
    if shared:
        out = matmul(reshape(a, a_batch + (a_rows, inner)), reshape(b, b_batch + (inner, b_cols)))
    else:
        out = reshape(a, a_batch + (a_rows, 1)) * reshape(b, b_batch + (1, b_cols))
    shape = tuple(out.shape[:nb])
    shape += tuple(a.shape[nb + i] for i in range(len(a_only)))
    shape += tuple(b.shape[nb + len(shared) + i] for i in range(len(b_only)))
    return reshape(out, shape), batch + a_only + b_only


def einsum(equation, *operands):
    """torch.einsum: einsum('bij,bjk->bik', a, b), einsum('ij,jk', [a, b]) or the sublist form
    einsum(a, [0, 1], b, [1, 2], [0, 2])."""
    from graphgrad.ops.movement import broadcast_to
    if not isinstance(equation, str):
        equation, operands = _from_sublists((equation,) + operands)
    elif len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    operands = [as_tensor(x) for x in operands]
    if not operands:
        raise ValueError("einsum(): must provide at least one operand")
    if any(x.dtype != operands[0].dtype for x in operands):
        raise DTypeError("einsum(): operands must share a dtype, got "
                        + ", ".join(describe(x) for x in operands))
    inputs, out = parse(equation, [x.shape for x in operands])
    sizes = label_sizes(inputs, operands)
    terms = [_take_diagonals(x, labels) for x, labels in zip(operands, inputs)]
    x, labels = terms[0]
    for k, (y, ly) in enumerate(terms[1:], start=1):
        later = {a for _, lz in terms[k + 1:] for a in lz}
        x, labels = _contract(x, labels, y, ly, set(out) | later)
    x, labels = _sum_out(x, labels, {a for a in labels if a not in out})
    x = _arrange(x, labels, out)
    shape = tuple(sizes[a] for a in out)
    return broadcast_to(x, shape) if x.shape != shape else x
