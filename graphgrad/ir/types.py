"""Tensor types of the IR: a shape and a NumPy dtype, plus broadcasting and promotion rules."""
import math
from typing import NamedTuple

import numpy as np

from graphgrad.errors import OutOfRangeError, ShapeError

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)

DEFAULT_FLOAT = float32


class TensorType(NamedTuple):
    shape: tuple
    dtype: np.dtype

    def __str__(self):
        return f"{short_dtype(self.dtype)}[{','.join(map(str, self.shape))}]"

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def nbytes(self):
        return int(math.prod(self.shape)) * self.dtype.itemsize    # math.prod: no array made


def normalized(t):
    """`t` (anything with .shape and .dtype, as `infer` rules return) as a TensorType with a
    tuple shape and a np.dtype; `t` itself when it already is one (the common case)."""
    if type(t) is TensorType and type(t.shape) is tuple and isinstance(t.dtype, np.dtype):
        return t
    return TensorType(tuple(t.shape), np.dtype(t.dtype))


_SHORT = {"float32": "f32", "float64": "f64", "int64": "i64", "int32": "i32", "bool": "bool",
          "float16": "f16"}


def short_dtype(dtype):
    return _SHORT.get(np.dtype(dtype).name, np.dtype(dtype).name)


def as_dtype(dtype):
    """Normalize anything NumPy understands (np.float32, 'float64', gg.int64) to a np.dtype."""
    if dtype is None:
        return None
    if dtype is bool:
        return bool_
    if dtype is float:
        return DEFAULT_FLOAT
    if dtype is int:
        return int64
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"not a dtype: {dtype!r}") from None


def broadcast_shapes(op, *shapes):
    """NumPy broadcasting; a ShapeError naming the op on mismatch."""
    if len(shapes) == 2:        # the common cases of binary ops, without the general loop
        a, b = shapes
        if a == b or not b:
            return tuple(a)
        if not a:
            return tuple(b)
    ndim = max(len(s) for s in shapes)
    out = []
    for axis in range(-ndim, 0):
        size = 1
        for s in shapes:
            if len(s) >= -axis:
                d = s[axis]
                if d != 1:
                    if size != 1 and size != d:
                        raise ShapeError(
                            f"{op}: shapes {', '.join(str(tuple(x)) for x in shapes)} cannot be "
                            f"broadcast together (dimension {axis}: {size} vs {d})")
                    size = d
        out.append(size)
    return tuple(out)


def _category(dtype):
    return {"b": 0, "u": 1, "i": 1, "f": 2}.get(dtype.kind, 3)


def promote(*dtypes):
    """PyTorch-style promotion: a higher category (bool < int < float) wins, then the wider type."""
    best = dtypes[0]
    for d in dtypes[1:]:
        cb, cd = _category(best), _category(d)
        if cd > cb or (cd == cb and d.itemsize > best.itemsize):
            best = d
    return best


def normalize_dim(op, dim, ndim):
    """Wrap a possibly negative axis into range, or raise naming the op."""
    if type(dim) is int and -ndim <= dim < ndim:      # the common case, quickly
        return dim + ndim if dim < 0 else dim
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    lo = -max(ndim, 1)
    hi = max(ndim, 1) - 1
    if dim < lo or dim > hi:
        raise OutOfRangeError(f"{op}: dim {dim} out of range for a tensor with {ndim} "
                              f"dimensions (expected to be in range of [{lo}, {hi}])")
    return int(dim) % max(ndim, 1)


def normalize_dims(op, dims, ndim):
    """None means all axes; returns a sorted tuple of non-negative axes without duplicates."""
    if dims is None:
        return tuple(range(ndim))
    if isinstance(dims, (int, np.integer)):
        dims = (dims,)
    if not isinstance(dims, (tuple, list)):
        raise TypeError(f"{op}: dim must be an int or a tuple of ints, got {dims!r}")
    out = tuple(sorted({normalize_dim(op, d, ndim) for d in dims}))
    if len(out) != len(tuple(dims)):
        raise ShapeError(f"{op}: repeated dim in {tuple(dims)}")
    return out
