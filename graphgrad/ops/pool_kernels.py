"""Max-pool kernels for windows that tile the input (kernel == stride, no padding, no dilation:
nn.MaxPool2d(k)'s default): the windows are a reshaped view of the input, so the forward is
k - 1 maxima per spatial dim and the backward needs no search over padded copies. Other
geometries use the general kernels of pooling.py."""
import itertools

import numpy as np
from numpy.lib.stride_tricks import as_strided

from graphgrad.ops.bitmask import keep_or_zero


def tiles(x, out_size, *, kernel, stride, padding, dilation=None, **_):
    """(N, C, o_1, k_1, o_2, k_2, ...) view of x's windows, or None when they do not tile x."""
    if (tuple(kernel) != tuple(stride) or any(padding) or any(d != 1 for d in dilation or ())
            or any(o * k > n for o, k, n in zip(out_size, kernel, x.shape[2:]))
            or 0 in x.shape):
        return None
    shape, strides = x.shape[:2], x.strides[:2]
    for o, k, s in zip(out_size, kernel, x.strides[2:]):
        shape, strides = shape + (o, k), strides + (s * k, s)
    return as_strided(x, shape, strides, writeable=x.flags.writeable)


def _tap(view, offsets):
    index = (slice(None), slice(None))
    for i in offsets:
        index += (slice(None), i)
    return view[index]


def max_out(out, view, kernel):
    """The maximum of every window (NaN propagates, as np.maximum and torch do), one kernel
    dim at a time: fewer, larger passes than one per tap."""
    cur = view
    for d in range(len(kernel) - 1, -1, -1):
        axis = 3 + 2 * d
        parts = [cur[(slice(None),) * axis + (i,)] for i in range(kernel[d])]
        dst = out if d == 0 else np.empty(parts[0].shape, view.dtype)
        if len(parts) == 1:
            dst[...] = parts[0]
        else:
            np.maximum(parts[0], parts[1], out=dst)
            for part in parts[2:]:
                np.maximum(dst, part, out=dst)
        cur = dst
    return out


def max_backward_out(out, g, x, view, kernel):
    """g scattered to the first maximum of each window; False when a window holds a NaN (the
    general kernel then picks the last NaN, as torch does)."""
    best = max_out(np.empty(g.shape, x.dtype), view, kernel)
    if best.dtype.kind == "f" and np.isnan(best).any():
        return False
    if any(o * k != n for o, k, n in zip(g.shape[2:], kernel, x.shape[2:])):
        out.fill(0)                                 # rows and columns no window covers
    dx = tiles(out, g.shape[2:], kernel=kernel, stride=kernel, padding=())
    taps = list(itertools.product(*(range(k) for k in kernel)))
    hits = [np.equal(_tap(view, offsets), best) for offsets in taps]
    # every window holds its maximum at least once; as many hits as windows means no ties,
    # and each hit is the window's first maximum (the usual case: no ordering passes)
    ties = sum(np.count_nonzero(hit) for hit in hits) != best.size
    taken = None
    for offsets, hit in zip(taps, hits):
        if ties:
            if taken is None:
                taken = hit
            else:
                np.greater(hit, taken, out=hit)     # a maximum no earlier tap had
                taken |= hit
        picked(_tap(dx, offsets), g, hit)
    return True


def picked(out, values, mask):
    """out = values where mask, else +0.0, as torch's scatter into zeros (bitmask.py for
    floats)."""
    if not keep_or_zero(out, values, mask):
        np.copyto(out, 0)
        np.copyto(out, values, where=mask)
    return out
