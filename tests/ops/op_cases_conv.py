"""Op-table entries for convolution, pooling and padding: the primitives of graphgrad.ops.conv
(conv2d and its input/weight gradients, max/avg pooling and their gradient primitives, pad)
and the public functions built on them.

The references below are deliberately slow and obvious: Python loops over output positions,
windows taken by plain slicing of an explicitly padded array, computed in float64.
`test_ops.py` collects CASES and checks each row for forward values, float64 finite
differences, node-by-node shape rules, and eager == compiled.
"""
import numpy as np
from helpers import OpCase

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad.dispatch import bind
from graphgrad.ops import convolution as C
from graphgrad.ops import pooling as P

RNG = np.random.default_rng(20240923)


def u(*shape):
    return RNG.uniform(-2.0, 2.0, shape)


def distinct(*shape):
    """Values at least 0.1 apart: no ties inside a pooling window, so finite differences hold."""
    n = int(np.prod(shape))
    return (RNG.permutation(n) * 0.3 - n * 0.15 + RNG.uniform(0, 0.05, n)).reshape(shape)


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


# -- references: convolution -----------------------------------------------------------------------

def conv_padding(padding, kernel, dilation):
    """(top, bottom, left, right), 'same' putting the odd extra at the bottom/right."""
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        out = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            out += [total // 2, total - total // 2]
        return tuple(out)
    ph, pw = pair(padding)
    return (ph, ph, pw, pw)


def windows_of(xp, kernel, stride, dilation, out_hw):
    """Yield (i, j, window) with window = xp[..., rows, cols] of output position (i, j)."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    for i in range(out_hw[0]):
        for j in range(out_hw[1]):
            rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
            cols = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
            yield i, j, (Ellipsis, rows, cols)


def conv_setup(x_shape, w_shape, stride, padding, dilation):
    stride, dilation = pair(stride), pair(dilation)
    pt, pb, pl, pr = conv_padding(padding, w_shape[2:], dilation)
    hp, wp = x_shape[2] + pt + pb, x_shape[3] + pl + pr
    oh = (hp - dilation[0] * (w_shape[2] - 1) - 1) // stride[0] + 1
    ow = (wp - dilation[1] * (w_shape[3] - 1) - 1) // stride[1] + 1
    return stride, dilation, (pt, pb, pl, pr), (oh, ow)


def np_conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    unbatched = x.ndim == 3
    x = x[None] if unbatched else x
    stride, dilation, (pt, pb, pl, pr), out_hw = conv_setup(x.shape, w.shape, stride, padding,
                                                            dilation)
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    n_out, cg = w.shape[:2]
    out = np.zeros((x.shape[0], n_out) + out_hw)
    for o in range(n_out):
        group = o // (n_out // groups)
        xs = xp[:, group * cg:(group + 1) * cg]
        for i, j, window in windows_of(xs, w.shape[2:], stride, dilation, out_hw):
            out[:, o, i, j] = (xs[window] * w[o]).sum(axis=(1, 2, 3))
    if b is not None:
        out += b[None, :, None, None]
    out = out.astype(x.dtype)
    return out[0] if unbatched else out


def np_conv2d_input(x_shape, w, g, stride=1, padding=0, dilation=1, groups=1):
    """The adjoint of np_conv2d in x: every output position sends g * w back to its window."""
    stride, dilation, (pt, pb, pl, pr), out_hw = conv_setup(x_shape, w.shape, stride, padding,
                                                            dilation)
    n_out, cg = w.shape[:2]
    dxp = np.zeros((x_shape[0], x_shape[1], x_shape[2] + pt + pb, x_shape[3] + pl + pr))
    for o in range(n_out):
        group = o // (n_out // groups)
        chans = slice(group * cg, (group + 1) * cg)
        for i, j, window in windows_of(dxp, w.shape[2:], stride, dilation, out_hw):
            dxp[:, chans][window] += g[:, o, i, j][:, None, None, None] * w[o]
    return dxp[:, :, pt:pt + x_shape[2], pl:pl + x_shape[3]].astype(g.dtype)


def np_conv2d_weight(x, w_shape, g, stride=1, padding=0, dilation=1, groups=1):
    stride, dilation, (pt, pb, pl, pr), out_hw = conv_setup(x.shape, w_shape, stride, padding,
                                                            dilation)
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    n_out, cg = w_shape[:2]
    dw = np.zeros(w_shape)
    for o in range(n_out):
        group = o // (n_out // groups)
        xs = xp[:, group * cg:(group + 1) * cg]
        for i, j, window in windows_of(xs, w_shape[2:], stride, dilation, out_hw):
            dw[o] += (g[:, o, i, j][:, None, None, None] * xs[window]).sum(0)
    return dw.astype(x.dtype)


def np_conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1,
                        dilation=1):
    stride, padding, dilation, extra = map(pair, (stride, padding, dilation, output_padding))
    size = [(n - 1) * s - 2 * p + d * (k - 1) + e + 1 for n, s, p, d, k, e in
            zip(x.shape[2:], stride, padding, dilation, w.shape[2:], extra)]
    out = np_conv2d_input((x.shape[0], w.shape[1] * groups) + tuple(size), w, x, stride,
                          padding, dilation, groups)
    return out if b is None else out + b[None, :, None, None]

# -- references: pooling ---------------------------------------------------------------------------


def pool_size(size, k, s, p, d, ceil_mode):
    """Output length: windows in floor or ceil mode; in ceil mode a window that would start in
    the right padding is dropped."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def pool_setup(x, kernel, stride, padding, dilation, ceil_mode, fill):
    kernel, padding, dilation = pair(kernel), pair(padding), pair(dilation)
    stride = kernel if stride is None else pair(stride)
    out_hw = tuple(pool_size(n, k, s, p, d, ceil_mode) for n, k, s, p, d in
                   zip(x.shape[2:], kernel, stride, padding, dilation))
    extra = [max(0, (o - 1) * s + d * (k - 1) + 1 - n - p) for o, s, d, k, n, p in
             zip(out_hw, stride, dilation, kernel, x.shape[2:], padding)]
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (padding[0], extra[0]),
                                       (padding[1], extra[1])), constant_values=fill)
    return xp, (kernel, stride, dilation, out_hw), padding


def np_max_pool2d(x, kernel, stride=None, padding=0, dilation=1, ceil_mode=False):
    unbatched = x.ndim == 3
    x = x[None] if unbatched else x
    xp, geom, _ = pool_setup(x, kernel, stride, padding, dilation, ceil_mode, -np.inf)
    out = np.zeros(x.shape[:2] + geom[3])
    for i, j, window in windows_of(xp, *geom):
        out[:, :, i, j] = xp[window].max(axis=(2, 3))
    out = out.astype(x.dtype)
    return out[0] if unbatched else out


def first_max_positions(xp, geom):
    """(i, j, window, (row, col) of the first maximum inside the window) per output position."""
    for i, j, window in windows_of(xp, *geom):
        for n in range(xp.shape[0]):
            for c in range(xp.shape[1]):
                win = xp[n, c][window[1:]]
                r, q = np.unravel_index(np.argmax(win), win.shape)
                yield i, j, n, c, window[1].start + r * window[1].step, \
                    window[2].start + q * window[2].step


def np_max_pool2d_backward(g, x, kernel, stride=None, padding=0, dilation=1, ceil_mode=False):
    xp, geom, (ph, pw) = pool_setup(x, kernel, stride, padding, dilation, ceil_mode, -np.inf)
    dxp = np.zeros(xp.shape)
    for i, j, n, c, r, q in first_max_positions(xp, geom):
        dxp[n, c, r, q] += g[n, c, i, j]
    return dxp[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]].astype(g.dtype)


def np_max_pool2d_select(v, x, kernel, stride=None, padding=0, dilation=1, ceil_mode=False):
    xp, geom, (ph, pw) = pool_setup(x, kernel, stride, padding, dilation, ceil_mode, -np.inf)
    vp = np.zeros(xp.shape)
    vp[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]] = v
    out = np.zeros(x.shape[:2] + geom[3])
    for i, j, n, c, r, q in first_max_positions(xp, geom):
        out[n, c, i, j] = vp[n, c, r, q]
    return out.astype(v.dtype)


def avg_divisors(x_shape, kernel, stride, padding, out_hw, count_include_pad):
    """Per output position: the window's size clipped to the padded input (count_include_pad)
    or the number of real input elements in it."""
    div = np.zeros(out_hw)
    for i in range(out_hw[0]):
        for j in range(out_hw[1]):
            r0, c0 = i * stride[0] - padding[0], j * stride[1] - padding[1]
            r1 = min(r0 + kernel[0], x_shape[2] + padding[0])
            c1 = min(c0 + kernel[1], x_shape[3] + padding[1])
            if not count_include_pad:
                r0, c0, r1, c1 = max(r0, 0), max(c0, 0), min(r1, x_shape[2]), min(c1, x_shape[3])
            div[i, j] = (r1 - r0) * (c1 - c0)
    return div


def np_avg_pool2d(x, kernel, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                  divisor_override=None):
    xp, geom, pads = pool_setup(x, kernel, stride, padding, 1, ceil_mode, 0.0)
    out = np.zeros(x.shape[:2] + geom[3])
    for i, j, window in windows_of(xp, *geom):
        out[:, :, i, j] = xp[window].sum(axis=(2, 3))
    div = divisor_override or avg_divisors(x.shape, geom[0], geom[1], pads, geom[3],
                                           count_include_pad)
    return (out / div).astype(x.dtype)


def np_avg_pool2d_backward(g, x_shape, kernel, stride=None, padding=0, ceil_mode=False,
                           count_include_pad=True, divisor_override=None):
    xp, geom, (ph, pw) = pool_setup(np.zeros(x_shape), kernel, stride, padding, 1, ceil_mode, 0.0)
    div = divisor_override or avg_divisors(x_shape, geom[0], geom[1], (ph, pw), geom[3],
                                           count_include_pad)
    dxp = np.zeros(xp.shape)
    for i, j, window in windows_of(dxp, *geom):
        dxp[window] += (g[:, :, i, j] / (div if np.isscalar(div) else div[i, j]))[:, :, None,
                                                                                  None]
    return dxp[:, :, ph:ph + x_shape[2], pw:pw + x_shape[3]].astype(g.dtype)


def np_pad(x, pad, mode="constant", value=0.0):
    pairs = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        pairs[x.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    crop = tuple(slice(max(-b, 0), n - max(-a, 0)) for n, (b, a) in zip(x.shape, pairs))
    pairs = [(max(b, 0), max(a, 0)) for b, a in pairs]
    if mode == "constant":
        return np.pad(x[crop], pairs, constant_values=value)
    return np.pad(x, pairs, mode={"reflect": "reflect", "replicate": "edge",
                                  "circular": "wrap"}[mode])

# -- the table ------------------------------------------------------------------------------------


def prim(op, **attrs):
    """A gradient primitive called directly, with its attributes."""
    return lambda *ts: bind(op, *ts, **attrs)


def pool_attrs(kernel, stride=None, padding=0, dilation=1, ceil_mode=False):
    kernel = pair(kernel)
    return {"kernel": kernel, "stride": kernel if stride is None else pair(stride),
                "padding": pair(padding), "dilation": pair(dilation), "ceil_mode": ceil_mode}


def avg_attrs(kernel, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
              divisor_override=None):
    a = pool_attrs(kernel, stride, padding, 1, ceil_mode)
    del a["dilation"]
    return dict(a, count_include_pad=count_include_pad, divisor_override=divisor_override)


def grad_out(x_shape, w_shape, **kw):
    _, _, _, out_hw = conv_setup(x_shape, w_shape, kw.get("stride", 1), kw.get("padding", 0),
                                 kw.get("dilation", 1))
    return u(x_shape[0], w_shape[0], *out_hw)


def case(id, op, fn, inputs, ref, **kw):
    return OpCase(id, op, fn, tuple(inputs), ref, **kw)


X_IN = (2, 2, 6, 5)
CONV = [
    case("conv2d", "conv2d", F.conv2d, [u(2, 3, 5, 5), u(4, 3, 3, 3), u(4)], np_conv2d),
    case("conv2d-no-bias", "conv2d", lambda x, w: gg.conv2d(x, w), [u(2, 2, 4, 5), u(3, 2, 2, 3)],
         np_conv2d),
    case("conv2d-stride-padding", "conv2d",
         lambda x, w: F.conv2d(x, w, stride=2, padding=(1, 2)), [u(*X_IN), u(3, 2, 3, 2)],
         lambda x, w: np_conv2d(x, w, stride=2, padding=(1, 2))),
    case("conv2d-stride-pair", "conv2d", lambda x, w: F.conv2d(x, w, stride=(1, 2), padding=1),
         [u(1, 2, 5, 6), u(2, 2, 3, 3)],
         lambda x, w: np_conv2d(x, w, stride=(1, 2), padding=1)),
    case("conv2d-dilation", "conv2d", lambda x, w: F.conv2d(x, w, padding=1, dilation=2),
         [u(1, 2, 7, 6), u(2, 2, 3, 3)], lambda x, w: np_conv2d(x, w, padding=1, dilation=2)),
    case("conv2d-groups", "conv2d", lambda x, w, b: F.conv2d(x, w, b, groups=2),
         [u(2, 4, 5, 4), u(6, 2, 3, 2), u(6)], lambda x, w, b: np_conv2d(x, w, b, groups=2)),
    case("conv2d-depthwise", "conv2d", lambda x, w: F.conv2d(x, w, padding=1, groups=3),
         [u(2, 3, 5, 5), u(6, 1, 3, 3)], lambda x, w: np_conv2d(x, w, padding=1, groups=3)),
    case("conv2d-depthwise-1x1", "conv2d", lambda x, w: F.conv2d(x, w, groups=3),
         [u(2, 3, 4, 4), u(3, 1, 1, 1)], lambda x, w: np_conv2d(x, w, groups=3)),
    case("conv2d-same-even-kernel", "conv2d", lambda x, w: F.conv2d(x, w, padding="same"),
         [u(1, 2, 5, 6), u(2, 2, 2, 4)], lambda x, w: np_conv2d(x, w, padding="same")),
    case("conv2d-same-dilated", "conv2d",
         lambda x, w: F.conv2d(x, w, padding="same", dilation=(1, 2)),
         [u(1, 2, 5, 6), u(2, 2, 3, 2)],
         lambda x, w: np_conv2d(x, w, padding="same", dilation=(1, 2))),
    case("conv2d-valid-unbatched", "conv2d", lambda x, w: F.conv2d(x, w, padding="valid"),
         [u(2, 5, 4), u(3, 2, 2, 2)], np_conv2d),
    case("conv2d-1x1-stride", "conv2d", lambda x, w: F.conv2d(x, w, stride=2),
         [u(2, 3, 5, 4), u(4, 3, 1, 1)], lambda x, w: np_conv2d(x, w, stride=2)),
    case("conv2d_input_grad", "conv2d_input_grad",
         lambda w, g: C.conv2d_input(X_IN, w, g, stride=2, padding=(1, 2)),
         [u(3, 2, 3, 2), grad_out(X_IN, (3, 2, 3, 2), stride=2, padding=(1, 2))],
         lambda w, g: np_conv2d_input(X_IN, w, g, stride=2, padding=(1, 2))),
    case("conv2d_input_grad-groups-dilation", "conv2d_input_grad",
         lambda w, g: C.conv2d_input((1, 4, 7, 6), w, g, padding=1, dilation=2, groups=2),
         [u(4, 2, 3, 2), grad_out((1, 4, 7, 6), (4, 2, 3, 2), padding=1, dilation=2)],
         lambda w, g: np_conv2d_input((1, 4, 7, 6), w, g, padding=1, dilation=2, groups=2)),
    case("conv_transpose2d", "conv2d_input_grad",
         lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
         [u(2, 3, 3, 4), u(3, 2, 3, 3), u(2)],
         lambda x, w, b: np_conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1)),
    case("conv_transpose2d-groups", "conv2d_input_grad",
         lambda x, w: F.conv_transpose2d(x, w, groups=2, dilation=(2, 1)),
         [u(1, 4, 3, 3), u(4, 1, 2, 3)],
         lambda x, w: np_conv_transpose2d(x, w, groups=2, dilation=(2, 1))),
    case("conv2d_weight_grad", "conv2d_weight_grad",
         lambda x, g: C.conv2d_weight(x, (3, 2, 3, 2), g, stride=2, padding=(1, 2)),
         [u(*X_IN), grad_out(X_IN, (3, 2, 3, 2), stride=2, padding=(1, 2))],
         lambda x, g: np_conv2d_weight(x, (3, 2, 3, 2), g, stride=2, padding=(1, 2))),
    case("conv2d_weight_grad-groups-dilation", "conv2d_weight_grad",
         lambda x, g: C.conv2d_weight(x, (4, 2, 3, 2), g, padding=1, dilation=2, groups=2),
         [u(1, 4, 7, 6), grad_out((1, 4, 7, 6), (4, 2, 3, 2), padding=1, dilation=2)],
         lambda x, g: np_conv2d_weight(x, (4, 2, 3, 2), g, padding=1, dilation=2, groups=2)),
]

MAXPOOL_CONFIGS = [
    # (id suffix, input shape, kernel, stride, padding, dilation, ceil_mode)
    ("", (2, 3, 6, 6), 2, None, 0, 1, False),
    ("-stride-padding-ceil", (2, 2, 7, 8), 3, 2, 1, 1, True),
    ("-dilation-rect", (1, 2, 9, 8), (2, 3), (2, 1), (1, 1), 2, False),
    ("-ceil-overhang", (1, 2, 5, 7), 2, 2, 0, 1, True),
]
POOL = []
for suffix, shape, k, s, p, d, cm in MAXPOOL_CONFIGS:
    attrs = pool_attrs(k, s, p, d, cm)
    x = distinct(*shape)
    out_shape = np_max_pool2d(x, k, s, p, d, cm).shape
    POOL += [
        case("max_pool2d" + suffix, "max_pool2d",
             lambda x, k=k, s=s, p=p, d=d, cm=cm: F.max_pool2d(x, k, s, p, d, cm), [x],
             lambda x, k=k, s=s, p=p, d=d, cm=cm: np_max_pool2d(x, k, s, p, d, cm)),
        case("max_pool2d_backward" + suffix, "max_pool2d_backward",
             prim(P.MAX_POOL2D_BACKWARD, **attrs), [u(*out_shape), x],
             lambda g, x, k=k, s=s, p=p, d=d, cm=cm: np_max_pool2d_backward(g, x, k, s, p, d, cm),
             grad=(0,)),
        case("max_pool2d_select" + suffix, "max_pool2d_select",
             prim(P.MAX_POOL2D_SELECT, **attrs), [u(*shape), x],
             lambda v, x, k=k, s=s, p=p, d=d, cm=cm: np_max_pool2d_select(v, x, k, s, p, d, cm),
             grad=(0,)),
    ]

AVGPOOL_CONFIGS = [
    # (id suffix, input shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor)
    ("", (2, 3, 6, 6), 2, None, 0, False, True, None),
    ("-padding-ceil-exclude-pad", (2, 2, 7, 8), 3, 2, 1, True, False, None),
    ("-padding-ceil-include-pad", (1, 2, 8, 8), 3, 3, 1, True, True, None),
    ("-rect-divisor_override", (1, 2, 6, 7), (2, 3), (2, 1), (1, 1), False, True, 5),
]
for suffix, shape, k, s, p, cm, inc, div in AVGPOOL_CONFIGS:
    attrs = avg_attrs(k, s, p, cm, inc, div)
    x = u(*shape)
    out_shape = np_avg_pool2d(x, k, s, p, cm, inc, div).shape
    POOL += [
        case("avg_pool2d" + suffix, "avg_pool2d",
             lambda x, k=k, s=s, p=p, cm=cm, inc=inc, div=div: F.avg_pool2d(x, k, s, p, cm, inc,
                                                                            div), [x],
             lambda x, k=k, s=s, p=p, cm=cm, inc=inc, div=div: np_avg_pool2d(x, k, s, p, cm, inc,
                                                                             div)),
        case("avg_pool2d_backward" + suffix, "avg_pool2d_backward",
             prim(P.AVG_POOL2D_BACKWARD, x_shape=shape, **attrs), [u(*out_shape)],
             lambda g, shape=shape, k=k, s=s, p=p, cm=cm, inc=inc, div=div:
             np_avg_pool2d_backward(g, shape, k, s, p, cm, inc, div)),
    ]

POOL += [
    case("max_pool2d-unbatched", "max_pool2d", lambda x: F.max_pool2d(x, 2, 1),
         [distinct(2, 4, 3)], lambda x: np_max_pool2d(x, 2, 1)),
    case("max_pool2d-int", "max_pool2d", lambda x: F.max_pool2d(x, 2, padding=1),
         [RNG.integers(-9, 9, (1, 2, 4, 5))],
         lambda x: np_max_pool2d(x, 2, padding=1).astype(np.int64)),
    case("avg_pool2d-unbatched", "avg_pool2d", lambda x: F.avg_pool2d(x, 2, 1),
         [u(2, 4, 3)], lambda x: np_avg_pool2d(x[None], 2, 1)[0]),
]

PAD = [
    case("pad", "pad", lambda x: F.pad(x, (1, 2), value=0.5), [u(2, 3, 4)],
         lambda x: np_pad(x, (1, 2), value=0.5)),
    case("pad-two-dims", "pad", lambda x: gg.pad(x, (1, 0, 2, 1)), [u(1, 2, 3, 4)],
         lambda x: np_pad(x, (1, 0, 2, 1))),
    case("pad-negative-crops", "pad", lambda x: F.pad(x, (1, -1, -2, 2)), [u(2, 4, 5)],
         lambda x: np_pad(x, (1, -1, -2, 2))),
    case("pad-int", "pad", lambda x: F.pad(x, (2, 1), value=7), [RNG.integers(0, 5, (2, 3))],
         lambda x: np_pad(x, (2, 1), value=7)),
    case("pad-reflect", "pad_reflect", lambda x: F.pad(x, (2, 1, 1, 2), mode="reflect"),
         [u(1, 2, 4, 5)], lambda x: np_pad(x, (2, 1, 1, 2), "reflect")),
    case("pad-replicate", "pad_replicate", lambda x: F.pad(x, (3, 1, 0, 2), mode="replicate"),
         [u(1, 2, 3, 4)], lambda x: np_pad(x, (3, 1, 0, 2), "replicate")),
    case("pad-circular", "pad_circular", lambda x: F.pad(x, (1, 2, 2, 1), mode="circular"),
         [u(1, 2, 3, 4)], lambda x: np_pad(x, (1, 2, 2, 1), "circular")),
]

CASES = CONV + POOL + PAD
