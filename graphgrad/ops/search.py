"""Searching sorted sequences (the searchsorted primitive, bucketize) and finding unique values
(unique, unique_consecutive: eager only, as their length depends on the values)."""
import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import DTypeError, ShapeError
from graphgrad.ir.types import TensorType, promote
from graphgrad.ops._core import as_tensor, defop, describe
from graphgrad.tensor import Tensor


def _searchsorted_infer(seq, values, *, right):
    if seq.dtype.kind not in "fiu" or values.dtype.kind not in "fiu":
        raise DTypeError(f"searchsorted: expects numeric tensors, got {describe(seq)} and "
                        f"{describe(values)}")
    if len(seq.shape) > 1 and tuple(seq.shape[:-1]) != tuple(values.shape[:-1]):
        raise ShapeError(f"searchsorted: the boundaries {describe(seq)} and the values "
                         f"{describe(values)} must have the same leading dims")
    if len(seq.shape) == 0:
        raise ShapeError("searchsorted: the boundaries must have at least one dim, got a 0-d "
                         "tensor")
    return TensorType(tuple(values.shape), np.dtype(np.int64))


def _searchsorted_impl(seq, values, *, right):
    """torch's binary search: the first position p with seq[p] >= v (> v for right=True),
    comparing as torch does (a NaN compares false), for every row at once."""
    m = seq.shape[-1]
    rows = seq.reshape(-1, m) if seq.ndim > 1 else seq.reshape(1, m)
    vals = values.reshape(rows.shape[0], -1) if seq.ndim > 1 else values.reshape(1, -1)
    lo = np.zeros(vals.shape, np.int64)
    hi = np.full(vals.shape, m, np.int64)
    r = np.arange(rows.shape[0])[:, None]
    while True:
        active = lo < hi
        if not active.any():
            break
        mid = (lo + hi) // 2
        mv = rows[r, np.minimum(mid, m - 1)]
        with np.errstate(invalid="ignore"):
            go_right = ~(mv > vals) if right else ~(mv >= vals)
        lo = np.where(active & go_right, mid + 1, lo)
        hi = np.where(active & ~go_right, mid, hi)
    return lo.reshape(values.shape)


SEARCHSORTED = defop("searchsorted", _searchsorted_infer, _searchsorted_impl)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """Where each value of `input` would go in `sorted_sequence` (sorted along its last dim) to
    keep it sorted: the first such position, or the last with right=True / side="right"."""
    from graphgrad.ops.elementwise import cast
    seq = as_tensor(sorted_sequence)
    scalar = not isinstance(input, Tensor) and np.ndim(input) == 0
    values = as_tensor(input) if not scalar else as_tensor(np.asarray(input))
    if side is not None:
        if side not in ("left", "right") or (right and side == "left"):
            raise ValueError(f"searchsorted: side must be 'left' or 'right' (and agree with "
                             f"right={right}), got {side!r}")
        right = side == "right"
    if sorter is not None:
        from graphgrad.ops.scatter import gather
        seq = gather(seq, -1, as_tensor(sorter))
    dtype = promote(seq.dtype, values.dtype)
    seq, values = cast(seq, dtype), cast(values, dtype)
    if scalar and seq.ndim > 1:
        raise ShapeError(f"searchsorted: a single value needs 1-D boundaries, got "
                         f"{describe(seq)}")
    out = bind(SEARCHSORTED, seq, values, right=bool(right))
    return cast(out, np.int32) if out_int32 else out


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value of `input` among the sorted 1-D `boundaries`:
    boundaries[i-1] < v <= boundaries[i] (right=False) or boundaries[i-1] <= v < boundaries[i]."""
    boundaries = as_tensor(boundaries)
    if boundaries.ndim != 1:
        raise ShapeError(f"bucketize: boundaries must be 1-D, got {describe(boundaries)}")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


# -- unique (eager only) ----------------------------------------------------------------------

def _results(output, inverse, counts, return_inverse, return_counts):
    wrap = Tensor._wrap
    out = [wrap(np.ascontiguousarray(output))]
    if return_inverse:
        out.append(wrap(inverse.astype(np.int64)))
    if return_counts:
        out.append(wrap(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (or slices along `dim`) of `input`, sorted; optionally where each
    element went (inverse) and how often each occurs (counts). NaNs are all distinct."""
    input = as_tensor(input)
    data = input._concrete("unique (its result's length depends on the values)")
    if dim is None:
        output, inverse, counts = np.unique(data.reshape(-1), return_inverse=True,
                                            return_counts=True, equal_nan=False)
        inverse = inverse.reshape(data.shape)
    else:
        from graphgrad.ops.scatter import wrap_dim
        d = wrap_dim("unique", dim, data.ndim)
        output, inverse, counts = np.unique(data, return_inverse=True, return_counts=True,
                                            axis=d, equal_nan=False)
        inverse = inverse.reshape(-1)
    return _results(output, inverse, counts, return_inverse, return_counts)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """`input` with runs of equal consecutive values (or slices along `dim`) collapsed to one."""
    input = as_tensor(input)
    data = input._concrete("unique_consecutive (its result's length depends on the values)")
    if dim is None:
        rows = data.reshape(-1, 1)
    else:
        from graphgrad.ops.scatter import wrap_dim
        d = wrap_dim("unique_consecutive", dim, data.ndim)
        rows = np.moveaxis(data, d, 0).reshape(data.shape[d] if data.ndim else 1, -1)
    n = rows.shape[0]
    start = np.ones(n, bool)
    start[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    inverse = np.cumsum(start) - 1
    counts = np.diff(np.append(np.flatnonzero(start), n))
    if dim is None:
        output = data.reshape(-1)[start]
        inverse = inverse.reshape(data.shape)
    else:
        output = np.take(data, np.flatnonzero(start), axis=d)
    return _results(output, inverse, counts, return_inverse, return_counts)


def _attach_methods():
    Tensor.unique = unique
    Tensor.unique_consecutive = unique_consecutive


_attach_methods()
