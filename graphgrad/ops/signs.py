"""Signs: `copysign`, `sgn`, `signbit` and `heaviside`.

`copysign`'s gradient is torch's: result / input (0 where the input is 0), and zero for the
sign source; `signbit` sees the sign of -0.0; `heaviside(x, values)` is 0 for x < 0 (and NaN),
1 for x > 0 and `values` where x == 0, without a gradient (torch has none either).
"""
import numpy as np

from graphgrad.errors import DTypeError
from graphgrad.dispatch import bind
from graphgrad.ir.types import TensorType
from graphgrad.ops._core import broadcast_infer, defop, describe, float_operand, operands
from graphgrad.ops._core import unbroadcast
from graphgrad.ops.creation import zeros_like
from graphgrad.ops.elementwise import sign, where


def _copysign_vjp(g, a, b, *, out):
    ratio = where(a == 0.0, 0.0, out / a)
    return unbroadcast(g * ratio, a.shape), zeros_like(b)


COPYSIGN = defop("copysign", broadcast_infer("copysign", float_only=True), np.copysign,
                 _copysign_vjp, elementwise=True)


def copysign(input, other):
    """|input| with the sign of `other` (integer operands give the default float dtype)."""
    a, b = operands(input, other)
    if a.dtype.kind != "f":
        a, b = float_operand(a), float_operand(b)
    return bind(COPYSIGN, a, b)


def sgn(input):
    """sign(input): graphgrad's tensors are real."""
    return sign(input)


def _signbit_impl(x):
    if x.dtype == np.bool_:
        return np.zeros(x.shape, np.bool_)
    return np.signbit(x)


SIGNBIT = defop("signbit", lambda x: TensorType(tuple(x.shape), np.dtype(np.bool_)),
                _signbit_impl, elementwise=True)


def signbit(input):
    """True where the sign bit is set (negative numbers, -0.0, -inf, a negative NaN)."""
    return bind(SIGNBIT, input)


def _heaviside_infer(x, values):
    if x.dtype != values.dtype:
        raise DTypeError(f"heaviside: input and values must share a dtype, got {describe(x)}, "
                        f"{describe(values)}")
    if x.dtype == np.bool_:
        raise DTypeError(f"heaviside: not supported for bool tensors, got {describe(x)}")
    return broadcast_infer("heaviside")(x, values)


def _heaviside_impl(x, values):
    return np.where(x == 0, values, x > 0).astype(x.dtype, copy=False)


HEAVISIDE = defop("heaviside", _heaviside_infer, _heaviside_impl, elementwise=True)


def heaviside(input, values):
    from graphgrad.ops._core import as_tensor
    return bind(HEAVISIDE, input, as_tensor(values))
