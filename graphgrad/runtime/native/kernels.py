"""Native kernels: each schedule instruction the numba backend can run becomes explicit loops
over its static shapes (elementwise groups, reductions, softmax), a BLAS call for large matrix
products (`np.dot`, which numba hands to scipy's BLAS), or a view (transpose, reshape).

`emit(writer, ins)` writes the instruction's source into a `SegmentWriter`, or raises
`Unsupported` when the op has no native kernel for these types and attributes.
"""
import numpy as np

from graphgrad.ir.fused import inner_graph
from graphgrad.ops.subscript import out_of_range
from graphgrad.runtime.native import convolution, pooling
from graphgrad.runtime.native.scalars import cast, dtype_name, literal, maximum, scalar_expr
from graphgrad.runtime.native.writer import Unsupported, acc_dtype, size

# products with at most this many multiply-adds run as loops: above it, BLAS is faster (called
# from native code a small GEMM costs 0.1-0.4 µs; the loops reach that only below ~8x8x8,
# measured: 16x16x16 0.21 vs 1.32 µs, 16x32x2 0.19 vs 2.16 µs)
SMALL_MATMUL = 8 * 8 * 8


def emit(w, ins):
    node = ins.node
    inner = inner_graph(node)
    if inner is not None:
        return _elementwise(w, ins, inner.nodes, dict(zip(inner.inputs, ins.inputs)))
    name = node.op.name
    if node.op.elementwise:
        return _elementwise(w, ins, [node], dict(zip(node.inputs, ins.inputs)))
    kernel = KERNELS.get(name)
    if kernel is None:
        raise Unsupported(name)
    return kernel(w, ins)


def _elementwise(w, ins, nodes, leaves):
    """A chain of elementwise ops as one loop over the result's shape; a leading matrix
    product (matmul + bias + activation) is computed into the result first.

    The loop is a kernel function of its own, shared by every instruction with the same
    code (numba compiles it once: the layers of a network and their optimizer updates reuse
    a few kernels), over flat 1-D views with linear indices, so that it vectorizes."""
    out = ins.output
    shape = tuple(ins.node.out.shape)
    nodes = _product_first(w, nodes, leaves)
    head = None
    if nodes[0].op.fusion_head:
        head, nodes = nodes[0], nodes[1:]
        if not shape or tuple(head.out.shape) != shape:
            raise Unsupported("matmul head of another shape")
        _check_matmul(w, [leaves[v] for v in head.inputs], head.out)
    scalar_out = not shape
    full = all(w.is_uniform(s) or tuple(w.layout.types[s].shape) == shape
               for s in leaves.values())
    loops, walk = _merged_loops(w, shape, leaves.values())
    strides = walk(_c_strides(shape))
    index = ["k"] if full else [f"i{d}" for d in range(len(loops))]
    params, args, prologue = [], [], []       # of the kernel; what the segment passes

    def walked(slot):
        """The strides of array operand `slot` over the loops."""
        return walk(_operand_strides(w.layout.types[slot].shape, shape))

    def position(dims_strides):
        if full:
            return "k"
        terms = [f"{i}" if st == 1 else f"{i} * {st}"
                 for i, st in zip(index, dims_strides) if st]
        return " + ".join(terms) or "0"

    def element(slot):
        if scalar_out:
            return w.scalar(slot)
        if w.is_uniform(slot):
            value = w.scalar(slot)
            if not value.startswith("v"):
                return value                        # a literal
        if slot not in value_of and w.same_array(slot, out):
            # read where the result is written (an update in place): as a second pointer
            # to the same memory, it would fail LLVM's overlap check and never vectorize
            value_of[slot] = "o"
        if value_of.get(slot) == "o":
            return f"o[{position(strides)}]"
        if slot not in value_of:
            k = len(params)
            name = f"s{k}" if w.is_uniform(slot) else f"a{k}"
            value_of[slot] = name
            params.append(name)
            if name[0] == "s":
                args.append(w.scalar(slot))
            else:
                args.append(w.ref(slot))
                prologue.append(f"f{k} = flat({name})")
        name = value_of[slot]
        if name[0] == "s":
            return name
        operand = walked(slot)
        read = f"f{name[1:]}[{position(operand)}]"
        depth = _deepest(operand)
        if full or depth == innermost:
            return read
        if slot not in loaded:           # read once in the loop it changes in (see `level`)
            loaded[slot] = f"e{name[1:]}"
            lines.append((depth, f"{loaded[slot]} = {read}"))
        return loaded[slot]

    value_of, loaded = {}, {}
    lines = []                                  # (level, line)
    local = {}
    # the deepest loop each value depends on: it is computed inside that loop, before the
    # loops below it (a per-channel factor once per channel, not per element: numba cannot
    # hoist it itself, the result may alias the operands); -1 is before all loops
    level = {}
    innermost = 0 if full else len(loops) - 1

    def level_of(v):
        if v in local:
            return level[v]
        slot = leaves[v]
        if w.is_uniform(slot):
            return -1
        if full:
            return 0
        return _deepest(walked(slot))

    if head is not None:
        local[head.out] = f"o[{position(strides)}]"
        level[head.out] = innermost
    for k, n in enumerate(nodes):
        if n.op.broadcast:
            if n.inputs[0] in local:
                local[n.out] = local[n.inputs[0]]
                level[n.out] = level[n.inputs[0]]
            else:
                leaves[n.out] = leaves[n.inputs[0]]
            continue
        vals = [local[v] if v in local else element(leaves[v]) for v in n.inputs]
        expr = scalar_expr(n, vals)
        if expr is None:
            raise Unsupported(n.op.name)
        level[n.out] = max((level_of(v) for v in n.inputs), default=-1)
        local[n.out] = f"t{k}"
        lines.append((level[n.out], f"t{k} = {expr}"))
    result = local[nodes[-1].out] if nodes else local[head.out]
    if scalar_out:
        for _, line in lines:
            w.line(line)
        w.set_scalar(out, result)
        return
    target = w.target(out)
    if head is not None:
        _matmul_into(w, [leaves[v] for v in head.inputs], head.out, target, out)
    # `out` read in place, or holding the product: a copy of a non-contiguous `out` (stored
    # back, as any flat_out's) keeps its values
    reads_out = head is not None or "o" in value_of.values()
    opening = "o = flat(out)" if reads_out else "o = flat_out(out)"
    body = [opening] + prologue + [line for lv, line in lines if lv < 0]
    opened = ["for k in range(o.shape[0]):"] if full else \
        [f"for i{d} in range({n}):" for d, n in enumerate(loops)]
    for d, loop in enumerate(opened):
        body.append("    " * d + loop)
        body += ["    " * (d + 1) + line for lv, line in lines if lv == d]
    depth = len(opened)
    body.append("    " * depth + f"o[{position(strides)}] = {result}")
    body.append("store(out, o)")
    name = w.kernel(["out"] + params, body, "+".join(n.op.name for n in nodes))
    # arrays go in as flat views: the kernel indexes them flat anyway, and then it is
    # compiled once for all the ranks it is called with (a 2-D weight's and a 1-D bias's update)
    arrays = [target] + [a for p, a in zip(params, args) if p[0] == "a"]
    call = [f"loop_arg({a})" if a in arrays else a for a in [target] + args]
    w.line(f"{name}({', '.join(call)})")


def _product_first(w, nodes, leaves):
    """A group's matrix product that is not its first op (dx = g_q Wq + (g_k Wk + g_v Wv),
    the sum computed first) is computed before the loop into an array of its own, which the
    loop then reads like an input: a new array, so it never overlaps the result or an operand
    (the result's buffer may be an operand's). Returns the nodes left for the loop."""
    late = [n for n in nodes[1:] if n.op.fusion_head]
    if not late:
        return nodes
    product, = late
    if any(v not in leaves for v in product.inputs):
        raise Unsupported("matmul of values computed in its fused group")
    _check_matmul(w, [leaves[v] for v in product.inputs], product.out)
    slot = max(w.layout.types) + 1          # a value of this segment alone
    w.layout.types[slot] = product.out.type
    w.alias(slot, f"new_array({tuple(product.out.shape)}, {dtype_name(product.out.dtype)})")
    _matmul_into(w, [leaves[v] for v in product.inputs], product.out, f"v{slot}", slot)
    leaves[product.out] = slot
    return [n for n in nodes if n is not product]


def _deepest(strides):
    """The innermost loop an operand with these strides moves in (-1: none)."""
    return max((d for d, st in enumerate(strides) if st), default=-1)


def _merged_loops(w, shape, slots):
    """The loops over `shape`, with adjacent dims that the result and every array operand walk
    as one run merged (an operand broadcast over both, or contiguous across them): the inner
    loop of a per-channel batch-norm step runs over a whole 28x28 plane rather than a row of
    28, long enough to vectorize. Returns (loop extents, strides over `shape` -> strides over
    the loops)."""
    walks = [_c_strides(shape)]
    for s in slots:
        if not w.is_uniform(s):
            try:
                walks.append(_operand_strides(w.layout.types[s].shape, shape))
            except Unsupported:         # a matrix product's operand, not read elementwise
                pass
    groups = []
    for d, n in enumerate(shape):
        if groups and all(st[d - 1] == st[d] * n for st in walks):
            groups[-1].append(d)
        else:
            groups.append([d])
    extents = [int(np.prod([shape[d] for d in g])) for g in groups]
    return extents, lambda strides: [strides[g[-1]] for g in groups]


def _c_strides(shape):
    out, step = [], 1
    for n in reversed(shape):
        out.append(step)
        step *= n
    return out[::-1]


def _operand_strides(operand, shape):
    """Element strides of a C-contiguous operand broadcast to `shape` (0 where it repeats)."""
    own = _c_strides(operand)
    lead = len(shape) - len(operand)
    out = [0] * lead
    for d, n in enumerate(operand):
        if n != shape[lead + d] and n != 1:
            raise Unsupported("shapes do not broadcast")
        out.append(own[d] if n == shape[lead + d] and n != 1 else 0)
    return out


# -- matrix products -----------------------------------------------------------------------------

def _check_matmul(w, slots, out_value):
    ta, tb = (w.layout.types[s] for s in slots)
    if ta.ndim < 2 or tb.ndim < 2 or out_value.dtype.kind != "f" or \
            ta.dtype != out_value.dtype or tb.dtype != out_value.dtype:
        raise Unsupported("matmul other than N-D @ N-D (N >= 2) of one float dtype")
    if tb.ndim > 2 and not (tuple(ta.shape[:-2]) == tuple(tb.shape[:-2])
                            == tuple(out_value.shape[:-2])):
        raise Unsupported("matmul with broadcast batch dims")


def _matmul_into(w, slots, out_value, target, out_slot):
    a, b = (w.ref(s) for s in slots)
    ta, tb = (w.layout.types[s] for s in slots)
    (m, k), n = ta.shape[-2:], tb.shape[-1]
    # BLAS writes into C-contiguous arrays: planned buffers and new arrays (a state array
    # updated in place may have any layout)
    blas = m * n * k > SMALL_MATMUL and out_slot not in w.layout.into
    product = "gemm" if blas else "matmul_loops"
    if ta.ndim == 2 and tb.ndim == 2:
        w.line(f"{product}({a}, {b}, {target})")
        return
    if out_slot in w.layout.into:
        raise Unsupported("batched matmul into a state array")
    if tb.ndim == 2:
        # (..., m, k) @ (k, n): one product over all the rows (a copy of a strided `a`)
        rows = size(ta) // k
        blas = rows * n * k > SMALL_MATMUL
        w.line(f"{'gemm' if blas else 'matmul_loops'}(reshaped({a}, ({rows}, {k})), {b}, "
               f"reshaped_view({target}, ({rows}, {n})))")
        return
    # same batch dims: one product per matrix (numba copies a strided one for BLAS)
    index = _join(w.loops(ta.shape[:-2], prefix="b"))
    w.line(f"{product}({a}[{index}], {b}[{index}], {target}[{index}])")
    w.close(ta.ndim - 2)


def _matmul(w, ins):
    _check_matmul(w, ins.inputs, ins.node.out)
    target = w.target(ins.output)
    _matmul_into(w, ins.inputs, ins.node.out, target, ins.output)


# -- reductions ----------------------------------------------------------------------------------

def _reduce(w, ins, init, combine, acc_of):
    x = ins.inputs[0]
    tx = w.layout.types[x]
    if tx.ndim == 0 or size(tx) == 0:
        raise Unsupported("reduction of a scalar or an empty array")
    dims = tuple(sorted(d % tx.ndim for d in ins.node.attrs["dims"]))
    keep = ins.node.attrs.get("keepdim", False)
    out_t = ins.node.out.type
    acc = acc_of(out_t.dtype)
    src = w.ref(x)
    kept = [d for d in range(tx.ndim) if d not in dims]
    trailing = dims == tuple(range(tx.ndim - len(dims), tx.ndim))
    if out_t.ndim == 0 or (trailing and kept):
        # one accumulator per result element, summed over the trailing dims. A float sum
        # adds each result's run of the flat input in any order (vectorized), rather than as
        # one chain of additions: layer norm's rows of 64, 2.5x faster
        in_any_order = ins.node.op.name == "sum" and acc.kind == "f"
        if in_any_order and out_t.ndim and ins.output not in w.layout.into:
            rows, run = size(out_t), size(tx) // size(out_t)
            target = w.target(ins.output)
            w.line(f"row_sums(reshaped({src}, ({rows}, {run})), "
                   f"reshaped_view({target}, ({rows},)))")
            return
        if in_any_order:
            w.line(f"f{ins.output} = flat({src})")
        outer = [f"i{d}" for d in kept]
        if out_t.ndim:
            target = w.target(ins.output)
            w.loops([tx.shape[d] for d in kept])
        if in_any_order:
            strides = _c_strides(tx.shape)
            start = " + ".join(f"{i} * {strides[d]}" for i, d in zip(outer, kept)) or "0"
            run = int(np.prod([tx.shape[d] for d in dims]))
            w.line(f"acc = sum_in_any_order(f{ins.output}[{start}:{start} + {run}])")
        else:
            w.line(f"acc = {literal(init, acc)}")
            inner = w.loops([tx.shape[d] for d in dims], prefix="r")
            value = cast(f"{src}[{_join(outer + inner)}]", tx.dtype, acc)
            w.line(f"acc = {combine('acc', value)}")
            w.close(len(dims))
        result = cast("acc", acc, out_t.dtype)
        if out_t.ndim == 0:
            w.set_scalar(ins.output, result)
            return
        at = outer + (["0"] * len(dims) if keep else [])
        w.line(f"{target}[{_join(at)}] = {result}")
        w.close(len(kept))
        return
    target = w.target(ins.output)
    if dims[-1] == tx.ndim - 1 and tx.shape[-1] > 1:
        _reduce_in_lanes(w, ins, set(dims), init, combine, acc, target)
        return
    # reduced dims in the middle, the last kept: accumulate into the result in the input's
    # order (the innermost loop updates distinct elements, so it vectorizes)
    if (ins.node.op.name == "sum" and dims == tuple(range(len(dims)))
            and tx.dtype == out_t.dtype and ins.output not in w.layout.into):
        lead = int(np.prod(tx.shape[:len(dims)]))
        rest = size(out_t)
        w.line(f"column_sums(reshaped({src}, ({lead}, {rest})), "
               f"reshaped_view({target}, ({rest},)))")
        return
    w.line(f"{target}[...] = {literal(init, out_t.dtype)}")
    index = w.loops(tx.shape)
    at = [index[d] if d not in dims else "0" for d in range(tx.ndim) if d not in dims or keep]
    cell = f"{target}[{_join(at)}]"
    w.line(f"{cell} = {combine(cell, cast(f'{src}[{_join(index)}]', tx.dtype, out_t.dtype))}")
    w.close(tx.ndim)


def _reduce_in_lanes(w, ins, dims, init, combine, acc, target):
    """Leading and trailing dims reduced, some between kept (batch norm's (0, 2, 3)): over the
    flat input in its order, with adjacent reduced dims merged, into one partial
    result per kept index and position along the merged trailing dims (one accumulator per
    result would chain every addition to the one before: no vectorization), then the partials
    of each result are combined."""
    x, out_t = ins.inputs[0], ins.node.out.type
    tx = w.layout.types[x]
    groups = []
    for d in range(tx.ndim):
        if groups and d in dims and groups[-1][0] in dims:
            groups[-1].append(d)
        else:
            groups.append([d])
    extents = [int(np.prod([tx.shape[d] for d in g])) for g in groups]
    kept = [j for j, g in enumerate(groups) if g[0] not in dims]
    lanes, part, total = extents[-1], f"p{ins.output}", f"a{ins.output}"
    source = f"f{ins.output}"
    w.line(f"{source} = flat({w.ref(x)})")
    w.line(f"{part} = new_array({tuple(extents[j] for j in kept) + (lanes,)}, {dtype_name(acc)})")
    w.line(f"{part}[...] = {literal(init, acc)}")
    index = w.loops(extents)
    cell = f"{part}[{_join([index[j] for j in kept] + [index[-1]])}]"
    linear = " + ".join(f"{i} * {st}" if st != 1 else i
                        for i, st in zip(index, _c_strides(extents)))
    w.line(f"{cell} = {combine(cell, cast(f'{source}[{linear}]', tx.dtype, acc))}")
    w.close(len(extents))
    outer = w.loops([extents[j] for j in kept])
    w.line(f"{total} = {part}[{_join(outer + ['0'])}]")
    w.line(f"for lane in range(1, {lanes}):")
    partial = f"{part}[{_join(outer + ['lane'])}]"
    w.line(f"    {total} = {combine(total, partial)}")
    at = iter(outer)                 # kept dims are never merged: one loop each
    keep = ins.node.attrs.get("keepdim", False)
    at = [next(at) if d not in dims else "0" for d in range(tx.ndim) if d not in dims or keep]
    w.line(f"{target}[{_join(at)}] = {cast(total, acc, out_t.dtype)}")
    w.close(len(kept))


def _join(index):
    return ", ".join(index) if index else "()"


def _sum(w, ins):
    return _reduce(w, ins, 0, lambda a, b: f"{a} + {b}", acc_dtype)


def _amax(w, ins):
    if ins.node.out.dtype.kind != "f":
        raise Unsupported("amax of integers")
    return _reduce(w, ins, -np.inf, maximum, np.dtype)


def _softmax(w, ins, log):
    x = ins.inputs[0]
    t = w.layout.types[x]
    dims = tuple(d % max(t.ndim, 1) for d in ins.node.attrs["dims"])
    if t.ndim == 0 or dims != (t.ndim - 1,) or t.dtype.kind != "f" or size(t) == 0:
        raise Unsupported("softmax over other than the last dim")
    rows = (size(t) // t.shape[-1], t.shape[-1])
    src = f"reshaped({w.ref(x)}, {rows})"
    target = w.target(ins.output)
    kernel = "log_softmax_rows" if log else "softmax_rows"
    w.line(f"{kernel}({src}, reshaped_view({target}, {rows}))")


# -- views and checks ----------------------------------------------------------------------------

def _permute(w, ins):
    x = ins.inputs[0]
    perm = tuple(ins.node.attrs["perm"])
    src = w.ref(x)
    if perm == tuple(range(len(perm))):
        w.alias(ins.output, src)
    elif perm == (1, 0):
        w.alias(ins.output, f"{src}.T")
    else:
        w.alias(ins.output, f"permuted({src}, {perm})")


def _reshape(w, ins):
    x = ins.inputs[0]
    if w.layout.types[x].ndim == 0 or ins.node.out.ndim == 0:
        raise Unsupported("reshape from or to a scalar")
    shape = tuple(ins.node.out.shape)
    w.alias(ins.output, f"reshaped({w.ref(x)}, {shape})")


def _identity(w, ins):
    x = ins.inputs[0]
    if w.layout.types[x].ndim == 0:
        w.set_scalar(ins.output, w.scalar(x))
    else:
        w.alias(ins.output, w.ref(x))


def _check_index(w, ins):
    x = ins.inputs[0]
    t = w.layout.types[x]
    # a failure is re-raised by the NumPy kernel (its message names the index), which needs
    # the values: those of a schedule input, or of a reshape of one (cross-entropy's targets)
    source = x if x < w.layout.n_inputs else w.layout.reshaped.get(x, x)
    if source >= w.layout.n_inputs or t.ndim == 0 or t.dtype.kind not in "iu":
        raise Unsupported("check of a computed value")
    if source != x:
        w.on_failure.append((_reshaped_check(ins.kernel, tuple(t.shape)), [source]))
    src = w.ref(x)
    low, high = ins.node.attrs["low"], ins.node.attrs["high"]
    index = w.loops(t.shape)
    w.line(f"if {src}[{_join(index)}] < {low} or {src}[{_join(index)}] >= {high}:")
    w.line("    raise CheckFailed")
    w.close(t.ndim)
    w.alias(ins.output, src)


def _reshaped_check(kernel, shape):
    """The driver's check after a native failure: `kernel` on the input, reshaped."""
    def check(values):
        kernel(np.reshape(values, shape))
    return check


def _picked_rows(w, ins, op):
    """The checks of a gather or scatter-add of whole rows `array[index]` (torch's embedding
    and its gradient): one integer index tensor picking along dim 0, either a constant (checked
    here) or one of the schedule's inputs (checked or not by check_index): a bad row is then
    reported by a check that the driver runs on that input. Returns (array, index)."""
    unsupported = Unsupported("indexing other than rows picked by an index tensor that is an "
                              "input or a constant")
    if ins.node.attrs["spec"] != (("t", 0),):
        raise unsupported
    array, index = ins.inputs[0], ins.inputs[-1]
    ta, ti = w.layout.types[array], w.layout.types[index]
    if ti.dtype.kind not in "iu" or ta.ndim == 0 or ti.ndim == 0 or \
            size(ins.node.out.type) == 0:
        raise unsupported
    n, source = ta.shape[0], w.layout.checked.get(index, index)
    if index in w.layout.constants:
        rows = np.asarray(w.layout.constants[index])
        if ((rows < -n) | (rows >= n)).any():
            raise Unsupported("index out of range (the NumPy kernel raises the error)")
    elif source < w.layout.n_inputs:
        w.on_failure.append((_rows_in_range(op, tuple(ta.shape)), [source]))
    else:
        raise unsupported
    return array, index


def _rows_in_range(op, shape):
    def check(index):
        try:                             # NumPy's own check, on rows of no elements
            np.empty((shape[0], 0), np.uint8)[index]
        except IndexError as e:
            raise out_of_range(op, e, shape) from None
    return check


def _row_of(w, index, at, n, name):
    """Lines setting `name` to the row picked at `at`, wrapped like NumPy's negative indices,
    or raising CheckFailed."""
    w.line(f"{name} = {w.ref(index)}[{_join(at)}]")
    w.line(f"if {name} < 0:")
    w.line(f"    {name} += {n}")
    w.line(f"if {name} < 0 or {name} >= {n}:")
    w.line("    raise CheckFailed")


def _slices(spec):
    """`a[<this>]` for a spec of slices only (a view), else None."""
    if not spec or any(item[0] != "s" for item in spec):
        return None
    return ", ".join(":".join("" if v is None else str(v) for v in item[1:]) for item in spec)


def _getitem(w, ins):
    slices = _slices(ins.node.attrs["spec"])
    if slices is not None and len(ins.inputs) == 1:
        w.alias(ins.output, f"{w.ref(ins.inputs[0])}[{slices}]")
        return
    _gather_rows(w, ins)


def _index_add(w, ins):
    slices = _slices(ins.node.attrs["spec"])
    if slices is None or len(ins.inputs) != 2:
        return _scatter_add_rows(w, ins)
    base, value = ins.inputs
    tb = w.layout.types[base]
    spec = ins.node.attrs["spec"]
    ranges = [range(n)[slice(*item[1:])] for item, n in zip(spec, tb.shape)]
    region = tuple(len(r) for r in ranges) + tuple(tb.shape[len(spec):])
    target = _copy_of_base(w, ins, base, value, region)
    # loops, not `target[slices] += value`: numba compiles a slice assignment's shape check
    # with its error message (2-3 s the first time in a process)
    index = w.loops(region)
    at = [f"{r.start} + {i} * {r.step}" if r.step != 1 else f"{r.start} + {i}"
          for r, i in zip(ranges, index)] + index[len(ranges):]
    w.line(f"{target}[{_join(at)}] += {w.ref(value)}[{_join(index)}]")
    w.close(len(region))


def _copy_of_base(w, ins, base, value, region):
    """index_add's result starts as a copy of `base` (not written in place: its buffer is never
    an operand's); `value` must fill the indexed `region` as it is (NumPy broadcasting is left
    to the NumPy kernel). Returns the result's array."""
    tb, tv = w.layout.types[base], w.layout.types[value]
    if tuple(tv.shape) != tuple(region) or tv.dtype != tb.dtype or ins.output in w.layout.into:
        raise Unsupported("index_add of a broadcast value")
    target = w.target(ins.output)
    if w.is_uniform(base):
        w.line(f"{target}[...] = {w.scalar(base)}")
    else:
        w.line(f"copy_into({target}, {w.ref(base)})")
    return target


def _gather_rows(w, ins):
    x, index = _picked_rows(w, ins, "getitem")
    tx, ti = w.layout.types[x], w.layout.types[index]
    n = tx.shape[0]
    src, target, row = w.ref(x), w.target(ins.output), f"r{ins.output}"
    at = w.loops(ti.shape, prefix="g")
    _row_of(w, index, at, n, row)
    inner = w.loops(tx.shape[1:], prefix="j")
    w.line(f"{target}[{_join(at + inner)}] = {src}[{_join([row] + inner)}]")
    w.close(ti.ndim + tx.ndim - 1)


def _scatter_add_rows(w, ins):
    """base with value's rows added at index: the rows add in index order, as the NumPy
    kernel's sorted (stable) sums do."""
    base, index = _picked_rows(w, ins, "index_add")
    value = ins.inputs[1]
    tb, ti = w.layout.types[base], w.layout.types[index]
    n, row = tb.shape[0], f"r{ins.output}"
    target = _copy_of_base(w, ins, base, value, tuple(ti.shape) + tuple(tb.shape[1:]))
    at = w.loops(ti.shape, prefix="g")
    _row_of(w, index, at, n, row)
    inner = w.loops(tb.shape[1:], prefix="j")
    cell = f"{target}[{_join([row] + inner)}]"
    w.line(f"{cell} = {cell} + {w.ref(value)}[{_join(at + inner)}]")
    w.close(ti.ndim + tb.ndim - 1)


def _broadcast(w, ins):
    x = ins.inputs[0]
    shape = tuple(ins.node.out.shape)
    if not shape:
        return _identity(w, ins)
    target = w.target(ins.output)
    index = w.loops(shape)
    w.line(f"{target}[{_join(index)}] = {w.element(x, index, shape)}")
    w.close(len(shape))


KERNELS = {
    "matmul": _matmul, "sum": _sum, "amax": _amax, "permute": _permute, "reshape": _reshape,
    "log_softmax": lambda w, ins: _softmax(w, ins, True),
    "softmax": lambda w, ins: _softmax(w, ins, False),
    "check_index": _check_index, "detach": _identity, "broadcast_to": _broadcast,
    "max_pool2d": pooling.max_pool2d, "max_pool2d_backward": pooling.max_pool2d_backward,
    "getitem": _getitem, "index_add": _index_add, **convolution.KERNELS,
}
