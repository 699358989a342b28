"""Pooling primitives on NCHW tensors: max_pool2d / max_pool2d_backward (scatter to the first
maximum of each window) / max_pool2d_select (gather from it), and avg_pool2d /
avg_pool2d_backward, which are each other's transposes. Kernels loop over the kernel taps
(strided slices), never over pixels.
"""
import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import DTypeError, ShapeError
from graphgrad.ir.types import TensorType
from graphgrad.ops._core import as_tensor
from graphgrad.ops.spatial import (as_batch, check_float, crop_into, defop_out, got, pad_hw, pair,
                                  taps, unbatch, zeros_padded)

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
                         f"({got(*args)})")
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ShapeError(f"{name}: padding {padding} must be at most half the kernel size "
                         f"{kernel} ({got(*args)})")
    h, w = x_shape[2:]
    oh = _pool_out(h, kernel[0], stride[0], padding[0], dilation[0], ceil_mode)
    ow = _pool_out(w, kernel[1], stride[1], padding[1], dilation[1], ceil_mode)
    if oh < 1 or ow < 1:
        raise ShapeError(f"{name}: kernel {kernel} (dilation {dilation}, padding {padding}) "
                         f"does not fit the input {h}x{w}; the output would be {oh}x{ow} "
                         f"({got(*args)})")
    return oh, ow


def _pool_padding(hw, out_hw, *, kernel, stride, padding, dilation=(1, 1), **_):
    """(top, bottom, left, right): `padding`, and more at the bottom/right where ceil_mode
    windows overhang the input."""
    extra = [max(0, (o - 1) * s + (k - 1) * d + 1 - p - n)
             for n, o, k, s, p, d in zip(hw, out_hw, kernel, stride, padding, dilation)]
    return padding[0], extra[0], padding[1], extra[1]


def _pool_pad(x, out_hw, fill, **attrs):
    return pad_hw(x, *_pool_padding(x.shape[2:], out_hw, **attrs), fill)


def _pool_taps(out_hw, *, kernel, stride, dilation=(1, 1), **_):
    return list(taps(kernel, stride, dilation, out_hw))


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
        raise DTypeError(f"max_pool2d: not supported for bool tensors ({got(x)})")
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
                             f"with the input's dtype ({got(a, x)})")
        return TensorType(result, x.dtype)
    return infer


def _max_pool_backward_out(out, g, x, **attrs):
    """Scatter g to the first maximum of each window of x."""
    xp, taps, index = _first_max(x, g.shape[2:], attrs)
    dxp = zeros_padded(out, xp.shape)
    picked = np.empty_like(g)
    for t, sl in taps:
        view = dxp[sl]
        np.multiply(g, index == t, out=picked)    # not a masked add: those are slow
        np.add(view, picked, out=view)
    return crop_into(out, dxp, *attrs["padding"])


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
    check_float("avg_pool2d", x)
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
    check_float("avg_pool2d_backward", g)
    want = tuple(x_shape[:2]) + _pool_out_hw("avg_pool2d_backward", x_shape, (g,), **attrs)
    if tuple(g.shape) != want:
        raise ShapeError(f"avg_pool2d_backward: the output gradient must have shape {want} for "
                         f"an input of shape {tuple(x_shape)} ({got(g)})")
    return TensorType(tuple(x_shape), g.dtype)


def _avg_backward_out(out, g, *, x_shape, **attrs):
    out_hw = g.shape[2:]
    g = g / _avg_divisor(x_shape, out_hw, g.dtype, **attrs)
    top, bottom, left, right = _pool_padding(x_shape[2:], out_hw, **attrs)
    dxp = zeros_padded(out, (x_shape[0], x_shape[1], x_shape[2] + top + bottom,
                              x_shape[3] + left + right))
    for _, sl in _pool_taps(out_hw, **attrs):
        dxp[sl] += g
    return crop_into(out, dxp, *attrs["padding"])


AVG_POOL2D = defop_out("avg_pool2d", _avg_pool_infer, _avg_pool_out,
                       lambda g, x, *, out, **attrs: (bind(AVG_POOL2D_BACKWARD, g,
                                                           x_shape=tuple(x.shape), **attrs),))
AVG_POOL2D_BACKWARD = defop_out("avg_pool2d_backward", _avg_backward_infer, _avg_backward_out,
                                lambda c, g, *, out, x_shape, **attrs: (bind(AVG_POOL2D, c,
                                                                             **attrs),))

# -- op functions -----------------------------------------------------------------------------


def _pool_attrs(name, x, kernel_size, stride, padding):
    kernel = pair(name, "kernel_size", kernel_size, 1, (x,))
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        stride = kernel
    return {"kernel": kernel, "stride": pair(name, "stride", stride, 1, (x,)),
                "padding": pair(name, "padding", padding, 0, (x,))}


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over windows, padded with -inf, as torch.nn.functional.max_pool2d; the gradient goes
    to the first maximum of each window."""
    x = as_tensor(input)
    if return_indices:
        raise NotImplementedError("max_pool2d: return_indices=True is not supported")
    attrs = _pool_attrs("max_pool2d", x, kernel_size, stride, padding)
    attrs.update(dilation=pair("max_pool2d", "dilation", dilation, 1, (x,)),
                 ceil_mode=bool(ceil_mode))
    x, unbatched = as_batch("max_pool2d", x, (x,))
    return unbatch(bind(MAX_POOL2D, x, **attrs), unbatched)


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
    x, unbatched = as_batch("avg_pool2d", x, (x,))
    return unbatch(bind(AVG_POOL2D, x, **attrs), unbatched)

