"""Activation functions: the `erf`, `elu` (also celu and selu) and `mish` primitives, and the
activations built from primitives (gelu, silu, softplus, leaky_relu, softsign, tanhshrink,
logsigmoid, glu, prelu, rrelu, softmin). Functions take torch.nn.functional's arguments,
`inplace=` included; the piecewise-linear ones live in `activation_piecewise`.

`erf` has no NumPy kernel, so it is computed here in float64 from two classic expansions
(Abramowitz & Stegun 7.1.6 and 7.1.14): a series with positive terms for |x| < 2.5 and the
continued fraction of erfc beyond; both are accurate to a few ulps in float64. float32 inputs
take the faster float32 kernel of erf_kernels.py (about 1 ulp).
"""
import math

import numpy as np

from graphgrad.dispatch import bind
from graphgrad.ops._core import defop, float_operand, same_as_input
from graphgrad.errors import ShapeError
from graphgrad.ir.types import normalize_dim
from graphgrad.ops._core import describe
from graphgrad.ops.activation_piecewise import apply
from graphgrad.ops.creation import rand
from graphgrad.ops.erf_kernels import erf_float32
from graphgrad.ops.elementwise import (abs, cast, exp, log1p, maximum, minimum, sigmoid, tanh,
                                       where)
from graphgrad.ops.elementwise import relu as _relu
from graphgrad.ops.movement import chunk, reshape
from graphgrad.ops.softmax import softmax
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
    if x.dtype == np.float32:
        return erf_float32(x)
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


def _erf_out(out, x):
    if x.dtype == np.float32 and out.dtype == np.float32:
        return erf_float32(x, out=out)
    out[...] = _erf_impl(x)
    return out


ERF = defop("erf", same_as_input("erf", float_only=True), _erf_impl, _erf_vjp, elementwise=True,
            out_impl=_erf_out)


def erf(x):
    """The error function, 2/sqrt(pi) * integral_0^x exp(-t^2) dt."""
    return bind(ERF, float_operand(x))




def softplus(x, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, linear above `threshold` (stable, like torch)."""
    bx = x * beta
    soft = log1p(exp(-abs(bx))) + maximum(bx, 0.0)
    return where(bx > threshold, x, soft / beta)


def relu(input, inplace=False):
    """max(x, 0) (F.relu: `inplace=True` updates the input)."""
    return apply(_relu, input, inplace, "relu")


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return apply(lambda x: where(x > 0, x, x * negative_slope), input, inplace, "leaky_relu")


def gelu(x, approximate="none"):
    """x * Phi(x) (exact, with erf) or its tanh approximation (approximate='tanh')."""
    x = float_operand(x)
    if approximate == "none":
        return x * 0.5 * (erf(x * (1.0 / math.sqrt(2.0))) + 1.0)
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * math.sqrt(2.0 / math.pi)
        return x * 0.5 * (tanh(inner) + 1.0)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(input, inplace=False):
    """x * sigmoid(x) (also called swish)."""
    return apply(lambda x: float_operand(x) * sigmoid(float_operand(x)), input, inplace, "silu")

# -- the elu family: one primitive with torch's kernel (expm1 below 0, NaN on the linear side) --


def _elu_impl(x, *, alpha, scale, input_scale):
    negative = np.expm1(x * np.asarray(input_scale, x.dtype)) * np.asarray(alpha * scale, x.dtype)
    return np.where(x <= 0, negative, x * np.asarray(scale, x.dtype))


def _elu_vjp(g, x, *, out, alpha, scale, input_scale):
    negative = g * input_scale * (alpha * scale) * exp(x * input_scale)
    return (where(x > 0.0, g * scale, negative),)     # NaN takes the exp side, as in torch


ELU = defop("elu", same_as_input("elu", float_only=True), _elu_impl, _elu_vjp, elementwise=True)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _elu(x, alpha, scale=1.0, input_scale=1.0):
    return bind(ELU, float_operand(x), alpha=float(alpha), scale=float(scale),
                input_scale=float(input_scale))


def elu(input, alpha=1.0, inplace=False):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    return apply(lambda x: _elu(x, alpha), input, inplace, "elu")


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0")
    return apply(lambda x: _elu(x, alpha, 1.0, 1.0 / alpha), input, inplace, "celu")


def selu(input, inplace=False):
    """scale * elu(x, alpha) with the self-normalizing constants."""
    return apply(lambda x: _elu(x, _SELU_ALPHA, _SELU_SCALE), input, inplace, "selu")

# -- smooth activations ---------------------------------------------------------------------


def _mish_vjp(g, x, *, out):
    # torch's formula: finite for large x, where exp(x) overflows
    tanh_softplus = tanh(log1p(exp(x)))
    return (g * (tanh_softplus + x * sigmoid(x) * (1.0 - tanh_softplus * tanh_softplus)),)


MISH = defop("mish", same_as_input("mish", float_only=True),
             lambda x: x * np.tanh(np.log1p(np.exp(x))), _mish_vjp, elementwise=True)


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    return apply(lambda x: bind(MISH, float_operand(x)), input, inplace, "mish")


def softsign(input):
    """x / (1 + |x|)."""
    x = float_operand(input)
    return x / (abs(x) + 1.0)


def tanhshrink(input):
    """x - tanh(x)."""
    x = float_operand(input)
    return x - tanh(x)


def logsigmoid(input):
    """log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|)), finite for any x."""
    x = float_operand(input)
    return minimum(x, 0.0) - log1p(exp(-abs(x)))


def glu(input, dim=-1):
    """a * sigmoid(b) for the two halves a, b of `input` along `dim`."""
    size = input.shape[normalize_dim("glu", dim, input.ndim)] if input.ndim else 0
    if input.ndim == 0 or size % 2:
        raise ShapeError(f"glu: halving dimension {dim} must have an even size, got "
                         f"{describe(input)}")
    a, b = chunk(input, 2, dim)
    return a * sigmoid(b)


def prelu(input, weight):
    """x for x > 0, weight * x otherwise; `weight` has 1 element or one per channel (dim 1)."""
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.numel() not in (1, channels):
        raise ShapeError(f"prelu: weight {describe(weight)} must have 1 element or one per "
                         f"channel ({channels}) of the input {describe(input)}")
    if weight.numel() > 1 or (weight.ndim and input.ndim >= 2):
        weight = reshape(weight, (1, weight.numel()) + (1,) * (input.ndim - 2))
    elif weight.ndim:
        weight = reshape(weight, ())
    negative = where(input > 0, 0.0, input)     # no inf * 0 in the weight's gradient
    return where(input > 0, input, weight * negative)


def rrelu(input, lower=1.0 / 8.0, upper=1.0 / 3.0, training=False, inplace=False):
    """leaky_relu with a random slope from U(lower, upper) per element when training, and the
    mean slope (lower + upper) / 2 otherwise."""
    if not training:
        return leaky_relu(input, (lower + upper) / 2.0, inplace)

    def fn(x):
        slope = rand(*x.shape, dtype=x.dtype) * (upper - lower) + lower
        return where(x >= 0, x, x * slope)
    return apply(fn, input, inplace, "rrelu")


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along `dim`."""
    x = input if dtype is None else cast(input, dtype)
    if dim is None:
        dim = 0 if x.ndim in (0, 1, 3) else 1     # torch's legacy choice
    return softmax(-x, dim)


def _inplace_form(fn):
    def inplace(input, *args, **kwargs):
        return fn(input, *args, inplace=True, **kwargs)
    inplace.__name__ = fn.__name__ + "_"
    inplace.__doc__ = f"{fn.__name__}(..., inplace=True)"
    return inplace


relu_, elu_, celu_, selu_, leaky_relu_, rrelu_ = (
    _inplace_form(f) for f in (relu, elu, celu, selu, leaky_relu, rrelu))


def softplus_of_negative(x):
    """log(1 + exp(-x)) = -log(sigmoid(x)), finite for any x."""
    return log1p(exp(-abs(x))) + maximum(-x, 0.0)


def _attach_methods():
    Tensor.erf = erf
    Tensor.leaky_relu = leaky_relu
    Tensor.softplus = softplus
    Tensor.gelu = gelu


_attach_methods()
