"""Op-table entries for the 3-D convolution and pooling primitives, max pooling's indices and
unfold / fold, against deliberately slow N-d NumPy references (a Python loop over output
positions, windows taken by slicing an explicitly padded array, in float64)."""
import itertools
import math

import numpy as np
from helpers import OpCase

from graphgrad.dispatch import bind
from graphgrad.ops import convolution as C
from graphgrad.ops import patches as PT
from graphgrad.ops import pooling as P

RNG = np.random.default_rng(20250301)


def u(*shape):
    return RNG.uniform(-2.0, 2.0, shape)


def distinct(*shape):
    n = int(np.prod(shape))
    return (RNG.permutation(n) * 0.3 - n * 0.15 + RNG.uniform(0, 0.05, n)).reshape(shape)


def windows(spatial, kernel, stride, dilation):
    """(output position, window index) over a padded spatial size."""
    out = [(n - d * (k - 1) - 1) // s + 1 for n, k, s, d in zip(spatial, kernel, stride,
                                                                 dilation)]
    for pos in itertools.product(*(range(o) for o in out)):
        yield pos, (Ellipsis,) + tuple(slice(p * s, p * s + d * (k - 1) + 1, d)
                                       for p, s, d, k in zip(pos, stride, dilation, kernel))


def out_size(spatial, kernel, stride, dilation):
    return tuple((n - d * (k - 1) - 1) // s + 1 for n, k, s, d in zip(spatial, kernel, stride,
                                                                       dilation))


def np_pad(x, pads, fill=0.0):
    return np.pad(x.astype(np.float64), [(0, 0), (0, 0)] + list(zip(pads[0::2], pads[1::2])),
                  constant_values=fill)


def np_conv(x, w, stride, padding, dilation, groups):
    xp = np_pad(x, padding)
    o, cg = w.shape[:2]
    out = np.zeros((x.shape[0], o) + out_size(xp.shape[2:], w.shape[2:], stride, dilation))
    for oc in range(o):
        g = oc // (o // groups)
        xs = xp[:, g * cg:(g + 1) * cg]
        for pos, win in windows(xp.shape[2:], w.shape[2:], stride, dilation):
            out[(slice(None), oc) + pos] = (xs[win] * w[oc]).reshape(x.shape[0], -1).sum(1)
    return out.astype(x.dtype)


def np_conv_input(x_shape, w, g, stride, padding, dilation, groups):
    spatial = tuple(n + a + b for n, a, b in zip(x_shape[2:], padding[0::2], padding[1::2]))
    dxp = np.zeros(tuple(x_shape[:2]) + spatial)
    o, cg = w.shape[:2]
    for oc in range(o):
        grp = oc // (o // groups)
        chans = slice(grp * cg, (grp + 1) * cg)
        for pos, win in windows(spatial, w.shape[2:], stride, dilation):
            gv = g[(slice(None), oc) + pos].reshape((-1,) + (1,) * (w.ndim - 1))
            dxp[:, chans][win] += gv * w[oc]
    crop = (Ellipsis,) + tuple(slice(b, b + n) for b, n in zip(padding[0::2], x_shape[2:]))
    return dxp[crop].astype(g.dtype)


def np_conv_weight(x, w_shape, g, stride, padding, dilation, groups):
    xp = np_pad(x, padding)
    o, cg = w_shape[:2]
    dw = np.zeros(w_shape)
    for oc in range(o):
        grp = oc // (o // groups)
        xs = xp[:, grp * cg:(grp + 1) * cg]
        for pos, win in windows(xp.shape[2:], w_shape[2:], stride, dilation):
            gv = g[(slice(None), oc) + pos].reshape((-1,) + (1,) * (len(w_shape) - 1))
            dw[oc] += (gv * xs[win]).sum(0)
    return dw.astype(x.dtype)


def pool_pads(x_shape, kernel, stride, padding):
    return tuple(p for q in padding for p in (q, q))


def np_max_pool(x, kernel, stride, padding):
    xp = np_pad(x, pool_pads(x.shape, kernel, stride, padding), -np.inf)
    out = np.zeros(x.shape[:2] + out_size(xp.shape[2:], kernel, stride, (1,) * len(kernel)))
    for pos, win in windows(xp.shape[2:], kernel, stride, (1,) * len(kernel)):
        out[(Ellipsis,) + pos] = xp[win].reshape(x.shape[:2] + (-1,)).max(-1)
    return out.astype(x.dtype)


def np_first_max(x, kernel, stride, padding):
    """(output index, flat padded-plane index of the window's first maximum) per output."""
    xp = np_pad(x, pool_pads(x.shape, kernel, stride, padding), -np.inf)
    for pos, win in windows(xp.shape[2:], kernel, stride, (1,) * len(kernel)):
        for n, c in itertools.product(range(x.shape[0]), range(x.shape[1])):
            block = xp[n, c][win[1:]]
            local = np.unravel_index(np.argmax(block), block.shape)
            at = tuple(s.start + i for s, i in zip(win[1:], local))
            yield (n, c) + pos, (n, c) + at


def np_max_pool_indices(x, kernel, stride, padding):
    out = np.zeros(x.shape[:2] + out_size([n + 2 * p for n, p in zip(x.shape[2:], padding)],
                                          kernel, stride, (1,) * len(kernel)), np.int64)
    for o, at in np_first_max(x, kernel, stride, padding):
        inner = [a - p for a, p in zip(at[2:], padding)]
        out[o] = np.ravel_multi_index(inner, x.shape[2:])
    return out


def np_max_pool_backward(g, x, kernel, stride, padding):
    dx = np.zeros(x.shape)
    for o, at in np_first_max(x, kernel, stride, padding):
        dx[at[:2] + tuple(a - p for a, p in zip(at[2:], padding))] += g[o]
    return dx.astype(g.dtype)


def np_max_pool_select(c, x, kernel, stride, padding):
    shape = x.shape[:2] + out_size([n + 2 * p for n, p in zip(x.shape[2:], padding)], kernel,
                                   stride, (1,) * len(kernel))
    out = np.zeros(shape)
    for o, at in np_first_max(x, kernel, stride, padding):
        out[o] = c[at[:2] + tuple(a - p for a, p in zip(at[2:], padding))]
    return out.astype(c.dtype)


def np_avg_pool(x, kernel, stride, padding):
    """count_include_pad=True: every window divides by its full size."""
    xp = np_pad(x, pool_pads(x.shape, kernel, stride, padding))
    out = np.zeros(x.shape[:2] + out_size(xp.shape[2:], kernel, stride, (1,) * len(kernel)))
    for pos, win in windows(xp.shape[2:], kernel, stride, (1,) * len(kernel)):
        out[(Ellipsis,) + pos] = xp[win].reshape(x.shape[:2] + (-1,)).sum(-1)
    return (out / math.prod(kernel)).astype(x.dtype)


def np_avg_pool_backward(g, x_shape, kernel, stride, padding):
    pads = pool_pads(x_shape, kernel, stride, padding)
    spatial = tuple(n + 2 * p for n, p in zip(x_shape[2:], padding))
    dxp = np.zeros(tuple(x_shape[:2]) + spatial)
    for pos, win in windows(spatial, kernel, stride, (1,) * len(kernel)):
        dxp[win] += (g[(Ellipsis,) + pos] / math.prod(kernel)).reshape(
            tuple(x_shape[:2]) + (1,) * len(kernel))
    crop = (Ellipsis,) + tuple(slice(b, b + n) for b, n in zip(pads[0::2], x_shape[2:]))
    return dxp[crop].astype(g.dtype)


def np_unfold(x, kernel, stride, padding, dilation):
    xp = np_pad(x, padding)
    cols = [xp[win].reshape(x.shape[0], -1)
            for _, win in windows(xp.shape[2:], kernel, stride, dilation)]
    return np.stack(cols, -1).astype(x.dtype)


def np_fold(cols, size, kernel, stride, padding, dilation):
    n, ck, _ = cols.shape
    c = ck // math.prod(kernel)
    spatial = tuple(s + a + b for s, a, b in zip(size, padding[0::2], padding[1::2]))
    xp = np.zeros((n, c) + spatial)
    for i, (_, win) in enumerate(windows(spatial, kernel, stride, dilation)):
        xp[win] += cols[:, :, i].reshape((n, c) + kernel)
    crop = (Ellipsis,) + tuple(slice(b, b + s) for b, s in zip(padding[0::2], size))
    return xp[crop].astype(cols.dtype)

# -- the table ------------------------------------------------------------------------------------


def prim(op, **attrs):
    return lambda *ts: bind(op, *ts, **attrs)


def case(id, op, fn, inputs, ref, **kw):
    return OpCase(id, op, fn, tuple(inputs), ref, **kw)


GEOM3 = {"stride": (2, 1, 1), "padding": (1, 0, 0, 1, 1, 1), "dilation": (1, 1, 2),
         "groups": 2}
X3, W3 = (2, 4, 5, 4, 5), (4, 2, 2, 3, 2)
G3 = (2, 4) + out_size((7, 5, 7), W3[2:], GEOM3["stride"], GEOM3["dilation"])
CONV = [
    case("conv3d-prim", "conv3d", prim(C.CONV3D, **GEOM3), [u(*X3), u(*W3)],
         lambda x, w: np_conv(x, w, **GEOM3)),
    case("conv3d_input_grad", "conv3d_input_grad", prim(C.CONV3D_INPUT_GRAD, x_shape=X3, **GEOM3),
         [u(*G3), u(*W3)], lambda g, w: np_conv_input(X3, w, g, **GEOM3)),
    case("conv3d_weight_grad", "conv3d_weight_grad",
         prim(C.CONV3D_WEIGHT_GRAD, w_shape=W3, **GEOM3), [u(*X3), u(*G3)],
         lambda x, g: np_conv_weight(x, W3, g, **GEOM3)),
]

POOL3 = {"kernel": (2, 3, 2), "stride": (1, 2, 2), "padding": (1, 1, 0), "dilation": (1, 1, 1),
         "ceil_mode": False}
AVG3 = {"kernel": (2, 3, 2), "stride": (1, 2, 2), "padding": (1, 1, 0), "ceil_mode": False,
        "count_include_pad": True, "divisor_override": None}
XP3 = (2, 2, 4, 5, 5)
XD = distinct(*XP3)
PK = (POOL3["kernel"], POOL3["stride"], POOL3["padding"])
PO = np_max_pool(XD, *PK).shape
POOL = [
    case("max_pool3d-prim", "max_pool3d", prim(P.MAX_POOL3D, **POOL3), [XD],
         lambda x: np_max_pool(x, *PK)),
    case("max_pool3d_backward", "max_pool3d_backward", prim(P.MAX_POOL3D_BACKWARD, **POOL3),
         [u(*PO), XD], lambda g, x: np_max_pool_backward(g, x, *PK), grad=(0,)),
    case("max_pool3d_select", "max_pool3d_select", prim(P.MAX_POOL3D_SELECT, **POOL3),
         [u(*XP3), XD], lambda c, x: np_max_pool_select(c, x, *PK), grad=(0,)),
    case("max_pool_indices-3d", "max_pool_indices", prim(P.MAX_POOL_INDICES, **POOL3), [XD],
         lambda x: np_max_pool_indices(x, *PK), grad=()),
    case("max_pool_indices-2d", "max_pool_indices",
         prim(P.MAX_POOL_INDICES, kernel=(3, 2), stride=(2, 1), padding=(1, 1),
              dilation=(1, 1), ceil_mode=False),
         [distinct(1, 2, 5, 4)], lambda x: np_max_pool_indices(x, (3, 2), (2, 1), (1, 1)),
         grad=()),
    case("avg_pool3d-prim", "avg_pool3d", prim(P.AVG_POOL3D, **AVG3), [u(*XP3)],
         lambda x: np_avg_pool(x, *PK)),
    case("avg_pool3d_backward", "avg_pool3d_backward",
         prim(P.AVG_POOL3D_BACKWARD, x_shape=XP3, **AVG3), [u(*PO)],
         lambda g: np_avg_pool_backward(g, XP3, *PK)),
]

FOLD = {"kernel": (2, 3), "stride": (2, 1), "padding": (1, 1, 0, 0), "dilation": (1, 2)}
XU = (2, 3, 5, 7)
COLS = np_unfold(np.zeros(XU), FOLD["kernel"], FOLD["stride"], FOLD["padding"],
                 FOLD["dilation"]).shape
PATCHES = [
    case("unfold-prim", "unfold", prim(PT.UNFOLD, **FOLD), [u(*XU)],
         lambda x: np_unfold(x, **FOLD)),
    case("fold-prim", "fold", prim(PT.FOLD, output_size=XU[2:], **FOLD), [u(*COLS)],
         lambda c: np_fold(c, XU[2:], **FOLD)),
]

CASES = CONV + POOL + PATCHES
