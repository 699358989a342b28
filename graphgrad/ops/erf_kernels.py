"""A float32 `erf` kernel: float32 arithmetic throughout, within about 1 ulp of the correctly
rounded value (the float64 kernel in activation.py is several times slower).

For |x| < 1, erf(x) = x + x * S(x^2), S a degree-6 Chebyshev fit of erf(x)/x - 1 (adding x
last keeps the rounding error to about half an ulp). Beyond, erf(x) = 1 - exp(L(|x|) - x^2)
with L a degree-9 fit of log(erfc(x)) + x^2 on [1, 4] (erf rounds to 1 in float32 past 3.92);
that branch runs on the (usually few) entries it covers.
"""
import numpy as np

from graphgrad.ops.scratch import scratch

# coefficients, highest power first (fits of the float64 math.erf / math.erfc to < 2e-8)
_S = np.array([7.878969788982395e-05, -0.0008014544601522629, 0.005188378067945842,
               -0.026853535474379804, 0.11283567883782855, -0.37612622518126854,
               0.12837916419644477], np.float32)
_L = np.array([-2.7333836815812293e-06, 4.168302238350383e-05, -0.00022129336928140202,
               0.0008810011897302351, -0.0031950241141828106, 0.010961438964379105,
               -0.0366462397158073, 0.12623925504410208, -0.5290211150378303,
               -1.5568152756387674], np.float32)


def _horner(coeffs, t, out=None):
    out = np.multiply(t, coeffs[0], out=out)
    out += coeffs[1]
    for c in coeffs[2:]:
        out *= t
        out += c
    return out


def erf_float32(x, out=None):
    """erf of a float32 array (any shape, any strides): a new float32 array, or written into
    `out` (which must not overlap `x`)."""
    flat = np.ascontiguousarray(x, np.float32).reshape(-1)
    in_place = out is not None and out.flags.c_contiguous
    result = out.reshape(-1) if in_place else np.empty(flat.shape, np.float32)
    u = np.multiply(flat, flat, out=scratch("erf-square", flat.shape, np.float32))
    _horner(_S, u, out=result)
    result *= flat
    result += flat                            # NaN stays NaN here
    big = np.flatnonzero(u >= np.float32(1.0))
    if big.size:
        a = np.abs(flat[big])
        np.minimum(a, np.float32(4.0), out=a)
        t = a - np.float32(2.5)
        t *= np.float32(1 / 1.5)
        p = _horner(_L, t)
        p -= a * a
        np.exp(p, out=p)
        np.subtract(np.float32(1.0), p, out=p)
        result[big] = np.copysign(p, flat[big])
    if out is None:
        return result.reshape(np.shape(x))
    if not in_place:
        out[...] = result.reshape(out.shape)
    return out
