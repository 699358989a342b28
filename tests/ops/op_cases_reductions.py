"""Op-table entries for the reduction, scan and norm primitives (amin, argmin, prod, nansum,
cumsum, cumprod, logcumsumexp, cummax/cummin indices, vector_norm, svdvals, svd_vectors) and
the functions built on them, against NumPy references. `test_ops.py` collects CASES."""
import numpy as np
from helpers import OpCase

import graphgrad as gg
from graphgrad.dispatch import bind
from graphgrad.ops.norms import SVD_VECTORS

RNG = np.random.default_rng(20250303)


def u(*shape, lo=-2.0, hi=2.0):
    return RNG.uniform(lo, hi, shape)


def distinct(*shape):
    n = int(np.prod(shape))
    return (RNG.permutation(n) * 0.3 - n * 0.15 + RNG.uniform(0, 0.05, n)).reshape(shape)


def ints(*shape, lo=-9, hi=9, dtype=np.int64):
    return RNG.integers(lo, hi, shape).astype(dtype)


# -- NumPy references -----------------------------------------------------------------------------

def np_cumext_indices(x, axis, accumulate):
    """The index of the running extreme (the last position reaching it)."""
    out = np.zeros(x.shape, np.int64)
    moved, view = np.moveaxis(x, axis, -1), np.moveaxis(out, axis, -1)
    for idx in np.ndindex(moved.shape[:-1]):
        best = 0
        for i, v in enumerate(moved[idx]):
            if accumulate(v, moved[idx][best]) == v:
                best = i
            view[idx + (i,)] = best
    return out


def np_vector_norm(x, ord, axis=None, keepdims=False):
    a = np.abs(x)
    if ord == np.inf:
        return a.max(axis, keepdims=keepdims)
    if ord == -np.inf:
        return a.min(axis, keepdims=keepdims)
    if ord == 0:
        return (x != 0).sum(axis, keepdims=keepdims).astype(x.dtype)
    return (a ** ord).sum(axis, keepdims=keepdims) ** (1.0 / ord)


def np_svd_vectors(x):
    uu, _, vh = np.linalg.svd(x, full_matrices=False)
    return np.concatenate([uu, np.swapaxes(vh, -1, -2)], axis=-2)


def polar(x, m, w=None):
    """U diag(w) V^T from the svd_vectors primitive (w = 1: the polar factor U V^T)."""
    uv = bind(SVD_VECTORS, x)
    u, v = uv[:m], uv[m:]
    if w is not None:
        u = u * gg.tensor(np.array(w, dtype=x.dtype))
    return u @ v.T


def np_polar(x, m, w=None):
    uu, _, vh = np.linalg.svd(x, full_matrices=False)
    return (uu * (1.0 if w is None else np.array(w))) @ vh


def np_logcumsumexp(x, axis):
    return np.logaddexp.accumulate(x, axis)


C = OpCase
WITH_ZEROS = np.array([[1.5, 0.0, 2.0, -1.0], [0.5, 2.0, 0.0, 0.0], [0.7, 1.2, 2.0, -0.5]])
WELL_CONDITIONED = np.array([[3.0, 0.5, -0.2, 0.1], [0.4, -2.0, 0.3, 0.2], [0.1, 0.2, 1.0, -0.3]])

CASES = [
    C("amin-primitive", "amin", lambda x: gg.amin(x, 1), [distinct(3, 4)], lambda x: x.min(1)),
    C("amin-int32-extreme", "amin", lambda x: x.amin(0),
      [np.array([[3, -2 ** 31], [2 ** 31 - 1, 0]], np.int32)], lambda x: x.min(0)),
    C("amin-uint8", "amin", gg.amin, [np.array([3, 0, 255], np.uint8)], np.min),
    C("argmin-primitive", "argmin", lambda x: gg.argmin(x, -1, keepdim=True), [distinct(3, 4)],
      lambda x: x.argmin(-1, keepdims=True), grad=()),
    C("argmin-uint8", "argmin", gg.argmin, [np.array([3, 0, 255], np.uint8)], np.argmin),
    C("prod-all", "prod", gg.prod, [u(3, 4, lo=0.5, hi=1.5)], np.prod),
    C("prod-dim", "prod", lambda x: x.prod(1, keepdim=True), [u(3, 4)],
      lambda x: x.prod(1, keepdims=True)),
    C("prod-zeros", "prod", lambda x: gg.prod(x, 1), [WITH_ZEROS], lambda x: x.prod(1)),
    C("prod-int", "prod", lambda x: gg.prod(x, 0), [ints(3, 4)], lambda x: x.prod(0)),
    C("nansum", "nansum", lambda x: gg.nansum(x, 1),
      [np.array([[1.0, np.nan, 3.0], [0.5, -2.0, np.nan]])], lambda x: np.nansum(x, 1)),
    C("nanmean", "nansum", lambda x: x.nanmean(0),
      [np.array([[1.0, np.nan, 3.0], [0.5, -2.0, 1.0]])], lambda x: np.nanmean(x, 0)),
    C("cumsum", "cumsum", lambda x: gg.cumsum(x, 1), [u(3, 4)], lambda x: np.cumsum(x, 1)),
    C("cumsum-int32", "cumsum", lambda x: x.cumsum(0), [ints(3, 4, dtype=np.int32)],
      lambda x: np.cumsum(x, 0, dtype=np.int64)),
    C("cumprod", "cumprod", lambda x: gg.cumprod(x, 1), [u(3, 4)], lambda x: np.cumprod(x, 1)),
    C("cumprod-zeros", "cumprod", lambda x: gg.cumprod(x, 1), [WITH_ZEROS],
      lambda x: np.cumprod(x, 1)),
    C("logcumsumexp", "logcumsumexp", lambda x: gg.logcumsumexp(x, 0), [u(4, 3)],
      lambda x: np_logcumsumexp(x, 0)),
    C("cummax", "cummax_indices", lambda x: gg.cummax(x, 1), [distinct(3, 5)],
      lambda x: (np.maximum.accumulate(x, 1), np_cumext_indices(x, 1, max))),
    C("cummin", "cummin_indices", lambda x: gg.cummin(x, 0), [distinct(4, 3)],
      lambda x: (np.minimum.accumulate(x, 0), np_cumext_indices(x, 0, min))),
    C("cummax-indices", "cummax_indices", lambda x: x.cummax(0).indices, [distinct(4, 3)],
      lambda x: np_cumext_indices(x, 0, max), grad=()),
    C("cummin-indices", "cummin_indices", lambda x: gg.cummin(x, 1)[1], [distinct(3, 4)],
      lambda x: np_cumext_indices(x, 1, min), grad=()),
    C("vector_norm-2", "vector_norm", lambda x: gg.linalg.vector_norm(x, dim=1), [u(3, 4)],
      lambda x: np_vector_norm(x, 2, 1)),
    C("vector_norm-3", "vector_norm", lambda x: gg.linalg.vector_norm(x, 3, keepdim=True),
      [u(3, 4)], lambda x: np_vector_norm(x, 3, keepdims=True).reshape(1, 1)),
    C("vector_norm-inf", "vector_norm", lambda x: gg.linalg.vector_norm(x, float("inf"), 0),
      [distinct(3, 4)], lambda x: np_vector_norm(x, np.inf, 0)),
    C("vector_norm-half", "vector_norm", lambda x: gg.norm(x, 0.5, 1), [u(3, 4)],
      lambda x: np_vector_norm(x, 0.5, 1)),
    C("svdvals", "svdvals", gg.linalg.svdvals, [WELL_CONDITIONED],
      lambda x: np.linalg.svd(x, compute_uv=False)),
    C("matrix_norm-nuc", "svdvals", lambda x: gg.linalg.matrix_norm(x, "nuc"),
      [WELL_CONDITIONED], lambda x: np.linalg.norm(x, "nuc")),
    C("svd_vectors", "svd_vectors", lambda x: bind(SVD_VECTORS, x), [WELL_CONDITIONED],
      np_svd_vectors),
    # singular vectors are defined up to sign: U V^T and U diag(w) V^T are not
    C("svd_vectors-polar", "svd_vectors", lambda x: polar(x, 3), [WELL_CONDITIONED],
      lambda x: np_polar(x, 3)),
    C("svd_vectors-tall-weighted", "svd_vectors", lambda x: polar(x, 4, (1.0, -2.0, 0.5)),
      [WELL_CONDITIONED.T.copy()], lambda x: np_polar(x, 4, (1.0, -2.0, 0.5))),
]
