"""Torch-oracle rows for matrix products: matmul (1-D, 2-D, batched, broadcast), mm, bmm, dot."""
import numpy as np
from oracle_rows import ONLY64, case, ints, u

CASES = [
    case("matmul", lambda m, a, b: m.matmul(a, b), (u(3, 4), u(4, 2))),
    case("matmul-vector-vector", lambda m, a, b: m.matmul(a, b), (u(4), u(4))),
    case("matmul-vector-matrix", lambda m, a, b: (m.matmul(a, b), m.matmul(b.t(), a)),
         (u(3), u(3, 2))),
    case("matmul-batched-vector", lambda m, a, b: (m.matmul(a, b), m.matmul(b, a)),
         (u(2, 3, 3), u(3))),
    case("matmul-broadcast", lambda m, a, b: m.matmul(a, b), (u(2, 1, 3, 4), u(3, 4, 2)),
         dtypes=ONLY64),
    case("matmul-empty", lambda m, a, b: (m.matmul(a, b), m.matmul(b.t(), a.t())),
         (u(0, 3), u(3, 2)), dtypes=ONLY64),
    # an empty inner dim gives zeros
    case("matmul-empty-inner", lambda m, a, b: m.matmul(a, b), (u(2, 0), u(0, 3)),
         dtypes=ONLY64),
    case("matmul-int", lambda m, a, b: (m.matmul(a, b), a @ b[:, 0]), (ints(2, 3), ints(3, 2))),
    case("matmul-method", lambda m, a, b: a.matmul(b), (u(2, 3), u(3, 2))),
    case("mm", lambda m, a, b: m.mm(a, b), (u(3, 4), u(4, 2))),
    case("mm-empty", lambda m, a, b: m.mm(a, b), (u(3, 0), u(0, 2)), dtypes=ONLY64),
    case("bmm", lambda m, a, b: m.bmm(a, b), (u(2, 3, 4), u(2, 4, 2))),
    case("bmm-empty", lambda m, a, b: m.bmm(a, b), (u(0, 3, 4), u(0, 4, 2)), dtypes=ONLY64),
    case("dot-1d", lambda m, a, b: m.dot(a, b), (u(5), u(5))),
    case("dot-zero-size", lambda m, a, b: m.dot(a, b), (u(0), u(0)), dtypes=ONLY64),
    case("dot-int64", lambda m, a, b: m.dot(a, b), (ints(4), ints(4))),
    case("matmul-float32-large-k", lambda m, a, b: m.matmul(a, b), (u(2, 64), u(64, 3)),
         rtol=1e-4, atol=1e-4, dtypes=(np.dtype(np.float32),)),
]
