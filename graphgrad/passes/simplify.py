"""Algebraic simplification: a table of rewrite rules run to a fixpoint.

Each rule is (pattern, builder). Replacements keep the node's shape and dtype (broadcasting a
smaller operand when needed; the rewriter checks it). Every rule holds for all inputs,
infinities and NaN included: a compiled function computes what the eager one does. Rewrites
that only hold for finite values (x * 0 -> 0, x - x -> 0, log(exp(x)) -> x, which overflows)
are deliberately absent; a rule may change rounding (x / c -> x * (1 / c)), never results.
"""
import numpy as np

from graphgrad.passes.pattern import P, constant_scalar, rewrite

# ops whose outputs are never negative, so exp(log(x)) == x holds exactly
NON_NEGATIVE = {"exp", "sigmoid", "sqrt", "abs", "relu", "softmax"}


def _keep(name):
    return lambda rw, b, node: rw.fit(b[name], node.out)


def _neg(name):
    return lambda rw, b, node: rw.fit(rw.emit("neg", [b[name]]), node.out)


def _compose_permutes(rw, b, node):
    inner = b["p_node"].attrs["perm"]
    outer = node.attrs["perm"]
    perm = tuple(inner[i] for i in outer)
    if perm == tuple(range(len(perm))):
        return b["x"]
    return rw.emit("permute", [b["x"]], perm=perm)


def _collapse_reshape(rw, b, node):
    if b["x"].shape == node.out.shape:
        return b["x"]
    return rw.emit("reshape", [b["x"]], shape=node.out.shape)


def _collapse_broadcast(rw, b, node):
    return rw.emit("broadcast_to", [b["x"]], shape=node.out.shape)


def _broadcasts_to(shape, target):
    """Does `shape` broadcast to exactly `target` (NumPy's rule, trailing dims aligned)?"""
    return len(shape) <= len(target) and all(
        s == t or s == 1 for s, t in zip(reversed(tuple(shape)), reversed(tuple(target))))


def _emitted_nodes(x_shape, lead, real, out_shape, scaled):
    """How many nodes _sum_of_broadcast's replacement takes (it must not grow the graph)."""
    n = 2 if scaled else 0                                    # full + mul
    v = tuple(1 if i + lead in real else s for i, s in enumerate(x_shape))
    if real:
        n += 1
    out_shape = tuple(out_shape)
    if v != out_shape:
        n += 1 if _broadcasts_to(v, out_shape) else 2        # reshape (+ broadcast_to)
    return n


def _sum_of_broadcast(rw, b, node):
    """sum(broadcast_to(x, s), dims): sum x only over the dims it really has, scale by the
    number of copies."""
    x = b["x"]
    shape = node.inputs[0].shape
    lead = len(shape) - x.ndim
    aligned = (1,) * lead + tuple(x.shape)
    dims = node.attrs["dims"]
    copies = int(np.prod([shape[d] for d in dims if aligned[d] == 1 and shape[d] != 1]))
    real = tuple(d for d in dims if aligned[d] != 1)
    if copies == 1 and not real:
        return None
    if _emitted_nodes(x.shape, lead, real, node.out.shape, copies != 1) > 2:
        return None                # no smaller than broadcast_to + sum: keep the graph as is
    v = x
    if real:              # dims x really has are never among the `lead` new ones
        v = rw.emit("sum", [v], dims=tuple(d - lead for d in real), keepdim=True)
    out_shape = node.out.shape
    if v.shape != out_shape and _broadcasts_to(v.shape, out_shape):
        v = rw.emit("broadcast_to", [v], shape=out_shape)       # no reshape needed
    if v.shape != out_shape:
        keep = tuple(1 if d in dims else aligned[d] for d in range(len(shape)))
        target = keep if node.attrs["keepdim"] else tuple(
            s for d, s in enumerate(keep) if d not in dims)
        if v.shape != target:
            v = rw.emit("reshape", [v], shape=target)
        if v.shape != out_shape:
            v = rw.emit("broadcast_to", [v], shape=out_shape)
    if copies != 1:
        c = rw.emit("full", [], shape=(), value=float(copies), dtype=v.dtype)
        v = rw.emit("mul", [v, c])
    return v


def _div_by_constant(rw, b, node):
    c = b["c_value"]
    if node.out.dtype.kind != "f" or c == 0 or not np.isfinite(c):
        return None
    inv = rw.emit("full", [], shape=(), value=1.0 / c, dtype=node.out.dtype)
    return rw.fit(rw.emit("mul", [b["x"], inv]), node.out)


def _same_cast(rw, b, node):
    return b["x"] if b["x"].dtype == node.out.dtype else None


def _round_trip_cast(rw, b, node):
    x, middle = b["x"], b["c"]
    if x.dtype == node.out.dtype and np.can_cast(x.dtype, middle.dtype, casting="safe"):
        return x
    return None


def _exp_log(rw, b, node):
    producer = b.get("x_node")
    if producer is not None and producer.op.name in NON_NEGATIVE:
        return b["x"]
    return None


def _absorb_broadcasts(rw, b, node):
    """Elementwise ops broadcast by themselves: drop explicit broadcast_to inputs when the
    result keeps its shape without them."""
    from graphgrad.ir.types import broadcast_shapes
    producers = b["_producers"]
    inputs = list(node.inputs)
    changed = False
    for i, v in enumerate(inputs):
        p = producers.get(v)
        if p is None or p.op.name != "broadcast_to":
            continue
        trial = inputs[:i] + [p.inputs[0]] + inputs[i + 1:]
        try:
            shape = broadcast_shapes(node.op.name, *(tuple(x.shape) for x in trial))
        except ValueError:
            continue
        if shape == node.out.shape:
            inputs = trial
            changed = True
    if not changed:
        return None
    return rw.emit(node.op.name, inputs, **node.attrs)


def _one_hot_axis(value, producers):
    """The axis along which `value` is a one-hot encoding of checked class indices, else None.

    Recognizes cast(eq(indices[..., None], arange(C))) where `indices` went through
    check_index(low=0, high=C): every row then holds exactly one 1.
    """
    node = producers.get(value)
    if node is None or node.op.name != "cast":
        return None
    eq = producers.get(node.inputs[0])
    if eq is None or eq.op.name != "eq":
        return None
    idx, iota = eq.inputs
    iota_node = producers.get(iota)
    if iota_node is None or iota_node.op.name != "constant" or iota.ndim != 1:
        return None
    n = iota.shape[0]
    if not np.array_equal(iota_node.attrs["value"], np.arange(n)):
        return None
    if idx.ndim != value.ndim or idx.shape[-1] != 1:
        return None
    reshape = producers.get(idx)
    source = reshape.inputs[0] if reshape is not None and reshape.op.name == "reshape" else idx
    check = producers.get(source)
    if check is None or check.op.name != "check_index" or check.attrs["low"] != 0 or \
            check.attrs["high"] != n:
        return None
    return value.ndim - 1


def _sum_of_one_hot_product(rw, b, node):
    """sum over the one-hot axis of (one_hot * c), with c constant along that axis, is c."""
    producers = b["_producers"]
    dims = node.attrs["dims"]
    a, c = b["x"], b["y"]
    axis = _one_hot_axis(a, producers)
    if axis is None:
        a, c = c, a
        axis = _one_hot_axis(a, producers)
    if axis is None or dims != (axis,):
        return None
    lead = a.ndim - c.ndim
    if lead < 0 or (axis - lead >= 0 and c.shape[axis - lead] != 1):
        return None
    shape = node.out.shape
    if c.shape == shape:
        return c
    full = (1,) * lead + tuple(c.shape)
    squeezed = full if node.attrs["keepdim"] else full[:axis] + full[axis + 1:]
    v = c if tuple(c.shape) == squeezed else rw.emit("reshape", [c], shape=squeezed)
    return rw.fit(v, node.out)


def _transpose_of_matmul(rw, b, node):
    """(A @ B)^T == B^T @ A^T for matrices; a transposed operand cancels its transpose."""
    if node.attrs["perm"] != (1, 0) or b["mm"].ndim != 2:
        return None
    producers = b["_producers"]
    a_t, b_t = b["a"], b["b"]

    def transposed(v):
        p = producers.get(v)
        if p is not None and p.op.name == "permute" and p.attrs["perm"] == (1, 0):
            return p.inputs[0]
        return rw.emit("permute", [v], perm=(1, 0))
    return rw.emit("matmul", [transposed(b_t), transposed(a_t)])


def _unary_through_broadcast(rw, b, node):
    """f(broadcast_to(x)) == broadcast_to(f(x)) for elementwise f: compute on the small x
    (when the broadcast is read elsewhere too, it would stay: the graph would grow)."""
    if b["_uses"]().get(node.inputs[0], 0) > 1:
        return None
    x = b["x"]
    inner = rw.emit(node.op.name, [x], **node.attrs)
    return rw.emit("broadcast_to", [inner], shape=node.out.shape)


def _sum_of_neg(rw, b, node):
    """sum(-x) == -sum(x), bit for bit (rounding to nearest is symmetric): negate the few sums
    rather than every element (batch norm's gradient sums a negated full-size tensor)."""
    if b["_uses"]().get(node.inputs[0], 0) > 1:
        return None                     # -x is read elsewhere: it stays, the graph would grow
    return rw.emit("neg", [rw.emit("sum", [b["x"]], **node.attrs)])


def _reshape_of_scalar_broadcast(rw, b, node):
    x = b["x"]
    if int(np.prod(x.shape)) != 1:
        return None
    ones = rw.emit("reshape", [x], shape=(1,) * node.out.ndim) if x.ndim != node.out.ndim \
        else x
    return rw.fit(ones, node.out)


def _factor_common_operand(rw, b, node):
    """a*c - b*c == (a - b)*c (likewise for +): one multiplication instead of two."""
    left, right = b["l_node"], b["r_node"]
    for i in range(2):
        for j in range(2):
            if left.inputs[i] is right.inputs[j]:
                c = left.inputs[i]
                inner = rw.emit(node.op.name, [left.inputs[1 - i], right.inputs[1 - j]])
                return rw.fit(rw.emit("mul", [inner, c]), node.out)
    return None


def _const(name):
    """Match a uniform constant and bind its number as `<name>_value`."""
    def where(value, b):
        b[name + "_value"] = constant_scalar(value, {value: b[name + "_node"]})
        return b[name + "_value"] is not None
    return P(("constant", "full"), name=name, where=where)


X, Y = P(name="x"), P(name="y")
UNARY = ("neg", "exp", "log", "log1p", "sqrt", "tanh", "sin", "cos", "abs", "sign", "sigmoid",
         "relu", "cast", "pow_scalar", "clamp", "logical_not")
BROADCASTING = ("add", "sub", "mul", "div", "pow", "maximum", "minimum", "where", "eq", "ne", "lt",
                "le", "gt", "ge", "logical_and", "logical_or", "floor_divide", "remainder")


RULES = [
    # identities of + - * /
    (P("add", X, P(const=0)), _keep("x")),
    (P("add", P(const=0), X), _keep("x")),
    (P("sub", X, P(const=0)), _keep("x")),
    (P("sub", P(const=0), X), _neg("x")),
    (P("mul", X, P(const=1)), _keep("x")),
    (P("mul", P(const=1), X), _keep("x")),
    (P("mul", X, P(const=-1)), _neg("x")),
    (P("mul", P(const=-1), X), _neg("x")),
    (P("div", X, P(const=1)), _keep("x")),
    (P("div", X, _const("c")), _div_by_constant),
    (P("neg", P("neg", X)), _keep("x")),
    (P("add", X, P("neg", Y)), lambda rw, b, n: rw.fit(rw.emit("sub", [b["x"], b["y"]]), n.out)),
    (P("sub", X, P("neg", Y)), lambda rw, b, n: rw.fit(rw.emit("add", [b["x"], b["y"]]), n.out)),
    (P("neg", P("sub", X, Y)), lambda rw, b, n: rw.emit("sub", [b["y"], b["x"]])),
    (P("where", P(), X, X), _keep("x")),
    # movement
    (P("permute", P("permute", X, name="p")), _compose_permutes),
    (P("reshape", P("reshape", X)), _collapse_reshape),
    (P("reshape", X, name="r", where=lambda v, b: b["x"].shape == v.shape), _keep("x")),
    (P("broadcast_to", P("broadcast_to", X)), _collapse_broadcast),
    (P("broadcast_to", X, name="bc", where=lambda v, b: b["x"].shape == v.shape), _keep("x")),
    (P("sum", X, name="s", where=lambda v, b: not b["s_node"].attrs["dims"]
       and b["x"].shape == v.shape), _keep("x")),
    (P("sum", P("broadcast_to", X)), _sum_of_broadcast),
    (P("sum", P("neg", X)), _sum_of_neg),
    (P(BROADCASTING, reads="broadcast_to"), _absorb_broadcasts),
    (P(UNARY, P("broadcast_to", X)), _unary_through_broadcast),
    (P("reshape", P("broadcast_to", X)), _reshape_of_scalar_broadcast),
    (P(("add", "sub"), P("mul", name="l"), P("mul", name="r")), _factor_common_operand),
    (P("sum", P("mul", X, Y)), _sum_of_one_hot_product),
    (P("permute", P("matmul", P(name="a"), P(name="b"), name="mm")), _transpose_of_matmul),
    # transcendental inverses
    (P("exp", P("log", X)), _exp_log),
    # identities that only matter once gradients exist
    (P("detach", X), _keep("x")),
    (P("clone", X), _keep("x")),
    (P("cast", X), _same_cast),
    (P("cast", P("cast", X, name="c")), _round_trip_cast),
]


# How many producer steps up from a node the rules above look (patterns, `where` and builders:
# _sum_of_one_hot_product reaches check_index five steps up); tests/passes checks every lookup
DEPTH = 5


def simplify(graph):
    """Graph -> Graph with the algebraic identities of RULES applied until none fires."""
    return rewrite(graph, RULES, depth=DEPTH)
