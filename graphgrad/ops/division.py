"""Division with rounding and the remainders: `div(a, b, rounding_mode=None|'trunc'|'floor')`,
`floor_divide`, `remainder`, `fmod`, `true_divide`, with torch's semantics.

Floats follow IEEE (x / 0 is inf or nan, a remainder by 0 is nan); integers raise on division
by zero, like torch, when the kernel runs (also inside compiled graphs). `remainder` takes the
sign of the divisor (Python's %), `fmod` the sign of the dividend (C's fmod); 'trunc' rounds
toward zero and 'floor' toward -inf. Rounded quotients have zero gradients, as in torch.
"""
import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import DTypeError, DivisionByZeroError
from graphgrad.ops._core import broadcast_infer, defop, describe, float_operand, operands
from graphgrad.ops._core import unbroadcast
from graphgrad.ops.creation import zeros_like
from graphgrad.ops.elementwise import DIV


def _no_bool_infer(name):
    base = broadcast_infer(name)

    def infer(a, b):
        if a.dtype == np.bool_:
            raise DTypeError(f"{name}: not supported for bool tensors, got {describe(a)}, "
                            f"{describe(b)}")
        return base(a, b)
    return infer


def _checked(name, int_kernel, float_kernel):
    """A kernel that raises on an integer division by zero (floats give inf/nan)."""
    def impl(a, b):
        if a.dtype.kind == "f":
            return float_kernel(a, b)
        if not np.all(b):
            raise DivisionByZeroError(f"{name}: integer division by zero (operands "
                                      f"{a.shape} {a.dtype}, {b.shape} {b.dtype})")
        return int_kernel(a, b)
    impl.__name__ = f"{name}_impl"
    return impl


def _trunc_divide_int(a, b):
    q = np.floor_divide(a, b)
    # floor and trunc differ where the division is inexact and the signs differ
    fix = (np.remainder(a, b) != 0) & ((a < 0) != (b < 0))
    return q + fix.astype(q.dtype)


def _trunc_divide_float(a, b):
    return np.trunc(np.divide(a, b))


def _zero_grads(g, a, b, *, out):
    return zeros_like(a), zeros_like(b)


DIV_TRUNC = defop("div_trunc", _no_bool_infer("div_trunc"),
                  _checked("div_trunc", _trunc_divide_int, _trunc_divide_float), _zero_grads,
                  elementwise=True)
FLOOR_DIVIDE = defop("floor_divide", _no_bool_infer("floor_divide"),
                     _checked("floor_divide", np.floor_divide, np.floor_divide), _zero_grads,
                     elementwise=True)


def _remainder_vjp(g, a, b, *, out):
    return unbroadcast(g, a.shape), unbroadcast(-g * floor_divide(a, b), b.shape)


def _fmod_vjp(g, a, b, *, out):
    return unbroadcast(g, a.shape), unbroadcast(-g * bind(DIV_TRUNC, a, b), b.shape)


REMAINDER = defop("remainder", _no_bool_infer("remainder"),
                  _checked("remainder", np.remainder, np.remainder), _remainder_vjp,
                  elementwise=True)
FMOD = defop("fmod", _no_bool_infer("fmod"), _checked("fmod", np.fmod, np.fmod), _fmod_vjp,
             elementwise=True)

# -- op functions -------------------------------------------------------------------------------


def true_divide(a, b):
    """a / b; integer operands give the default float dtype."""
    a, b = operands(a, b)
    if a.dtype.kind != "f":
        a, b = float_operand(a), float_operand(b)
    return bind(DIV, a, b)


def div(input, other, *, rounding_mode=None):
    """a / b (rounding_mode=None), rounded toward zero ('trunc') or toward -inf ('floor').
    The rounded forms keep integer dtypes."""
    if rounding_mode is None:
        return true_divide(input, other)
    if rounding_mode == "trunc":
        return bind(DIV_TRUNC, *operands(input, other))
    if rounding_mode == "floor":
        return floor_divide(input, other)
    raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got "
                     f"{rounding_mode!r}")


divide = div


def floor_divide(input, other):
    return bind(FLOOR_DIVIDE, *operands(input, other))


def remainder(input, other):
    """Python's %: the result has the sign of the divisor."""
    return bind(REMAINDER, *operands(input, other))


def fmod(input, other):
    """C's fmod: the result has the sign of the dividend."""
    return bind(FMOD, *operands(input, other))
