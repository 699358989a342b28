"""Activation functions: the `erf` primitive and the activations built from primitives (gelu,
silu, elu, softplus, leaky_relu).

`erf` has no NumPy kernel, so it is computed here in float64 from two classic expansions
(Abramowitz & Stegun 7.1.6 and 7.1.14): a series with positive terms for |x| < 2.5 and the
continued fraction of erfc beyond; both are accurate to a few ulps in float64.
"""
import math

import numpy as np

from graphgrad.dispatch import bind
from graphgrad.ops._core import defop, float_operand, same_as_input
from graphgrad.ops.elementwise import abs, exp, log1p, maximum, sigmoid, tanh, where
from graphgrad.tensor import Tensor

# -- erf --------------------------------------------------------------------------------------

_SERIES_TERMS = 40      # erf(x) = 2/sqrt(pi) exp(-x^2) sum_k (2x^2)^k / (1*3*...*(2k+1))
_FRACTION_DEPTH = 30    # erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
_SERIES_COEFFS = [1.0]
for _k in range(1, _SERIES_TERMS + 1):
    _SERIES_COEFFS.append(_SERIES_COEFFS[-1] / (2 * _k + 1))
_SERIES_COEFFS.reverse()
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _erf_series(a):
    y = a * a
    y *= 2.0
    t = np.full_like(a, _SERIES_COEFFS[0])
    for c in _SERIES_COEFFS[1:]:
        t *= y
        t += c
    t *= np.exp(-a * a)
    t *= a
    t *= _TWO_OVER_SQRT_PI
    return t


def _erf_fraction(a):
    t = a.copy()
    for k in range(_FRACTION_DEPTH, 0, -1):
        np.divide(k / 2.0, t, out=t)
        t += a
    erfc = np.exp(-a * a) / t
    erfc *= 1.0 / math.sqrt(math.pi)
    return 1.0 - erfc


def _erf_impl(x):
    a = np.abs(np.asarray(x, dtype=np.float64)).reshape(-1)
    out = np.ones_like(a)                      # erf(|x| >= 6) is 1 in float64
    small = a < 2.5
    out[small] = _erf_series(a[small])
    mid = (a >= 2.5) & (a < 6.0)
    out[mid] = _erf_fraction(a[mid])
    out[np.isnan(a)] = np.nan
    out = np.copysign(out.reshape(np.shape(x)), x)
    return out.astype(x.dtype, copy=False)


def _erf_vjp(g, x, *, out):
    return (g * exp(-(x * x)) * _TWO_OVER_SQRT_PI,)


ERF = defop("erf", same_as_input("erf", float_only=True), _erf_impl, _erf_vjp, elementwise=True)


def erf(x):
    """The error function, 2/sqrt(pi) * integral_0^x exp(-t^2) dt."""
    return bind(ERF, float_operand(x))




def softplus(x, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, linear above `threshold` (stable, like torch)."""
    bx = x * beta
    soft = log1p(exp(-abs(bx))) + maximum(bx, 0.0)
    return where(bx > threshold, x, soft / beta)


def leaky_relu(x, negative_slope=0.01):
    return where(x > 0, x, x * negative_slope)


def gelu(x, approximate="none"):
    """x * Phi(x) (exact, with erf) or its tanh approximation (approximate='tanh')."""
    x = float_operand(x)
    if approximate == "none":
        return x * 0.5 * (erf(x * (1.0 / math.sqrt(2.0))) + 1.0)
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * math.sqrt(2.0 / math.pi)
        return x * 0.5 * (tanh(inner) + 1.0)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(x):
    """x * sigmoid(x) (also called swish)."""
    x = float_operand(x)
    return x * sigmoid(x)


def elu(x, alpha=1.0):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    x = float_operand(x)
    negative = where(x > 0, 0.0, x)      # exp never sees large x: no inf * 0 in the gradient
    return where(x > 0, x, (exp(negative) - 1.0) * alpha)


def softplus_of_negative(x):
    """log(1 + exp(-x)) = -log(sigmoid(x)), finite for any x."""
    return log1p(exp(-abs(x))) + maximum(-x, 0.0)


def _attach_methods():
    Tensor.erf = erf
    Tensor.leaky_relu = leaky_relu
    Tensor.softplus = softplus
    Tensor.gelu = gelu
    Tensor.erf_ = lambda self: self._inplace(erf, "erf_")


_attach_methods()
