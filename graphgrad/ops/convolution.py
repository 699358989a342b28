"""Convolution primitives on NCHW tensors.

conv2d and its two gradient primitives are the three partial derivatives of one trilinear form
T(g, x, w) = <g, conv2d(x, w)>:

    conv2d(x, w)              = dT/dg
    conv2d_input_grad(g, w)   = dT/dx      (also the transposed convolution)
    conv2d_weight_grad(x, g)  = dT/dw

so the VJP of each one is written with the other two and gradients of any order stay inside
this family.

Kernels loop over kernel taps (kH * kW strided slices), never over pixels. A convolution is an
im2col copy of a strided window view and a batched matmul, done a few images at a time so the
columns stay cache-sized and memory stays bounded for large batches.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from graphgrad.dispatch import bind
from graphgrad.errors import ShapeError
from graphgrad.ir.types import TensorType
from graphgrad.ops._core import as_tensor, describe
from graphgrad.ops.spatial import (as_batch, check_4d, check_float, crop_into, defop_out, got,
                                  pad_hw, pair, taps, unbatch, zeros_padded)


def _conv_out_hw(name, x_shape, w_shape, stride, padding, dilation, groups, args):
    """(oh, ow) of the convolution of an x_shape input with a w_shape weight."""
    c, h, w = x_shape[1:]
    o, cg, kh, kw = w_shape
    if groups < 1 or c % groups or o % groups:
        raise ShapeError(f"{name}: groups={groups} must divide the input channels ({c}) and "
                         f"the output channels ({o}) ({got(*args)})")
    if cg * groups != c:
        raise ShapeError(f"{name}: the input has {c} channels but the weight {tuple(w_shape)} "
                         f"expects {cg * groups} ({cg} per group, groups={groups}) "
                         f"({got(*args)})")
    pt, pb, pl, pr = padding
    hp, wp = h + pt + pb, w + pl + pr
    ekh, ekw = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    if ekh > hp or ekw > wp or kh < 1 or kw < 1:
        raise ShapeError(f"{name}: kernel {kh}x{kw} (dilated {ekh}x{ekw}) does not fit the "
                         f"padded input {hp}x{wp} ({got(*args)})")
    return (hp - ekh) // stride[0] + 1, (wp - ekw) // stride[1] + 1


def _conv2d_infer(x, w, *, stride, padding, dilation, groups):
    check_4d("conv2d", x, "input (N, C, H, W)", (x, w))
    check_4d("conv2d", w, "weight (C_out, C_in / groups, kH, kW)", (x, w))
    check_float("conv2d", x, w)
    oh, ow = _conv_out_hw("conv2d", x.shape, w.shape, stride, padding, dilation, groups, (x, w))
    return TensorType((x.shape[0], w.shape[0], oh, ow), x.dtype)


def _check_grad_out(name, g, x_shape, w_shape, geom, args):
    oh, ow = _conv_out_hw(name, x_shape, w_shape, **geom, args=args)
    want = (x_shape[0], w_shape[0], oh, ow)
    if tuple(g.shape) != want:
        raise ShapeError(f"{name}: the output gradient must have shape {want} for input "
                         f"{tuple(x_shape)} and weight {tuple(w_shape)} ({got(*args)})")


def _input_grad_infer(g, w, *, x_shape, **geom):
    check_4d("conv2d_input_grad", g, "output gradient", (g, w))
    check_4d("conv2d_input_grad", w, "weight", (g, w))
    check_float("conv2d_input_grad", g, w)
    if len(x_shape) != 4:
        raise ShapeError(f"conv2d_input_grad: input size {x_shape} must have 4 entries")
    _check_grad_out("conv2d_input_grad", g, x_shape, w.shape, geom, (g, w))
    return TensorType(tuple(x_shape), g.dtype)


def _weight_grad_infer(x, g, *, w_shape, **geom):
    check_4d("conv2d_weight_grad", x, "input", (x, g))
    check_4d("conv2d_weight_grad", g, "output gradient", (x, g))
    check_float("conv2d_weight_grad", x, g)
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
    xp = pad_hw(x, *padding)
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
    xp = zeros_padded(out, (n, c, hp, wp))
    windows = list(taps((kh, kw), stride, dilation, (oh, ow)))
    for b in _batches(n, col_bytes):
        cols = _matmul(wt, _channels_first(g[b], groups)).reshape(c, kh, kw, -1, oh, ow)
        dst = xp[b].swapaxes(0, 1)                                   # col2im, (C, B, H, W)
        for t, index in windows:
            dst[index] += cols[:, t // kw, t % kw]
    return crop_into(out, xp, padding[0], padding[2])


def _weight_grad_out(out, x, g, *, w_shape, stride, padding, dilation, groups):
    n, (o, cg, kh, kw) = x.shape[0], w_shape
    _, oh, ow, col_bytes = _conv2d_geometry(x.shape, w_shape, stride, padding, dilation)
    xp = pad_hw(x, *padding)
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


CONV2D = defop_out("conv2d", _conv2d_infer, _conv2d_out, _conv2d_vjp, vjp_needs=True)
CONV2D_INPUT_GRAD = defop_out("conv2d_input_grad", _input_grad_infer, _input_grad_out,
                              _input_grad_vjp)
CONV2D_WEIGHT_GRAD = defop_out("conv2d_weight_grad", _weight_grad_infer, _weight_grad_out,
                               _weight_grad_vjp)

# -- op functions -----------------------------------------------------------------------------


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
                             f"convolutions (stride {stride}; {got(*args)})")
        total = [d * (k - 1) for d, k in zip(dilation, kernel)]
        return (total[0] // 2, total[0] - total[0] // 2, total[1] // 2, total[1] - total[1] // 2)
    ph, pw = pair(name, "padding", padding, 0, args)
    return (ph, ph, pw, pw)


def _conv_attrs(name, x, w, stride, padding, dilation, groups):
    args = (x, w)
    if w.ndim != 4:
        raise ShapeError(f"{name}: expects a 4-D weight, got shape {w.shape} ({got(*args)})")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{name}: groups must be a positive int, got {groups!r} "
                         f"({got(*args)})")
    stride = pair(name, "stride", stride, 1, args)
    dilation = pair(name, "dilation", dilation, 1, args)
    padding = _conv_padding(name, padding, w.shape[2:], stride, dilation, args)
    return {"stride": stride, "padding": padding, "dilation": dilation, "groups": int(groups)}


def _add_bias(name, out, bias, args):
    from graphgrad.ops.movement import reshape
    b = as_tensor(bias)
    if b.shape != (out.shape[1],) or b.dtype != out.dtype:
        raise ShapeError(f"{name}: bias {describe(b)} must be a vector of {out.shape[1]} "
                         f"{out.dtype} entries, one per output channel ({got(*args)})")
    return out + reshape(b, (1, -1, 1, 1))


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation of an (N, C_in, H, W) input with a (C_out, C_in / groups, kH, kW)
    weight, as torch.nn.functional.conv2d (padding: int, pair, 'same' or 'valid')."""
    x, w = as_tensor(input), as_tensor(weight)
    args = (x, w)
    attrs = _conv_attrs("conv2d", x, w, stride, padding, dilation, groups)
    x, unbatched = as_batch("conv2d", x, args)
    out = bind(CONV2D, x, w, **attrs)
    if bias is not None:
        out = _add_bias("conv2d", out, bias, args)
    return unbatch(out, unbatched)


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
    x, unbatched = as_batch("conv_transpose2d", x, args)
    extra = pair("conv_transpose2d", "output_padding", output_padding, 0, args)
    if any(e >= max(s, d) for e, s, d in zip(extra, attrs["stride"], attrs["dilation"])):
        raise ValueError(f"conv_transpose2d: output_padding {extra} must be smaller than the "
                         f"stride or the dilation ({got(x, w)})")
    size = [(n - 1) * s - 2 * p + d * (k - 1) + e + 1 for n, s, p, d, k, e in zip(
        x.shape[2:], attrs["stride"], attrs["padding"][::2], attrs["dilation"], w.shape[2:],
        extra)]
    if min(size) < 1:
        raise ShapeError(f"conv_transpose2d: the output size {tuple(size)} is empty "
                         f"({got(x, w)})")
    x_shape = (x.shape[0], w.shape[1] * attrs["groups"], size[0], size[1])
    out = bind(CONV2D_INPUT_GRAD, x, w, x_shape=x_shape, **attrs)
    if bias is not None:
        out = _add_bias("conv_transpose2d", out, bias, args)
    return unbatch(out, unbatched)
