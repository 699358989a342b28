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


def flat(a):
    """`a` as a 1-D C-contiguous array (a view when `a` is C-contiguous, else a copy)."""
    raise NotImplementedError("numba-only helper")


def flat_out(a):
    """A 1-D array to write `a`'s elements into: a view of `a` when it is C-contiguous, else a
    new array that `store(a, f)` copies back."""
    raise NotImplementedError("numba-only helper")


def store(a, f):
    raise NotImplementedError("numba-only helper")


try:
    from numba import njit
    from numba.extending import overload
except ImportError:         # the NumPy backend never imports this module's kernels
    matmul_loops = None
else:
    matmul_loops = njit(cache=True, error_model="numpy", nogil=True)(_matmul_loops)

    # chosen by the array's layout when numba types the generated code: flat 1-D loops
    # vectorize, and C-contiguous arrays (almost all) are never copied
    @overload(flat)
    def _flat(a):
        if a.layout == "C":
            return lambda a: a.reshape(-1)
        return lambda a: np.ascontiguousarray(a).reshape(-1)

    @overload(flat_out)
    def _flat_out(a):
        if a.layout == "C":
            return lambda a: a.reshape(-1)
        return lambda a: np.empty(a.size, a.dtype)

    @overload(store)
    def _store(a, f):
        if a.layout == "C":
            return lambda a, f: None
        return lambda a, f: _copy_back(a, f)

    @njit
    def _copy_back(a, f):
        a[...] = f.reshape(a.shape)
