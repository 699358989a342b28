"""Powers: `pow` (tensor ** tensor, also integer tensors, as torch computes them), `pow_scalar`
(tensor ** Python number) and `square`, with torch's gradients at the edges (0 ** y, x < 0)."""
import numpy as np

from graphgrad.errors import DTypeError
from graphgrad.dispatch import bind
from graphgrad.dtypes import result_type
from graphgrad.ir.types import TensorType
from graphgrad.ops._core import (broadcast_infer, defop, describe, float_operand, operands,
                                 unbroadcast)
from graphgrad.ops.elementwise import _out_arg, cast, log, logical_and, where


def _pow_vjp(g, a, b, *, out):
    # torch's values at the edges: d/da is 0 where b == 0 (also at a == 0); d/db = out * log(a)
    # is nan for a < 0 and, at a == 0, 0 when b >= 0 and -inf (out * log 0) when b < 0
    ga = where(b == 0.0, 0.0, g * (b * pow(a, b - 1.0)))
    gb = g * where(logical_and(a == 0.0, b >= 0.0), 0.0, out * log(a))
    return unbroadcast(ga, a.shape), unbroadcast(gb, b.shape)


def _int_power(a, b):
    """torch's integer a ** b: a negative exponent gives 1 for a == 1, +-1 for a == -1, else
    0 (NumPy refuses negative integer powers)."""
    negative = b < 0
    if not np.any(negative):
        return np.power(a, b)
    out = np.power(a, np.where(negative, 0, b))
    inverse = np.where(a == 1, 1, np.where(a == -1, 1 - 2 * (b % 2 != 0), 0))
    return np.where(negative, inverse, out).astype(out.dtype, copy=False)


def _pow_impl(a, b):
    return np.power(a, b) if a.dtype.kind == "f" else _int_power(a, b)


def _pow_out(out, a, b):
    if a.dtype.kind == "f":
        return np.power(a, b, out=out)
    np.copyto(out, _int_power(a, b))
    return out


POW = defop("pow", broadcast_infer("pow"), _pow_impl, _pow_vjp, elementwise=True,
            out_impl=_pow_out, inplace=True)


def _pow_scalar_infer(x, *, exponent):
    if x.dtype.kind != "f" and not (isinstance(exponent, int) and exponent >= 0):
        raise DTypeError(f"pow: integer tensors need a non-negative integer exponent, got "
                        f"{describe(x)} ** {exponent!r}")
    return TensorType(tuple(x.shape), x.dtype)


def _pow_scalar_impl(x, *, exponent):
    if exponent == 2:
        return np.multiply(x, x)
    if exponent == -0.5 and x.dtype.kind == "f":
        return np.reciprocal(np.sqrt(x))     # torch's rsqrt: -0.0 gives -inf, -inf gives NaN
    return np.power(x, np.asarray(exponent, dtype=x.dtype))


def _pow_scalar_vjp(g, x, *, out, exponent):
    if exponent == 0:
        from graphgrad.ops.creation import zeros_like
        return (zeros_like(x),)
    if exponent == 2:
        return (g * x * 2.0,)
    if exponent == 1:
        return (g,)
    return (g * pow_scalar(x, exponent - 1) * float(exponent),)


def _pow_scalar_out(out, x, *, exponent):
    if exponent == 2:
        return np.multiply(x, x, out=out)
    if exponent == -0.5 and x.dtype.kind == "f":
        return np.reciprocal(np.sqrt(x, out=out), out=out)
    return np.power(x, np.asarray(exponent, dtype=x.dtype), out=out)


POW_SCALAR = defop("pow_scalar", _pow_scalar_infer, _pow_scalar_impl, _pow_scalar_vjp,
                   out_impl=_pow_scalar_out, inplace=True,
                   expr=lambda a, out, t, *, exponent: f"_np.multiply({a[0]}, {a[0]}"
                   f"{_out_arg(out)})" if exponent == 2 else None,
                   elementwise=True)


def pow(a, b):
    """a ** b: a tensor to a Python-number power is `pow_scalar`; otherwise elementwise `pow`."""
    from graphgrad.tensor import Tensor
    if isinstance(a, Tensor) and a.dtype == np.bool_:
        a = cast(a, result_type(a, b))       # bool ** 2 is int64, as in torch
    if isinstance(a, Tensor) and isinstance(b, (int, float, np.integer, np.floating)) \
            and not isinstance(b, bool):
        if isinstance(b, (float, np.floating)) and a.dtype.kind != "f":
            a = float_operand(a)   # an integer tensor to a float power is a float tensor
        exponent = int(b) if float(b).is_integer() else float(b)
        return bind(POW_SCALAR, a, exponent=exponent)
    a, b = operands(a, b)
    if a.dtype == np.bool_:
        raise DTypeError(f"pow: not supported for bool tensors, got {describe(a)}")
    return bind(POW, a, b)


def pow_scalar(x, exponent):
    return bind(POW_SCALAR, x, exponent=exponent)


def square(x):
    return pow_scalar(x, 2)
