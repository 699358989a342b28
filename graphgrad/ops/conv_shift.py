"""Stride-1 convolution kernels whose im2col is contiguous copies of shifted slices.

The input is laid out channels first, zero-padded and flattened: (C, N * plane), a plane being
one padded image. A kernel tap at flat offset `off` then reads the contiguous slice
[off, off + M) for every output position of every image at once (M spans the batch), so

    out[:, p] = sum_t W_t @ x[:, p + off_t]          W_t: (C_out, C_in), the tap's weights

and the columns (C * taps, M) are one contiguous copy per tap (no strided window view), built
and multiplied a cache-sized block of positions at a time. Output positions are the plane's
positions; the few that fall in the padding or between images are computed and dropped (the
gradients put zeros there). Used for groups=1 and stride 1 (any padding, dilation and number
of spatial dims); the general kernels are in conv_kernels.py.
"""
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from graphgrad.ops.scratch import scratch


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
        self.key = (x_shape[0], x_shape[2:], kernel, padding, dilation)   # for scratch arrays
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

    def flat(self, name, rows, dtype, zeroed=False):
        """A (rows, N * plane) scratch array; `zeroed` ones keep zeros wherever the kernels
        that share `name` and this geometry never write."""
        return scratch((name, self.key), (rows, self.n * self.plane), dtype, zeroed)

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
        flat = self.flat("conv-input", x.shape[1], x.dtype, zeroed=True)
        self.interior(flat, x.shape[2:])[...] = x.swapaxes(0, 1)
        return flat

    def spread(self, g):
        """g (N, O, *out) at the output positions of a zeroed flat (O, N * plane)."""
        flat = self.flat("conv-spread", g.shape[1], g.dtype, zeroed=True)
        self.grid(flat, self.out)[...] = g.swapaxes(0, 1)
        return flat


# columns are built a block of output positions at a time: (C * taps, block) stays in cache;
# few rows (a first layer's one input channel) still get blocks short enough for the GEMM
# (9 x 29k columns: 0.46 ms in one product, 0.08 ms in four, measured)
_BLOCK_BYTES = 1 << 20
_MAX_BLOCK = 8192


def _blocks(plan, rows, itemsize):
    step = max(256, min(_MAX_BLOCK, _BLOCK_BYTES // (rows * itemsize)))
    return [(s, min(plan.m, s + step)) for s in range(0, plan.m, step)]


def _columns(plan, xs, start, stop):
    """(C * taps, stop - start): each tap's slice of the flat padded input."""
    c, taps = xs.shape[0], len(plan.offsets)
    cols = scratch("conv-columns", (c, taps, stop - start), xs.dtype)
    for t, off in enumerate(plan.offsets):
        cols[:, t] = xs[:, start + off:stop + off]
    return cols.reshape(c * taps, stop - start)


def conv_out(out, x, w, *, padding, dilation):
    plan = _Plan(x.shape, w.shape[2:], padding, dilation)
    xs = plan.padded_input(x)
    acc = plan.flat("conv-output", w.shape[0], x.dtype)        # only positions < M are read
    wm = w.reshape(w.shape[0], -1)
    for start, stop in _blocks(plan, wm.shape[1], x.itemsize):
        np.matmul(wm, _columns(plan, xs, start, stop), out=acc[:, start:stop])
    out.swapaxes(0, 1)[...] = plan.grid(acc, plan.out)
    return out


def input_grad_out(out, g, w, *, padding, dilation):
    plan = _Plan(out.shape, w.shape[2:], padding, dilation)
    c = w.shape[1]
    gs = plan.spread(g)
    wt = w.reshape(w.shape[0], -1).T
    acc = plan.flat("conv-input-grad", c, g.dtype)
    acc.fill(0)
    for start, stop in _blocks(plan, wt.shape[0], g.itemsize):
        cols = scratch("conv-columns", (c, len(plan.offsets), stop - start), g.dtype)
        np.matmul(wt, gs[:, start:stop], out=cols.reshape(wt.shape[0], stop - start))
        for t, off in enumerate(plan.offsets):                # col2im: shifted adds
            acc[:, start + off:stop + off] += cols[:, t]
    out.swapaxes(0, 1)[...] = plan.interior(acc, out.shape[2:])
    return out


def weight_grad_out(out, x, g, *, padding, dilation):
    plan = _Plan(x.shape, out.shape[2:], padding, dilation)
    xs, gs = plan.padded_input(x), plan.spread(g)
    rows = x.shape[1] * len(plan.offsets)
    dw = np.zeros((rows, out.shape[0]), x.dtype)
    for start, stop in _blocks(plan, rows, x.itemsize):
        # (C * taps, block) @ (block, O): OpenBLAS is about twice as fast this way round
        dw += np.matmul(_columns(plan, xs, start, stop), gs[:, start:stop].T)
    out[...] = dw.T.reshape(out.shape)
    return out
