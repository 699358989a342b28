"""Exponentials and logarithms beyond exp/log/log1p: `expm1`, `exp2`, `log2`, `log10`,
`reciprocal`, `logaddexp`, `logaddexp2`, `logit(eps=None)`, `xlogy`, `erfc`, `float_power`,
`ldexp`.

Gradients are torch's formulas, so edge values agree: xlogy's gradient for x is 0 where x == 0
and y <= 0; logit's is NaN outside [0, 1] (0 outside [eps, 1 - eps] when `eps` is given).
Integer inputs give the default float dtype.
"""
import math

import numpy as np

from graphgrad.dispatch import bind
from graphgrad.ops._core import (broadcast_infer, defop, float_operand, operands, same_as_input,
                                 unbroadcast)
from graphgrad.ops.activation import erf
from graphgrad.ops.elementwise import cast, exp, logical_and, logical_or, where
from graphgrad.ops.power import pow

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def _unary(name, ufunc, vjp):
    return defop(name, same_as_input(name, float_only=True), ufunc, vjp, elementwise=True)


EXPM1 = _unary("expm1", np.expm1, lambda g, x, *, out: (g * (out + 1.0),))
EXP2 = _unary("exp2", np.exp2, lambda g, x, *, out: (g * out * _LN2,))
LOG2 = _unary("log2", np.log2, lambda g, x, *, out: (g / (x * _LN2),))
LOG10 = _unary("log10", np.log10, lambda g, x, *, out: (g / (x * _LN10),))
RECIPROCAL = _unary("reciprocal", np.reciprocal, lambda g, x, *, out: (-g * (out * out),))


def expm1(input):
    """exp(x) - 1, accurate near 0."""
    return bind(EXPM1, float_operand(input))


def exp2(input):
    return bind(EXP2, float_operand(input))


def log2(input):
    return bind(LOG2, float_operand(input))


def log10(input):
    return bind(LOG10, float_operand(input))


def reciprocal(input):
    return bind(RECIPROCAL, float_operand(input))

# -- binary ---------------------------------------------------------------------------------


def _logaddexp_vjp(base):
    def vjp(g, a, b, *, out):
        if base == "e":
            wa, wb = exp(b - a), exp(a - b)
        else:
            wa, wb = pow(2.0, b - a), pow(2.0, a - b)
        return unbroadcast(g / (wa + 1.0), a.shape), unbroadcast(g / (wb + 1.0), b.shape)
    return vjp


LOGADDEXP = defop("logaddexp", broadcast_infer("logaddexp", float_only=True), np.logaddexp,
                  _logaddexp_vjp("e"), elementwise=True)
LOGADDEXP2 = defop("logaddexp2", broadcast_infer("logaddexp2", float_only=True),
                   np.logaddexp2, _logaddexp_vjp("2"), elementwise=True)


def logaddexp(input, other):
    """log(exp(input) + exp(other)) without overflow."""
    return bind(LOGADDEXP, *operands(input, other))


def logaddexp2(input, other):
    """log2(2**input + 2**other) without overflow."""
    return bind(LOGADDEXP2, *operands(input, other))


def _xlogy_impl(x, y):
    out = np.where(x == 0, 0.0, x * np.log(y))
    return np.where(np.isnan(y), np.nan, out).astype(np.result_type(x, y), copy=False)


def _xlogy_vjp(g, x, y, *, out):
    gx = where(logical_and(x == 0.0, y <= 0.0), 0.0, xlogy(g, y))
    return unbroadcast(gx, x.shape), unbroadcast(g * x / y, y.shape)


XLOGY = defop("xlogy", broadcast_infer("xlogy", float_only=True), _xlogy_impl, _xlogy_vjp,
              elementwise=True)


def xlogy(input, other):
    """input * log(other), 0 where input == 0 (unless other is NaN)."""
    a, b = operands(input, other)
    return bind(XLOGY, float_operand(a), float_operand(b))

# -- logit ----------------------------------------------------------------------------------


def _logit_bounds(dtype, eps):
    """(lo, hi) = (eps, 1 - eps) computed in `dtype`, as torch's kernel does."""
    lo = np.asarray(eps, dtype)
    return float(lo), float(np.asarray(1, dtype) - lo)


def _logit_impl(x, *, eps):
    if eps is not None:
        x = np.clip(x, *_logit_bounds(x.dtype, eps))
    return np.log(x / (1 - x))


def _logit_vjp(g, x, *, out, eps):
    if eps is None:
        outside, fill = logical_or(x < 0.0, x > 1.0), float("nan")
    else:
        lo, hi = _logit_bounds(x.dtype, eps)
        outside, fill = logical_or(x < lo, x > hi), 0.0
    return (where(outside, fill, g / (x * (1.0 - x))),)


LOGIT = defop("logit", same_as_input("logit", float_only=True), _logit_impl, _logit_vjp,
              elementwise=True)


def logit(input, eps=None):
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when `eps` is given."""
    return bind(LOGIT, float_operand(input), eps=None if eps is None else float(eps))

# -- composites -----------------------------------------------------------------------------


def erfc(input):
    """1 - erf(input)."""
    return 1.0 - erf(float_operand(input))


def float_power(input, exponent):
    """input ** exponent computed in float64 (the result is float64)."""
    from graphgrad.tensor import Tensor
    f64 = np.dtype(np.float64)
    base = cast(input, f64) if isinstance(input, Tensor) else float(input)
    exp_ = cast(exponent, f64) if isinstance(exponent, Tensor) else float(exponent)
    if not isinstance(base, Tensor) and not isinstance(exp_, Tensor):
        raise TypeError("float_power: expects at least one tensor")
    return pow(base, exp_)


def ldexp(input, other):
    """input * 2 ** other."""
    a, b = operands(input, other)
    return float_operand(a) * exp2(b)
