"""Clamping: `clamp`/`clip` with number or tensor bounds, `clamp_min`, `clamp_max`.

Number bounds are attributes of the `clamp` op; tensor bounds are inputs of `clamp_tensor`,
which broadcasts and promotes like torch and gives torch's gradients at the bounds: the input
gets the gradient where min <= x <= max (so at a bound too), a min bound where x < min (and
min < max), a max bound where x > max or max < min. NaN in the input or a bound gives NaN.
"""
import numpy as np

from graphgrad.errors import DTypeError
from graphgrad.dispatch import bind
from graphgrad.dtypes import result_type
from graphgrad.ir.types import TensorType
from graphgrad.ops._core import (_as_dtype, broadcast_infer, defop, describe, float_operand,
                                 unbroadcast)
from graphgrad.ops.elementwise import logical_and, logical_or, where
from graphgrad.tensor import Tensor


def _clamp_infer(x, *, lo, hi):
    if x.dtype == np.bool_:
        raise DTypeError(f"clamp: not supported for bool tensors, got {describe(x)}")
    return TensorType(tuple(x.shape), x.dtype)


def _clamp_impl(x, *, lo, hi):
    return np.clip(x, lo, hi).astype(x.dtype, copy=False)


def _clamp_vjp(g, x, *, out, lo, hi):
    inside = None
    if lo is not None:
        inside = x >= lo
    if hi is not None:
        upper = x <= hi
        inside = upper if inside is None else logical_and(inside, upper)
    return (where(inside, g, 0.0),)


def _clamp_out(out, x, *, lo, hi):
    if x.dtype != out.dtype:
        np.copyto(out, x)
        x = out
    return np.clip(x, lo, hi, out=out)


CLAMP = defop("clamp", _clamp_infer, _clamp_impl, _clamp_vjp, elementwise=True,
              out_impl=_clamp_out, inplace=True)

# -- tensor bounds: inputs (x, min, max), (x, min) or (x, max) as `bounds` says ----------------


def _clamp_tensor_infer(*xs, bounds):
    if xs[0].dtype == np.bool_:
        raise DTypeError(f"clamp: not supported for bool tensors, got {describe(xs[0])}")
    return broadcast_infer("clamp")(*xs)


def _clamp_tensor_impl(x, *limits, bounds):
    if bounds == "both":
        return np.minimum(np.maximum(x, limits[0]), limits[1])
    if bounds == "min":
        return np.maximum(x, limits[0])
    return np.minimum(x, limits[0])


def _masked(g, cond, shape):
    return unbroadcast(where(cond, g, 0.0), shape)


def _clamp_tensor_vjp(g, x, *limits, out, bounds):
    if bounds == "both":
        lo, hi = limits
        return (_masked(g, logical_and(x >= lo, x <= hi), x.shape),
                _masked(g, logical_and(x < lo, lo < hi), lo.shape),
                _masked(g, logical_or(x > hi, hi < lo), hi.shape))
    if bounds == "min":
        return _masked(g, x >= limits[0], x.shape), _masked(g, x < limits[0], limits[0].shape)
    return _masked(g, x <= limits[0], x.shape), _masked(g, x > limits[0], limits[0].shape)


CLAMP_TENSOR = defop("clamp_tensor", _clamp_tensor_infer, _clamp_tensor_impl,
                     _clamp_tensor_vjp, elementwise=True)


def _number(v):
    return None if v is None else (float(v) if isinstance(v, (float, np.floating)) else int(v))


def clamp(input, min=None, max=None):
    """min(max(input, min), max); bounds are numbers or tensors (broadcast with the input)."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    x = input
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        given = [b for b in (min, max) if b is not None]
        dtype = result_type(x, *given)
        bounds = "both" if len(given) == 2 else ("min" if min is not None else "max")
        return bind(CLAMP_TENSOR, *(_as_dtype(t, dtype) for t in [x] + given), bounds=bounds)
    if x.dtype.kind != "f" and (isinstance(min, float) or isinstance(max, float)):
        x = float_operand(x)   # float bounds make a float result, as in torch
    return bind(CLAMP, x, lo=_number(min), hi=_number(max))


clip = clamp


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)
