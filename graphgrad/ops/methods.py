"""Tensor methods generated from lists, so that every op has the forms torch gives it:

- `x.name(...)` calls `gg.name(x, ...)` (METHODS);
- `x.name_(...)` makes `x` the value of `gg.name(x, ...)` through `Tensor._inplace`, so it
  works eagerly (mutating, with version checks for autograd) and inside compiled functions
  (functionalized), and refuses a result dtype it cannot write back (INPLACE);
- `gg.name_(x, ...)` is `x.name_(...)` for the names torch has at top level (FUNCTIONS).
"""
import graphgrad.ops as _ops
from graphgrad.ops import activation as _activation
from graphgrad.ops import activation_piecewise as _piecewise
from graphgrad.tensor import Tensor

METHODS = """
    absolute acos acosh addcdiv addcmul arccos arccosh arcsin arcsinh arctan arctan2 arctanh
    asin asinh atan atan2 atanh ceil clamp_max clamp_min copysign cosh deg2rad divide erfc exp2
    expm1 fix float_power floor floor_divide fmax fmin fmod frac greater greater_equal heaviside
    hypot isfinite isinf isnan isneginf isposinf isreal ldexp lerp less less_equal log10 log2
    logaddexp logaddexp2 logit multiply nan_to_num negative not_equal positive rad2deg
    reciprocal remainder round sgn signbit sinc sinh subtract tan trunc true_divide xlogy
""".split()

INPLACE = """
    abs absolute acos acosh addcdiv addcmul arccos arccosh arcsin arcsinh arctan arctan2 arctanh
    asin asinh atan atan2 atanh bitwise_and bitwise_left_shift bitwise_not bitwise_or
    bitwise_right_shift bitwise_xor ceil clamp clamp_max clamp_min clip copysign cos cosh
    deg2rad div divide eq erf erfc exp exp2 expm1 fix floor floor_divide fmod frac ge greater
    greater_equal gt heaviside hypot ldexp le lerp less less_equal log log10 log1p log2
    logical_and logical_not logical_or logical_xor logit lt multiply nan_to_num ne neg negative
    not_equal pow rad2deg reciprocal relu remainder round rsqrt sgn sigmoid sign sin sinc sinh
    sqrt square subtract tan tanh true_divide trunc xlogy
""".split()

FUNCTIONS = """
    abs acos acosh arccos arccosh arcsin arcsinh arctan arctanh asin asinh atan atanh ceil clamp
    clamp_max clamp_min clip cos cosh deg2rad erf erfc exp exp2 expm1 fix floor frac ldexp log
    log10 log1p log2 logit nan_to_num neg negative rad2deg reciprocal relu round rsqrt sigmoid
    sin sinc sinh sqrt square tan tanh trunc xlogy
""".split()

# in-place operators: x op= y is x.name_(y)
OPERATORS = {"__ipow__": "pow", "__ifloordiv__": "floor_divide", "__imod__": "remainder"}


def _inplace_method(fn, name):
    def method(self, *args, **kwargs):
        return self._inplace(lambda s: fn(s, *args, **kwargs), name)
    method.__name__ = name
    method.__doc__ = f"In-place {fn.__name__}: self becomes {fn.__name__}(self, ...)."
    return method


def _inplace_function(name):
    def function(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)
    function.__name__ = name
    function.__doc__ = f"input.{name}(...), as torch.{name}"
    return function


def _attach_methods():
    for name in METHODS:
        setattr(Tensor, name, getattr(_ops, name))
    for name in INPLACE:
        setattr(Tensor, name + "_", _inplace_method(getattr(_ops, name), name + "_"))
    for dunder, name in OPERATORS.items():
        setattr(Tensor, dunder, getattr(Tensor, name + "_"))
    Tensor.__rmod__ = lambda self, other: _ops.remainder(other, self)
    Tensor.hardshrink = _piecewise.hardshrink


_attach_methods()

__all__ = [name + "_" for name in FUNCTIONS] + ["celu_", "selu_", "rrelu_", "threshold_"]
globals().update({name + "_": _inplace_function(name + "_") for name in FUNCTIONS})
celu_, selu_, rrelu_ = _activation.celu_, _activation.selu_, _activation.rrelu_


def threshold_(input, threshold, value):
    return _piecewise.threshold(input, threshold, value, inplace=True)
