"""NumPy kernels of the convolution primitives, for any number of spatial dims.

Kernels loop over kernel taps (prod(kernel) strided slices), never over pixels. A convolution is
an im2col copy of a strided window view and a batched matmul, done a few images at a time so
the columns stay cache-sized and memory stays bounded for large batches. `unfold_out` and
`fold_out` are im2col and its adjoint col2im alone (torch's F.unfold and F.fold).
"""
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from graphgrad.ops import conv_shift
from graphgrad.ops.scratch import scratch
from graphgrad.ops.spatial import crop_into, pad_spatial, taps, zeros_padded

# im2col columns are built for a few images at a time: bounded memory, cache-sized blocks, and
# one matmul per block (and group) rather than one per image
_COLUMN_BYTES = 1 << 22


def _batches(n, bytes_per_image):
    step = max(1, _COLUMN_BYTES // max(1, bytes_per_image))
    return [slice(i, min(i + step, n)) for i in range(0, n, step)]


def window_view(xp, kernel, out, stride, dilation, batch_first=False):
    """The strided view of the windows of a padded (N, C, *spatial) block:
    (C, *kernel, N, *out), or (N, C, *kernel, *out) when batch_first."""
    s_n, s_c, *s_sp = xp.strides
    n, c = xp.shape[:2]
    k_strides = tuple(a * d for a, d in zip(s_sp, dilation))
    o_strides = tuple(a * s for a, s in zip(s_sp, stride))
    if batch_first:
        shape, strides = (n, c) + kernel + out, (s_n, s_c) + k_strides + o_strides
    else:
        shape, strides = (c,) + kernel + (n,) + out, (s_c,) + k_strides + (s_n,) + o_strides
    return as_strided(xp, shape, strides, writeable=False)


def _im2col(xp, kernel, out, stride, dilation, groups):
    """(G, C/G * prod(kernel), B * prod(out)): the columns of a block of B padded images, one
    copy of a strided window view (into a scratch array: see scratch.py)."""
    view = window_view(xp, kernel, out, stride, dilation)
    cols = scratch("im2col", view.shape, xp.dtype)
    np.copyto(cols, view)
    return cols.reshape(groups, -1, xp.shape[0] * math.prod(out))


def _padded(x, padding):
    """x zero-padded, in a scratch array whose border stays zero (keyed by the geometry)."""
    if not any(padding):
        return x
    shape = x.shape[:2] + tuple(n + padding[2 * i] + padding[2 * i + 1]
                                for i, n in enumerate(x.shape[2:]))
    xp = scratch(("conv-padded", x.shape, padding), shape, x.dtype, zeroed=True)
    xp[(Ellipsis,) + tuple(slice(b, b + n) for b, n in zip(padding[0::2], x.shape[2:]))] = x
    return xp


def _matmul(a, b):
    """np.matmul, with an inner dimension of 1 (depthwise gradients) as a broadcast product:
    NumPy's matmul is several times slower on those."""
    return a * b if a.shape[-1] == 1 else np.matmul(a, b)


def _channels_first(g, groups):
    """(B, O, *out) -> (G, O/G, B * prod(out)), the layout of the columns."""
    moved = g.swapaxes(0, 1)
    flat = scratch("conv-channels-first", moved.shape, g.dtype)
    np.copyto(flat, moved)
    return flat.reshape(groups, g.shape[1] // groups, -1)


def geometry(x_shape, w_shape, stride, padding, dilation):
    """The padded spatial size, the output size, and the bytes of one image's columns."""
    spatial, kernel = x_shape[2:], w_shape[2:]
    padded = tuple(n + padding[2 * i] + padding[2 * i + 1] for i, n in enumerate(spatial))
    out = tuple((p - d * (k - 1) - 1) // s + 1
                for p, d, k, s in zip(padded, dilation, kernel, stride))
    return padded, out, x_shape[1] * math.prod(kernel) * math.prod(out) * 8


def conv_out(out, x, w, *, stride, padding, dilation, groups):
    if conv_shift.applies(x.shape, w.shape, stride, groups, x.itemsize):
        return conv_shift.conv_out(out, x, w, padding=padding, dilation=dilation)
    n, o, kernel = x.shape[0], w.shape[0], w.shape[2:]
    _, size, col_bytes = geometry(x.shape, w.shape, stride, padding, dilation)
    xp = _padded(x, padding)
    wm = w.reshape(groups, o // groups, -1)
    for b in _batches(n, col_bytes):
        cols = _im2col(xp[b], kernel, size, stride, dilation, groups)
        out[b] = _matmul(wm, cols).reshape((o, -1) + size).swapaxes(0, 1)
    return out


def input_grad_out(out, g, w, *, x_shape, stride, padding, dilation, groups):
    if conv_shift.applies(x_shape, w.shape, stride, groups, g.itemsize):
        return conv_shift.input_grad_out(out, g, w, padding=padding, dilation=dilation)
    n, c = x_shape[:2]
    o, cg, kernel = w.shape[0], w.shape[1], w.shape[2:]
    taps_n = math.prod(kernel)
    padded, size, col_bytes = geometry(x_shape, w.shape, stride, padding, dilation)
    wt = w.reshape(groups, o // groups, cg * taps_n).swapaxes(1, 2)
    xp = out if padded == tuple(x_shape[2:]) else scratch("conv-input-grad", (n, c) + padded,
                                                          out.dtype)
    xp.fill(0)
    windows = list(taps(kernel, stride, dilation, size))
    for b in _batches(n, col_bytes):
        cols = _matmul(wt, _channels_first(g[b], groups)).reshape((c, taps_n, -1) + size)
        dst = xp[b].swapaxes(0, 1)                                   # col2im, (C, B, *spatial)
        for t, index in windows:
            dst[index] += cols[:, t]
    return crop_into(out, xp, *padding[0::2])


def weight_grad_out(out, x, g, *, w_shape, stride, padding, dilation, groups):
    if conv_shift.applies(x.shape, w_shape, stride, groups, x.itemsize):
        return conv_shift.weight_grad_out(out, x, g, padding=padding, dilation=dilation)
    n, (o, cg), kernel = x.shape[0], w_shape[:2], w_shape[2:]
    _, size, col_bytes = geometry(x.shape, w_shape, stride, padding, dilation)
    xp = _padded(x, padding)
    dw = np.zeros((groups, cg * math.prod(kernel), o // groups), x.dtype)
    for b in _batches(n, col_bytes):
        cols = _im2col(xp[b], kernel, size, stride, dilation, groups)
        dw += np.matmul(cols, _channels_first(g[b], groups).swapaxes(1, 2))
    out[...] = dw.swapaxes(1, 2).reshape(w_shape)
    return out


def unfold_out(out, x, *, kernel, stride, padding, dilation):
    """(N, C, *spatial) -> (N, C * prod(kernel), prod(out)), torch's F.unfold layout."""
    _, size, _ = geometry(x.shape, x.shape[:2] + kernel, stride, padding, dilation)
    view = window_view(pad_spatial(x, padding), kernel, size, stride, dilation, True)
    if out.flags.c_contiguous:
        out.reshape(view.shape)[...] = view
    else:
        out[...] = np.ascontiguousarray(view).reshape(out.shape)
    return out


def fold_out(out, cols, *, kernel, stride, padding, dilation):
    """The adjoint of unfold_out: every column entry is added back to its input position."""
    n, c = out.shape[:2]
    padded, size, _ = geometry(out.shape, out.shape[:2] + kernel, stride, padding, dilation)
    cols = cols.reshape((n, c, math.prod(kernel)) + size)
    xp = zeros_padded(out, (n, c) + padded)
    for t, index in taps(kernel, stride, dilation, size):
        xp[index] += cols[:, :, t]
    return crop_into(out, xp, *padding[0::2])
