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


def _gemm(a, b, out):
    """out = a @ b through BLAS (numba calls scipy's): one compiled copy per layout, called
    from every schedule, instead of numba's np.dot code inlined at each product."""
    np.dot(a, b, out)


def _exp_row(x, i, exps):
    """exps = exp(x[i] - max(x[i])); returns the max and the sum of the exps (in float64).
    The exps go through an array of their own so that their loop has no reduction in it and
    nothing it writes can alias `x`: it vectorizes (written over `x` itself, in place, it ran
    scalar: 2.5x slower)."""
    m = x[i, 0]
    for j in range(x.shape[1]):
        v = x[i, j]
        if v > m or v != v:
            m = v
    for j in range(x.shape[1]):
        exps[j] = exp_of(x[i, j] - m)
    s = 0.0
    for j in range(x.shape[1]):
        s += exps[j]
    return m, s


def _log_softmax_rows(x, out):
    """log_softmax over the last dim of C-contiguous 2-D `x` (rows), as the NumPy kernel:
    x - max, minus the log of the sum of exp (summed in float64). `out` may be `x`."""
    exps = np.empty(x.shape[1], x.dtype)
    for i in range(x.shape[0]):
        m, s = exp_row(x, i, exps)
        ls = log_of(x.dtype.type(s))
        for j in range(x.shape[1]):
            out[i, j] = (x[i, j] - m) - ls


def _softmax_rows(x, out):
    exps = np.empty(x.shape[1], x.dtype)
    for i in range(x.shape[0]):
        m, s = exp_row(x, i, exps)
        total = x.dtype.type(s)
        for j in range(x.shape[1]):
            out[i, j] = exps[j] / total


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
    matmul_loops = gemm = log_softmax_rows = softmax_rows = None
else:
    from graphgrad.runtime.native.float32_math import exp_of, log_of

    _compiled = njit(cache=True, error_model="numpy", nogil=True)
    matmul_loops = _compiled(_matmul_loops)
    gemm = _compiled(_gemm)
    # not cached here: numba's cache would not see a change to float32_math.py. Compiled
    # into the generated modules that call them, whose cache does (their source holds a
    # digest of these helpers)
    exp_row = njit(inline="always", error_model="numpy")(_exp_row)
    log_softmax_rows = njit(error_model="numpy", nogil=True)(_log_softmax_rows)
    softmax_rows = njit(error_model="numpy", nogil=True)(_softmax_rows)

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
