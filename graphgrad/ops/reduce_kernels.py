"""Float sums over leading and/or trailing axes as matrix-vector products with a ones vector
(BLAS GEMV): 3-6x faster than np.add.reduce on the column sums of bias gradients, the
(N, H, W) sums of batch norm and the row sums of layer norm and softmax."""
import math

import numpy as np

_MIN_SIZE = 64      # smaller: GEMV and reduce cost the same
_MIN_TOTAL_SIZE = 2048      # the same for sums of every element (measured)
_ONES = {}


def ones_vector(n, dtype):
    """A read-only vector of n ones (cached)."""
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
    if mid == 1 and lead * tail < _MIN_TOTAL_SIZE:
        return None         # a small sum of everything: the reduce is quicker
    return lead, mid, tail


def gemv_sum(x, split, out_shape, out=None):
    """x summed over its leading `lead` and trailing `tail` elements, as one or two
    matrix-vector products, into `out` (C-contiguous) if given; None when x is not contiguous
    (a reshape would copy it)."""
    if not x.flags.c_contiguous:
        return None
    lead, mid, tail = split
    target = None if out is None else out.reshape(mid)
    if lead == 1:
        y = np.matmul(x.reshape(mid, tail), ones_vector(tail, x.dtype), out=target)
    elif tail == 1:
        y = np.matmul(ones_vector(lead, x.dtype), x.reshape(lead, mid), out=target)
    else:
        rows = np.matmul(x.reshape(lead, mid, tail), ones_vector(tail, x.dtype))
        y = np.matmul(ones_vector(lead, x.dtype), rows, out=target)
    return y.reshape(out_shape) if out is None else out


def _contiguous_gemv_sum(split, dtype, out_shape):
    """gemv_sum(x, split, out_shape) of a C-contiguous x, with its ones vector and shapes
    bound once (an eager sum of a small tensor spent longer choosing them than summing)."""
    lead, mid, tail = split
    matmul = np.matmul
    if lead == 1:
        ones, rows = ones_vector(tail, dtype), (mid, tail)
        return lambda x: matmul(x.reshape(rows), ones).reshape(out_shape)
    if tail == 1:
        ones, rows = ones_vector(lead, dtype), (lead, mid)
        return lambda x: matmul(ones, x.reshape(rows)).reshape(out_shape)
    return lambda x: gemv_sum(x, split, out_shape)


_MAX_ROW = 32         # longer rows: NumPy's reduce is as fast


def last_axis_extreme(ufunc, x, dims, out_shape):
    """np.maximum or np.minimum over x's short last axis as one elementwise pass per column
    (NumPy's reduce over short contiguous rows is 2-3x slower); None when that does not
    apply."""
    if not extreme_applies(x.shape, x.dtype, dims):
        return None
    return _by_columns(ufunc, x).reshape(out_shape)


def _by_columns(ufunc, x):
    out = ufunc(x[..., 0], x[..., 1])
    for j in range(2, x.shape[-1]):
        ufunc(out, x[..., j], out=out)
    return out


def extreme_applies(shape, dtype, dims):
    """Is a pass per column quicker than NumPy's reduce? Each pass costs about a microsecond;
    the reduce about 1.5 us plus 8-10 ns per element over short rows (measured)."""
    if len(dims) != 1 or dims[0] != len(shape) - 1 or not 2 <= shape[-1] <= _MAX_ROW:
        return False
    return np.dtype(dtype).kind in "fiu" and math.prod(shape) + 160 > 110 * (shape[-1] - 1)


def row_extreme(ufunc, rows, n, dtype):
    """A kernel: the maximum (or minimum) of each row of a (rows, n) array as (rows, 1), by
    the method `extreme_applies` picks for this static shape."""
    if not extreme_applies((rows, n), dtype, (1,)):
        reduce = ufunc.reduce
        return lambda x: reduce(x, 1, None, None, True)

    return lambda x: _by_columns(ufunc, x).reshape(rows, 1)


def keepdim_shape(shape, dims):
    return tuple(1 if i in dims else n for i, n in enumerate(shape))


def amax_keepdims(x, dims):
    """np.amax(x, axis=dims, keepdims=True), faster over a short last axis."""
    # otherwise the ufunc's own reduce (np.amax's wrapper costs more than the work on small
    # arrays)
    y = last_axis_extreme(np.maximum, x, tuple(dims), keepdim_shape(x.shape, dims))
    return np.maximum.reduce(x, axis=dims, keepdims=True) if y is None else y


def sum_keepdims(x, dims):
    """np.sum(x, axis=dims, keepdims=True) of a float array, as a GEMV where that is faster."""
    split = None if x.size < _MIN_SIZE else gemv_split(x.shape, x.dtype, dims)
    y = None if split is None else gemv_sum(x, split, keepdim_shape(x.shape, dims))
    return np.add.reduce(x, axis=dims, keepdims=True) if y is None else y


def sum_kernel(shape, dtype, dims, out_shape, into=False):
    """A runtime kernel summing arrays of this static shape and dtype over `dims`, called as
    `k(x)` or, with `into`, `k(out, x)`: the choice between GEMV and NumPy's reduce is made
    once, when the schedule is built."""
    split = gemv_split(shape, dtype, dims)
    acc = None if np.dtype(dtype).kind == "f" else np.int64
    keep = len(out_shape) == len(shape)
    reduce = np.add.reduce
    if split is None:
        if into:
            return lambda out, x: reduce(x, dims, acc, out, keep)
        return lambda x: reduce(x, dims, acc, None, keep)

    contiguous_sum = _contiguous_gemv_sum(split, dtype, out_shape)

    def gemv(x):
        if x.flags.c_contiguous:
            return contiguous_sum(x)
        return reduce(x, dims, acc, None, keep)     # a reshape would copy x
    if not into:
        return gemv

    def gemv_into(out, x):
        if not out.flags.c_contiguous:
            out[...] = gemv(x)
            return out
        y = gemv_sum(x, split, out_shape, out)
        return reduce(x, dims, acc, out, keep) if y is None else y
    return gemv_into
