"""Pooling primitives on (N, C, *spatial) tensors, 2-D and 3-D (1-D pools are 2-D ones over a
unit height): max_poolNd / max_poolNd_backward (scatter to the first maximum of each window) /
max_poolNd_select (gather from it), avg_poolNd / avg_poolNd_backward, which are each other's
transposes, and max_pool_indices (torch's flat per-plane index of each window's maximum).
Kernels loop over the kernel taps (strided slices), never over pixels.
"""
import functools

import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import DTypeError, ShapeError
from graphgrad.ir.types import TensorType
from graphgrad.ops import pool_kernels
from graphgrad.ops.spatial import (check_float, crop_into, defop_out, got, pad_spatial, taps,
                                  zeros_padded)

# attrs: kernel, stride, padding (one per spatial dim), dilation, ceil_mode; avg pools add
# count_include_pad and divisor_override (and have no dilation).


def _pool_out(size, k, s, p, d, ceil_mode):
    """torch's pooling output size: in ceil_mode the last window must start inside the input or
    the left padding."""
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def pool_out_size(name, x_shape, args, *, kernel, stride, padding, ceil_mode, dilation=None,
                  **_):
    nd = len(kernel)
    dilation = dilation or (1,) * nd
    if len(x_shape) != nd + 2:
        raise ShapeError(f"{name}: expects a {nd + 2}-D input (N, C, *spatial), got shape "
                         f"{tuple(x_shape)} ({got(*args)})")
    if any(p > k // 2 for p, k in zip(padding, kernel)):
        raise ShapeError(f"{name}: padding {padding} must be at most half the kernel size "
                         f"{kernel} ({got(*args)})")
    out = tuple(_pool_out(n, k, s, p, d, ceil_mode)
                for n, k, s, p, d in zip(x_shape[2:], kernel, stride, padding, dilation))
    if min(out) < 1:
        raise ShapeError(f"{name}: kernel {kernel} (dilation {dilation}, padding {padding}) "
                         f"does not fit the input {'x'.join(map(str, x_shape[2:]))}; the output "
                         f"would be {'x'.join(map(str, out))} ({got(*args)})")
    return out


def _pool_padding(spatial, out, *, kernel, stride, padding, dilation=None, **_):
    """Flat (before, after) pairs: `padding`, and more after where ceil_mode windows overhang
    the input."""
    dilation = dilation or (1,) * len(kernel)
    pads = ()
    for n, o, k, s, p, d in zip(spatial, out, kernel, stride, padding, dilation):
        pads += (p, max(0, (o - 1) * s + (k - 1) * d + 1 - p - n))
    return pads


def _pool_pad(x, out, fill, **attrs):
    return pad_spatial(x, _pool_padding(x.shape[2:], out, **attrs), fill)


def _pool_taps(out, *, kernel, stride, dilation=None, **_):
    return list(taps(kernel, stride, dilation or (1,) * len(kernel), out))


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _first_max(x, out, attrs):
    """The padded input, its taps, and per output the tap of the window's first maximum (a
    later NaN wins, as in torch)."""
    xp = _pool_pad(x, out, _lowest(x.dtype), **attrs)
    taps = _pool_taps(out, **attrs)
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


def _max_pool_out(out, x, **attrs):
    view = pool_kernels.tiles(x, out.shape[2:], **attrs)
    if view is not None:
        return pool_kernels.max_out(out, view, attrs["kernel"])
    xp = _pool_pad(x, out.shape[2:], _lowest(x.dtype), **attrs)
    for t, sl in _pool_taps(out.shape[2:], **attrs):
        if t == 0:
            out[...] = xp[sl]
        else:
            np.maximum(out, xp[sl], out=out)       # propagates NaN, like torch
    return out


def _max_pool_backward_out(out, g, x, **attrs):
    """Scatter g to the first maximum of each window of x."""
    view = pool_kernels.tiles(x, g.shape[2:], **attrs)
    if view is not None and pool_kernels.max_backward_out(out, g, x, view, attrs["kernel"]):
        return out
    xp, taps, index = _first_max(x, g.shape[2:], attrs)
    dxp = zeros_padded(out, xp.shape)
    chosen = np.empty_like(g)
    for t, sl in taps:
        view = dxp[sl]
        pool_kernels.picked(chosen, g, index == t)    # not a masked add: those are slow
        np.add(view, chosen, out=view)
    return crop_into(out, dxp, *attrs["padding"])


def _max_pool_select_out(out, c, x, **attrs):
    """Gather c at the first maximum of each window of x (the transpose of the scatter)."""
    _, taps, index = _first_max(x, out.shape[2:], attrs)
    cp = _pool_pad(c, out.shape[2:], 0, **attrs)
    out[...] = 0
    chosen = np.empty_like(out)
    for t, sl in taps:                        # every output takes exactly one tap's value
        pool_kernels.picked(chosen, cp[sl], index == t)
        np.add(out, chosen, out=out)
    return out


def _max_pool_family(nd):
    name = f"max_pool{nd}d"
    ops = {}

    def infer(x, **attrs):
        if x.dtype == np.bool_:
            raise DTypeError(f"{name}: not supported for bool tensors ({got(x)})")
        return TensorType(tuple(x.shape[:2]) + pool_out_size(name, x.shape, (x,), **attrs),
                          x.dtype)

    def grad_infer(op, gather):
        """backward(g, x): g pooled-shaped -> x's shape; select(c, x) (the gather): c x-shaped
        -> the pooled shape."""
        def infer(a, x, **attrs):
            pooled = tuple(x.shape[:2]) + pool_out_size(op, x.shape, (a, x), **attrs)
            want, result = (tuple(x.shape), pooled) if gather else (pooled, tuple(x.shape))
            if a.dtype != x.dtype or a.dtype.kind != "f" or tuple(a.shape) != want:
                raise ShapeError(f"{op}: the first operand must be a float tensor of shape "
                                 f"{want} with the input's dtype ({got(a, x)})")
            return TensorType(result, x.dtype)
        return infer

    ops["pool"] = defop_out(name, infer, _max_pool_out,
                            lambda g, x, *, out, **attrs: (bind(ops["backward"], g, x, **attrs),))
    # both are linear in their first operand and piecewise constant in x (zero gradient a.e.)
    ops["backward"] = defop_out(
        name + "_backward", grad_infer(name + "_backward", False), _max_pool_backward_out,
        lambda c, g, x, *, out, **attrs: (bind(ops["select"], c, x, **attrs), None))
    ops["select"] = defop_out(
        name + "_select", grad_infer(name + "_select", True), _max_pool_select_out,
        lambda g, c, x, *, out, **attrs: (bind(ops["backward"], g, x, **attrs), None))
    return ops["pool"], ops["backward"], ops["select"]


MAX_POOL2D, MAX_POOL2D_BACKWARD, MAX_POOL2D_SELECT = _max_pool_family(2)
MAX_POOL3D, MAX_POOL3D_BACKWARD, MAX_POOL3D_SELECT = _max_pool_family(3)


def _indices_infer(x, **attrs):
    if x.dtype == np.bool_:
        raise DTypeError(f"max_pool_indices: not supported for bool tensors ({got(x)})")
    out = pool_out_size("max_pool_indices", x.shape, (x,), **attrs)
    return TensorType(tuple(x.shape[:2]) + out, np.dtype(np.int64))


def _indices_out(out, x, **attrs):
    """Per window, the flat index (within its (N, C) plane) of the first maximum."""
    _, _, index = _first_max(x, out.shape[2:], attrs)
    kernel, stride, padding = attrs["kernel"], attrs["stride"], attrs["padding"]
    dilation = attrs.get("dilation") or (1,) * len(kernel)
    offsets = np.unravel_index(index, kernel)
    flat = np.zeros(out.shape, np.int64)
    for d, size in enumerate(x.shape[2:]):
        grid = np.arange(out.shape[2 + d]).reshape((-1,) + (1,) * (len(kernel) - 1 - d))
        flat = flat * size + grid * stride[d] + offsets[d] * dilation[d] - padding[d]
    out[...] = flat
    return out


MAX_POOL_INDICES = defop_out("max_pool_indices", _indices_infer, _indices_out, None)


def _avg_divisor(x_shape, out_size, dtype, *, kernel, stride, padding, count_include_pad,
                 divisor_override, **_):
    """Divisors of every output, as torch: a window counts the padding it covers (not the
    ceil_mode overhang) when count_include_pad, else only the input elements."""
    if divisor_override:
        return np.full(out_size, divisor_override, dtype)
    counts = []
    for size, k, s, p, o in zip(x_shape[2:], kernel, stride, padding, out_size):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, size + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, size)
        counts.append(end - start)
    return functools.reduce(np.multiply.outer, counts).astype(dtype)


def _avg_pool_out(out, x, **attrs):
    size = out.shape[2:]
    xp = _pool_pad(x, size, 0, **attrs)
    for t, sl in _pool_taps(size, **attrs):
        if t == 0:
            out[...] = xp[sl]
        else:
            np.add(out, xp[sl], out=out)
    out /= _avg_divisor(x.shape, size, x.dtype, **attrs)
    return out


def _avg_backward_out(out, g, *, x_shape, **attrs):
    size = g.shape[2:]
    g = g / _avg_divisor(x_shape, size, g.dtype, **attrs)
    pads = _pool_padding(x_shape[2:], size, **attrs)
    padded = tuple(n + b + a for n, b, a in zip(x_shape[2:], pads[0::2], pads[1::2]))
    dxp = zeros_padded(out, tuple(x_shape[:2]) + padded)
    for _, sl in _pool_taps(size, **attrs):
        dxp[sl] += g
    return crop_into(out, dxp, *attrs["padding"])


def _avg_pool_family(nd):
    name = f"avg_pool{nd}d"
    ops = {}

    def infer(x, **attrs):
        check_float(name, x)
        return TensorType(tuple(x.shape[:2]) + pool_out_size(name, x.shape, (x,), **attrs),
                          x.dtype)

    def backward_infer(g, *, x_shape, **attrs):
        op = name + "_backward"
        check_float(op, g)
        want = tuple(x_shape[:2]) + pool_out_size(op, x_shape, (g,), **attrs)
        if tuple(g.shape) != want:
            raise ShapeError(f"{op}: the output gradient must have shape {want} for an input of "
                             f"shape {tuple(x_shape)} ({got(g)})")
        return TensorType(tuple(x_shape), g.dtype)

    ops["pool"] = defop_out(name, infer, _avg_pool_out,
                            lambda g, x, *, out, **attrs: (bind(ops["backward"], g,
                                                                x_shape=tuple(x.shape),
                                                                **attrs),))
    ops["backward"] = defop_out(name + "_backward", backward_infer, _avg_backward_out,
                                lambda c, g, *, out, x_shape, **attrs: (bind(ops["pool"], c,
                                                                             **attrs),))
    return ops["pool"], ops["backward"]


AVG_POOL2D, AVG_POOL2D_BACKWARD = _avg_pool_family(2)
AVG_POOL3D, AVG_POOL3D_BACKWARD = _avg_pool_family(3)
