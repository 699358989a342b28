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


def _shift_rows(x, out):
    """out = x - the max of its row. The max is a select that skips NaN (a branch on `v != v`
    as well kept the loop scalar: 2x slower); a NaN in a row still makes the row's results all
    NaN, as in the NumPy kernels: its exp is NaN, and so is the row's sum, which every result
    is divided by (softmax) or has the log of subtracted (log-softmax). `out` may be `x`."""
    for i in range(x.shape[0]):
        m = x[i, 0]
        for j in range(x.shape[1]):
            v = x[i, j]
            m = v if v > m else m
        for j in range(x.shape[1]):
            out[i, j] = x[i, j] - m


def _sum_in_any_order(a):
    """The float64 sum of a 1-D array, added in whatever order vectorizes (compiled with
    fastmath's `reassoc` alone, in a function of its own so that the flag stays on these
    additions): 3.5x faster than one chain of additions on rows of 32."""
    s = 0.0
    for j in range(a.shape[0]):
        s += a[j]
    return s


def _log_softmax_rows(x, out):
    """log_softmax over the last dim of C-contiguous 2-D `x` (rows), as the NumPy kernel:
    x - max, minus the log of the sum of exp (summed in float64). `out` may be `x`. The exps
    of all rows are one flat loop: per row (attention's rows of 32), each entry into the
    vectorized exp loop set up its constants again, and softmax took twice as long."""
    shift_rows(x, out)
    shifted = out.reshape(-1)
    exps = np.empty(shifted.shape[0], x.dtype)
    for k in range(shifted.shape[0]):
        exps[k] = exp_of(shifted[k])
    rows = exps.reshape(x.shape)
    for i in range(x.shape[0]):
        ls = log_of(x.dtype.type(sum_in_any_order(rows[i])))
        for j in range(x.shape[1]):
            out[i, j] = out[i, j] - ls


def _softmax_rows(x, out):
    """softmax over the last dim, as log_softmax_rows: the exps are written into `out`."""
    shift_rows(x, out)
    shifted = out.reshape(-1)
    for k in range(shifted.shape[0]):
        shifted[k] = exp_of(shifted[k])
    for i in range(x.shape[0]):
        total = x.dtype.type(sum_in_any_order(out[i]))
        for j in range(x.shape[1]):
            out[i, j] = out[i, j] / total


def _copy_into(out, a):
    """out[...] = a for arrays of one shape: a flat loop (numba compiles the shape check of
    `out[...] = a` with its error message, seconds the first time in a process)."""
    o = flat_out(out)
    f = flat(a)
    for k in range(o.shape[0]):
        o[k] = f[k]
    store(out, o)


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
    matmul_loops = gemm = copy_into = log_softmax_rows = softmax_rows = sum_in_any_order = None
else:
    from graphgrad.runtime.native.float32_math import exp_of, log_of
    from graphgrad.runtime.native.views import _reshaped_c

    _compiled = njit(cache=True, error_model="numpy", nogil=True)
    matmul_loops = _compiled(_matmul_loops)
    gemm = _compiled(_gemm)
    copy_into = _compiled(_copy_into)
    # not cached here: numba's cache would not see a change to float32_math.py. Compiled
    # into the generated modules that call them, whose cache does (their source holds a
    # digest of these helpers)
    shift_rows = njit(inline="always", error_model="numpy")(_shift_rows)
    sum_in_any_order = njit(error_model="numpy", fastmath={"reassoc"})(_sum_in_any_order)
    log_softmax_rows = njit(error_model="numpy", nogil=True)(_log_softmax_rows)
    softmax_rows = njit(error_model="numpy", nogil=True)(_softmax_rows)

    # chosen by the array's layout when numba types the generated code: flat 1-D loops
    # vectorize, and C-contiguous arrays (almost all) are never copied
    @overload(flat)
    def _flat(a):
        if a.layout == "C":
            return lambda a: _reshaped_c(a, (a.size,))
        return lambda a: _reshaped_c(np.ascontiguousarray(a), (a.size,))

    @overload(flat_out)
    def _flat_out(a):
        if a.layout == "C":
            return lambda a: _reshaped_c(a, (a.size,))
        return lambda a: np.empty(a.size, a.dtype)

    @overload(store)
    def _store(a, f):
        if a.layout == "C":
            return lambda a, f: None
        return lambda a, f: _copy_back(a, f)

    @njit
    def _copy_back(a, f):
        a[...] = f.reshape(a.shape)
