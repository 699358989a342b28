"""Masked selection: `masked_fill`."""
import numpy as np

from graphgrad.errors import DTypeError, ShapeError
from graphgrad.ir.types import broadcast_shapes
from graphgrad.ops._core import as_tensor, as_tensor_like, describe
from graphgrad.ops.elementwise import cast, where
from graphgrad.tensor import Tensor


def masked_fill(x, mask, value):
    """`x` with `value` where the bool `mask` (broadcastable to x's shape) is True."""
    x = as_tensor(x)
    mask = as_tensor(mask)
    if mask.dtype != np.bool_:
        raise DTypeError(f"masked_fill: the mask must be a bool tensor, got {describe(mask)}")
    shape = broadcast_shapes("masked_fill", tuple(mask.shape), tuple(x.shape))
    if shape != x.shape:
        raise ShapeError(f"masked_fill: the mask {describe(mask)} does not broadcast to the "
                         f"shape of the tensor {describe(x)}")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ShapeError(f"masked_fill: value must be a number or a 0-d tensor, got "
                             f"{describe(value)}")
        if value.dtype != x.dtype:
            value = cast(value, x.dtype)
    else:
        value = as_tensor_like(value, x)
        if value.dtype != x.dtype:
            value = cast(value, x.dtype)
    return where(mask, value, x)



def _attach_methods():
    Tensor.masked_fill = masked_fill
    Tensor.masked_fill_ = lambda self, mask, value: self._inplace(
        lambda s: masked_fill(s, mask, value), "masked_fill_")


_attach_methods()
