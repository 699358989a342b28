"""Torch-oracle rows for indexing: `x[index]` and `x[index] = v` where torch's placement of
indexed dims differs from NumPy's, index_select, index_add, index_copy, index_fill, index_put,
take, take_along_dim, masked_fill, masked_scatter, masked_select, nonzero, argwhere.

Repeated indices (gradients accumulate), negative indices, zero-size tensors, integer and bool
tensors; in-place forms on a clone."""
import numpy as np
from torch_oracle import TorchCase

RNG = np.random.default_rng(11)


def u(*shape, lo=-2.0, hi=2.0):
    return RNG.uniform(lo, hi, shape)


def ints(*values):
    return np.array(values, dtype=np.int64)


def bools(*shape):
    return RNG.random(shape) < 0.5


X5 = u(2, 3, 12, 5, 3)
D = ints(0, 4, -1, 4)                       # repeated and negative
D2 = ints([1], [3])                         # broadcasts against D
T = TorchCase


def setitem(x, index, v):
    y = x.clone()
    y[index] = v
    return y


GETITEM = [
    T("getitem-int-slice-tensor-slice", lambda m, x, d: x[1, :, 3:11:2, d, 0:2], (X5, D)),
    T("getitem-int-then-tensor", lambda m, x, d: x[1, :, d], (X5[..., 0], ints(2, 0, 2))),
    T("getitem-tensor-slice-int", lambda m, x, d: x[:, d, :, 1], (X5, ints(2, 1, -1))),
    T("getitem-0d-tensor-selects", lambda m, x, i, d: x[:, i, :, d], (X5, np.array(2), D)),
    T("getitem-separated-tensors", lambda m, x, a, b: x[a, :, b], (u(4, 3, 5), D2, ints(1, 2))),
    T("getitem-adjacent-broadcast", lambda m, x, a, b: x[:, a, b], (X5[:, :, :4, 0, 0],
                                                                   ints([0], [2]), ints(1, 3))),
    T("getitem-ellipsis-tensors", lambda m, x, a, b: x[a, ..., b], (X5, ints(1, 0), ints(2, 2))),
    T("getitem-none-between", lambda m, x, a, b: x[a, None, b], (X5[:, :, 0, 0], ints(1, 0),
                                                                 ints(2, -2))),
    T("getitem-bool-scalar", lambda m, x, d: x[True, :, d], (X5[0, :, :3, 0, 0], ints(0, 2))),
    T("getitem-false", lambda m, x: x[False], (u(3, 2),)),
    T("getitem-mask-and-int", lambda m, x, k: x[k, 1], (u(4, 3, 2), ints(True, False, True,
                                                                          True).astype(bool)),
      compiled=False),
    T("getitem-mask-2d", lambda m, x, k: x[:, k], (u(2, 3, 4), bools(3, 4)), compiled=False),
    T("getitem-list", lambda m, x: x[[0, 2, 2, -1]], (u(4, 3),)),
    T("getitem-nested-list", lambda m, x: x[[[0, 1], [2, 3]], 1:], (u(4, 5),)),
    T("getitem-int-tensor", lambda m, x, d: x[d], (np.arange(12).reshape(4, 3), ints(3, 0, 3))),
    T("getitem-bool-tensor", lambda m, x, d: x[:, d], (bools(2, 5), ints(4, -5))),
    T("getitem-empty-index", lambda m, x, d: x[1:, d], (u(3, 4), np.zeros(0, np.int64))),
    T("getitem-zero-size", lambda m, x, d: x[d, 1:], (u(0, 4), np.zeros((2, 0), np.int64))),
    T("setitem-int-slice-tensor", lambda m, x, v, d: setitem(x, (1, slice(None), d), v),
      (u(2, 3, 4), u(3, 1), ints(0, 3))),
    T("setitem-separated-tensors", lambda m, x, v, a, b: setitem(x, (a, slice(None), b), v),
      (u(3, 2, 4), u(2, 1), ints(0, 2), ints(1, 3))),
    T("setitem-0d-tensor", lambda m, x, v, i, d: setitem(x, (slice(None), i, d), v),
      (u(2, 3, 4), u(2), np.array(-1), ints(0, 3))),
    T("setitem-mask-scalar", lambda m, x, k: setitem(x, k, 0.5), (u(3, 4), bools(3, 4))),
    T("setitem-mask-row-value", lambda m, x, v, k: setitem(x, k, v), (u(3, 4), u(4), bools(3))),
    T("setitem-mask-after-slice", lambda m, x, v, k: setitem(x, (slice(None), k), v),
      (u(2, 3, 4), u(2, 1, 4), bools(3))),
    T("setitem-mask-values", lambda m, x, v, k: setitem(x, k, v),
      (u(4, 2), u(2, 2), np.array([True, False, False, True])), compiled=False),
    T("setitem-int", lambda m, x, d: setitem(x, (slice(None), d), 7),
      (np.arange(12).reshape(3, 4), ints(1, -1))),
    T("setitem-bool", lambda m, x, k: setitem(x, k, True), (bools(3, 4), bools(3, 4))),
]

X34 = u(3, 4)
INDEX = [
    T("index_select", lambda m, x, i: m.index_select(x, 1, i), (X34, ints(3, 0, 3))),
    T("index_select-method-dim0", lambda m, x, i: x.index_select(0, i), (X34, ints(2, 2))),
    T("index_select-0d-index", lambda m, x, i: x.index_select(-1, i), (X34, np.array(1))),
    T("index_select-0d-input", lambda m, x, i: x.index_select(0, i), (u(), ints(0))),
    T("index_select-empty", lambda m, x, i: x.index_select(1, i), (X34, np.zeros(0, np.int64))),
    T("index_select-int32", lambda m, x, i: x.index_select(1, i), (X34, ints(1, 2).astype(
        np.int32))),
    T("index_select-bool", lambda m, x, i: x.index_select(0, i), (bools(3, 2), ints(2, 0))),
    T("index_add", lambda m, x, i, s: m.index_add(x, 0, i, s), (X34, ints(2, 0, 2), u(3, 4))),
    T("index_add-alpha", lambda m, x, i, s: x.index_add(1, i, s, alpha=-2.5),
      (X34, ints(1, 1), u(3, 2))),
    T("index_add_", lambda m, x, i, s: x.clone().index_add_(1, i, s), (X34, ints(3, 0),
                                                                       u(3, 2))),
    T("index_add-int", lambda m, x, i, s: x.index_add(0, i, s),
      (np.arange(6).reshape(3, 2), ints(2, 2), np.ones((2, 2), np.int64))),
    T("index_add-empty", lambda m, x, i, s: x.index_add(0, i, s),
      (X34, np.zeros(0, np.int64), u(0, 4))),
    T("index_copy", lambda m, x, i, s: m.index_copy(x, 1, i, s), (X34, ints(3, 0), u(3, 2))),
    T("index_copy_", lambda m, x, i, s: x.clone().index_copy_(0, i, s),
      (X34, ints(1,), u(1, 4))),
    T("index_fill", lambda m, x, i: m.index_fill(x, 1, i, -1.5), (X34, ints(0, 2, -1))),
    T("index_fill-tensor-value", lambda m, x, i, v: x.index_fill(0, i, v),
      (X34, ints(1, 1), u())),
    T("index_fill_", lambda m, x, i: x.clone().index_fill_(1, i, 2), (X34, ints(3,))),
    T("index_fill-bool", lambda m, x, i: x.index_fill(1, i, True), (bools(2, 3), ints(0,))),
    T("index_put", lambda m, x, a, b, v: m.index_put(x, (a, b), v), (X34, ints(0, 2), ints(1, 3),
                                                                   u(2))),
    T("index_put-accumulate", lambda m, x, a, v: x.index_put((a,), v, accumulate=True),
      (X34, ints(2, 0, 2, 2), u(4, 4))),
    T("index_put_-accumulate-broadcast", lambda m, x, a, b, v: x.clone().index_put_(
        (a, b), v, accumulate=True), (X34, ints([0], [2]), ints(1, 1, -1), u(1))),
    T("index_put_", lambda m, x, a, v: x.clone().index_put_((a,), v), (X34, ints(1, -1), u(4))),
    T("index_put-mask", lambda m, x, k, v: x.index_put((k,), v), (X34, bools(3, 4), u())),
    T("take", lambda m, x, i: m.take(x, i), (X34, ints([0, 11], [-1, 5], [5, 5]))),
    T("take-method-int", lambda m, x, i: x.take(i), (np.arange(6), ints(-6, 2))),
    T("take-empty", lambda m, x, i: x.take(i), (X34, np.zeros((2, 0), np.int64))),
    T("take_along_dim", lambda m, x, i: m.take_along_dim(x, i, 1), (X34, ints([0, 3], [1, 1],
                                                                              [-1, 2]))),
    T("take_along_dim-broadcast", lambda m, x, i: m.take_along_dim(x, i, dim=0),
      (u(3, 1, 4), ints(2, 0).reshape(2, 1, 1))),
    T("take_along_dim-none", lambda m, x, i: x.take_along_dim(i), (X34, ints(11, 0, 0))),
    T("take_along_dim-argsort", lambda m, x: m.take_along_dim(x, x.argsort(1), 1), (X34,)),
]

MASKS = [
    T("masked_fill-broadcast", lambda m, x, k: m.masked_fill(x, k, -3.0), (X34, bools(4))),
    T("masked_fill_-tensor", lambda m, x, k, v: x.clone().masked_fill_(k, v), (X34, bools(3, 4),
                                                                                u())),
    T("masked_fill-int", lambda m, x, k: x.masked_fill(k, 9), (np.arange(4), bools(4))),
    T("masked_scatter", lambda m, x, k, s: m.masked_scatter(x, k, s),
      (X34, bools(3, 4), u(2, 7))),
    T("masked_scatter-broadcast-mask", lambda m, x, k, s: x.masked_scatter(k, s),
      (X34, bools(4), u(12))),
    T("masked_scatter_", lambda m, x, k, s: x.clone().masked_scatter_(k, s),
      (X34, bools(3, 4), u(12))),
    T("masked_scatter-int", lambda m, x, k, s: x.masked_scatter(k, s),
      (np.arange(5), bools(5), np.arange(10, 16))),
    T("masked_scatter-none-true", lambda m, x, k, s: x.masked_scatter(k, s),
      (X34, np.zeros((3, 4), bool), np.zeros(0)), grad=(0,)),
    T("masked_select", lambda m, x, k: m.masked_select(x, k), (X34, bools(3, 4)),
      compiled=False),
    T("masked_select-broadcast", lambda m, x, k: x.masked_select(k), (u(3, 1), bools(2, 1, 4)),
      compiled=False),
    T("nonzero", lambda m, x: m.nonzero(x), (np.array([[0, 1.5, 0], [2.0, 0, -1]]),),
      compiled=False, grad=()),
    T("nonzero-as_tuple", lambda m, x: x.nonzero(as_tuple=True), (bools(2, 3, 2),),
      compiled=False),
    T("nonzero-0d", lambda m, x: m.nonzero(x), (np.array(2.0),), compiled=False, grad=()),
    T("nonzero-empty", lambda m, x: m.nonzero(x), (np.zeros((0, 2)),), compiled=False, grad=()),
    T("argwhere", lambda m, x: m.argwhere(x), (np.arange(-2, 4).reshape(2, 3),),
      compiled=False),
]

CASES = GETITEM + INDEX + MASKS
