"""Piecewise activations as primitives, each computed and differentiated exactly as torch's
kernels do, so that values and gradients agree at the breakpoints, at +-inf and at NaN:
`hardtanh` (and `relu6`), `hardsigmoid`, `hardswish`, `softshrink`, `hardshrink`,
`threshold`. Where torch's vectorized and scalar CPU loops disagree (the gradient at NaN),
graphgrad follows the vectorized one, which computes all but the last few elements.

Their functions take torch.nn.functional's arguments, `inplace=` included.
"""
import numpy as np

from graphgrad.dispatch import bind
from graphgrad.ops._core import defop, float_operand, same_as_input
from graphgrad.ops.elementwise import logical_and, logical_or, where


def _activation(name, impl, vjp):
    return defop(name, same_as_input(name, float_only=True), impl, vjp, elementwise=True)


def apply(fn, input, inplace, name):
    """fn(input), or input made fn(input) in place (torch's `inplace=True`)."""
    if inplace:
        return input._inplace(fn, f"{name}(inplace=True)")
    return fn(input)

# -- hardtanh / relu6: clamp, with no gradient at the bounds ----------------------------------


HARDTANH = defop(
    "hardtanh", same_as_input("hardtanh", no_bool=True),
    lambda x, *, min_val, max_val: np.clip(x, min_val, max_val).astype(x.dtype, copy=False),
    lambda g, x, *, out, min_val, max_val: (
        where(logical_and(x > min_val, x < max_val), g, 0.0),), elementwise=True)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """min(max(x, min_val), max_val), with no gradient at the bounds (integers stay integers)."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val "
                         f"({max_val})")
    return apply(lambda x: bind(HARDTANH, x, min_val=float(min_val), max_val=float(max_val)),
                 input, inplace, "hardtanh")


def relu6(input, inplace=False):
    """min(max(x, 0), 6) (hardtanh(x, 0, 6), whose gradient is 0 at 0 and 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)

# -- hardsigmoid, hardswish ------------------------------------------------------------------


def _relu6_of_shifted(x):
    return np.clip(x + np.asarray(3, x.dtype), 0, 6)


_ONE_SIXTH = float(np.float32(1.0) / np.float32(6.0))   # torch's constant, also for float64
HARDSIGMOID = _activation(
    "hardsigmoid", lambda x: _relu6_of_shifted(x) / np.asarray(6, x.dtype),
    lambda g, x, *, out: (where(logical_and(x > -3.0, x < 3.0), g * _ONE_SIXTH, 0.0),))
HARDSWISH = _activation(
    "hardswish", lambda x: x * _relu6_of_shifted(x) / np.asarray(6, x.dtype),
    lambda g, x, *, out: (where(x >= 3.0, g, where(x <= -3.0, 0.0, g * (x / 3.0 + 0.5))),))


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6."""
    return apply(lambda x: bind(HARDSIGMOID, float_operand(x)), input, inplace, "hardsigmoid")


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6."""
    return apply(lambda x: bind(HARDSWISH, float_operand(x)), input, inplace, "hardswish")

# -- shrinkage and threshold -----------------------------------------------------------------


def _softshrink_impl(x, *, lambd):
    lambd = np.asarray(lambd, x.dtype)
    return np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, x * 0))


def _hardshrink_impl(x, *, lambd):
    lambd = np.asarray(lambd, x.dtype)
    return np.where((x >= -lambd) & (x <= lambd), np.zeros((), x.dtype), x)


def _shrink_vjp(g, x, *, out, lambd):
    return (where(logical_or(x < -lambd, x > lambd), g, 0.0),)


SOFTSHRINK = _activation("softshrink", _softshrink_impl, _shrink_vjp)
HARDSHRINK = _activation("hardshrink", _hardshrink_impl, _shrink_vjp)


def softshrink(input, lambd=0.5):
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    if lambd < 0:
        raise ValueError(f"softshrink: lambda must be non-negative, got {lambd}")
    return bind(SOFTSHRINK, float_operand(input), lambd=float(lambd))


def hardshrink(input, lambd=0.5):
    """x where |x| > lambd, else 0."""
    return bind(HARDSHRINK, float_operand(input), lambd=float(lambd))


def _threshold_impl(x, *, threshold, value):
    return np.where(x <= np.asarray(threshold, x.dtype), np.asarray(value, x.dtype), x)


THRESHOLD = defop("threshold", same_as_input("threshold", no_bool=True), _threshold_impl,
                  lambda g, x, *, out, threshold, value: (where(x <= threshold, 0.0, g),),
                  elementwise=True)


def threshold(input, threshold, value, inplace=False):
    """`value` where x <= threshold, else x."""
    return apply(lambda x: bind(THRESHOLD, x, threshold=_number(threshold),
                                value=_number(value)), input, inplace, "threshold")


def _number(v):
    return float(v) if isinstance(v, (float, np.floating)) else int(v)
