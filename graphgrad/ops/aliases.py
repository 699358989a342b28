"""torch's alternative names of elementwise ops (`absolute`, `negative`, `multiply`, `greater`,
...), `positive`, `fmax`/`fmin`, and `Tensor.where`."""
import numpy as np

from graphgrad.dispatch import bind
from graphgrad.ops._core import broadcast_infer, defop, operands, unbroadcast
from graphgrad.ops.elementwise import abs, ge, gt, le, logical_or, lt, mul, ne, neg, sub, where
from graphgrad.ops.nonfinite import isnan
from graphgrad.tensor import Tensor

absolute = abs
negative = neg
multiply = mul
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def subtract(input, other, *, alpha=1):
    return sub(input, other if alpha == 1 else other * alpha)


def positive(input):
    """The input itself (torch.positive)."""
    return input


def _fminmax_vjp(greater):
    def vjp(g, a, b, *, out):
        # torch: ties go to the first operand, as does a NaN second operand
        first = logical_or((a >= b) if greater else (a <= b), isnan(b))
        return unbroadcast(where(first, g, 0.0), a.shape), \
            unbroadcast(where(first, 0.0, g), b.shape)
    return vjp


FMAX = defop("fmax", broadcast_infer("fmax"), np.fmax, _fminmax_vjp(True), elementwise=True)
FMIN = defop("fmin", broadcast_infer("fmin"), np.fmin, _fminmax_vjp(False), elementwise=True)


def fmax(input, other):
    """Elementwise maximum that ignores NaN (NaN only where both are NaN)."""
    return bind(FMAX, *operands(input, other))


def fmin(input, other):
    """Elementwise minimum that ignores NaN (NaN only where both are NaN)."""
    return bind(FMIN, *operands(input, other))


def _tensor_where(self, condition, other):
    """self where `condition`, else `other` (torch's Tensor.where)."""
    return where(condition, self, other)


Tensor.where = _tensor_where
