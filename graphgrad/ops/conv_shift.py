"""Stride-1 convolution kernels without im2col: one GEMM per kernel tap on shifted views.

The input is laid out channels first, zero-padded and flattened: (C, N * plane), a plane being
one padded image. A kernel tap at flat offset `off` then reads the contiguous slice
[off, off + M) for every output position of every image at once (M spans the batch), so

    out[:, p] = sum_t W_t @ x[:, p + off_t]          W_t: (C_out, C_in), the tap's weights

is a sum of plain 2-D GEMMs with no copy of the input per tap. Output positions are the
plane's positions; the few that fall in the padding or between images are computed and
dropped (the gradients put zeros there). Used for groups=1 and stride 1 (any padding,
dilation and number of spatial dims); the general kernels are in conv_kernels.py.
"""
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided


# the columns (C * taps, M) are about the input's size times the taps: past this, the
# batched im2col kernels of conv_kernels.py bound the memory instead
_MAX_COLUMN_BYTES = 1 << 26


def applies(x_shape, w_shape, stride, groups, itemsize=8):
    if groups != 1 or any(s != 1 for s in stride) or 0 in x_shape or 0 in w_shape:
        return False
    return x_shape[1] * math.prod(w_shape[2:]) * math.prod(x_shape) // x_shape[1] * itemsize \
        <= _MAX_COLUMN_BYTES


class _Plan:
    """Flat offsets of the kernel taps, and the span M of output positions, for one geometry."""

    def __init__(self, x_shape, kernel, padding, dilation):
        self.n, spatial = x_shape[0], x_shape[2:]
        self.before = padding[0::2]
        self.padded = tuple(s + padding[2 * i] + padding[2 * i + 1]
                            for i, s in enumerate(spatial))
        self.out = tuple(p - d * (k - 1) for p, d, k in zip(self.padded, dilation, kernel))
        self.plane = math.prod(self.padded)
        self.steps = tuple(math.prod(self.padded[i + 1:]) for i in range(len(spatial)))
        self.offsets = [sum(i * d * s for i, d, s in zip(tap, dilation, self.steps))
                        for tap in np.ndindex(*kernel)]
        last = sum((o - 1) * s for o, s in zip(self.out, self.steps)) + 1
        self.m = (self.n - 1) * self.plane + last

    def flat(self, rows, dtype):
        return np.zeros((rows, self.n * self.plane), dtype)

    def grid(self, flat, size):
        """(rows, N, *size) view of a flat (rows, N * plane) array (its leading positions)."""
        item = flat.itemsize
        return as_strided(flat, flat.shape[:1] + (self.n,) + size,
                          (flat.strides[0], self.plane * item) + tuple(s * item
                                                                       for s in self.steps),
                          writeable=flat.flags.writeable)

    def interior(self, flat, size):
        """(rows, N, *size) view of the unpadded images inside a flat padded array."""
        start = sum(b * s for b, s in zip(self.before, self.steps))
        return self.grid(flat[:, start:], size)

    def padded_input(self, x):
        flat = self.flat(x.shape[1], x.dtype)
        self.interior(flat, x.shape[2:])[...] = x.swapaxes(0, 1)
        return flat

    def spread(self, g):
        """g (N, O, *out) at the output positions of a zeroed flat (O, N * plane)."""
        flat = self.flat(g.shape[1], g.dtype)
        self.grid(flat, self.out)[...] = g.swapaxes(0, 1)
        return flat


def _columns(plan, xs):
    """(C * taps, M): each tap's slice of the flat padded input, one contiguous copy each."""
    c, taps = xs.shape[0], len(plan.offsets)
    cols = np.empty((c, taps, plan.m), xs.dtype)
    for t, off in enumerate(plan.offsets):
        cols[:, t] = xs[:, off:off + plan.m]
    return cols.reshape(c * taps, plan.m)


def conv_out(out, x, w, *, padding, dilation):
    plan = _Plan(x.shape, w.shape[2:], padding, dilation)
    cols = _columns(plan, plan.padded_input(x))
    acc = plan.flat(w.shape[0], x.dtype)
    np.matmul(w.reshape(w.shape[0], -1), cols, out=acc[:, :plan.m])
    out.swapaxes(0, 1)[...] = plan.grid(acc, plan.out)
    return out


def input_grad_out(out, g, w, *, padding, dilation):
    plan = _Plan(out.shape, w.shape[2:], padding, dilation)
    m, c = plan.m, w.shape[1]
    gs = plan.spread(g)[:, :m]
    cols = np.matmul(w.reshape(w.shape[0], -1).T, gs).reshape(c, -1, m)
    acc = plan.flat(c, g.dtype)
    for t, off in enumerate(plan.offsets):                    # col2im: shifted adds
        acc[:, off:off + m] += cols[:, t]
    out.swapaxes(0, 1)[...] = plan.interior(acc, out.shape[2:])
    return out


def weight_grad_out(out, x, g, *, padding, dilation):
    plan = _Plan(x.shape, out.shape[2:], padding, dilation)
    cols = _columns(plan, plan.padded_input(x))
    gs = plan.spread(g)[:, :plan.m]
    # (C * taps, M) @ (M, O): OpenBLAS is about twice as fast this way round than O-first
    out[...] = np.matmul(cols, gs.T).T.reshape(out.shape)
    return out
