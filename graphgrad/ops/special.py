"""Special functions NumPy lacks: lgamma, digamma, trigamma (polygamma of order 1) and erfinv,
as primitives with float64 kernels.

digamma and trigamma shift x up to >= 6 with their recurrences, then sum the asymptotic series;
negative arguments use the reflection formulas. erfinv refines a single-precision rational
guess by Newton steps on erf (erfc near +-1, where erf loses its relative precision).
Values at poles follow torch: lgamma is +inf at 0 and the negative integers, digamma is -inf at
+0, +inf at -0 and NaN at the negative integers.
"""
import math

import numpy as np

from graphgrad.ops._core import bind, defop, float_operand, same_as_input
from graphgrad.ops.activation import _erf_series
from graphgrad.ops.elementwise import exp

_lgamma_scalar = np.vectorize(lambda v: math.lgamma(v) if math.isfinite(v) and
                              not (v <= 0 and v == math.floor(v)) else
                              (v if math.isnan(v) else math.inf), otypes=[np.float64])


def _f64(x):
    return np.asarray(x, dtype=np.float64)


def _lgamma_impl(x):
    return np.asarray(_lgamma_scalar(_f64(x)), x.dtype)


def _lgamma_vjp(g, x, *, out):
    return (g * digamma(x),)


LGAMMA = defop("lgamma", same_as_input("lgamma", float_only=True), _lgamma_impl, _lgamma_vjp,
               elementwise=True)

_DIGAMMA_SERIES = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12)
_TRIGAMMA_SERIES = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)


def _shifted(x, step):
    """(x moved up to >= 6, the sum of step(x_k) over the values passed)."""
    acc = np.zeros_like(x)
    x = x.copy()
    for _ in range(6):
        low = x < 6
        acc[low] += step(x[low])
        x[low] += 1
    return x, acc


def _digamma_positive(x):
    x, acc = _shifted(x, lambda v: -1.0 / v)
    inv2 = 1.0 / (x * x)
    series = np.zeros_like(x)
    for c in reversed(_DIGAMMA_SERIES):
        series = series * inv2 + c
    return acc + np.log(x) - 0.5 / x - series * inv2


def _trigamma_positive(x):
    x, acc = _shifted(x, lambda v: 1.0 / (v * v))
    inv2 = 1.0 / (x * x)
    series = np.zeros_like(x)
    for c in reversed(_TRIGAMMA_SERIES):
        series = series * inv2 + c
    return acc + 1.0 / x + 0.5 * inv2 + series * inv2 / x


def _digamma_impl(x):
    a = _f64(x).reshape(-1)
    out = np.full_like(a, np.nan)
    with np.errstate(all="ignore"):
        pos = a > 0
        out[pos] = _digamma_positive(a[pos])
        neg = (a < 0) & (a != np.floor(a)) & np.isfinite(a)
        out[neg] = _digamma_positive(1.0 - a[neg]) - math.pi / np.tan(math.pi * a[neg])
        zero = a == 0
        out[zero] = np.copysign(np.inf, -a[zero])
        out[a == np.inf] = np.inf
    return out.reshape(np.shape(x)).astype(x.dtype, copy=False)


def _digamma_vjp(g, x, *, out):
    return (g * bind(TRIGAMMA, x),)


DIGAMMA = defop("digamma", same_as_input("digamma", float_only=True), _digamma_impl,
                _digamma_vjp, elementwise=True)


def _trigamma_impl(x):
    a = _f64(x).reshape(-1)
    out = np.full_like(a, np.nan)
    with np.errstate(all="ignore"):
        pos = a > 0
        out[pos] = _trigamma_positive(a[pos])
        neg = (a <= 0) & np.isfinite(a)
        s = np.sin(math.pi * a[neg])
        out[neg] = (math.pi * math.pi) / (s * s) - _trigamma_positive(1.0 - a[neg])
        out[a == 0] = np.inf
        out[a == np.inf] = 0.0
    return out.reshape(np.shape(x)).astype(x.dtype, copy=False)


# second derivatives of digamma (polygamma of order 2) are not provided
TRIGAMMA = defop("trigamma", same_as_input("trigamma", float_only=True), _trigamma_impl,
                 elementwise=True)

_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                  0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
               -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _horner(coeffs, w):
    p = np.full_like(w, coeffs[0])
    for c in coeffs[1:]:
        p = p * w + c
    return p


def _erfc_positive(y):
    out = np.empty_like(y)
    small = y < 2.5
    out[small] = 1.0 - _erf_series(y[small])
    big = ~small
    out[big] = _erfc_tail(y[big])
    return out


def _erfc_tail(y):
    t = y.copy()
    for k in range(30, 0, -1):
        np.divide(k / 2.0, t, out=t)
        t += y
    return np.exp(-y * y) / t / math.sqrt(math.pi)


def _erfinv_impl(x):
    a = np.abs(_f64(x)).reshape(-1)
    out = np.full_like(a, np.nan)
    with np.errstate(all="ignore"):
        inside = a < 1
        v = a[inside]
        w = -np.log((1.0 - v) * (1.0 + v))
        y = np.where(w < 5.0, _horner(_GILES_CENTRAL, w - 2.5),
                     _horner(_GILES_TAIL, np.sqrt(w) - 3.0)) * v
        near_one = v > 0.5
        for _ in range(4):
            slope = (2.0 / math.sqrt(math.pi)) * np.exp(-y * y)
            # near 1, Newton on log(erfc(y)) = log(1 - v), which keeps its relative precision
            tail = _erfc_positive(np.abs(y))
            step = np.where(near_one, (np.log(1.0 - v) - np.log(tail)) * tail,
                            _erf_series(y) - v)
            y = y - np.where(slope > 0, step / np.where(slope > 0, slope, 1.0), 0.0)
        out[inside] = y
        out[a == 1] = np.inf
    return np.copysign(out.reshape(np.shape(x)), x).astype(x.dtype, copy=False)


def _erfinv_vjp(g, x, *, out):
    return (g * (math.sqrt(math.pi) / 2.0) * exp(out * out),)


ERFINV = defop("erfinv", same_as_input("erfinv", float_only=True), _erfinv_impl, _erfinv_vjp,
               elementwise=True)


def lgamma(input):
    """log |Gamma(x)|."""
    return bind(LGAMMA, float_operand(input))


def digamma(input):
    """The logarithmic derivative of Gamma."""
    return bind(DIGAMMA, float_operand(input))


def erfinv(input):
    """The inverse of erf on (-1, 1) (+-inf at +-1, NaN outside)."""
    return bind(ERFINV, float_operand(input))


def polygamma(n, input):
    """The n-th derivative of digamma, for n = 0 (digamma) and n = 1 (trigamma)."""
    if n == 0:
        return digamma(input)
    if n == 1:
        return bind(TRIGAMMA, float_operand(input))
    raise NotImplementedError(f"polygamma: order {n} is not implemented (only 0 and 1)")


def _attach_methods():
    from graphgrad.tensor import Tensor
    Tensor.lgamma = lgamma
    Tensor.digamma = digamma
    Tensor.erfinv = erfinv
    Tensor.polygamma = lambda self, n: polygamma(n, self)


_attach_methods()
