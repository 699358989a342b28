"""Native 2-D convolution and its two gradients, one image at a time: the image's columns
(im2col, (C/G * kh * kw, OH * OW) per group) are built by loops and multiplied by BLAS straight
into the image's (O/G, OH * OW) block of the (N, O, OH, OW) result, so no layout copy follows
the product. The weight gradient sums one product per image; the input gradient multiplies
first and adds the columns back where they were read from (col2im, im2col's adjoint).

For stride 1 and an output as wide as the input ('same' padding, the common case) a tap's
column is the flattened image shifted by a constant: one long copy (or add), with the few
positions that read padding zeroed. Other geometries go row by row. Inner loops index views
from 0 so numba can see that no index is negative: with `x[i + shift]` it keeps NumPy's
wraparound for negative indices, and LLVM turns the loop into gathers (3x slower).

`geom` is (stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w); the output size
fixes the bottom and right padding. Called from generated modules, which compile this code
into themselves: their names hold a digest of this file (see native/__init__.py), so a change
here is never hidden by their cache either.
"""
import numpy as np


def _span(k, stride, dilation, before, n, out):
    """The output positions [lo, hi) whose tap `k` reads inside the input's [0, n)."""
    shift = k * dilation - before
    lo = 0 if shift >= 0 else (-shift + stride - 1) // stride
    hi = out
    if (out - 1) * stride + shift > n - 1:
        hi = (n - 1 - shift) // stride + 1 if n - 1 - shift >= 0 else 0
    return lo, max(lo, hi)


def _taps(kernel, geom, in_hw, out_hw):
    """Per kernel tap (i, j), in row-major order: the output rows [hlo, hhi) and columns
    [wlo, whi) that read inside the input, and the input row and column that output position
    (0, 0) reads (negative in the padding). Computed once per call for every image and
    channel."""
    (kh, kw), (sh, sw, ph, pw, dh, dw) = kernel, geom
    taps = np.empty((kh * kw, 6), np.int64)
    for i in range(kh):
        hlo, hhi = _span(i, sh, dh, ph, in_hw[0], out_hw[0])
        for j in range(kw):
            wlo, whi = _span(j, sw, dw, pw, in_hw[1], out_hw[1])
            t = taps[i * kw + j]
            t[0], t[1], t[2], t[3], t[4], t[5] = hlo, hhi, wlo, whi, i * dh - ph, j * dw - pw
    return taps


def _tap(taps, t):
    row = taps[t]
    return row[0], row[1], row[2], row[3], row[4], row[5]


def _zero_edges(row, hlo, hhi, wlo, whi, ow_n):
    """Zero the positions of rows [hlo, hhi) left of wlo and from whi on."""
    for oh in range(hlo, hhi):
        for ow in range(wlo):
            row[oh * ow_n + ow] = 0
        for ow in range(whi, ow_n):
            row[oh * ow_n + ow] = 0


def _im2col(x, n, c0, taps, stride, out_hw, cols):
    """cols[(c, tap), (oh, ow)] = x[n, c0 + c] where the tap of output position (oh, ow)
    reads, 0 in the padding."""
    (sh, sw), (oh_n, ow_n), (h, w) = stride, out_hw, x.shape[2:]
    positions = oh_n * ow_n
    shifted = sh == 1 and sw == 1 and ow_n == w
    planes = x.reshape(x.shape[0], x.shape[1], h * w)
    for c in range(cols.shape[0] // taps.shape[0]):
        for t in range(taps.shape[0]):
            hlo, hhi, wlo, whi, di, dj = _tap(taps, t)
            row = cols[c * taps.shape[0] + t]
            for p in range(hlo * ow_n):
                row[p] = 0
            for p in range(hhi * ow_n, positions):
                row[p] = 0
            if shifted:
                lo, hi = hlo * ow_n + wlo, hhi * ow_n - (ow_n - whi)
                dst, src = row[lo:hi], planes[n, c0 + c, max(0, lo + di * w + dj):]
                for q in range(dst.shape[0]):
                    dst[q] = src[q]
            else:
                for oh in range(hlo, hhi):
                    dst = row[oh * ow_n + wlo:oh * ow_n + whi]
                    src = x[n, c0 + c, oh * sh + di, wlo * sw + dj:]
                    for q in range(dst.shape[0]):
                        dst[q] = src[q * sw]
            # after the shifted copy, which wrote the rows' edges with their neighbours' values
            _zero_edges(row, hlo, hhi, wlo, whi, ow_n)


def _col2im(cols, n, c0, taps, stride, out_hw, gx):
    """gx[n, c0 + c] += each column entry at the position _im2col read it from (entries
    that read padding are dropped: `cols` is overwritten)."""
    (sh, sw), ow_n, (h, w) = stride, out_hw[1], gx.shape[2:]
    shifted = sh == 1 and sw == 1 and ow_n == w
    planes = gx.reshape(gx.shape[0], gx.shape[1], h * w)
    for c in range(cols.shape[0] // taps.shape[0]):
        for t in range(taps.shape[0]):
            hlo, hhi, wlo, whi, di, dj = _tap(taps, t)
            row = cols[c * taps.shape[0] + t]
            if shifted:
                # zeroed, the entries that read padding add nothing where the long run of
                # adds puts them (the neighbouring row's edge)
                _zero_edges(row, hlo, hhi, wlo, whi, ow_n)
                lo, hi = hlo * ow_n + wlo, hhi * ow_n - (ow_n - whi)
                src, dst = row[lo:hi], planes[n, c0 + c, max(0, lo + di * w + dj):]
                for q in range(src.shape[0]):
                    dst[q] += src[q]
                continue
            for oh in range(hlo, hhi):
                src = row[oh * ow_n + wlo:oh * ow_n + whi]
                dst = gx[n, c0 + c, oh * sh + di, wlo * sw + dj:]
                for q in range(src.shape[0]):
                    dst[q * sw] += src[q]


def _conv2d(x, weight, out, geom, groups):
    """out = conv2d(x, weight); all three C-contiguous."""
    o, cg, kh, kw = weight.shape
    og, (oh_n, ow_n) = o // groups, out.shape[2:]
    wm = weight.reshape(groups, og, cg * kh * kw)
    taps = _taps((kh, kw), geom, x.shape[2:], (oh_n, ow_n))
    cols = np.empty((cg * kh * kw, oh_n * ow_n), x.dtype)
    for n in range(x.shape[0]):
        blocks = out[n].reshape(groups, og, oh_n * ow_n)
        for g in range(groups):
            _im2col(x, n, g * cg, taps, geom[:2], (oh_n, ow_n), cols)
            np.dot(wm[g], cols, blocks[g])


def _conv2d_input_grad(g, weight, out, geom, groups):
    """out = the gradient of conv2d with respect to its input, from the output's `g`."""
    o, cg, kh, kw = weight.shape
    og, (oh_n, ow_n) = o // groups, g.shape[2:]
    taps = cg * kh * kw
    # explicit loops here and below: numba's array assignments take seconds to compile
    wm, wt = weight.reshape(groups, og, taps), np.empty((groups, taps, og), weight.dtype)
    for k in range(groups):
        for i in range(og):
            for j in range(taps):
                wt[k, j, i] = wm[k, i, j]
    flat = out.reshape(-1)
    for i in range(flat.shape[0]):
        flat[i] = 0
    spans = _taps((kh, kw), geom, out.shape[2:], (oh_n, ow_n))
    cols = np.empty((taps, oh_n * ow_n), g.dtype)
    for n in range(g.shape[0]):
        blocks = g[n].reshape(groups, og, oh_n * ow_n)
        for k in range(groups):
            np.dot(wt[k], blocks[k], cols)
            _col2im(cols, n, k * cg, spans, geom[:2], (oh_n, ow_n), out)


def _conv2d_weight_grad(x, g, out, geom, groups):
    """out = the gradient of conv2d with respect to its weight: one product per image."""
    o, cg, kh, kw = out.shape
    og, (oh_n, ow_n) = o // groups, g.shape[2:]
    taps = cg * kh * kw
    spans = _taps((kh, kw), geom, x.shape[2:], (oh_n, ow_n))
    cols = np.empty((taps, oh_n * ow_n), x.dtype)
    total = out.reshape(groups, og, taps)
    product = np.empty((og, taps), x.dtype)
    for n in range(x.shape[0]):
        blocks = g[n].reshape(groups, og, oh_n * ow_n)
        for k in range(groups):
            _im2col(x, n, k * cg, spans, geom[:2], (oh_n, ow_n), cols)
            np.dot(blocks[k], cols.T, product)
            for i in range(og):
                for j in range(taps):
                    total[k, i, j] = product[i, j] if n == 0 else total[k, i, j] + product[i, j]


try:
    from numba import njit
except ImportError:         # the NumPy backend never imports these kernels
    conv2d = conv2d_input_grad = conv2d_weight_grad = None
else:
    # cached beside this file: everything they call is in it (or numba's), so numba's cache,
    # which checks this file alone, is never stale
    _loops = njit(cache=True, error_model="numpy", nogil=True)
    _span, _taps, _tap, _zero_edges = (_loops(_span), _loops(_taps), _loops(_tap),
                                       _loops(_zero_edges))
    _im2col, _col2im = _loops(_im2col), _loops(_col2im)
    conv2d, conv2d_input_grad, conv2d_weight_grad = (
        _loops(_conv2d), _loops(_conv2d_input_grad), _loops(_conv2d_weight_grad))
