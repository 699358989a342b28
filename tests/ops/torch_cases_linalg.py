"""Torch-oracle rows for linear algebra: norm, linalg.norm/vector_norm/matrix_norm/svdvals,
einsum, outer, cross, tril/triu, diag, diagonal, trace, dot/vdot/vecdot, isclose/allclose."""
import numpy as np
from torch_cases_reductions import quietly
from torch_oracle import TorchCase

RNG = np.random.default_rng(20250302)
INF, NAN = float("inf"), float("nan")


def u(*shape, lo=-2.0, hi=2.0):
    return RNG.uniform(lo, hi, shape)


def distinct(*shape):
    n = int(np.prod(shape))
    return (RNG.permutation(n) * 0.3 - n * 0.15 + RNG.uniform(0, 0.05, n)).reshape(shape)


def ints(*shape, lo=-9, hi=9, dtype=np.int64):
    return RNG.integers(lo, hi, shape).astype(dtype)


def with_zero_rows(*shape):
    x = u(*shape)
    x[0] = 0.0
    return x


NONE = (None,)
V = u(7)
A = u(3, 4)
BATCH = u(2, 3, 4)

# -- vector norms -------------------------------------------------------------------------------

VECTOR_ORDS = [2, 1, 3, 0.5, 1.5, -1, 0, INF, -INF]
NORMS = [TorchCase(f"vector_norm-ord-{o}", lambda m, x, o=o: m.linalg.vector_norm(x, o),
                   (distinct(2, 5),), gradcheck=o != 0)
         for o in VECTOR_ORDS]
NORMS += [TorchCase(f"vector_norm-dim-ord-{o}",
                    lambda m, x, o=o: m.linalg.vector_norm(x, o, dim=1, keepdim=True),
                    (distinct(3, 4),), gradcheck=o != 0)
          for o in VECTOR_ORDS]
NORMS += [
    TorchCase("vector_norm-dims-tuple", lambda m, x: m.linalg.vector_norm(x, 2, (0, 2)),
              (BATCH,)),
    TorchCase("vector_norm-dtype", lambda m, x: m.linalg.vector_norm(x, dtype=m.float64),
              (u(3, 4),), dtypes=(np.dtype(np.float32),)),
    TorchCase("vector_norm-zero-slice", lambda m, x: m.linalg.vector_norm(x, dim=1),
              (with_zero_rows(3, 4),), gradcheck=False),
    TorchCase("vector_norm-zero-slice-p3", lambda m, x: m.linalg.vector_norm(x, 3, dim=1),
              (with_zero_rows(3, 4),), gradcheck=False),
    TorchCase("vector_norm-zero-slice-p1.5", lambda m, x: m.linalg.vector_norm(x, 1.5, dim=-1),
              (with_zero_rows(3, 4),), gradcheck=False),
    TorchCase("vector_norm-zero-slice-p0.5", lambda m, x: m.linalg.vector_norm(x, 0.5, dim=-1),
              (np.array([[0.0, 1.0, -2.0], [0.5, 0.0, 0.0]]),), gradcheck=False),
    TorchCase("vector_norm-nan-gradient", lambda m, x: (m.linalg.vector_norm(x, 1, dim=1),
                                                       m.linalg.vector_norm(x, 1.5, dim=1)),
              (np.array([[1.0, NAN, -2.0], [0.5, -1.0, 3.0]]),), gradcheck=False),
    TorchCase("vector_norm-inf-ties", lambda m, x: m.linalg.vector_norm(x, INF, dim=1),
              (np.array([[1.0, -3.0, 3.0], [2.0, 2.0, -1.0]]),), gradcheck=False),
    TorchCase("vector_norm-empty", lambda m, x: (m.linalg.vector_norm(x),
                                                 m.linalg.vector_norm(x, 1, dim=0)),
              (u(0, 3),)),
    TorchCase("vector_norm-0d", lambda m, x: m.linalg.vector_norm(x, 3), (u(),)),
    TorchCase("norm-default", lambda m, x: m.norm(x), (A,)),
    TorchCase("norm-method-p-dim", lambda m, x: x.norm(1, dim=1), (A,)),
    TorchCase("norm-fro-dims", lambda m, x: m.norm(x, "fro", dim=(1, 2), keepdim=True),
              (BATCH,)),
    TorchCase("norm-nuc", lambda m, x: m.norm(x, "nuc"), (A,)),
    TorchCase("norm-inf-dim", lambda m, x: m.norm(x, INF, dim=0), (distinct(3, 4),)),
    TorchCase("norm-p-3-keepdim", lambda m, x: m.norm(x, 3, 1, True), (A,)),
    TorchCase("linalg.norm-vector", lambda m, x: m.linalg.norm(x), (V,)),
    TorchCase("linalg.norm-vector-ord", lambda m, x: m.linalg.norm(x, 3), (V,)),
    TorchCase("linalg.norm-matrix-default", lambda m, x: m.linalg.norm(x), (A,)),
    TorchCase("linalg.norm-matrix-ord-1", lambda m, x: m.linalg.norm(x, 1), (distinct(3, 4),)),
    TorchCase("linalg.norm-matrix-nuc", lambda m, x: m.linalg.norm(x, "nuc"), (A,)),
    TorchCase("linalg.norm-dim-int", lambda m, x: m.linalg.norm(x, dim=-1), (BATCH,)),
    TorchCase("linalg.norm-dim-pair-ord", lambda m, x: m.linalg.norm(x, -INF, dim=(0, 2)),
              (distinct(2, 3, 4),)),
    TorchCase("linalg.norm-keepdim", lambda m, x: m.linalg.norm(x, 2, (1, 2), keepdim=True),
              (BATCH,)),
]

MATRIX_ORDS = ["fro", "nuc", 2, -2, 1, -1, INF, -INF]
NORMS += [TorchCase(f"matrix_norm-{o}", lambda m, x, o=o: m.linalg.matrix_norm(x, o),
                    (distinct(3, 4),)) for o in MATRIX_ORDS]
NORMS += [TorchCase(f"matrix_norm-batch-keepdim-{o}",
                    lambda m, x, o=o: m.linalg.matrix_norm(x, o, keepdim=True),
                    (distinct(2, 4, 3),)) for o in MATRIX_ORDS]
NORMS += [TorchCase(f"matrix_norm-dims-{o}",
                    lambda m, x, o=o: m.linalg.matrix_norm(x, o, dim=(2, 0)),
                    (distinct(3, 2, 4),)) for o in MATRIX_ORDS]
NORMS += [
    TorchCase("matrix_norm-dims-keepdim-nuc",
              lambda m, x: m.linalg.matrix_norm(x, "nuc", dim=(0, 2), keepdim=True),
              (distinct(3, 2, 4),)),
    TorchCase("matrix_norm-empty", lambda m, x: (m.linalg.matrix_norm(x),
                                                 m.linalg.matrix_norm(x, "nuc"),
                                                 m.linalg.matrix_norm(x, 1)), (u(0, 3),)),
    TorchCase("svdvals", lambda m, x: m.linalg.svdvals(x), (u(3, 4),)),
    TorchCase("svdvals-tall-batch", lambda m, x: m.linalg.svdvals(x), (u(2, 5, 3),)),
]

# -- einsum -------------------------------------------------------------------------------------

EINSUM = [
    TorchCase("einsum-matmul", lambda m, a, b: m.einsum("ij,jk->ik", a, b), (u(3, 4), u(4, 5))),
    TorchCase("einsum-batch-matmul", lambda m, a, b: m.einsum("bij,bjk->bik", a, b),
              (u(2, 3, 4), u(2, 4, 5))),
    TorchCase("einsum-implicit", lambda m, a, b: m.einsum("ij,jk", a, b), (u(3, 4), u(4, 2))),
    TorchCase("einsum-implicit-order", lambda m, a: m.einsum("ba", a), (u(3, 4),)),
    TorchCase("einsum-uppercase", lambda m, a, b: m.einsum("Ba,aC", a, b), (u(2, 3), u(3, 4))),
    TorchCase("einsum-outer", lambda m, a, b: m.einsum("i,j->ij", a, b), (u(3), u(4))),
    TorchCase("einsum-inner", lambda m, a, b: m.einsum("i,i", a, b), (u(5), u(5))),
    TorchCase("einsum-transpose", lambda m, a: m.einsum("ijk->kij", a), (u(2, 3, 4),)),
    TorchCase("einsum-sum", lambda m, a: m.einsum("ijk->j", a), (u(2, 3, 4),)),
    TorchCase("einsum-trace", lambda m, a: m.einsum("ii", a), (u(4, 4),)),
    TorchCase("einsum-diagonal", lambda m, a: m.einsum("ii->i", a), (u(4, 4),)),
    TorchCase("einsum-diagonal-3d", lambda m, a: m.einsum("iji->ji", a), (u(3, 2, 3),)),
    TorchCase("einsum-ellipsis", lambda m, a, b: m.einsum("...ij,...jk->...ik", a, b),
              (u(2, 1, 3, 4), u(5, 4, 2))),
    TorchCase("einsum-ellipsis-implicit", lambda m, a: m.einsum("i...->...", a), (u(3, 2, 4),)),
    TorchCase("einsum-ellipsis-middle", lambda m, a, b: m.einsum("a...b,b->...a", a, b),
              (u(2, 3, 4, 5), u(5))),
    TorchCase("einsum-ellipsis-summed", lambda m, a: m.einsum("...ij->ij", a), (u(2, 3, 4),)),
    TorchCase("einsum-broadcast-size-1", lambda m, a, b: m.einsum("ij,ij->i", a, b),
              (u(3, 1), u(3, 4))),
    TorchCase("einsum-contract-size-1", lambda m, a, b: m.einsum("ij,jk->ik", a, b),
              (u(3, 1), u(4, 2))),
    TorchCase("einsum-three-operands", lambda m, a, b, c: m.einsum("ij,jk,kl->il", a, b, c),
              (u(2, 3), u(3, 4), u(4, 2))),
    TorchCase("einsum-bilinear", lambda m, x, w, y: m.einsum("bi,oij,bj->bo", x, w, y),
              (u(3, 4), u(2, 4, 5), u(3, 5))),
    TorchCase("einsum-attention", lambda m, q, k: m.einsum("bhqd,bhkd->bhqk", q, k),
              (u(2, 2, 3, 4), u(2, 2, 5, 4))),
    TorchCase("einsum-hadamard-keep", lambda m, a, b: m.einsum("ij,ij->ij", a, b),
              (u(3, 4), u(3, 4))),
    TorchCase("einsum-scalar-operand", lambda m, a, s: m.einsum("ij,->ij", a, s), (u(2, 3), u())),
    TorchCase("einsum-spaces", lambda m, a, b: m.einsum("i j , j k -> i k", a, b),
              (u(2, 3), u(3, 2))),
    TorchCase("einsum-list", lambda m, a, b: m.einsum("ij,j->i", [a, b]), (u(3, 4), u(4))),
    TorchCase("einsum-sublist", lambda m, a, b: m.einsum(a, [0, 1], b, [1, 2], [0, 2]),
              (u(2, 3), u(3, 4))),
    TorchCase("einsum-sublist-ellipsis", lambda m, a, b: m.einsum(a, [..., 0], b, [...]),
              (u(3, 2), u(3))),
    TorchCase("einsum-repeated-across-and-within", lambda m, a, b: m.einsum("iij,j->i", a, b),
              (u(3, 3, 4), u(4))),
    TorchCase("einsum-empty", lambda m, a, b: m.einsum("ij,jk->ik", a, b), (u(2, 0), u(0, 3))),
    TorchCase("einsum-int", lambda m, a, b: m.einsum("ij,jk->ik", a, b),
              (ints(2, 3), ints(3, 4)), dtypes=NONE),
]

# -- matrix helpers -----------------------------------------------------------------------------

MATRIX = [
    TorchCase("tril", lambda m, x: m.tril(x), (u(4, 5),)),
    TorchCase("tril-diagonal", lambda m, x: x.tril(-1), (u(4, 3),)),
    TorchCase("tril-batch-positive", lambda m, x: m.tril(x, diagonal=2), (u(2, 3, 5),)),
    TorchCase("triu", lambda m, x: m.triu(x), (u(4, 5),)),
    TorchCase("triu-diagonal", lambda m, x: x.triu(1), (u(2, 4, 3),)),
    TorchCase("triu-negative", lambda m, x: m.triu(x, -2), (u(5, 3),)),
    TorchCase("tril-int", lambda m, x: m.tril(x), (ints(3, 4),), dtypes=NONE),
    TorchCase("triu-bool", lambda m, x: m.triu(x), (RNG.random((3, 3)) < 0.5,), dtypes=NONE),
    TorchCase("tril-empty", lambda m, x: m.tril(x), (u(2, 0, 3),)),
    TorchCase("tril-inplace", lambda m, x: x.clone().tril_(1) * 1.0, (u(3, 4),)),
    TorchCase("triu-inplace", lambda m, x: x.clone().triu_() * 1.0, (u(3, 4),)),
    TorchCase("diagonal", lambda m, x: m.diagonal(x), (u(3, 4),)),
    TorchCase("diagonal-offset", lambda m, x: x.diagonal(1), (u(3, 4),)),
    TorchCase("diagonal-negative-offset", lambda m, x: m.diagonal(x, -2), (u(4, 3),)),
    TorchCase("diagonal-dims", lambda m, x: m.diagonal(x, 1, 0, 2), (u(3, 2, 4),)),
    TorchCase("diagonal-negative-dims", lambda m, x: x.diagonal(0, -1, -3), (u(3, 2, 4),)),
    TorchCase("diagonal-out-of-range", lambda m, x: m.diagonal(x, 5), (u(3, 4),)),
    TorchCase("linalg.diagonal", lambda m, x: m.linalg.diagonal(x, offset=1), (u(2, 3, 4),)),
    TorchCase("diag-vector", lambda m, v: m.diag(v), (u(4),)),
    TorchCase("diag-vector-offset", lambda m, v: m.diag(v, 2), (u(3),)),
    TorchCase("diag-vector-negative-offset", lambda m, v: v.diag(-1), (u(3),)),
    TorchCase("diag-matrix", lambda m, x: m.diag(x), (u(3, 4),)),
    TorchCase("diag-matrix-offset", lambda m, x: m.diag(x, -1), (u(3, 4),)),
    TorchCase("diag-int", lambda m, v: m.diag(v, 1), (ints(3),), dtypes=NONE),
    TorchCase("trace", lambda m, x: m.trace(x), (u(3, 4),)),
    TorchCase("trace-method", lambda m, x: x.trace(), (u(4, 4),)),
    TorchCase("trace-int32", lambda m, x: m.trace(x), (ints(3, 3, dtype=np.int32),),
              dtypes=NONE),
    TorchCase("trace-empty", lambda m, x: m.trace(x), (u(0, 3),)),
    TorchCase("outer", lambda m, a, b: m.outer(a, b), (u(3), u(4))),
    TorchCase("outer-method", lambda m, a, b: a.outer(b), (u(2), u(5))),
    TorchCase("outer-int-float", lambda m, a, b: m.outer(a, b), (ints(3), u(2))),
    TorchCase("cross", lambda m, a, b: m.cross(a, b, dim=1), (u(4, 3), u(4, 3))),
    TorchCase("cross-default-dim", lambda m, a, b: quietly(m.cross, a, b),
              (u(2, 3, 3), u(2, 3, 3))),
    TorchCase("cross-broadcast", lambda m, a, b: m.cross(a, b, dim=-1), (u(2, 3), u(1, 3))),
    TorchCase("cross-method-dim0", lambda m, a, b: a.cross(b, 0), (u(3, 2), u(3, 2))),
    TorchCase("linalg.cross", lambda m, a, b: m.linalg.cross(a, b), (u(4, 1, 3), u(1, 2, 3))),
    TorchCase("cross-int", lambda m, a, b: m.cross(a, b, dim=0), (ints(3), ints(3)),
              dtypes=NONE),
    TorchCase("outer-empty", lambda m, a, b: m.outer(a, b), (u(0), u(3))),
    TorchCase("cross-empty", lambda m, a, b: m.linalg.cross(a, b), (u(0, 3), u(0, 3))),
    TorchCase("diag-empty", lambda m, v: (m.diag(v), m.diag(v, 1)), (u(0),)),
    TorchCase("diagonal-int-batch", lambda m, x: m.diagonal(x, 0, 1, 2),
              (ints(2, 3, 3, dtype=np.int32),), dtypes=NONE),
    TorchCase("dot-int", lambda m, a, b: m.dot(a, b), (ints(4), ints(4)), dtypes=NONE),
    TorchCase("dot-empty", lambda m, a, b: (m.dot(a, b), m.vdot(a, b)), (u(0), u(0))),
    TorchCase("einsum-empty-output", lambda m, a: m.einsum("ij->j", a), (u(0, 3),)),
    TorchCase("dot", lambda m, a, b: m.dot(a, b), (u(5), u(5))),
    TorchCase("dot-method", lambda m, a, b: a.dot(b), (u(4), u(4))),
    TorchCase("vdot", lambda m, a, b: m.vdot(a, b), (u(5), u(5))),
    TorchCase("vdot-method", lambda m, a, b: a.vdot(b), (u(3), u(3))),
    TorchCase("linalg.vecdot", lambda m, a, b: m.linalg.vecdot(a, b), (u(2, 3, 4), u(3, 4))),
    TorchCase("linalg.vecdot-dim", lambda m, a, b: m.linalg.vecdot(a, b, dim=0),
              (u(3, 2), u(3, 1))),
]

# -- isclose / allclose (no gradient; allclose is a Python bool, eager only) --------------------

CLOSE_A = np.array([1.0, 2.0, INF, -INF, NAN, 0.0, 1e-9, 100.0, NAN, INF])
CLOSE_B = np.array([1.0 + 1e-6, 2.1, INF, INF, NAN, 1e-9, 0.0, 100.001, 1.0, NAN])
CLOSE = [
    TorchCase("isclose", lambda m, a, b: m.isclose(a, b), (CLOSE_A, CLOSE_B), grad=(),
              dtypes=(np.dtype(np.float64),)),
    TorchCase("isclose-equal_nan", lambda m, a, b: a.isclose(b, equal_nan=True),
              (CLOSE_A, CLOSE_B), grad=(), dtypes=(np.dtype(np.float64),)),
    TorchCase("isclose-tolerances", lambda m, a, b: m.isclose(a, b, rtol=1e-2, atol=1e-3),
              (CLOSE_A, CLOSE_B), grad=()),
    TorchCase("isclose-zero-tolerances", lambda m, a, b: m.isclose(a, b, rtol=0, atol=0),
              (CLOSE_A, CLOSE_B), grad=()),
    TorchCase("isclose-broadcast", lambda m, a, b: m.isclose(a, b), (u(3, 1), u(4)), grad=()),
    TorchCase("isclose-int", lambda m, a, b: m.isclose(a, b, atol=1, rtol=0),
              (ints(3, 4, dtype=np.int8), ints(3, 4, dtype=np.int8)), dtypes=NONE),
    TorchCase("isclose-uint8-no-wrap", lambda m, a, b: m.isclose(a, b, atol=1, rtol=0),
              (np.array([1, 200, 0], np.uint8), np.array([2, 1, 255], np.uint8)), dtypes=NONE),
    TorchCase("isclose-int64-default", lambda m, a, b: m.isclose(a, b),
              (np.array([2 ** 40, 5, 100]), np.array([2 ** 40 + 1, 6, 100])), dtypes=NONE),
    TorchCase("isclose-empty", lambda m, a, b: m.isclose(a, b), (u(0, 2), u(0, 2)), grad=()),
    TorchCase("isclose-bool", lambda m, a, b: m.isclose(a, b, atol=1, rtol=0),
              (np.array([True, False]), np.array([False, False])), dtypes=NONE),
    # the harness compares tensors: the Python bool is wrapped (test_reductions checks its type)
    TorchCase("allclose", lambda m, a, b: m.tensor(m.allclose(a, b)), (A, A + 1e-7), grad=(),
              compiled=False),
    TorchCase("allclose-false", lambda m, a, b: m.tensor(a.allclose(b, atol=1e-3)),
              (A, A + 1e-2), grad=(), compiled=False),
    TorchCase("allclose-nan", lambda m, a, b: m.tensor([m.allclose(a, b),
                                                        m.allclose(a, b, equal_nan=True)]),
              (np.array([1.0, NAN]), np.array([1.0, NAN])), grad=(), compiled=False),
]

CASES = NORMS + EINSUM + MATRIX + CLOSE
