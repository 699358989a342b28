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


# -- NumPy's own BLAS -----------------------------------------------------------------------------
# numba's np.dot calls scipy's OpenBLAS; NumPy's wheels bundle a newer one (0.3.31 against
# 0.3.30 here), faster on most of the products of the benchmark's steps (interleaved, the mnist
# step's g.T @ x: 486 against 540 us; x @ W.T the exception, 627 against 581; the transformer
# step 5% faster overall), and the hand-written NumPy steps the benchmark compares with use it.
# Where NumPy's extension exports its 64-bit-integer CBLAS (the OpenBLAS inside NumPy's wheels),
# float32 and float64 products call it; elsewhere they stay on np.dot.

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112
_CBLAS = {"sgemm": "scipy_cblas_sgemm64_", "dgemm": "scipy_cblas_dgemm64_"}


def _register_numpy_cblas():
    """Register NumPy's CBLAS gemm functions with LLVM under graphgrad's names (cached code
    refers to them by name); True when both were found."""
    import ctypes
    try:
        import llvmlite.binding as llvm
        library = ctypes.CDLL(np._core._multiarray_umath.__file__)
        addresses = {name: ctypes.cast(getattr(library, symbol), ctypes.c_void_p).value
                     for name, symbol in _CBLAS.items()}
    except (AttributeError, ImportError, OSError):
        return False
    for name, address in addresses.items():
        llvm.add_symbol(f"graphgrad_numpy_cblas_{name}", address)
    return True


def _operand(x, cols):
    """(transpose flag, leading dimension, array) for a 2-D BLAS operand in row-major terms:
    x itself when x or x.T is row-major with unit stride, else a row-major copy."""
    size = x.itemsize
    rows = x.shape[0]
    if x.strides[1] == size and x.strides[0] % size == 0 and x.strides[0] // size >= max(1, cols):
        return NO_TRANS, x.strides[0] // size, x
    if x.strides[0] == size and x.strides[1] % size == 0 and x.strides[1] // size >= max(1, rows):
        return TRANS, x.strides[1] // size, x
    return NO_TRANS, cols, np.ascontiguousarray(x)


def _numpy_gemm(a, b, out):
    m, k = a.shape
    n = b.shape[1]
    if m == 0 or n == 0 or k == 0:
        out[...] = 0
        return
    trans_a, lda, a = _operand(a, k)
    trans_b, ldb, b = _operand(b, n)
    _cblas_gemm(trans_a, trans_b, m, n, k, a, lda, b, ldb, out)


def _cblas_gemm(trans_a, trans_b, m, n, k, a, lda, b, ldb, out):
    """NumPy's cblas_sgemm or cblas_dgemm (by out's dtype): out = op(a) @ op(b)."""
    raise NotImplementedError("numba-only helper")


try:
    from numba import njit, types
    from numba.extending import overload
except ImportError:         # the NumPy backend never imports this module's kernels
    matmul_loops = gemm = column_sums = None
    NUMPY_CBLAS = False
else:
    _compiled = njit(cache=True, error_model="numpy", nogil=True)
    matmul_loops = _compiled(_matmul_loops)
    column_sums = _compiled(_column_sums)
    _operand = njit(inline="always")(_operand)
    NUMPY_CBLAS = _register_numpy_cblas()
    if not NUMPY_CBLAS:
        gemm = _compiled(_gemm)
    else:
        def _cblas_type(scalar):
            i32, i64 = types.int32, types.int64
            return types.void(i32, i32, i32, i64, i64, i64, scalar, types.voidptr, i64,
                              types.voidptr, i64, scalar, types.voidptr, i64)
        # called by name: cached code finds them in any process that registered them
        _SGEMM = types.ExternalFunction("graphgrad_numpy_cblas_sgemm", _cblas_type(types.float32))
        _DGEMM = types.ExternalFunction("graphgrad_numpy_cblas_dgemm", _cblas_type(types.float64))

        # inlined into _numpy_gemm, whose cache then holds the call (no closure of its own)
        @overload(_cblas_gemm, inline="always")
        def _cblas_gemm_of(trans_a, trans_b, m, n, k, a, lda, b, ldb, out):
            blas, one, zero = ((_SGEMM, np.float32(1), np.float32(0))
                               if out.dtype == types.float32 else (_DGEMM, 1.0, 0.0))

            def call(trans_a, trans_b, m, n, k, a, lda, b, ldb, out):
                blas(ROW_MAJOR, trans_a, trans_b, m, n, k, one, a.ctypes, lda, b.ctypes, ldb,
                     zero, out.ctypes, n)
            return call

        _numpy_gemm = _compiled(_numpy_gemm)
        _scipy_gemm = _compiled(_gemm)

        def gemm(a, b, out):
            """out = a @ b (`out` C-contiguous): NumPy's BLAS for float32 and float64, else
            np.dot."""
            raise NotImplementedError("numba-only helper")

        # the implementations are module globals, not closure variables: numba's cache keys a
        # closure by its pickled variables
        @overload(gemm, jit_options={"cache": True})
        def _gemm_of(a, b, out):
            if (a.dtype == b.dtype == out.dtype and a.ndim == b.ndim == out.ndim == 2
                    and out.layout == "C"):
                if a.dtype in (types.float32, types.float64):
                    return lambda a, b, out: _numpy_gemm(a, b, out)
            return lambda a, b, out: _scipy_gemm(a, b, out)
