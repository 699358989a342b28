"""Tensor methods about dtypes and memory layout, with torch's names: the casts `half()`,
`short()`, `char()`, `byte()`, `type()`, and `contiguous()`, `is_contiguous()`,
`is_floating_point()`, `element_size()`, `nbytes`, `itemsize`."""
import numpy as np

from graphgrad.dispatch import bind
from graphgrad.dtypes import dtype_of_type_name, to_dtype, type_name
from graphgrad.ir.graph import Value
from graphgrad.ops._core import defop, same_as_input
from graphgrad.ops.elementwise import cast
from graphgrad.tensor import Tensor

# a row-major copy when the array is not one already (then the array itself)
CONTIGUOUS = defop("contiguous", same_as_input("contiguous"), np.ascontiguousarray,
                   lambda g, x, *, out: (g,), alias=True)


def _type(self, dtype=None, non_blocking=False):
    """No argument: the legacy type name ('graphgrad.FloatTensor'); otherwise a cast to a dtype
    or to a type name ('graphgrad.DoubleTensor'; 'torch.DoubleTensor' is understood too)."""
    if dtype is None:
        return type_name(self.dtype)
    if isinstance(dtype, str) and dtype.endswith("Tensor"):
        return cast(self, dtype_of_type_name(dtype))
    return cast(self, to_dtype(dtype))


def _is_contiguous(self, memory_format=None):
    if type(self._data) is Value:
        return True          # compiled graphs only ever see contiguous values
    return bool(self._data.flags.c_contiguous)


def _contiguous(self, memory_format=None):
    return self if _is_contiguous(self) else bind(CONTIGUOUS, self)


def _attach_methods():
    Tensor.half = lambda self: cast(self, np.float16)
    Tensor.short = lambda self: cast(self, np.int16)
    Tensor.char = lambda self: cast(self, np.int8)
    Tensor.byte = lambda self: cast(self, np.uint8)
    Tensor.type = _type
    Tensor.is_contiguous = _is_contiguous
    Tensor.contiguous = _contiguous
    Tensor.is_floating_point = lambda self: self.dtype.kind == "f"
    Tensor.is_complex = lambda self: False
    Tensor.is_signed = lambda self: self.dtype.kind in "if"
    Tensor.element_size = lambda self: self.dtype.itemsize
    Tensor.itemsize = property(lambda self: self.dtype.itemsize)
    Tensor.nbytes = property(lambda self: self.numel() * self.dtype.itemsize)


_attach_methods()


def is_tensor(obj):
    """Whether `obj` is a graphgrad tensor (torch.is_tensor)."""
    return isinstance(obj, Tensor)
