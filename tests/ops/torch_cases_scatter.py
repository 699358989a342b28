"""Torch-oracle rows for gather, scatter, scatter_add and scatter_reduce (every reduction, with
and without include_self) and their in-place forms: repeated indices (gradients accumulate),
ties of amax/amin (the gradient is shared), zeros in prod, zero-size, integer and bool
tensors."""
import numpy as np
from torch_oracle import TorchCase

RNG = np.random.default_rng(12)


def u(*shape, lo=-2.0, hi=2.0):
    return RNG.uniform(lo, hi, shape)


def ints(*values):
    return np.array(values, dtype=np.int64)


T = TorchCase
X34 = u(3, 4)
ROWS = ints([0, 2, 2, 1], [1, 1, 0, 0])          # repeated targets along dim 0
COLS = ints([3, 0], [1, 1], [0, 2])              # along dim 1, smaller than the input
PERM = ints([2, 0, 1, 2], [0, 1, 2, 0])          # no repeats along dim 0 for scatter
TIES = np.array([[1.0, 5.0, 2.0, 2.0], [3.0, 5.0, 2.0, 2.0]])
WITH_ZEROS = np.array([[0.0, 1.5, 2.0, -1.0], [2.0, 0.0, 0.0, 3.0], [1.0, 0.5, 0.0, 2.0]])

GATHER = [
    T("gather", lambda m, x, i: m.gather(x, 0, i), (X34, ROWS)),
    T("gather-dim1-smaller-index", lambda m, x, i: x.gather(1, i), (X34, COLS)),
    T("gather-negative-dim", lambda m, x, i: x.gather(-1, i), (u(2, 3, 2), ints(
        [[1, 0]], [[0, 0]]))),
    T("gather-0d", lambda m, x, i: x.gather(0, i), (u(), np.array(0))),
    T("gather-empty", lambda m, x, i: x.gather(1, i), (X34, np.zeros((3, 0), np.int64))),
    T("gather-int", lambda m, x, i: x.gather(0, i), (np.arange(12).reshape(3, 4), ROWS)),
    T("gather-bool", lambda m, x, i: x.gather(1, i), (X34 > 0, COLS)),
]

SCATTER = [
    T("scatter", lambda m, x, i, s: m.scatter(x, 0, i, s), (X34, PERM, u(2, 4))),
    T("scatter-larger-src", lambda m, x, i, s: x.scatter(1, i, s), (X34, ints([0, 3], [2, 1]),
                                                                    u(3, 3)), grad=(0,)),
    T("scatter-value", lambda m, x, i: x.scatter(1, i, -4.0), (X34, COLS)),
    T("scatter_", lambda m, x, i, s: x.clone().scatter_(0, i, s), (X34, PERM, u(2, 4))),
    T("scatter-reduce-add", lambda m, x, i, s: x.scatter(0, i, s, reduce="add"),
      (X34, ROWS, u(2, 4)), grad=()),
    T("scatter_-reduce-multiply", lambda m, x, i: x.clone().scatter_(1, i, 2.0,
                                                                     reduce="multiply"),
      (X34, COLS), grad=()),
    T("scatter-int", lambda m, x, i, s: x.scatter(0, i, s),
      (np.arange(12).reshape(3, 4), PERM, -np.arange(8).reshape(2, 4))),
    T("scatter-bool", lambda m, x, i: x.scatter(1, i, True), (X34 > 0, COLS)),
    T("scatter-empty", lambda m, x, i, s: x.scatter(0, i, s), (X34, np.zeros((0, 4), np.int64),
                                                             u(0, 4))),
    T("scatter_add", lambda m, x, i, s: m.scatter_add(x, 0, i, s), (X34, ROWS, u(2, 4))),
    T("scatter_add-larger-src", lambda m, x, i, s: x.scatter_add(1, i, s),
      (X34, COLS, u(3, 3)), grad=(0,)),
    T("scatter_add_", lambda m, x, i, s: x.clone().scatter_add_(1, i, s), (X34, COLS, u(3, 2))),
    T("scatter_add-int", lambda m, x, i, s: x.scatter_add(0, i, s),
      (np.zeros((3, 4), np.int64), ROWS, np.ones((2, 4), np.int64))),
]


def reduce_cases():
    cases = []
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        for include in (True, False):
            tag = f"{reduce}-{'incl' if include else 'excl'}"
            cases.append(T(f"scatter_reduce-{tag}",
                           lambda m, x, i, s, r=reduce, k=include: m.scatter_reduce(
                               x, 0, i, s, r, include_self=k),
                           (X34 if reduce != "prod" else WITH_ZEROS, ROWS,
                            u(2, 4) if reduce != "prod" else WITH_ZEROS[1:])))
    return cases


REDUCE = reduce_cases() + [
    T("scatter_reduce-amax-ties", lambda m, x, i, s: x.scatter_reduce(1, i, s, "amax"),
      (TIES, ints([1, 2, 2, 3], [1, 3, 1, 1]), np.array([[5.0, 2.0, 1.0, 2.0],
                                                          [5.0, 2.0, 0.0, 1.0]])),
      gradcheck=False),
    T("scatter_reduce-amin-ties-excl", lambda m, x, i, s: x.scatter_reduce(
        1, i, s, "amin", include_self=False),
      (TIES, ints([0, 0, 2, 3], [1, 1, 1, 0]), np.array([[1.0, 1.0, 2.0, 2.0],
                                                          [5.0, 5.0, 2.0, 3.0]])),
      gradcheck=False),
    T("scatter_reduce-prod-two-zeros", lambda m, x, i, s: x.scatter_reduce(0, i, s, "prod"),
      (WITH_ZEROS, ints([1, 0, 1, 2], [1, 0, 1, 0]), np.array([[0.0, 2.0, 0.0, 1.0],
                                                                [3.0, 0.0, 0.0, 0.5]]))),
    T("scatter_reduce_-mean", lambda m, x, i, s: x.clone().scatter_reduce_(
        1, i, s, "mean", include_self=False), (X34, COLS, u(3, 2))),
    T("scatter_reduce-mean-int", lambda m, x, i, s: x.scatter_reduce(0, i, s, "mean"),
      (np.arange(-6, 6).reshape(3, 4), ROWS, np.arange(-3, 5).reshape(2, 4))),
    T("scatter_reduce-amax-int-excl", lambda m, x, i, s: x.scatter_reduce(
        0, i, s, "amax", include_self=False),
      (np.arange(12).reshape(3, 4), ROWS, np.arange(-3, 5).reshape(2, 4))),
    T("scatter_reduce-sum-0d", lambda m, x, i, s: x.scatter_reduce(0, i, s, "sum"),
      (u(), np.array(0), u())),
]

CASES = GATHER + SCATTER + REDUCE
