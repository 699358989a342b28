"""Convolution, pooling and padding primitives on NCHW tensors.

conv2d and its two gradient primitives are the three partial derivatives of one trilinear form
T(g, x, w) = <g, conv2d(x, w)>:

    conv2d(x, w)              = dT/dg
    conv2d_input_grad(g, w)   = dT/dx      (also the transposed convolution)
    conv2d_weight_grad(x, g)  = dT/dw

so the VJP of each one is written with the other two and gradients of any order stay inside
this family. Pools work the same way: max_pool2d / max_pool2d_backward (scatter to the first
maximum of each window) / max_pool2d_select (gather from it), and avg_pool2d /
avg_pool2d_backward, which are each other's transposes.

Kernels loop over kernel taps (kH * kW strided slices), never over pixels. A convolution is an
im2col copy of a strided window view and a batched matmul, done a few images at a time so the
columns stay cache-sized and memory stays bounded for large batches.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from graphgrad.dispatch import bind
from graphgrad.errors import ShapeError
from graphgrad.ir.types import TensorType
from graphgrad.ops._core import as_tensor, defop, describe


def _got(*xs):
    return "got " + ", ".join(describe(x) for x in xs)


def _check_4d(name, x, what, args):
    if len(x.shape) != 4:
        raise ShapeError(f"{name}: expects a 4-D {what}, got shape {tuple(x.shape)} "
                         f"({_got(*args)})")


def _check_float(name, *xs):
    for x in xs[1:]:
        if x.dtype != xs[0].dtype:
            raise TypeError(f"{name}: operands must share a dtype ({_got(*xs)})")
    if xs[0].dtype.kind != "f":
        raise TypeError(f"{name}: expects floating-point tensors ({_got(*xs)})")


def _taps(kernel, stride, dilation, out_hw):
    """(tap number, index) per kernel tap: the strided slice of the padded input it reads."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    for i in range(kh):
        for j in range(kw):
            yield i * kw + j, (slice(None), slice(None),
                               slice(i * dh, i * dh + (oh - 1) * sh + 1, sh),
                               slice(j * dw, j * dw + (ow - 1) * sw + 1, sw))


def _pad_hw(x, top, bottom, left, right, fill=0):
    if not (top or bottom or left or right):
        return x
    n, c, h, w = x.shape
    out = np.full((n, c, h + top + bottom, w + left + right), fill, x.dtype)
    out[:, :, top:top + h, left:left + w] = x
    return out


def _crop_into(out, xp, top, left):
    if xp is not out:
        out[...] = xp[:, :, top:top + out.shape[2], left:left + out.shape[3]]
    return out


def _zeros_padded(out, shape):
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

# -- conv2d -----------------------------------------------------------------------------------


def _conv_out_hw(name, x_shape, w_shape, stride, padding, dilation, groups, args):
    """(oh, ow) of the convolution of an x_shape input with a w_shape weight."""
    c, h, w = x_shape[1:]
    o, cg, kh, kw = w_shape
    if groups < 1 or c % groups or o % groups:
        raise ShapeError(f"{name}: groups={groups} must divide the input channels ({c}) and "
                         f"the output channels ({o}) ({_got(*args)})")
    if cg * groups != c:
        raise ShapeError(f"{name}: the input has {c} channels but the weight {tuple(w_shape)} "
                         f"expects {cg * groups} ({cg} per group, groups={groups}) "
                         f"({_got(*args)})")
    pt, pb, pl, pr = padding
    hp, wp = h + pt + pb, w + pl + pr
    ekh, ekw = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    if ekh > hp or ekw > wp or kh < 1 or kw < 1:
        raise ShapeError(f"{name}: kernel {kh}x{kw} (dilated {ekh}x{ekw}) does not fit the "
                         f"padded input {hp}x{wp} ({_got(*args)})")
    return (hp - ekh) // stride[0] + 1, (wp - ekw) // stride[1] + 1


def _conv2d_infer(x, w, *, stride, padding, dilation, groups):
    _check_4d("conv2d", x, "input (N, C, H, W)", (x, w))
    _check_4d("conv2d", w, "weight (C_out, C_in / groups, kH, kW)", (x, w))
    _check_float("conv2d", x, w)
    oh, ow = _conv_out_hw("conv2d", x.shape, w.shape, stride, padding, dilation, groups, (x, w))
    return TensorType((x.shape[0], w.shape[0], oh, ow), x.dtype)


def _check_grad_out(name, g, x_shape, w_shape, geom, args):
    oh, ow = _conv_out_hw(name, x_shape, w_shape, **geom, args=args)
    want = (x_shape[0], w_shape[0], oh, ow)
    if tuple(g.shape) != want:
        raise ShapeError(f"{name}: the output gradient must have shape {want} for input "
                         f"{tuple(x_shape)} and weight {tuple(w_shape)} ({_got(*args)})")


def _input_grad_infer(g, w, *, x_shape, **geom):
    _check_4d("conv2d_input_grad", g, "output gradient", (g, w))
    _check_4d("conv2d_input_grad", w, "weight", (g, w))
    _check_float("conv2d_input_grad", g, w)
    if len(x_shape) != 4:
        raise ShapeError(f"conv2d_input_grad: input size {x_shape} must have 4 entries")
    _check_grad_out("conv2d_input_grad", g, x_shape, w.shape, geom, (g, w))
    return TensorType(tuple(x_shape), g.dtype)


def _weight_grad_infer(x, g, *, w_shape, **geom):
    _check_4d("conv2d_weight_grad", x, "input", (x, g))
    _check_4d("conv2d_weight_grad", g, "output gradient", (x, g))
    _check_float("conv2d_weight_grad", x, g)
    if len(w_shape) != 4:
        raise ShapeError(f"conv2d_weight_grad: weight size {w_shape} must have 4 entries")
    _check_grad_out("conv2d_weight_grad", g, x.shape, w_shape, geom, (x, g))
    return TensorType(tuple(w_shape), x.dtype)


# im2col columns are built for a few images at a time: bounded memory, cache-sized blocks, and
# one matmul per block (and group) rather than one per image
_COLUMN_BYTES = 1 << 22


def _batches(n, bytes_per_image):
    step = max(1, _COLUMN_BYTES // max(1, bytes_per_image))
    return [slice(i, min(i + step, n)) for i in range(0, n, step)]


def _im2col(xp, kh, kw, oh, ow, stride, dilation, groups):
    """(G, C/G * kH * kW, B * oh * ow): the columns of a block of B padded images, one copy of
    a strided window view."""
    n, c = xp.shape[:2]
    s0, s1, s2, s3 = xp.strides
    view = as_strided(xp, (c, kh, kw, n, oh, ow),
                      (s1, s2 * dilation[0], s3 * dilation[1], s0, s2 * stride[0],
                       s3 * stride[1]), writeable=False)
    return np.ascontiguousarray(view).reshape(groups, -1, n * oh * ow)


def _matmul(a, b):
    """np.matmul, with an inner dimension of 1 (depthwise gradients) as a broadcast product:
    NumPy's matmul is several times slower on those."""
    return a * b if a.shape[-1] == 1 else np.matmul(a, b)


def _channels_first(g, groups):
    """(B, O, oh, ow) -> (G, O/G, B * oh * ow), the layout of the columns."""
    return np.ascontiguousarray(g.swapaxes(0, 1)).reshape(groups, g.shape[1] // groups, -1)


def _conv2d_geometry(x_shape, w_shape, stride, padding, dilation):
    """(padded H, padded W), oh, ow, and the bytes of one image's im2col columns."""
    (c, h, w), (kh, kw) = x_shape[1:], w_shape[2:]
    pt, pb, pl, pr = padding
    oh = (h + pt + pb - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (w + pl + pr - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    return (h + pt + pb, w + pl + pr), oh, ow, c * kh * kw * oh * ow * 8


def _conv2d_out(out, x, w, *, stride, padding, dilation, groups):
    n, (o, _, kh, kw) = x.shape[0], w.shape
    _, oh, ow, col_bytes = _conv2d_geometry(x.shape, w.shape, stride, padding, dilation)
    xp = _pad_hw(x, *padding)
    wm = w.reshape(groups, o // groups, -1)
    for b in _batches(n, col_bytes):
        cols = _im2col(xp[b], kh, kw, oh, ow, stride, dilation, groups)
        out[b] = _matmul(wm, cols).reshape(o, -1, oh, ow).swapaxes(0, 1)
    return out


def _input_grad_out(out, g, w, *, x_shape, stride, padding, dilation, groups):
    n, c = x_shape[:2]
    o, cg, kh, kw = w.shape
    (hp, wp), oh, ow, col_bytes = _conv2d_geometry(x_shape, w.shape, stride, padding, dilation)
    wt = w.reshape(groups, o // groups, cg * kh * kw).swapaxes(1, 2)
    xp = _zeros_padded(out, (n, c, hp, wp))
    taps = list(_taps((kh, kw), stride, dilation, (oh, ow)))
    for b in _batches(n, col_bytes):
        cols = _matmul(wt, _channels_first(g[b], groups)).reshape(c, kh, kw, -1, oh, ow)
        dst = xp[b].swapaxes(0, 1)                                   # col2im, (C, B, H, W)
        for t, index in taps:
            dst[index] += cols[:, t // kw, t % kw]
    return _crop_into(out, xp, padding[0], padding[2])


def _weight_grad_out(out, x, g, *, w_shape, stride, padding, dilation, groups):
    n, (o, cg, kh, kw) = x.shape[0], w_shape
    _, oh, ow, col_bytes = _conv2d_geometry(x.shape, w_shape, stride, padding, dilation)
    xp = _pad_hw(x, *padding)
    dw = np.zeros((groups, cg * kh * kw, o // groups), x.dtype)
    for b in _batches(n, col_bytes):
        cols = _im2col(xp[b], kh, kw, oh, ow, stride, dilation, groups)
        dw += np.matmul(cols, _channels_first(g[b], groups).swapaxes(1, 2))
    out[...] = dw.swapaxes(1, 2).reshape(w_shape)
    return out


def _conv2d_vjp(g, x, w, *, out, needs=(True, True), **geom):
    # eager backward says which inputs need a gradient (the first layer's input does not)
    return (bind(CONV2D_INPUT_GRAD, g, w, x_shape=tuple(x.shape), **geom) if needs[0] else None,
            bind(CONV2D_WEIGHT_GRAD, x, g, w_shape=tuple(w.shape), **geom) if needs[1] else None)


def _input_grad_vjp(c, g, w, *, out, x_shape, **geom):
    # <c, dT/dx(g, w)> = T(g, c, w)
    return (bind(CONV2D, c, w, **geom),
            bind(CONV2D_WEIGHT_GRAD, c, g, w_shape=tuple(w.shape), **geom))


def _weight_grad_vjp(c, x, g, *, out, w_shape, **geom):
    # <c, dT/dw(x, g)> = T(g, x, c)
    return (bind(CONV2D_INPUT_GRAD, g, c, x_shape=tuple(x.shape), **geom),
            bind(CONV2D, x, c, **geom))


CONV2D = defop_out("conv2d", _conv2d_infer, _conv2d_out, _conv2d_vjp, extra={"vjp_needs": True})
CONV2D_INPUT_GRAD = defop_out("conv2d_input_grad", _input_grad_infer, _input_grad_out,
                              _input_grad_vjp)
CONV2D_WEIGHT_GRAD = defop_out("conv2d_weight_grad", _weight_grad_infer, _weight_grad_out,
                               _weight_grad_vjp)

# -- pooling ----------------------------------------------------------------------------------
# attrs: kernel, stride, padding (ph, pw), dilation, ceil_mode; avg pools add count_include_pad
# and divisor_override (and have no dilation).


def _pool_out(size, k, s, p, d, ceil_mode):
    """torch's pooling output size: in ceil_mode the last window must start inside the input or
    the left padding."""
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_out_hw(name, x_shape, args, *, kernel, stride, padding, ceil_mode, dilation=(1, 1),
                 **_):
    if len(x_shape) != 4:
        raise ShapeError(f"{name}: expects a 4-D input (N, C, H, W), got shape {tuple(x_shape)} "
                         f"({_got(*args)})")
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ShapeError(f"{name}: padding {padding} must be at most half the kernel size "
                         f"{kernel} ({_got(*args)})")
    h, w = x_shape[2:]
    oh = _pool_out(h, kernel[0], stride[0], padding[0], dilation[0], ceil_mode)
    ow = _pool_out(w, kernel[1], stride[1], padding[1], dilation[1], ceil_mode)
    if oh < 1 or ow < 1:
        raise ShapeError(f"{name}: kernel {kernel} (dilation {dilation}, padding {padding}) "
                         f"does not fit the input {h}x{w}; the output would be {oh}x{ow} "
                         f"({_got(*args)})")
    return oh, ow


def _pool_padding(hw, out_hw, *, kernel, stride, padding, dilation=(1, 1), **_):
    """(top, bottom, left, right): `padding`, and more at the bottom/right where ceil_mode
    windows overhang the input."""
    extra = [max(0, (o - 1) * s + (k - 1) * d + 1 - p - n)
             for n, o, k, s, p, d in zip(hw, out_hw, kernel, stride, padding, dilation)]
    return padding[0], extra[0], padding[1], extra[1]


def _pool_pad(x, out_hw, fill, **attrs):
    return _pad_hw(x, *_pool_padding(x.shape[2:], out_hw, **attrs), fill)


def _pool_taps(out_hw, *, kernel, stride, dilation=(1, 1), **_):
    return list(_taps(kernel, stride, dilation, out_hw))


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _first_max(x, out_hw, attrs):
    """The padded input, its taps, and per output the tap of the window's first maximum (a
    later NaN wins, as in torch)."""
    xp = _pool_pad(x, out_hw, _lowest(x.dtype), **attrs)
    taps = _pool_taps(out_hw, **attrs)
    best = index = None
    for t, sl in taps:
        v = xp[sl]
        if best is None:
            best, index = v.copy(), np.zeros(v.shape, np.int32)
            continue
        better = v > best
        if v.dtype.kind == "f":
            better |= np.isnan(v)
        # arithmetic instead of masked copies: several times faster with random masks
        np.maximum(best, v, out=best)
        index += better * np.int32(t) - better * index
    return xp, taps, index


def _max_pool_infer(x, **attrs):
    if x.dtype == np.bool_:
        raise TypeError(f"max_pool2d: not supported for bool tensors ({_got(x)})")
    return TensorType(tuple(x.shape[:2]) + _pool_out_hw("max_pool2d", x.shape, (x,), **attrs),
                      x.dtype)


def _max_pool_out(out, x, **attrs):
    xp = _pool_pad(x, out.shape[2:], _lowest(x.dtype), **attrs)
    for t, sl in _pool_taps(out.shape[2:], **attrs):
        if t == 0:
            out[...] = xp[sl]
        else:
            np.maximum(out, xp[sl], out=out)       # propagates NaN, like torch
    return out


def _max_pool_grad_infer(name, gather):
    """max_pool2d_backward(g, x): g pooled-shaped -> x's shape; max_pool2d_select(c, x) (the
    gather): c x-shaped -> the pooled shape."""
    def infer(a, x, **attrs):
        pooled = tuple(x.shape[:2]) + _pool_out_hw(name, x.shape, (a, x), **attrs)
        want, result = (tuple(x.shape), pooled) if gather else (pooled, tuple(x.shape))
        if a.dtype != x.dtype or a.dtype.kind != "f" or tuple(a.shape) != want:
            raise ShapeError(f"{name}: the first operand must be a float tensor of shape {want} "
                             f"with the input's dtype ({_got(a, x)})")
        return TensorType(result, x.dtype)
    return infer


def _max_pool_backward_out(out, g, x, **attrs):
    """Scatter g to the first maximum of each window of x."""
    xp, taps, index = _first_max(x, g.shape[2:], attrs)
    dxp = _zeros_padded(out, xp.shape)
    picked = np.empty_like(g)
    for t, sl in taps:
        view = dxp[sl]
        np.multiply(g, index == t, out=picked)    # not a masked add: those are slow
        np.add(view, picked, out=view)
    return _crop_into(out, dxp, *attrs["padding"])


def _max_pool_select_out(out, c, x, **attrs):
    """Gather c at the first maximum of each window of x (the transpose of the scatter)."""
    _, taps, index = _first_max(x, out.shape[2:], attrs)
    cp = _pool_pad(c, out.shape[2:], 0, **attrs)
    out[...] = 0
    picked = np.empty_like(out)
    for t, sl in taps:                        # every output takes exactly one tap's value
        np.multiply(cp[sl], index == t, out=picked)
        np.add(out, picked, out=out)
    return out


MAX_POOL2D = defop_out("max_pool2d", _max_pool_infer, _max_pool_out,
                       lambda g, x, *, out, **attrs: (bind(MAX_POOL2D_BACKWARD, g, x, **attrs),))
# both are linear in their first operand and piecewise constant in x (zero gradient a.e.)
MAX_POOL2D_BACKWARD = defop_out(
    "max_pool2d_backward", _max_pool_grad_infer("max_pool2d_backward", False),
    _max_pool_backward_out,
    lambda c, g, x, *, out, **attrs: (bind(MAX_POOL2D_SELECT, c, x, **attrs), None))
MAX_POOL2D_SELECT = defop_out(
    "max_pool2d_select", _max_pool_grad_infer("max_pool2d_select", True),
    _max_pool_select_out,
    lambda g, c, x, *, out, **attrs: (bind(MAX_POOL2D_BACKWARD, g, x, **attrs), None))


def _avg_divisor(x_shape, out_hw, dtype, *, kernel, stride, padding, count_include_pad,
                 divisor_override, **_):
    """(oh, ow) divisors, as torch: a window counts the padding it covers (not the ceil_mode
    overhang) when count_include_pad, else only the input elements."""
    if divisor_override:
        return np.full(out_hw, divisor_override, dtype)
    counts = []
    for size, k, s, p, o in zip(x_shape[2:], kernel, stride, padding, out_hw):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, size + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, size)
        counts.append(end - start)
    return np.multiply.outer(counts[0], counts[1]).astype(dtype)


def _avg_pool_infer(x, **attrs):
    _check_float("avg_pool2d", x)
    return TensorType(tuple(x.shape[:2]) + _pool_out_hw("avg_pool2d", x.shape, (x,), **attrs),
                      x.dtype)


def _avg_pool_out(out, x, **attrs):
    out_hw = out.shape[2:]
    xp = _pool_pad(x, out_hw, 0, **attrs)
    for t, sl in _pool_taps(out_hw, **attrs):
        if t == 0:
            out[...] = xp[sl]
        else:
            np.add(out, xp[sl], out=out)
    out /= _avg_divisor(x.shape, out_hw, x.dtype, **attrs)
    return out


def _avg_backward_infer(g, *, x_shape, **attrs):
    _check_float("avg_pool2d_backward", g)
    want = tuple(x_shape[:2]) + _pool_out_hw("avg_pool2d_backward", x_shape, (g,), **attrs)
    if tuple(g.shape) != want:
        raise ShapeError(f"avg_pool2d_backward: the output gradient must have shape {want} for "
                         f"an input of shape {tuple(x_shape)} ({_got(g)})")
    return TensorType(tuple(x_shape), g.dtype)


def _avg_backward_out(out, g, *, x_shape, **attrs):
    out_hw = g.shape[2:]
    g = g / _avg_divisor(x_shape, out_hw, g.dtype, **attrs)
    top, bottom, left, right = _pool_padding(x_shape[2:], out_hw, **attrs)
    dxp = _zeros_padded(out, (x_shape[0], x_shape[1], x_shape[2] + top + bottom,
                              x_shape[3] + left + right))
    for _, sl in _pool_taps(out_hw, **attrs):
        dxp[sl] += g
    return _crop_into(out, dxp, *attrs["padding"])


AVG_POOL2D = defop_out("avg_pool2d", _avg_pool_infer, _avg_pool_out,
                       lambda g, x, *, out, **attrs: (bind(AVG_POOL2D_BACKWARD, g,
                                                           x_shape=tuple(x.shape), **attrs),))
AVG_POOL2D_BACKWARD = defop_out("avg_pool2d_backward", _avg_backward_infer, _avg_backward_out,
                                lambda c, g, *, out, x_shape, **attrs: (bind(AVG_POOL2D, c,
                                                                             **attrs),))

# -- constant padding -------------------------------------------------------------------------


def _pad_infer(x, *, pads, value):
    if len(pads) != len(x.shape) or any(b < 0 or a < 0 for b, a in pads):
        raise ShapeError(f"pad: pads {pads} do not fit {describe(x)}")
    return TensorType(tuple(d + b + a for d, (b, a) in zip(x.shape, pads)), x.dtype)


def _pad_out(out, x, *, pads, value):
    out.fill(value)
    out[tuple(slice(b, b + d) for d, (b, _) in zip(x.shape, pads))] = x
    return out


def _pad_vjp(g, x, *, out, pads, value):
    from graphgrad.ops.movement import GETITEM
    spec = tuple(("s", b, b + d, None) for d, (b, _) in zip(x.shape, pads))
    return (bind(GETITEM, g, spec=spec),)


PAD = defop_out("pad", _pad_infer, _pad_out, _pad_vjp)

# -- op functions -----------------------------------------------------------------------------


def _pair(name, what, value, minimum, args):
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


def _as_batch(name, x, args):
    """3-D (C, H, W) inputs are treated as a batch of one, as in torch."""
    if x.ndim == 3:
        from graphgrad.ops.movement import reshape
        return reshape(x, (1,) + x.shape), True
    if x.ndim != 4:
        raise ShapeError(f"{name}: expects a 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
                         f"shape {x.shape} ({_got(*args)})")
    return x, False


def _unbatch(out, unbatched):
    if not unbatched:
        return out
    from graphgrad.ops.movement import reshape
    return reshape(out, out.shape[1:])


def _conv_padding(name, padding, kernel, stride, dilation, args):
    """(top, bottom, left, right); 'same' puts the odd extra row/column at the bottom/right."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise ValueError(f"{name}: padding must be 'same', 'valid', an int or a pair, got "
                             f"{padding!r}")
        if stride != (1, 1):
            raise ValueError(f"{name}: padding='same' is not supported for strided "
                             f"convolutions (stride {stride}; {_got(*args)})")
        total = [d * (k - 1) for d, k in zip(dilation, kernel)]
        return (total[0] // 2, total[0] - total[0] // 2, total[1] // 2, total[1] - total[1] // 2)
    ph, pw = _pair(name, "padding", padding, 0, args)
    return (ph, ph, pw, pw)


def _conv_attrs(name, x, w, stride, padding, dilation, groups):
    args = (x, w)
    if w.ndim != 4:
        raise ShapeError(f"{name}: expects a 4-D weight, got shape {w.shape} ({_got(*args)})")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{name}: groups must be a positive int, got {groups!r} "
                         f"({_got(*args)})")
    stride = _pair(name, "stride", stride, 1, args)
    dilation = _pair(name, "dilation", dilation, 1, args)
    padding = _conv_padding(name, padding, w.shape[2:], stride, dilation, args)
    return {"stride": stride, "padding": padding, "dilation": dilation, "groups": int(groups)}


def _add_bias(name, out, bias, args):
    from graphgrad.ops.movement import reshape
    b = as_tensor(bias)
    if b.shape != (out.shape[1],) or b.dtype != out.dtype:
        raise ShapeError(f"{name}: bias {describe(b)} must be a vector of {out.shape[1]} "
                         f"{out.dtype} entries, one per output channel ({_got(*args)})")
    return out + reshape(b, (1, -1, 1, 1))


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation of an (N, C_in, H, W) input with a (C_out, C_in / groups, kH, kW)
    weight, as torch.nn.functional.conv2d (padding: int, pair, 'same' or 'valid')."""
    x, w = as_tensor(input), as_tensor(weight)
    args = (x, w)
    attrs = _conv_attrs("conv2d", x, w, stride, padding, dilation, groups)
    x, unbatched = _as_batch("conv2d", x, args)
    out = bind(CONV2D, x, w, **attrs)
    if bias is not None:
        out = _add_bias("conv2d", out, bias, args)
    return _unbatch(out, unbatched)


def conv2d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv2d with respect to its input (torch.nn.grad.conv2d_input)."""
    w, g = as_tensor(weight), as_tensor(grad_output)
    attrs = _conv_attrs("conv2d_input", g, w, stride, padding, dilation, groups)
    return bind(CONV2D_INPUT_GRAD, g, w, x_shape=tuple(int(d) for d in input_size), **attrs)


def conv2d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv2d with respect to its weight (torch.nn.grad.conv2d_weight)."""
    x, g = as_tensor(input), as_tensor(grad_output)
    w_shape = tuple(int(d) for d in weight_size)
    if len(w_shape) != 4:
        raise ShapeError(f"conv2d_weight: weight size {w_shape} must have 4 entries")
    attrs = _conv_attrs("conv2d_weight", x, np.empty(w_shape, x.dtype), stride, padding,
                        dilation, groups)
    return bind(CONV2D_WEIGHT_GRAD, x, g, w_shape=w_shape, **attrs)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed convolution of an (N, C_in, H, W) input with a (C_in, C_out / groups, kH, kW)
    weight, as torch.nn.functional.conv_transpose2d: the gradient of conv2d's input."""
    x, w = as_tensor(input), as_tensor(weight)
    args = (x, w)
    if isinstance(padding, str):
        raise TypeError(f"conv_transpose2d: padding must be an int or a pair, got {padding!r}")
    attrs = _conv_attrs("conv_transpose2d", x, w, stride, padding, dilation, groups)
    x, unbatched = _as_batch("conv_transpose2d", x, args)
    extra = _pair("conv_transpose2d", "output_padding", output_padding, 0, args)
    if any(e >= max(s, d) for e, s, d in zip(extra, attrs["stride"], attrs["dilation"])):
        raise ValueError(f"conv_transpose2d: output_padding {extra} must be smaller than the "
                         f"stride or the dilation ({_got(x, w)})")
    size = [(n - 1) * s - 2 * p + d * (k - 1) + e + 1 for n, s, p, d, k, e in zip(
        x.shape[2:], attrs["stride"], attrs["padding"][::2], attrs["dilation"], w.shape[2:],
        extra)]
    if min(size) < 1:
        raise ShapeError(f"conv_transpose2d: the output size {tuple(size)} is empty "
                         f"({_got(x, w)})")
    x_shape = (x.shape[0], w.shape[1] * attrs["groups"], size[0], size[1])
    out = bind(CONV2D_INPUT_GRAD, x, w, x_shape=x_shape, **attrs)
    if bias is not None:
        out = _add_bias("conv_transpose2d", out, bias, args)
    return _unbatch(out, unbatched)


def _pool_attrs(name, x, kernel_size, stride, padding):
    kernel = _pair(name, "kernel_size", kernel_size, 1, (x,))
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        stride = kernel
    return {"kernel": kernel, "stride": _pair(name, "stride", stride, 1, (x,)),
                "padding": _pair(name, "padding", padding, 0, (x,))}


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over windows, padded with -inf, as torch.nn.functional.max_pool2d; the gradient goes
    to the first maximum of each window."""
    x = as_tensor(input)
    if return_indices:
        raise NotImplementedError("max_pool2d: return_indices=True is not supported")
    attrs = _pool_attrs("max_pool2d", x, kernel_size, stride, padding)
    attrs.update(dilation=_pair("max_pool2d", "dilation", dilation, 1, (x,)),
                 ceil_mode=bool(ceil_mode))
    x, unbatched = _as_batch("max_pool2d", x, (x,))
    return _unbatch(bind(MAX_POOL2D, x, **attrs), unbatched)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over windows, as torch.nn.functional.avg_pool2d."""
    x = as_tensor(input)
    attrs = _pool_attrs("avg_pool2d", x, kernel_size, stride, padding)
    if divisor_override is not None and (isinstance(divisor_override, bool) or
                                         int(divisor_override) != divisor_override or
                                         divisor_override < 1):
        raise ValueError(f"avg_pool2d: divisor_override must be a positive int, got "
                         f"{divisor_override!r}")
    attrs.update(ceil_mode=bool(ceil_mode), count_include_pad=bool(count_include_pad),
                 divisor_override=None if divisor_override is None else int(divisor_override))
    x, unbatched = _as_batch("avg_pool2d", x, (x,))
    return _unbatch(bind(AVG_POOL2D, x, **attrs), unbatched)


def _pad_index(mode, n, before, after):
    j = np.arange(-before, n + after)
    if mode == "replicate":
        return np.clip(j, 0, n - 1)
    if mode == "circular":
        return j % n
    j = np.abs(j)                                                # reflect
    return np.where(j > n - 1, 2 * (n - 1) - j, j)


def pad(input, pad, mode="constant", value=None):
    """torch.nn.functional.pad: `pad` lists (before, after) pairs starting from the last dim.
    Modes: constant (negative pads crop), reflect, replicate, circular."""
    from graphgrad.ops.movement import getitem
    x = as_tensor(input)
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad: the padding {pad} must have an even length of at most "
                         f"2 * {x.ndim} entries for {describe(x)}")
    pairs = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        pairs[x.ndim - 1 - i] = pad[2 * i:2 * i + 2]
    if mode == "constant":
        if any(d + b + a < 0 for d, (b, a) in zip(x.shape, pairs)):
            raise ShapeError(f"pad: the padding {pad} crops more than all of {describe(x)}")
        if any(b < 0 or a < 0 for b, a in pairs):
            x = getitem(x, tuple(slice(max(-b, 0), d - max(-a, 0))
                                 for d, (b, a) in zip(x.shape, pairs)))
        pairs = tuple((max(b, 0), max(a, 0)) for b, a in pairs)
        if not any(b or a for b, a in pairs):
            return x
        return bind(PAD, x, pads=pairs, value=0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', "
                         f"got {mode!r}")
    if value:
        raise ValueError(f"pad: mode {mode!r} takes no fill value, got {value!r}")
    for dim, (b, a) in enumerate(pairs):
        n = x.shape[dim]
        limit = {"reflect": n - 1, "circular": n}.get(mode, max(b, a))
        if min(b, a) < 0 or max(b, a) > limit or n == 0:
            raise ShapeError(f"pad: {mode} padding {(b, a)} of dim {dim} is invalid for "
                             f"{describe(x)} (each side must be from 0 to {limit})")
        if b or a:
            x = getitem(x, (slice(None),) * dim + (_pad_index(mode, n, b, a),))
    return x
