"""Sorting and order statistics: the argsort and mode_index primitives, and sort, argsort,
msort, topk, kthvalue, median, nanmedian and mode built on them.

Values are gathered at the chosen indices, so their gradient goes to the selected elements, as
in torch. Sorts are stable; NaN sorts above every number (last ascending, first descending).
Among equal values torch leaves the chosen index of kthvalue/topk unspecified; here it is the
first in a stable sort (median and mode pick as torch does).
"""
import collections

import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import DTypeError, OutOfRangeError
from graphgrad.ir.types import TensorType
from graphgrad.ops._core import as_tensor, defop, describe
from graphgrad.ops.scatter import gather, wrap_dim
from graphgrad.tensor import Tensor

SortResult = collections.namedtuple("sort", ["values", "indices"])
TopkResult = collections.namedtuple("topk", ["values", "indices"])
KthvalueResult = collections.namedtuple("kthvalue", ["values", "indices"])
MedianResult = collections.namedtuple("median", ["values", "indices"])
ModeResult = collections.namedtuple("mode", ["values", "indices"])


def _argsort_infer(x, *, dim, descending):
    if x.dtype.kind not in "fiub":
        raise DTypeError(f"argsort: cannot sort {describe(x)}")
    return TensorType(tuple(x.shape), np.dtype(np.int64))


def _argsort_impl(x, *, dim, descending):
    if x.ndim == 0:
        return np.zeros((), np.int64)
    if not descending:
        return np.argsort(x, axis=dim, kind="stable").astype(np.int64, copy=False)
    if x.dtype.kind != "f":
        return np.argsort(~x, axis=dim, kind="stable").astype(np.int64, copy=False)
    # by -x, then (a second stable pass) NaN first
    order = np.argsort(-x, axis=dim, kind="stable")
    numbers = np.take_along_axis(~np.isnan(x), order, dim)
    order = np.take_along_axis(order, np.argsort(numbers, axis=dim, kind="stable"), dim)
    return order.astype(np.int64, copy=False)


ARGSORT = defop("argsort", _argsort_infer, _argsort_impl)


def _mode_index_infer(x, *, dim):
    if x.ndim and x.shape[dim] == 0:
        raise OutOfRangeError(f"mode: expected reduction dim {dim} to have non-zero size, got "
                            f"{describe(x)}")
    shape = tuple(n for k, n in enumerate(x.shape) if k != dim)
    return TensorType(shape, np.dtype(np.int64))


def _mode_index_impl(x, *, dim):
    """Index of the most frequent value along `dim` (the smallest among equally frequent ones;
    its last occurrence), as torch.mode."""
    if x.ndim == 0:
        return np.zeros((), np.int64)
    rows = np.moveaxis(x, dim, -1)
    order = np.argsort(rows, axis=-1, kind="stable")
    s = np.take_along_axis(rows, order, -1)
    n = s.shape[-1]
    start = np.ones(s.shape, bool)
    start[..., 1:] = s[..., 1:] != s[..., :-1]
    pos = np.arange(n)
    run_start = np.maximum.accumulate(np.where(start, pos, 0), axis=-1)
    count = pos - run_start + 1                 # position within its run of equal values
    best = np.argmax(count, axis=-1)[..., None]  # the end of the first longest run
    return np.take_along_axis(order, best, -1)[..., 0].astype(np.int64)


MODE_INDEX = defop("mode_index", _mode_index_infer, _mode_index_impl)

# -- op functions -----------------------------------------------------------------------------


def argsort(input, dim=-1, descending=False, stable=False):
    """Indices that sort `input` along `dim` (always a stable sort)."""
    input = as_tensor(input)
    return bind(ARGSORT, input, dim=wrap_dim("argsort", dim, input.ndim),
                descending=bool(descending))


def sort(input, dim=-1, descending=False, stable=False):
    """(values, indices) of `input` sorted along `dim`."""
    input = as_tensor(input)
    d = wrap_dim("sort", dim, input.ndim)
    indices = argsort(input, d, descending)
    return SortResult(gather(input, d, indices), indices)


def msort(input):
    return sort(input, 0).values


def _slice(x, dim, start, stop):
    if x.ndim == 0:
        return x
    return x[(slice(None),) * dim + (slice(start, stop),)]


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The k largest (or smallest) values along `dim` and their indices, largest first."""
    input = as_tensor(input)
    d = wrap_dim("topk", dim, input.ndim)
    n = input.shape[d] if input.ndim else 1
    if not 0 <= k <= n:
        raise OutOfRangeError(f"topk: selected index k={k} out of range for dim {d} of "
                            f"{describe(input)}")
    indices = _slice(argsort(input, d, descending=largest), d, 0, k)
    return TopkResult(gather(input, d, indices), indices)


def _reduced(name, input, dim, keepdim, pick):
    """(values, indices) for `pick(input, d) -> indices with dim d kept (size 1)`."""
    input = as_tensor(input)
    d = wrap_dim(name, dim, input.ndim)
    if input.ndim and input.shape[d] == 0:
        raise OutOfRangeError(f"{name}: expected reduction dim {d} to have non-zero size, got "
                            f"{describe(input)}")
    indices = pick(input, d)
    values = gather(input, d, indices)
    if not keepdim and input.ndim:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return values, indices


def kthvalue(input, k, dim=-1, keepdim=False):
    """The k-th smallest value (k counts from 1) along `dim`, and its index."""
    def pick(x, d):
        n = x.shape[d] if x.ndim else 1
        if not 1 <= k <= n:
            raise OutOfRangeError(f"kthvalue: selected number k={k} out of range for dim {d} of "
                                f"{describe(x)}")
        return _slice(argsort(x, d), d, k - 1, k)
    return KthvalueResult(*_reduced("kthvalue", input, dim, keepdim, pick))


def _isnan(x):
    return x != x


def median(input, dim=None, keepdim=False):
    """The lower median: of all elements (a 0-d tensor), or (values, indices) along `dim`.
    NaN if the elements hold a NaN."""
    input = as_tensor(input)
    if dim is None:
        return _global_median(input, ignore_nan=False)

    def pick(x, d):
        n = x.shape[d] if x.ndim else 1
        middle = _slice(argsort(x, d), d, (n - 1) // 2, (n - 1) // 2 + 1)
        if x.dtype.kind != "f" or not x.ndim:
            return middle
        from graphgrad.ops.elementwise import where
        from graphgrad.ops.reduce import any, argmax
        nan = _isnan(x)
        first_nan = argmax(nan.astype(np.int8), d, keepdim=True)   # argmax refuses bools
        return where(any(nan, d, keepdim=True), first_nan, middle)
    return MedianResult(*_reduced("median", input, dim, keepdim, pick))


def nanmedian(input, dim=None, keepdim=False):
    """median ignoring NaN (NaN only where every element is NaN)."""
    input = as_tensor(input)
    if input.dtype.kind != "f":
        return median(input, dim, keepdim)
    if dim is None:
        return _global_median(input, ignore_nan=True)

    def pick(x, d):
        from graphgrad.ops.reduce import sum
        numbers = sum(~_isnan(x), d, keepdim=True) if x.ndim else (~_isnan(x)).long()
        middle = ((numbers - 1) // 2).clamp(min=0)
        return gather(argsort(x, d), d, middle)
    return MedianResult(*_reduced("nanmedian", input, dim, keepdim, pick))


def _global_median(x, ignore_nan):
    """The median of all elements; its gradient is shared evenly between the elements equal
    to it (torch's rule for median() without dim)."""
    from graphgrad.ops.creation import full
    from graphgrad.ops.elementwise import cast, where
    from graphgrad.ops.reduce import sum
    flat = x.reshape(-1)
    if flat.shape[0] == 0:
        return flat.sum() + float("nan") if x.dtype.kind == "f" else full((), 0, dtype=x.dtype)
    pick = nanmedian if ignore_nan else median
    m = pick(flat, 0).values
    if x.dtype.kind != "f":
        return m
    m = m.detach()
    mask = where(_isnan(m), _isnan(flat), flat == m)
    weight = cast(mask, x.dtype)
    share = sum(where(mask, flat - m, 0.0) * weight) / sum(weight)
    return m + share


def mode(input, dim=-1, keepdim=False):
    """The most frequent value along `dim` (the smallest of equally frequent ones) and the
    index of its last occurrence."""
    def pick(x, d):
        index = bind(MODE_INDEX, x, dim=d)
        return index.unsqueeze(d) if x.ndim else index
    return ModeResult(*_reduced("mode", input, dim, keepdim, pick))


def _attach_methods():
    for fn in (argsort, sort, msort, topk, kthvalue, median, nanmedian, mode):
        setattr(Tensor, fn.__name__, fn)


_attach_methods()
