"""Trigonometric and hyperbolic functions beyond sin/cos/tanh: `tan`, `asin`, `acos`, `atan`,
`sinh`, `cosh`, `asinh`, `acosh`, `atanh` (and their `arc*` aliases), `atan2`, `hypot`,
`deg2rad`, `rad2deg`, `sinc`.

Gradients are torch's formulas (derivatives.yaml), so they take the same values at the edges
(asin at +-1 is inf, atan2 at (0, 0) is nan). Integer inputs give the default float dtype,
except for `hypot`, which torch refuses on integers.
"""
import math

import numpy as np

from graphgrad.dispatch import bind
from graphgrad.ops._core import (broadcast_infer, defop, float_operand, operands, same_as_input,
                                 unbroadcast)
from graphgrad.ops.elementwise import sin, sqrt, where


def _unary(name, ufunc, vjp):
    return defop(name, same_as_input(name, float_only=True), ufunc, vjp, elementwise=True)


def _rsqrt(x):
    return 1.0 / sqrt(x)


TAN = _unary("tan", np.tan, lambda g, x, *, out: (g * (out * out + 1.0),))
ASIN = _unary("asin", np.arcsin, lambda g, x, *, out: (g * _rsqrt(-x * x + 1.0),))
ACOS = _unary("acos", np.arccos, lambda g, x, *, out: (g * -_rsqrt(-x * x + 1.0),))
ATAN = _unary("atan", np.arctan, lambda g, x, *, out: (g / (x * x + 1.0),))
SINH = _unary("sinh", np.sinh, lambda g, x, *, out: (g * cosh(x),))
COSH = _unary("cosh", np.cosh, lambda g, x, *, out: (g * sinh(x),))
ASINH = _unary("asinh", np.arcsinh, lambda g, x, *, out: (g * _rsqrt(x * x + 1.0),))
ACOSH = _unary("acosh", np.arccosh, lambda g, x, *, out: (g * _rsqrt(x * x - 1.0),))
ATANH = _unary("atanh", np.arctanh, lambda g, x, *, out: (g * (1.0 / (1.0 - x * x)),))


def tan(input):
    return bind(TAN, float_operand(input))


def asin(input):
    return bind(ASIN, float_operand(input))


def acos(input):
    return bind(ACOS, float_operand(input))


def atan(input):
    return bind(ATAN, float_operand(input))


def sinh(input):
    return bind(SINH, float_operand(input))


def cosh(input):
    return bind(COSH, float_operand(input))


def asinh(input):
    return bind(ASINH, float_operand(input))


def acosh(input):
    return bind(ACOSH, float_operand(input))


def atanh(input):
    return bind(ATANH, float_operand(input))


arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh

# -- binary ---------------------------------------------------------------------------------


def _atan2_vjp(g, a, b, *, out):
    recip = 1.0 / (a * a + b * b)
    return unbroadcast(g * b * recip, a.shape), unbroadcast(g * -a * recip, b.shape)


ATAN2 = defop("atan2", broadcast_infer("atan2", float_only=True), np.arctan2, _atan2_vjp,
              elementwise=True)
HYPOT = defop("hypot", broadcast_infer("hypot", float_only=True), np.hypot,
              lambda g, a, b, *, out: (unbroadcast(g * a / out, a.shape),
                                       unbroadcast(g * b / out, b.shape)),
              elementwise=True)


def atan2(input, other):
    """The angle of the point (other, input), in (-pi, pi]."""
    a, b = operands(input, other)
    return bind(ATAN2, float_operand(a), float_operand(b))


arctan2 = atan2


def hypot(input, other):
    """sqrt(input**2 + other**2) without overflow."""
    return bind(HYPOT, *operands(input, other))

# -- composites -----------------------------------------------------------------------------


def deg2rad(input):
    return float_operand(input) * (math.pi / 180.0)


def rad2deg(input):
    return float_operand(input) * (180.0 / math.pi)


def sinc(input):
    """sin(pi x) / (pi x), 1 at x == 0 (where the gradient is 0)."""
    x = float_operand(input)
    zero = x == 0.0
    scaled = where(zero, 1.0, x) * math.pi        # no 0 / 0 in the forward or the gradient
    return where(zero, 1.0, sin(scaled) / scaled)
