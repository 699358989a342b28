"""Op-table entries for the indexing, scatter, sorting and search primitives (gather, scatter,
scatter_reduce, check_bounds, argsort, mode_index, searchsorted) and the functions built on
them, against slow and obvious NumPy references (Python loops over the elements).

`test_ops.py` collects CASES and checks each row for forward values, float64 finite
differences, node-by-node shape rules and eager == compiled. The random primitives
(multinomial, randperm) are in its RANDOM_CASES.
"""
import collections
import itertools

import numpy as np
from helpers import OpCase

import graphgrad as gg

RNG = np.random.default_rng(20241107)


def u(*shape):
    return RNG.uniform(-2.0, 2.0, shape)


def distinct(*shape):
    n = int(np.prod(shape))
    return (RNG.permutation(n) * 0.3 - n * 0.15 + RNG.uniform(0, 0.05, n)).reshape(shape)


def ints(*values):
    return np.array(values, dtype=np.int64)


def positions(shape):
    return itertools.product(*(range(n) for n in shape))


def at_dim(pos, dim, value):
    return pos[:dim] + (value,) + pos[dim + 1:]


# -- references -----------------------------------------------------------------------------------

def np_gather(x, dim, index):
    out = np.empty(index.shape, x.dtype)
    for pos in positions(index.shape):
        out[pos] = x[at_dim(pos, dim, index[pos])]
    return out


def np_scatter(x, dim, index, src, combine=None, include_self=True):
    """src[pos] written (or combined) into out[pos with index[pos] along dim]."""
    out = x.astype(np.float64 if x.dtype.kind == "f" else x.dtype).copy()
    hits = collections.defaultdict(list)
    for pos in positions(index.shape):
        hits[at_dim(pos, dim, index[pos])].append(src[pos])
    for target, values in hits.items():
        if combine is None:
            out[target] = values[-1]
        else:
            out[target] = combine(([x[target]] if include_self else []) + values)
    return out.astype(x.dtype)


REDUCE = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}


def np_mode_index(x, dim):
    out = np.empty(np.delete(x.shape, dim), np.int64)
    for pos in positions(out.shape):
        row = [x[pos[:dim] + (k,) + pos[dim:]] for k in range(x.shape[dim])]
        counts = collections.Counter(row)
        best = min(counts, key=lambda v: (-counts[v], v))
        out[pos] = max(k for k, v in enumerate(row) if v == best)
    return out


def np_mode(x, dim):
    index = np_mode_index(x, dim)
    return np.take_along_axis(x, np.expand_dims(index, dim), dim).squeeze(dim), index


def np_searchsorted(seq, values, right=False):
    side = "right" if right else "left"
    if seq.ndim == 1:
        return np.searchsorted(seq, values, side)
    return np.stack([np.searchsorted(s, v, side) for s, v in zip(seq, values)])


X34 = distinct(3, 4)
ROWS = ints([0, 2, 2, 1], [1, 1, 0, 0])
COLS = ints([3, 0], [1, 1], [0, 2])
PERM = ints([2, 0, 1, 2], [0, 1, 2, 0])
C = OpCase

GATHER_SCATTER = [
    C("gather", "gather", lambda x, i: gg.gather(x, 0, i), [X34, ROWS],
      lambda x, i: np_gather(x, 0, i)),
    C("gather-smaller-index", "gather", lambda x, i: x.gather(1, i), [X34, COLS],
      lambda x, i: np_gather(x, 1, i)),
    C("gather-int", "gather", lambda x, i: x.gather(0, i), [np.arange(12).reshape(3, 4), ROWS],
      lambda x, i: np_gather(x, 0, i)),
    C("scatter", "scatter", lambda x, i, s: gg.scatter(x, 0, i, s), [X34, PERM, u(2, 4)],
      lambda x, i, s: np_scatter(x, 0, i, s)),
    C("scatter-value", "scatter", lambda x, i: x.scatter(1, i, 0.5), [X34, COLS],
      lambda x, i: np_scatter(x, 1, i, np.full(i.shape, 0.5))),
    C("scatter_add", "scatter_reduce", lambda x, i, s: gg.scatter_add(x, 0, i, s),
      [X34, ROWS, u(2, 4)], lambda x, i, s: np_scatter(x, 0, i, s, np.sum)),
] + [
    C(f"scatter_reduce-{r}-{'incl' if k else 'excl'}", "scatter_reduce",
      lambda x, i, s, r=r, k=k: gg.scatter_reduce(x, 1, i, s, r, include_self=k),
      [X34, COLS, distinct(3, 2) + 0.05], lambda x, i, s, r=r, k=k: np_scatter(
          x, 1, i, s, REDUCE[r], k)) for r in REDUCE for k in (True, False)
]

INDEX = [
    C("check_bounds", "check_bounds", lambda x, i: gg.index_select(x, 1, i), [X34, ints(3, 0)],
      lambda x, i: x[:, i]),
    C("check_bounds-int", "check_bounds", lambda x, i: x.index_select(0, i),
      [np.arange(5) * 3, ints(4, 0, 4)], lambda x, i: x[i]),
    C("index_add-dim", "index_add", lambda x, i, s: gg.index_add(x, 1, i, s, alpha=2.0),
      [X34, ints(3, 3), u(3, 2)], lambda x, i, s: x + np.stack(
          [np.zeros(3)] * 3 + [2 * s.sum(1)], 1).astype(x.dtype)),
    C("index_copy", "setitem", lambda x, i, s: gg.index_copy(x, 0, i, s), [X34, ints(2), u(1, 4)],
      lambda x, i, s: np.concatenate([x[:2], s]).astype(x.dtype)),
    C("index_fill", "setitem", lambda x, i: gg.index_fill(x, 1, i, 1.5), [X34, ints(0, -1)],
      lambda x, i: np.where(np.isin(np.arange(4), [0, 3]), 1.5, x).astype(x.dtype)),
    C("take", "getitem", lambda x, i: gg.take(x, i), [X34, ints([11, 0], [-1, 3])],
      lambda x, i: x.reshape(-1)[i]),
    C("take_along_dim", "gather", lambda x, i: gg.take_along_dim(x, i, 1),
      [X34, ints([3], [-1], [0])], lambda x, i: np.take_along_axis(x, i % 4, 1)),
    C("masked_scatter", "argsort", lambda x, m, s: gg.masked_scatter(x, m, s),
      [X34, RNG.random((3, 4)) < 0.5, u(12)], lambda x, m, s: np.where(m, _place(m, s), x)),
    C("masked_select", "getitem", lambda x, m: gg.masked_select(x, m),
      [X34, RNG.random((3, 4)) < 0.5], lambda x, m: x[m], eager_only=True),
]


def _place(mask, source):
    out = np.zeros(mask.shape, source.dtype)
    out[mask] = source[:mask.sum()]
    return out


SORTING = [
    C("argsort", "argsort", lambda x: gg.argsort(x, 0), [X34],
      lambda x: np.argsort(x, 0, kind="stable"), grad=()),
    C("argsort-descending-int", "argsort", lambda x: x.argsort(descending=True),
      [ints([3, 1, 3, -2], [0, 0, 5, 1])], lambda x: np.argsort(-x, 1, kind="stable")),
    C("sort", "argsort", lambda x: gg.sort(x, 1), [X34],
      lambda x: (np.sort(x, 1), np.argsort(x, 1))),
    C("topk", "argsort", lambda x: gg.topk(x, 2, 0), [X34],
      lambda x: (-np.sort(-x, 0)[:2], np.argsort(-x, 0)[:2])),
    C("kthvalue", "argsort", lambda x: gg.kthvalue(x, 3), [X34],
      lambda x: (np.sort(x, 1)[:, 2], np.argsort(x, 1)[:, 2])),
    C("median", "argsort", lambda x: gg.median(x), [X34],
      lambda x: np.sort(x.reshape(-1))[5]),
    C("median-dim", "argsort", lambda x: gg.median(x, 0), [X34],
      lambda x: (np.sort(x, 0)[1], np.argsort(x, 0)[1])),
    C("mode", "mode_index", lambda x: gg.mode(x, 1), [ints([1, 2, 2, 1, 3], [4, 4, 0, 0, 4])],
      lambda x: np_mode(x, 1)),
    C("searchsorted", "searchsorted", lambda s, v: gg.searchsorted(s, v),
      [np.sort(u(5)), u(2, 3)], np_searchsorted, grad=()),
    C("searchsorted-batched-right", "searchsorted",
      lambda s, v: gg.searchsorted(s, v, right=True),
      [np.sort(u(2, 5), 1), u(2, 3)], lambda s, v: np_searchsorted(s, v, True), grad=()),
    C("bucketize", "searchsorted", lambda v, b: gg.bucketize(v, b), [u(4), np.sort(u(3))],
      lambda v, b: np.searchsorted(b, v), grad=()),
    C("unique", "unique", lambda x: gg.unique(x, return_counts=True), [ints(3, 1, 3, 0)],
      lambda x: np.unique(x, return_counts=True), eager_only=True),
]

REORDER = [
    C("flip", "getitem", lambda x: gg.flip(x, (0, 1)), [X34], lambda x: x[::-1, ::-1]),
    C("roll", "cat", lambda x: gg.roll(x, (1, -1), (0, 1)), [X34],
      lambda x: np.roll(x, (1, -1), (0, 1))),
    C("rot90", "getitem", lambda x: gg.rot90(x), [X34], np.rot90),
    C("repeat", "broadcast_to", lambda x: x.repeat(2, 1, 2), [X34],
      lambda x: np.tile(x, (2, 1, 2))),
    C("tile", "broadcast_to", lambda x: gg.tile(x, (2,)), [X34], lambda x: np.tile(x, 2)),
    C("repeat_interleave", "broadcast_to", lambda x: gg.repeat_interleave(x, 2, 1), [X34],
      lambda x: np.repeat(x, 2, 1)),
]

CASES = GATHER_SCATTER + INDEX + SORTING + REORDER
