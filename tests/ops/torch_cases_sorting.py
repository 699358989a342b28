"""Torch-oracle rows for sort, argsort, msort, topk, kthvalue, median, nanmedian, mode,
searchsorted, bucketize, unique and unique_consecutive: NaN placement, ties (stable order;
median's and mode's choice of index; the global median shares its gradient between equal
elements), zero-size, integer and bool tensors. Values route their gradient to the selected
elements, as in torch."""
import numpy as np
from torch_oracle import TorchCase

RNG = np.random.default_rng(13)
NAN = np.nan


def distinct(*shape):
    """Values at least 0.1 apart, so finite differences do not reorder them."""
    n = int(np.prod(shape))
    return (RNG.permutation(n) * 0.3 - n * 0.15 + RNG.uniform(0, 0.05, n)).reshape(shape)


def ints(*values):
    return np.array(values, dtype=np.int64)


T = TorchCase
X = distinct(3, 5)
TIED = np.array([[2.0, 1.0, 1.0, 2.0, 1.0], [0.5, 3.0, 0.5, 3.0, 3.0]])
WITH_NAN = np.array([[3.0, NAN, 1.0, 3.0, NAN, 2.0, 1.0], [1.0, 2.0, 0.0, NAN, 5.0, 4.0, 4.0]])
INT = ints([3, -9, 2, 2, 7], [0, 0, 1, -1, 5])

SORT = [
    T("sort", lambda m, x: m.sort(x), (X,)),
    T("sort-dim0-descending", lambda m, x: x.sort(0, descending=True), (X,)),
    T("sort-stable-ties", lambda m, x: m.sort(x, stable=True), (TIED,), gradcheck=False),
    T("sort-stable-descending-ties", lambda m, x: m.sort(x, dim=-1, descending=True,
                                                         stable=True), (TIED,),
      gradcheck=False),
    T("sort-nan", lambda m, x: m.sort(x, stable=True), (WITH_NAN,), gradcheck=False),
    T("sort-nan-descending", lambda m, x: m.sort(x, descending=True, stable=True),
      (WITH_NAN,), gradcheck=False),
    T("sort-int-descending", lambda m, x: m.sort(x, descending=True, stable=True),
      (np.append(INT[0], np.iinfo(np.int64).min),)),
    T("sort-bool", lambda m, x: m.sort(x, stable=True), (X > 0,)),
    T("sort-0d", lambda m, x: m.sort(x), (np.array(1.5),)),
    T("sort-empty", lambda m, x: m.sort(x, 1), (np.zeros((2, 0)),)),
    T("argsort", lambda m, x: m.argsort(x, 0), (X,), grad=()),
    T("argsort-descending-stable", lambda m, x: x.argsort(descending=True, stable=True),
      (TIED,), grad=()),
    T("argsort-int", lambda m, x: x.argsort(stable=True), (INT,), grad=()),
    T("msort", lambda m, x: m.msort(x), (X,)),
    T("topk", lambda m, x: m.topk(x, 3), (X,)),
    T("topk-smallest-dim0", lambda m, x: x.topk(2, dim=0, largest=False), (X,)),
    T("topk-nan", lambda m, x: m.topk(x, 2), (WITH_NAN[:, 1:4],), gradcheck=False),
    T("topk-int", lambda m, x: m.topk(x, 2), (ints(3, -9, 2, 7),)),
    T("topk-zero", lambda m, x: m.topk(x, 0), (X,)),
    T("kthvalue", lambda m, x: m.kthvalue(x, 2), (X,)),
    T("kthvalue-keepdim-dim0", lambda m, x: x.kthvalue(3, 0, keepdim=True), (X,)),
    T("kthvalue-int", lambda m, x: m.kthvalue(x, 1), (ints(3, -9, 2, 7),)),
]

MEDIAN = [
    T("median", lambda m, x: m.median(x), (X,)),
    T("median-even-count", lambda m, x: x.median(), (distinct(4),)),
    T("median-ties-shares-gradient", lambda m, x: m.median(x), (TIED,), gradcheck=False),
    T("median-nan", lambda m, x: m.median(x), (WITH_NAN,), gradcheck=False),
    T("median-dim", lambda m, x: m.median(x, 1), (X,)),
    T("median-dim-keepdim", lambda m, x: x.median(0, keepdim=True), (X,)),
    T("median-dim-ties", lambda m, x: m.median(x, 1), (TIED,), gradcheck=False),
    T("median-dim-nan", lambda m, x: m.median(x, -1), (WITH_NAN,), gradcheck=False),
    T("median-int", lambda m, x: m.median(x), (INT,)),
    T("median-int-dim", lambda m, x: m.median(x, 1), (INT,)),
    T("median-0d", lambda m, x: m.median(x, 0), (np.array(2.5),)),
    T("median-empty", lambda m, x: m.median(x), (np.zeros((0, 3)),)),
    T("nanmedian", lambda m, x: m.nanmedian(x), (WITH_NAN,), gradcheck=False),
    T("nanmedian-dim", lambda m, x: m.nanmedian(x, 1), (WITH_NAN,), gradcheck=False),
    T("nanmedian-all-nan", lambda m, x: x.nanmedian(1),
      (np.array([[NAN, NAN, NAN], [1.0, NAN, 2.0]]),), gradcheck=False),
    T("nanmedian-no-nan", lambda m, x: m.nanmedian(x), (X,)),
    T("mode", lambda m, x: m.mode(x), (TIED,), gradcheck=False),
    T("mode-dim0", lambda m, x: x.mode(0), (np.array([[1.0, 2.0], [2.0, 2.0], [1.0, 3.0],
                                                      [5.0, 3.0]]),), gradcheck=False),
    T("mode-int-keepdim", lambda m, x: m.mode(x, 1, keepdim=True),
      (ints([1, 2, 2, 1, 3, 1, 2], [5, 5, 4, 4, 4, 0, 0]),)),
    T("mode-0d", lambda m, x: m.mode(x), (np.array(-1.0),)),
]

SEQ = np.array([[0.5, 1.0, 1.0, 2.5, 4.0], [-3.0, -1.0, 0.0, 0.0, 9.0]])
SEARCH = [
    T("searchsorted", lambda m, s, v: m.searchsorted(s, v),
      (SEQ[0], np.array([[1.0, 0.0], [4.5, 2.0]])), grad=()),
    T("searchsorted-right", lambda m, s, v: m.searchsorted(s, v, right=True),
      (SEQ, np.array([[1.0, 0.4, 4.0], [0.0, -5.0, 9.0]])), grad=()),
    T("searchsorted-side", lambda m, s, v: m.searchsorted(s, v, side="right"),
      (SEQ[1], np.array([0.0, -1.0])), grad=()),
    T("searchsorted-scalar", lambda m, s: m.searchsorted(s, 1.0), (SEQ[0],), grad=()),
    T("searchsorted-nan", lambda m, s, v: m.searchsorted(s, v),
      (np.array([1.0, 2.0, NAN]), np.array([NAN, 3.0, 1.0])), grad=()),
    T("searchsorted-sorter", lambda m, s, v, k: m.searchsorted(s, v, sorter=k),
      (np.array([3.0, 1.0, 2.0]), np.array([2.5, 0.0]), ints(1, 2, 0)), grad=()),
    T("searchsorted-int32", lambda m, s, v: m.searchsorted(s, v, out_int32=True),
      (ints(1, 3, 5), ints(3, 6)), grad=()),
    T("searchsorted-empty", lambda m, s, v: m.searchsorted(s, v), (np.zeros(0), np.ones(2)),
      grad=()),
    T("bucketize", lambda m, v, b: m.bucketize(v, b), (np.array([[1.0, 2.5], [3.0, 0.0]]),
                                                       np.array([1.0, 2.0, 3.0])), grad=()),
    T("bucketize-right", lambda m, v, b: m.bucketize(v, b, right=True),
      (np.array([[1.0, 2.5], [3.0, 0.0]]), np.array([1.0, 2.0, 3.0])), grad=()),
    T("bucketize-int", lambda m, v, b: m.bucketize(v, b, out_int32=True),
      (ints(0, 5, 3), ints(1, 3)), grad=()),
]

U = ints([3, 1, 3], [2, 1, 3])
UNIQUE = [
    T("unique", lambda m, x: m.unique(x), (U,), compiled=False),
    T("unique-inverse-counts", lambda m, x: m.unique(x, return_inverse=True,
                                                     return_counts=True), (U,), compiled=False),
    T("unique-dim", lambda m, x: x.unique(dim=1, return_inverse=True, return_counts=True),
      (ints([1, 0, 1, 1], [2, 3, 2, 2]),), compiled=False),
    T("unique-float-nan", lambda m, x: m.unique(x), (np.array([3.0, NAN, 1.0, NAN, 3.0]),),
      compiled=False, grad=()),
    T("unique-bool", lambda m, x: m.unique(x, return_counts=True), (U > 2,), compiled=False),
    T("unique-0d", lambda m, x: m.unique(x, return_inverse=True), (np.array(4),),
      compiled=False),
    T("unique_consecutive", lambda m, x: m.unique_consecutive(x, return_inverse=True,
                                                              return_counts=True),
      (ints(1, 1, 2, 2, 3, 1, 1),), compiled=False),
    T("unique_consecutive-dim", lambda m, x: m.unique_consecutive(x, return_counts=True, dim=0),
      (ints([1, 2], [1, 2], [0, 2], [1, 2]),), compiled=False),
    T("unique_consecutive-method-2d", lambda m, x: x.unique_consecutive(),
      (ints([1, 1], [1, 2]),), compiled=False),
]

CASES = SORT + MEDIAN + SEARCH + UNIQUE
