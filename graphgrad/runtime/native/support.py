"""What generated native modules import from graphgrad (kept small: they are cached on disk
and loaded in other processes): the check failure and shared numba helpers, compiled once per
argument types for all schedules (and cached beside this file by numba)."""
import numpy as np


class CheckFailed(Exception):
    """Raised by a native data check (e.g. class indices in range); the driver then runs the
    op's NumPy kernel, which raises the error that names the bad value."""


def _matmul_loops(a, b, out):
    """out = a @ b for small 2-D matrices: rows of `out` accumulate rows of `b` (contiguous,
    so the inner loop vectorizes); a transposed `b` is copied to row-major first."""
    m, k = a.shape
    n = b.shape[1]
    rows = np.ascontiguousarray(b)
    for i in range(m):
        for j in range(n):
            out[i, j] = 0
        for p in range(k):
            aip = a[i, p]
            for j in range(n):
                out[i, j] += aip * rows[p, j]
    return out


def _column_sums(x, out):
    """out[j] = the sum of column j of 2-D `x`, added row after row in out's dtype (bias
    gradients); the inner loop, over a contiguous row, vectorizes. One cached function rather
    than these loops in every generated segment (each copy cost 0.1 s of compile time)."""
    for j in range(out.shape[0]):
        out[j] = 0
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[j] += x[i, j]


def _gemm(a, b, out):
    """out = a @ b through BLAS (numba calls scipy's): one compiled copy per layout, called
    from every schedule, instead of numba's np.dot code inlined at each product."""
    np.dot(a, b, out)


try:
    from numba import njit
except ImportError:         # the NumPy backend never imports this module's kernels
    matmul_loops = gemm = column_sums = None
else:
    _compiled = njit(cache=True, error_model="numpy", nogil=True)
    matmul_loops = _compiled(_matmul_loops)
    gemm = _compiled(_gemm)
    column_sums = _compiled(_column_sums)
