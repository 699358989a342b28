"""Primitives for neural-network functions (erf, binary cross-entropy) and the tensor ops built
on them (gelu, silu, elu, masked_fill).

`erf` has no NumPy kernel, so it is computed here in float64 from two classic expansions
(Abramowitz & Stegun 7.1.6 and 7.1.14): a series with positive terms for |x| < 2.5 and the
continued fraction of erfc beyond; both are accurate to a few ulps in float64.
`binary_cross_entropy` is a primitive because its gradient must stay finite where the
probability is exactly 0 or 1 (which float32 sigmoids reach): torch's formula
g * (p - y) / max(p (1 - p), 1e-12) has no composite equivalent without NaNs.
"""
import math

import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import ShapeError
from graphgrad.ir.types import TensorType, broadcast_shapes
from graphgrad.ops._core import (as_tensor, as_tensor_like, defop, describe, float_operand,
                                 same_as_input)
from graphgrad.ops.elementwise import abs, cast, exp, log, log1p, maximum, sigmoid, tanh, where
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

# -- binary cross-entropy (elementwise, no reduction) -----------------------------------------

_BCE_EPS = 1e-12   # torch's clamp of p (1 - p) in the gradient


def _bce_infer(p, y):
    if p.dtype.kind != "f" or y.dtype != p.dtype:
        raise TypeError(f"binary_cross_entropy: expects float probabilities and targets of one "
                        f"dtype, got {describe(p)}, {describe(y)}")
    if tuple(p.shape) != tuple(y.shape):
        raise ShapeError(f"binary_cross_entropy: target {describe(y)} must have the shape of "
                         f"the input {describe(p)}")
    return TensorType(tuple(p.shape), p.dtype)


def _bce_impl(p, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        if not ((p >= 0) & (p <= 1)).all():
            bad = p[~((p >= 0) & (p <= 1))]
            raise ShapeError(f"binary_cross_entropy: all input values must be between 0 and 1, "
                             f"found {bad.flat[0]} (input of shape {p.shape})")
        log_p = np.maximum(np.log(p), -100.0)
        log_1mp = np.maximum(np.log1p(-p), -100.0)
    return ((y - 1) * log_1mp - y * log_p).astype(p.dtype, copy=False)


def _bce_vjp(g, p, y, *, out):
    gp = g * (p - y) / maximum(p * (1.0 - p), _BCE_EPS)
    gy = g * (maximum(log1p(-p), -100.0) - maximum(log(p), -100.0))
    return gp, gy


BINARY_CROSS_ENTROPY = defop("binary_cross_entropy", _bce_infer, _bce_impl, _bce_vjp,
                             elementwise=True)

# -- op functions -----------------------------------------------------------------------------


def erf(x):
    """The error function, 2/sqrt(pi) * integral_0^x exp(-t^2) dt."""
    return bind(ERF, float_operand(x))


def binary_cross_entropy_elementwise(p, y):
    """-(y log p + (1 - y) log(1 - p)) per element, each log clamped at -100 (as in torch)."""
    return bind(BINARY_CROSS_ENTROPY, p, y)


def masked_fill(x, mask, value):
    """`x` with `value` where the bool `mask` (broadcastable to x's shape) is True."""
    x = as_tensor(x)
    mask = as_tensor(mask)
    if mask.dtype != np.bool_:
        raise TypeError(f"masked_fill: the mask must be a bool tensor, got {describe(mask)}")
    shape = broadcast_shapes("masked_fill", tuple(mask.shape), tuple(x.shape))
    if shape != x.shape:
        raise ShapeError(f"masked_fill: the mask {describe(mask)} does not broadcast to the "
                         f"shape of the tensor {describe(x)}")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ShapeError(f"masked_fill: value must be a number or a 0-d tensor, got "
                             f"{describe(value)}")
        if value.dtype != x.dtype:
            value = cast(value, x.dtype)
    else:
        value = as_tensor_like(value, x)
        if value.dtype != x.dtype:
            value = cast(value, x.dtype)
    return where(mask, value, x)


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
    Tensor.masked_fill = masked_fill
    Tensor.masked_fill_ = lambda self, mask, value: self._inplace(
        lambda s: masked_fill(s, mask, value), "masked_fill_")
    Tensor.erf_ = lambda self: self._inplace(erf, "erf_")


_attach_methods()
