"""Composite functions: plain functions of primitives, no rules of their own."""
import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import ShapeError
from graphgrad.ir.types import TensorType, normalize_dim
from graphgrad.ops._core import as_tensor, defop, describe, float_operand
from graphgrad.ops.creation import arange
from graphgrad.ops.elementwise import cast, exp, log
from graphgrad.ops.movement import unsqueeze
from graphgrad.ops.reduce import amax, sum_dims


def softmax(x, dim=-1):
    x = float_operand(x)
    dims = (normalize_dim("softmax", dim, x.ndim),) if x.ndim else ()
    e = exp(x - amax(x, dims, keepdim=True).detach())
    return e / sum_dims(e, dims, keepdim=True)


def log_softmax(x, dim=-1):
    x = float_operand(x)
    dims = (normalize_dim("log_softmax", dim, x.ndim),) if x.ndim else ()
    shifted = x - amax(x, dims, keepdim=True).detach()
    return shifted - log(sum_dims(exp(shifted), dims, keepdim=True))


def _check_index_infer(x, *, low, high, what):
    if x.dtype.kind not in "iu":
        raise TypeError(f"{what}: expects integer class indices, got {describe(x)}")
    return TensorType(tuple(x.shape), x.dtype)


def _check_index_impl(x, *, low, high, what):
    if x.size and (x.min() < low or x.max() >= high):
        bad = x[(x < low) | (x >= high)]
        raise ShapeError(f"{what}: class index {bad.flat[0]} out of range [{low}, {high}) "
                         f"(indices of shape {x.shape})")
    return x


# Validates integer indices when the kernel runs (also inside compiled graphs, where the values
# are unknown at trace time); returns its input unchanged.
CHECK_INDEX = defop("check_index", _check_index_infer, _check_index_impl)


def one_hot(t, num_classes=-1):
    t = as_tensor(t)
    if t.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expects an integer tensor, got {describe(t)}")
    if num_classes < 0:
        num_classes = int(t._concrete("one_hot without num_classes").max()) + 1
    t = bind(CHECK_INDEX, t, low=0, high=int(num_classes), what="one_hot")
    return cast(unsqueeze(t, -1) == arange(num_classes), np.int64)


def one_hot_float(t, num_classes, dtype, what="one_hot"):
    t = bind(CHECK_INDEX, t, low=0, high=int(num_classes), what=what)
    return cast(unsqueeze(t, -1) == arange(num_classes), dtype)
