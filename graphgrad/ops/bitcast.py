"""`x.view(dtype)`: the same bytes read as another dtype (torch's Tensor.view(dtype)). With
an element size that differs, the last dimension grows or shrinks by the ratio, as in torch.
Not differentiable (torch has no gradient through a reinterpretation of bits either)."""
import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import DTypeError, ShapeError
from graphgrad.ir.types import TensorType
from graphgrad.ops._core import defop, describe


def _infer(x, *, dtype):
    dtype = np.dtype(dtype)
    old, new = x.dtype.itemsize, dtype.itemsize
    shape = tuple(x.shape)
    if old != new:
        if not shape:
            raise ShapeError(f"view: a 0-d tensor {describe(x)} cannot be viewed as {dtype} "
                             "(the element sizes differ)")
        if (shape[-1] * old) % new:
            raise ShapeError(f"view: the last dimension of {describe(x)} ({shape[-1]} x "
                             f"{old} bytes) is not a multiple of {dtype}'s {new} bytes")
        shape = shape[:-1] + (shape[-1] * old // new,)
    return TensorType(shape, dtype)


def _impl(x, *, dtype):
    if x.ndim and x.strides[-1] != x.itemsize:
        x = np.ascontiguousarray(x)          # torch requires a unit stride in the last dim
    if x.ndim == 0:
        return x.reshape(1).view(dtype).reshape(())
    return x.view(dtype)


VIEW_DTYPE = defop("view_dtype", _infer, _impl, None, alias=True)


def is_dtype_argument(args):
    return len(args) == 1 and isinstance(args[0], np.dtype) or \
        (len(args) == 1 and isinstance(args[0], type) and issubclass(args[0], np.generic))


def view_dtype(x, dtype):
    dtype = np.dtype(dtype)
    if dtype == np.bool_ and x.dtype.itemsize != 1:
        raise DTypeError(f"view: {describe(x)} cannot be viewed as bool")
    if dtype == x.dtype:
        return x
    return bind(VIEW_DTYPE, x, dtype=dtype)
