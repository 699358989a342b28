"""float32 exp, log, tanh and erf for the numba backend's loops, in plain arithmetic.

numba calls the C library once per element for `np.exp` and friends (PyPI's llvmlite has no
vector math library), so a loop over them stays scalar: 6x (exp) to 60x (tanh) slower than
NumPy's SIMD kernels. These versions use only arithmetic, `floor`, `copysign` and bit casts,
so LLVM vectorizes the loops that inline them. Each is within 1 ulp of the correctly rounded
value over every 23rd float32 (NumPy's own float32 exp and log are within 3 and 4), and keeps
the special values: NaN, infinities, signed zeros, subnormals.

exp and log are the Cephes single-precision algorithms: a Cody-Waite reduction by ln 2 and a
polynomial. tanh is Cephes' odd polynomial below 0.625 and 1 - 2 / (exp(2|x|) + 1) above.
erf is the float32 kernel of ops/erf_kernels.py with exp32 in its tail. Both branches are
computed and one selected, which is what lets the loop vectorize.
"""
import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

from graphgrad.ops.erf_kernels import _L, _S

F = np.float32
_inline = njit(inline="always", error_model="numpy")


@intrinsic
def _float_from_bits(typingctx, bits):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())
    return types.float32(types.int32), codegen


@intrinsic
def _bits_of(typingctx, x):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(32))
    return types.int32(types.float32), codegen


@intrinsic
def _fma(typingctx, a, b, c):
    """a * b + c rounded once (LLVM's fma: one vfmadd). Without it the polynomials are chains
    of separate multiplies and adds, twice as long: the loops were latency-bound (erf 2.3 ns
    an element, 0.7 with it)."""
    def codegen(context, builder, signature, args):
        f = ir.FloatType()
        fma = builder.module.declare_intrinsic("llvm.fma", [f], ir.FunctionType(f, [f, f, f]))
        return builder.call(fma, args)
    return types.float32(types.float32, types.float32, types.float32), codegen


LOG2E = F(1.4426950408889634)
LN2_HI, LN2_LO = F(0.693359375), F(-2.12194440e-4)       # ln 2 = LN2_HI + LN2_LO
# exp(r) = 1 + r + r^2 P(r) for |r| <= ln(2) / 2
E0, E1, E2, E3, E4, E5 = (F(c) for c in (1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3,
                                         4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1))
# log(1 + r) = r - r^2 / 2 + r^3 P(r) for sqrt(1/2) - 1 <= r < sqrt(2) - 1
L0, L1, L2, L3, L4, L5, L6, L7, L8 = (F(c) for c in (
    7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
    -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1))
SQRT_HALF = F(0.7071067811865476)
# tanh(x) = x + x^3 P(x^2) for |x| < 0.625
T0, T1, T2, T3, T4 = (F(c) for c in (-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2,
                                     1.33314422036e-1, -3.33332819422e-1))
S0, S1, S2, S3, S4, S5, S6 = (F(c) for c in _S)
Q0, Q1, Q2, Q3, Q4, Q5, Q6, Q7, Q8, Q9 = (F(c) for c in _L)


@_inline
def exp32(x):
    # below ln(2^-150) exp rounds to 0: return that without computing a subnormal (an
    # underflow costs a microcode assist per element; masked scores are -inf). Above 89 the
    # scaling overflows to inf; NaN passes (the comparisons are false).
    zero = x < F(-103.972084)
    x = F(0.0) if zero else x
    x = F(89.0) if x > F(89.0) else x
    n = np.floor(x * LOG2E + F(0.5))
    r = _fma(n, -LN2_HI, x)
    r = _fma(n, -LN2_LO, r)
    p = _fma(_fma(_fma(_fma(_fma(E0, r, E1), r, E2), r, E3), r, E4), r, E5)
    y = _fma(p, r * r, r) + F(1.0)
    # 2^n as two normal powers of two: overflow gives inf, underflow subnormals, then 0
    k = np.int32(n)
    h = k >> 1
    y = y * _float_from_bits((h + 127) << 23) * _float_from_bits((k - h + 127) << 23)
    return F(0.0) if zero else y


@_inline
def log32(x):
    subnormal = x < F(1.17549435e-38)
    s = x * F(8388608.0) if subnormal else x            # scaled by 2^23 into normal range
    bits = _bits_of(s)
    e = ((bits >> 23) & 0xff) - 126 - (23 if subnormal else 0)
    m = _float_from_bits((bits & 0x007fffff) | 0x3f000000)     # x = m 2^e, m in [0.5, 1)
    low = m < SQRT_HALF
    e = e - 1 if low else e
    r = (m + m - F(1.0)) if low else (m - F(1.0))
    fe = F(e)
    z = r * r
    p = _fma(_fma(_fma(_fma(_fma(_fma(_fma(_fma(L0, r, L1), r, L2), r, L3), r, L4), r, L5), r,
                           L6), r, L7), r, L8)
    y = _fma(p * r, z, _fma(fe, LN2_LO, F(-0.5) * z))
    y = _fma(fe, LN2_HI, r + y)
    if x > F(0.0) and x < np.inf:
        return y
    if x == F(0.0):
        return F(-np.inf)
    return x if x > F(0.0) else F(np.nan)               # inf and NaN stay, negatives: NaN


@_inline
def tanh32(x):
    z = x * x
    p = _fma(_fma(_fma(_fma(T0, z, T1), z, T2), z, T3), z, T4)
    small = _fma(p * z, x, x)
    a = np.abs(x)
    a = F(10.0) if a > F(10.0) else a          # tanh rounds to 1 there; exp stays finite
    big = F(1.0) - F(2.0) / (exp32(a + a) + F(1.0))
    return np.copysign(small if a < F(0.625) else big, x)


@_inline
def erf32(x):
    u = x * x
    p = _fma(_fma(_fma(_fma(_fma(_fma(S0, u, S1), u, S2), u, S3), u, S4), u, S5), u, S6)
    small = _fma(p, x, x)
    a = np.abs(x)
    a = F(4.0) if a > F(4.0) else a
    t = _fma(a, F(1 / 1.5), F(-2.5 / 1.5))
    q = _fma(_fma(_fma(_fma(_fma(_fma(_fma(_fma(_fma(Q0, t, Q1), t, Q2), t, Q3), t, Q4), t, Q5),
                                t, Q6), t, Q7), t, Q8), t, Q9)
    big = np.copysign(F(1.0) - exp32(_fma(-a, a, q)), x)
    return big if u >= F(1.0) else small


def exp_of(x):
    """exp32 for a float32 `x`, np.exp otherwise (for kernels compiled per dtype)."""
    return np.exp(x)


def log_of(x):
    """log32 for a float32 `x`, np.log otherwise."""
    return np.log(x)


def _float32_or_numpy(stub, fast, numpy_function):
    @overload(stub, inline="always")
    def _choose(x):
        if x == types.float32:
            return lambda x: fast(x)
        return lambda x: numpy_function(x)


_float32_or_numpy(exp_of, exp32, np.exp)
_float32_or_numpy(log_of, log32, np.log)


# -- softmax rows ---------------------------------------------------------------------------
# Here, beside the exp and log they call, so that numba's cache of them (which checks only
# the file a function is defined in) is refreshed when either changes: compiled once per
# machine and argument types rather than in every module that uses them (1-2 s each).

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


def _row_sums(x, out):
    """out[i] = the sum of row i of 2-D C-contiguous `x`, each added in any order (as
    sum_in_any_order) and rounded to out's dtype: layer norm's and softmax's row sums. One
    cached function rather than a loop of slices in every generated segment."""
    for i in range(x.shape[0]):
        out[i] = sum_in_any_order(x[i])


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


_cached = njit(cache=True, error_model="numpy", nogil=True)
shift_rows = njit(inline="always", error_model="numpy")(_shift_rows)
sum_in_any_order = njit(cache=True, error_model="numpy", fastmath={"reassoc"})(_sum_in_any_order)
log_softmax_rows = _cached(_log_softmax_rows)
softmax_rows = _cached(_softmax_rows)
row_sums = _cached(_row_sums)
