"""Elementwise primitives: infer, impl and vjp side by side, one block per op."""
import math

import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import DTypeError
from graphgrad.modes import no_grad
from graphgrad.ir.types import TensorType, as_dtype, broadcast_shapes
from graphgrad.ops.bitmask import keep_or_zero
from graphgrad.ops._core import (as_tensor, broadcast_infer, defop, describe, float_operand,
                                 operands, same_as_input, unbroadcast)
from graphgrad.tensor import Tensor

def _out_arg(out):
    """`, out=name` for expression templates that write into a given array."""
    return "" if out is None else f", out={out}"


def _unary(name, impl, vjp, float_only=True, no_bool=False, **flags):
    return defop(name, same_as_input(name, float_only, no_bool), impl, vjp, elementwise=True,
                 **flags)


# -- unary ------------------------------------------------------------------------------------

NEG = _unary("neg", np.negative, lambda g, x, *, out: (-g,), float_only=False, no_bool=True)
EXP = _unary("exp", np.exp, lambda g, x, *, out: (g * out,))
LOG = _unary("log", np.log, lambda g, x, *, out: (g / x,))
LOG1P = _unary("log1p", np.log1p, lambda g, x, *, out: (g / (x + 1.0),))
SQRT = _unary("sqrt", np.sqrt, lambda g, x, *, out: (g / (out * 2.0),))
TANH = _unary("tanh", np.tanh, lambda g, x, *, out: (g * (1.0 - out * out),))
SIN = _unary("sin", np.sin, lambda g, x, *, out: (g * cos(x),))
COS = _unary("cos", np.cos, lambda g, x, *, out: (-(g * sin(x)),))
ABS = _unary("abs", np.abs, lambda g, x, *, out: (g * sign(x),), float_only=False,
             no_bool=True)


def _sign_out(out, x):
    # torch's sign: (x > 0) - (x < 0), so sign(NaN) is 0
    return np.subtract(x > 0, x < 0, out=out, dtype=out.dtype)


SIGN = _unary("sign", lambda x: _sign_out(np.empty(x.shape, x.dtype), x),
              lambda g, x, *, out: (_zeros_like(x),), float_only=False, no_bool=True,
              out_impl=_sign_out, inplace=True)


def _zeros_like(x):
    """The zero gradient torch gives piecewise-constant ops (sign, round, ...)."""
    from graphgrad.ops.creation import zeros_like
    return zeros_like(x)


def _sigmoid_impl(x):
    # 1 / (1 + exp(-x)) overflows for very negative x: with e = exp(-|x|), it is 1 / (1 + e)
    # for x >= 0 and e / (1 + e) below, worked out in place
    e = np.abs(x, out=np.empty(x.shape, x.dtype))
    np.negative(e, out=e)
    np.exp(e, out=e)
    denominator = e + e.dtype.type(1)
    np.copyto(e, 1, where=x >= 0)
    return np.divide(e, denominator, out=e)


SIGMOID = _unary("sigmoid", _sigmoid_impl, lambda g, x, *, out: (g * out * (1.0 - out),))


def _relu_impl(x):
    return np.maximum(x, 0, dtype=x.dtype)


def _relu_out(out, x):
    return np.maximum(x, 0, out=out)


# torch's gradient: 0 where the result is <= 0, g elsewhere (so NaN inputs pass g)
RELU = _unary("relu", _relu_impl, lambda g, x, *, out: (where(out <= 0, 0.0, g),),
              float_only=False, no_bool=True, out_impl=_relu_out, inplace=True,
              expr=lambda a, out, t: f"_np.maximum({a[0]}, 0{_out_arg(out)})")

# -- binary -----------------------------------------------------------------------------------

# binary rules skip the gradient of an operand nobody needs (`needs`: x * 1.0001 computes no
# gradient for the constant, eagerly or in a traced backward)
ADD = defop("add", broadcast_infer("add"), np.add,
            lambda g, a, b, *, out, needs=(True, True): (
                unbroadcast(g, a.shape) if needs[0] else None,
                unbroadcast(g, b.shape) if needs[1] else None),
            elementwise=True, vjp_needs=True)
SUB = defop("sub", broadcast_infer("sub"), np.subtract,
            lambda g, a, b, *, out, needs=(True, True): (
                unbroadcast(g, a.shape) if needs[0] else None,
                unbroadcast(-g, b.shape) if needs[1] else None),
            elementwise=True, vjp_needs=True)
MUL = defop("mul", broadcast_infer("mul"), np.multiply,
            lambda g, a, b, *, out, needs=(True, True): (
                unbroadcast(g * b, a.shape) if needs[0] else None,
                unbroadcast(g * a, b.shape) if needs[1] else None),
            elementwise=True, vjp_needs=True)


DIV = defop("div", broadcast_infer("div", float_only=True), np.divide,
            lambda g, a, b, *, out, needs=(True, True): (
                unbroadcast(g / b, a.shape) if needs[0] else None,
                unbroadcast(-(g * out) / b, b.shape) if needs[1] else None),
            elementwise=True, vjp_needs=True)


def _minmax_vjp(greater):
    # torch: ties split the gradient evenly; where a comparison fails (NaN), both get it
    def vjp(g, a, b, *, out):
        shared = where(a == b, g * 0.5, g)
        a_loses, b_loses = (a < b, a > b) if greater else (a > b, a < b)
        return (unbroadcast(where(a_loses, 0.0, shared), a.shape),
                unbroadcast(where(b_loses, 0.0, shared), b.shape))
    return vjp


MAXIMUM = defop("maximum", broadcast_infer("maximum"), np.maximum, _minmax_vjp(True),
                elementwise=True)
MINIMUM = defop("minimum", broadcast_infer("minimum"), np.minimum, _minmax_vjp(False),
                elementwise=True)

# -- comparisons and logic (no gradient) ------------------------------------------------------

EQ = defop("eq", broadcast_infer("eq", np.bool_), np.equal, elementwise=True)
NE = defop("ne", broadcast_infer("ne", np.bool_), np.not_equal, elementwise=True)
LT = defop("lt", broadcast_infer("lt", np.bool_), np.less, elementwise=True)
LE = defop("le", broadcast_infer("le", np.bool_), np.less_equal, elementwise=True)
GT = defop("gt", broadcast_infer("gt", np.bool_), np.greater, elementwise=True)
GE = defop("ge", broadcast_infer("ge", np.bool_), np.greater_equal, elementwise=True)


def _bool_infer(name):
    base = broadcast_infer(name, np.bool_)

    def infer(*xs):
        for x in xs:
            if x.dtype != np.bool_:
                raise DTypeError(f"{name}: expects bool tensors, got {describe(x)}")
        return base(*xs)
    return infer


LOGICAL_NOT = defop("logical_not", _bool_infer("logical_not"), np.logical_not, elementwise=True)
LOGICAL_AND = defop("logical_and", _bool_infer("logical_and"), np.logical_and, elementwise=True)
LOGICAL_OR = defop("logical_or", _bool_infer("logical_or"), np.logical_or, elementwise=True)

# -- selection, casting ----------------------------------------------------------------------


def _where_infer(c, a, b):
    if c.dtype != np.bool_:
        raise DTypeError(f"where: the condition must be a bool tensor, got {describe(c)}")
    if a.dtype != b.dtype:
        raise DTypeError(f"where: both branches must share a dtype, got {describe(a)}, "
                        f"{describe(b)}")
    shape = broadcast_shapes("where", tuple(c.shape), tuple(a.shape), tuple(b.shape))
    return TensorType(shape, a.dtype)


def _where_vjp(g, c, a, b, *, out):
    return (None, unbroadcast(where(c, g, 0.0), a.shape), unbroadcast(where(c, 0.0, g), b.shape))


def _is_zero_scalar(x, out):
    """A 0-d +0.0 that is not stored in `out` (which the masked kernel overwrites)."""
    return x.ndim == 0 and not x and not np.signbit(x) and not np.may_share_memory(x, out)


def _masked_by_bits(out, c, a, b):
    """where(c, a, 0) and where(c, 0, b) for floats as one AND of the value's bits with a mask
    made from c (bitmask.py): ten times faster than a masked copy with random masks (relu's
    gradient), exact for inf, NaN and -0.0."""
    if c.dtype != np.bool_:
        return False
    if _is_zero_scalar(b, out):
        keep, where_true = a, True
    elif _is_zero_scalar(a, out):
        keep, where_true = b, False
    else:
        return False
    return keep.shape == out.shape and keep_or_zero(out, keep, c, where_true)


_MASK_MIN = 1024    # below this size a masked copy is quicker than building the mask


def _where_out(out, c, a, b):
    if out.size >= _MASK_MIN and _masked_by_bits(out, c, a, b):
        return out
    if np.may_share_memory(out, a):     # in place over a: fill only where c is False
        np.copyto(out, b, where=np.logical_not(c))
    else:                                # in place over b (or neither)
        if b is not out:
            np.copyto(out, b)
        np.copyto(out, a, where=c)
    return out


def _where_impl(c, a, b):
    shape = c.shape
    if not (a.shape == shape or not a.shape) or not (b.shape == shape or not b.shape):
        shape = np.broadcast_shapes(shape, a.shape, b.shape)
    if math.prod(shape) < _MASK_MIN:
        return np.where(c, a, b)
    if (a.shape == shape and b.ndim == 0 and not b and a.dtype.kind == "f") or \
            (b.shape == shape and a.ndim == 0 and not a and b.dtype.kind == "f"):
        return _where_out(np.empty(shape, np.result_type(a, b)), c, a, b)
    return np.where(c, a, b)


WHERE = defop("where", _where_infer, _where_impl, _where_vjp, elementwise=True,
              out_impl=_where_out, inplace=True)


def _cast_infer(x, *, dtype):
    return TensorType(tuple(x.shape), dtype)


def _cast_impl(x, *, dtype):
    return x.astype(dtype)


def _cast_vjp(g, x, *, out, dtype):
    if x.dtype.kind != "f":
        return (None,)
    return (cast(g, x.dtype),)


def _cast_out(out, x, *, dtype):
    np.copyto(out, x, casting="unsafe")
    return out


CAST = defop("cast", _cast_infer, _cast_impl, _cast_vjp, elementwise=True, out_impl=_cast_out,
             expr=lambda a, out, t, *, dtype: f"{a[0]}.astype({dtype.str!r})"
             if out is None else None)


def _identity(x):
    return x


DETACH = defop("detach", same_as_input("detach"), _identity, None, alias=True,
               expr=lambda a, out, t: a[0] if out is None else None,
               view_put=lambda base, new: new)
CLONE = defop("clone", same_as_input("clone"), np.copy, lambda g, x, *, out: (g,))

# -- op functions (PyTorch names and signatures) ----------------------------------------------


def neg(x):
    return bind(NEG, x)


def exp(x):
    return bind(EXP, float_operand(x))


def log(x):
    return bind(LOG, float_operand(x))


def log1p(x):
    return bind(LOG1P, float_operand(x))


def sqrt(x):
    return bind(SQRT, float_operand(x))


def rsqrt(x):
    return 1.0 / sqrt(x)


def tanh(x):
    return bind(TANH, float_operand(x))


def sigmoid(x):
    return bind(SIGMOID, float_operand(x))


def relu(x):
    return bind(RELU, x)


def abs(x):
    return bind(ABS, x)


def sign(x):
    return clone(x) if x.dtype == np.bool_ else bind(SIGN, x)


def sin(x):
    return bind(SIN, float_operand(x))


def cos(x):
    return bind(COS, float_operand(x))


def add(a, b):
    return bind(ADD, *operands(a, b))


def sub(a, b):
    return bind(SUB, *operands(a, b))


def mul(a, b):
    return bind(MUL, *operands(a, b))


def maximum(a, b):
    return bind(MAXIMUM, *operands(a, b))


def minimum(a, b):
    return bind(MINIMUM, *operands(a, b))


def eq(a, b):
    return bind(EQ, *operands(a, b))


def ne(a, b):
    return bind(NE, *operands(a, b))


def lt(a, b):
    return bind(LT, *operands(a, b))


def le(a, b):
    return bind(LE, *operands(a, b))


def gt(a, b):
    return bind(GT, *operands(a, b))


def ge(a, b):
    return bind(GE, *operands(a, b))


def truth(x):
    """`x` as a bool tensor (nonzero is True, NaN too): the logical ops take any dtype."""
    from graphgrad.ops._core import as_tensor
    x = as_tensor(x)
    return x if x.dtype == np.bool_ else cast(x, np.dtype(np.bool_))


def logical_not(x):
    return bind(LOGICAL_NOT, truth(x))


def logical_and(a, b):
    return bind(LOGICAL_AND, truth(a), truth(b))


def logical_or(a, b):
    return bind(LOGICAL_OR, truth(a), truth(b))


def where(condition, a, b):
    """Elementwise `a if condition else b` (the traceable replacement for a Python `if`)."""
    if not isinstance(condition, Tensor):
        condition = as_tensor(condition)
    if condition.dtype.kind != "b":
        condition = cast(condition, np.dtype(np.bool_))
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = as_tensor(a)
    a, b = operands(a, b)
    return bind(WHERE, condition, a, b)


def cast(x, dtype):
    dtype = as_dtype(dtype)
    if x.dtype == dtype:
        return x
    if dtype.kind != "f" and x.requires_grad:
        with no_grad():   # as in PyTorch, an integer or bool result carries no gradient
            return bind(CAST, x, dtype=dtype)
    return bind(CAST, x, dtype=dtype)


def detach(x):
    return bind(DETACH, x)


def clone(x):
    return bind(CLONE, x)
