"""Float sums over leading and/or trailing axes as matrix-vector products with a ones vector
(BLAS GEMV): 3-6x faster than np.add.reduce on the column sums of bias gradients, the
(N, H, W) sums of batch norm and the row sums of layer norm and softmax."""
import math

import numpy as np

_MIN_SIZE = 256
_ONES = {}


def _ones(n, dtype):
    key = (n, dtype)
    v = _ONES.get(key)
    if v is None:
        if len(_ONES) > 256:
            _ONES.clear()
        v = _ONES[key] = np.ones(n, dtype)
        v.flags.writeable = False
    return v


def gemv_split(shape, dtype, dims):
    """(lead, mid, tail) sizes when `dims` are leading and/or trailing axes of a float32 or
    float64 `shape` large enough to gain, else None."""
    if not dims or math.prod(shape) < _MIN_SIZE or np.dtype(dtype).char not in "fd":
        return None
    dims, nd = sorted(dims), len(shape)
    k = 0
    while k < len(dims) and dims[k] == k:
        k += 1
    tail = dims[k:]
    if tail != list(range(nd - len(tail), nd)) or math.prod(shape) < _MIN_SIZE:
        return None
    lead, mid = math.prod(shape[:k]), math.prod(shape[k:nd - len(tail)])
    tail = math.prod(shape[nd - len(tail):])
    if lead == 1 and tail == 1:
        return None         # only size-1 axes reduced: a reshape would return a view of x
    return lead, mid, tail


def gemv_sum(x, split, out_shape):
    """x summed over its leading `lead` and trailing `tail` elements; None when x is not
    contiguous (a reshape would copy it)."""
    if not x.flags.c_contiguous:
        return None
    lead, mid, tail = split
    y = x.reshape(lead, mid, tail)
    if tail > 1:
        y = np.matmul(y, _ones(tail, x.dtype))                 # (lead, mid)
    else:
        y = y.reshape(lead, mid)
    if lead > 1:
        y = np.matmul(_ones(lead, x.dtype), y)                 # (mid,)
    return y.reshape(out_shape)


_MAX_ROW = 32         # longer rows: NumPy's reduce is as fast


def last_axis_extreme(ufunc, x, dims, out_shape):
    """np.maximum or np.minimum over x's short last axis as one elementwise pass per column
    (NumPy's reduce over short contiguous rows is 2-3x slower); None when that does not
    apply."""
    if dims != (x.ndim - 1,) or x.dtype.kind not in "fiu" or not 2 <= x.shape[-1] <= _MAX_ROW \
            or x.size < _MIN_SIZE:
        return None
    out = ufunc(x[..., 0], x[..., 1])
    for j in range(2, x.shape[-1]):
        ufunc(out, x[..., j], out=out)
    return out.reshape(out_shape)


def extreme_applies(shape, dtype, dims):
    return (tuple(dims) == (len(shape) - 1,) and np.dtype(dtype).kind in "fiu"
            and 2 <= shape[-1] <= _MAX_ROW and math.prod(shape) >= _MIN_SIZE)


def keepdim_shape(shape, dims):
    return tuple(1 if i in dims else n for i, n in enumerate(shape))


def amax_keepdims(x, dims):
    """np.amax(x, axis=dims, keepdims=True), faster over a short last axis."""
    # small arrays: the ufunc's own reduce (np.amax's wrapper costs more than the work)
    y = None if x.size < _MIN_SIZE else \
        last_axis_extreme(np.maximum, x, tuple(dims), keepdim_shape(x.shape, dims))
    return np.maximum.reduce(x, axis=dims, keepdims=True) if y is None else y


def sum_keepdims(x, dims):
    """np.sum(x, axis=dims, keepdims=True) of a float array, as a GEMV where that is faster."""
    split = None if x.size < _MIN_SIZE else gemv_split(x.shape, x.dtype, dims)
    y = None if split is None else gemv_sum(x, split, keepdim_shape(x.shape, dims))
    return np.add.reduce(x, axis=dims, keepdims=True) if y is None else y


def sum_kernel(shape, dtype, dims, out_shape):
    """A runtime kernel summing arrays of this static shape and dtype over `dims`: the choice
    between GEMV and NumPy's reduce is made once, when the schedule is built."""
    split = gemv_split(shape, dtype, dims)
    acc = None if np.dtype(dtype).kind == "f" else np.int64
    reduce = np.add.reduce
    if split is None:
        return lambda x: reduce(x, dims, acc, None, bool(len(out_shape) == len(shape)))
    lead, mid, tail = split
    ones_lead, ones_tail = _ones(lead, np.dtype(dtype)), _ones(tail, np.dtype(dtype))
    matmul = np.matmul
    keep = len(out_shape) == len(shape)

    def gemv(x):
        if not x.flags.c_contiguous:
            return reduce(x, dims, acc, None, keep)
        y = x.reshape(lead, mid, tail)
        y = matmul(y, ones_tail) if tail > 1 else y.reshape(lead, mid)
        if lead > 1:
            y = matmul(ones_lead, y)
        return y.reshape(out_shape)
    return gemv
