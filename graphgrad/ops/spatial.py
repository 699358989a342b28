"""Shared helpers of the NCHW primitives (convolution, pooling, padding): argument checks,
kernel taps as strided slices, spatial padding, and `defop_out` for kernels that write into a
preallocated output."""
import numpy as np

from graphgrad.errors import DTypeError, ShapeError
from graphgrad.ops._core import defop, describe


def got(*xs):
    return "got " + ", ".join(describe(x) for x in xs)


def check_4d(name, x, what, args):
    if len(x.shape) != 4:
        raise ShapeError(f"{name}: expects a 4-D {what}, got shape {tuple(x.shape)} "
                         f"({got(*args)})")


def check_float(name, *xs):
    for x in xs[1:]:
        if x.dtype != xs[0].dtype:
            raise DTypeError(f"{name}: operands must share a dtype ({got(*xs)})")
    if xs[0].dtype.kind != "f":
        raise DTypeError(f"{name}: expects floating-point tensors ({got(*xs)})")


def taps(kernel, stride, dilation, out_hw):
    """(tap number, index) per kernel tap: the strided slice of the padded input it reads."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    for i in range(kh):
        for j in range(kw):
            yield i * kw + j, (slice(None), slice(None),
                               slice(i * dh, i * dh + (oh - 1) * sh + 1, sh),
                               slice(j * dw, j * dw + (ow - 1) * sw + 1, sw))


def pad_hw(x, top, bottom, left, right, fill=0):
    if not (top or bottom or left or right):
        return x
    n, c, h, w = x.shape
    out = np.full((n, c, h + top + bottom, w + left + right), fill, x.dtype)
    out[:, :, top:top + h, left:left + w] = x
    return out


def crop_into(out, xp, top, left):
    if xp is not out:
        out[...] = xp[:, :, top:top + out.shape[2], left:left + out.shape[3]]
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


def pair(name, what, value, minimum, args):
    try:
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            pair = (int(value),) * 2
        else:
            pair = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        pair = ()
    if len(pair) == 1:
        pair = pair * 2
    if len(pair) != 2 or min(pair) < minimum:
        kind = "positive" if minimum else "non-negative"
        raise ValueError(f"{name}: {what} must be a {kind} int or pair of ints, got {value!r} "
                         f"(inputs {', '.join(describe(x) for x in args)})")
    return pair


def as_batch(name, x, args):
    """3-D (C, H, W) inputs are treated as a batch of one, as in torch."""
    if x.ndim == 3:
        from graphgrad.ops.movement import reshape
        return reshape(x, (1,) + x.shape), True
    if x.ndim != 4:
        raise ShapeError(f"{name}: expects a 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
                         f"shape {x.shape} ({got(*args)})")
    return x, False


def unbatch(out, unbatched):
    if not unbatched:
        return out
    from graphgrad.ops.movement import reshape
    return reshape(out, out.shape[1:])
