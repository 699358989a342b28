"""Tensor methods for the shaping, product and statistics functions, plus torch's size
queries: numel, nelement, ndimension, stride."""
import numpy as np

from graphgrad.ir.graph import Value
from graphgrad.ir.types import normalize_dim
from graphgrad.ops import products, shaping, statistics_extra
from graphgrad.ops.linalg import bmm, mm
from graphgrad.tensor import Tensor


def numel(input):
    return int(np.prod(input.shape, dtype=np.int64))


def _stride(self, dim=None):
    """Element strides: NumPy's for an eager array, contiguous ones while tracing (compiled
    graphs only see contiguous values)."""
    data = self._data
    # torch never has negative strides (its flip copies): those report row-major ones
    if type(data) is not Value and data.ndim and data.size and min(data.strides) >= 0:
        strides = tuple(s // data.itemsize for s in data.strides)
        strides = tuple(0 if n == 1 and s == 0 else s for s, n in zip(strides, data.shape))
    else:
        strides, step = [], 1
        for n in reversed(self.shape):
            strides.append(step)
            step *= max(n, 1)
        strides = tuple(reversed(strides))
    if dim is None:
        return strides
    return strides[normalize_dim("stride", dim, self.ndim)]


_SHAPING = ("unbind", "select", "movedim", "moveaxis", "swapaxes", "swapdims", "ravel",
            "unflatten", "tensor_split", "hsplit", "vsplit", "dsplit", "diff")
_PRODUCTS = ("addmm", "addmv", "addr", "baddbmm", "addbmm", "mv", "inner", "kron", "dist",
             "diag_embed", "diagflat")
_STATISTICS = ("bincount", "histc", "cov", "corrcoef", "quantile", "nanquantile")


def _attach_methods():
    for module, names in ((shaping, _SHAPING), (products, _PRODUCTS),
                          (statistics_extra, _STATISTICS)):
        for name in names:
            setattr(Tensor, name, getattr(module, name))
    Tensor.unfold = shaping.unfold_dim
    Tensor.mm = mm
    Tensor.bmm = bmm
    Tensor.nelement = numel
    Tensor.ndimension = lambda self: self.ndim
    Tensor.stride = _stride


_attach_methods()
