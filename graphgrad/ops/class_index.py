"""Class indices: a range check that runs inside the kernel, and one-hot encoding."""
import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import DTypeError, OutOfRangeError
from graphgrad.ir.types import TensorType
from graphgrad.ops._core import as_tensor, defop, describe
from graphgrad.ops.creation import arange
from graphgrad.ops.elementwise import cast
from graphgrad.ops.movement import unsqueeze


def _check_index_infer(x, *, low, high, what):
    if x.dtype.kind not in "iu":
        raise DTypeError(f"{what}: expects integer class indices, got {describe(x)}")
    return TensorType(tuple(x.shape), x.dtype)


def _check_index_impl(x, *, low, high, what):
    if x.size and (np.minimum.reduce(x, None) < low or np.maximum.reduce(x, None) >= high):
        bad = x[(x < low) | (x >= high)]
        raise OutOfRangeError(f"{what}: class index {bad.flat[0]} out of range [{low}, {high}) "
                         f"(indices of shape {x.shape})")
    return x


# Validates integer indices when the kernel runs (also inside compiled graphs, where the values
# are unknown at trace time); returns its input unchanged.
CHECK_INDEX = defop("check_index", _check_index_infer, _check_index_impl, alias=True,
                    check=True)


def one_hot(t, num_classes=-1):
    t = as_tensor(t)
    if t.dtype.kind not in "iu":
        raise DTypeError(f"one_hot: expects an integer tensor, got {describe(t)}")
    if num_classes < 0:
        num_classes = int(t._concrete("one_hot without num_classes").max()) + 1
    return one_hot_of_dtype(t, num_classes, np.int64)


def one_hot_of_dtype(t, num_classes, dtype, what="one_hot"):
    """One-hot rows of `dtype` along a new last axis; indices are range-checked when the
    kernel runs (also inside compiled graphs)."""
    t = bind(CHECK_INDEX, t, low=0, high=int(num_classes), what=what)
    return cast(unsqueeze(t, -1) == arange(num_classes), dtype)
