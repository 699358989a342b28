"""Shared helpers of the (N, C, *spatial) primitives (convolution, pooling, fold, padding):
argument checks, kernel taps as strided slices, spatial padding, and `defop_out` for kernels
that write into a preallocated output. Spatial helpers work for any number of spatial dims;
paddings are flat tuples (before_0, after_0, before_1, after_1, ...)."""
import itertools

import numpy as np

from graphgrad.errors import DTypeError, ShapeError
from graphgrad.ops._core import defop, describe

DIM_NAMES = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}


def got(*xs):
    return "got " + ", ".join(describe(x) for x in xs)


def check_nd(name, x, ndim, what, args):
    if len(x.shape) != ndim:
        raise ShapeError(f"{name}: expects a {ndim}-D {what}, got shape {tuple(x.shape)} "
                         f"({got(*args)})")


def check_4d(name, x, what, args):
    check_nd(name, x, 4, what, args)


def check_float(name, *xs):
    for x in xs[1:]:
        if x.dtype != xs[0].dtype:
            raise DTypeError(f"{name}: operands must share a dtype ({got(*xs)})")
    if xs[0].dtype.kind != "f":
        raise DTypeError(f"{name}: expects floating-point tensors ({got(*xs)})")


def taps(kernel, stride, dilation, out):
    """(tap number, index) per kernel tap, taps in row-major order: the strided slice of the
    padded (N, C, *spatial) input it reads."""
    for t, offsets in enumerate(itertools.product(*(range(k) for k in kernel))):
        yield t, (slice(None), slice(None)) + tuple(
            slice(i * d, i * d + (o - 1) * s + 1, s)
            for i, d, o, s in zip(offsets, dilation, out, stride))


def pad_spatial(x, pads, fill=0):
    """x padded with `fill` on its spatial dims by the flat (before, after, ...) `pads`."""
    if not any(pads):
        return x
    before, after = pads[0::2], pads[1::2]
    shape = x.shape[:2] + tuple(n + b + a for n, b, a in zip(x.shape[2:], before, after))
    out = np.full(shape, fill, x.dtype)
    out[(Ellipsis,) + tuple(slice(b, b + n) for b, n in zip(before, x.shape[2:]))] = x
    return out


def pad_hw(x, top, bottom, left, right, fill=0):
    return pad_spatial(x, (top, bottom, left, right), fill)


def crop_into(out, xp, *before):
    """out = xp without its padding (`before`: the leading padding of each spatial dim)."""
    if xp is not out:
        out[...] = xp[(Ellipsis,) + tuple(slice(b, b + n) for b, n in zip(before,
                                                                          out.shape[2:]))]
    return out


def zeros_padded(out, shape):
    """A zeroed accumulator of the padded `shape`: `out` itself when there is no padding."""
    if tuple(shape) == out.shape:
        out.fill(0)
        return out
    return np.zeros(shape, out.dtype)


def defop_out(name, infer, out_impl, vjp, **flags):
    """A primitive whose kernel writes into a preallocated output (`out_impl`), so the compiled
    runtime can plan its memory; eagerly the output is allocated from the shape rule."""
    def impl(*arrays, **attrs):
        t = infer(*arrays, **attrs)
        return out_impl(np.empty(t.shape, t.dtype), *arrays, **attrs)
    return defop(name, infer, impl, vjp, out_impl=out_impl, **flags)


def ntuple(name, what, value, minimum, args, n=2):
    """An int or a sequence of ints as an n-tuple (a 1-sequence is repeated), each at least
    `minimum`."""
    try:
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            out = (int(value),) * n
        else:
            out = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        out = ()
    if len(out) == 1:
        out = out * n
    if len(out) != n or min(out) < minimum:
        kind = "positive" if minimum else "non-negative"
        many = {1: "", 2: " or pair of ints", 3: " or triple of ints"}[n]
        raise ValueError(f"{name}: {what} must be a {kind} int{many}, got {value!r} "
                         f"(inputs {', '.join(describe(x) for x in args)})")
    return out


def pair(name, what, value, minimum, args):
    return ntuple(name, what, value, minimum, args, 2)


def as_batch_nd(name, x, nd, args):
    """(C, *spatial) inputs are treated as a batch of one, as in torch."""
    if x.ndim == nd + 1:
        from graphgrad.ops.movement import reshape
        return reshape(x, (1,) + x.shape), True
    if x.ndim != nd + 2:
        unbatched = "(C, " + DIM_NAMES[nd][7:]
        raise ShapeError(f"{name}: expects a {nd + 1}-D {unbatched} or {nd + 2}-D "
                         f"{DIM_NAMES[nd]} input, got shape {x.shape} ({got(*args)})")
    return x, False


def as_batch(name, x, args):
    return as_batch_nd(name, x, 2, args)


def unbatch(out, unbatched):
    if not unbatched:
        return out
    from graphgrad.ops.movement import reshape
    return reshape(out, out.shape[1:])
