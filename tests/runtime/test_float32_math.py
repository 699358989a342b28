"""The numba backend's float32 exp, log, tanh and erf: within 1 ulp of the correctly rounded
value over a sweep of all float32 bit patterns, special values kept, and the loops that call
them vectorized."""
import math

import numpy as np
import pytest

numba = pytest.importorskip("numba")
from graphgrad.runtime.native import float32_math  # noqa: E402

# every 1009th float32: all exponents, both signs, subnormals, in about 4 million values
SWEEP = np.arange(0, 2 ** 32, 1009, dtype=np.uint64).astype(np.uint32).view(np.float32)
SWEEP = SWEEP[np.isfinite(SWEEP)]
REFERENCES = {"exp": np.exp, "log": np.log, "tanh": np.tanh,
              "erf": np.vectorize(math.erf, otypes=[np.float64])}


def _loop(name):
    f = getattr(float32_math, name + "32")

    @numba.njit(error_model="numpy")
    def apply(x, out):
        for i in range(x.size):
            out[i] = f(x[i])
    return apply


def _ulps(got, want):
    """Distance in units in the last place, counting across zero (NaN == NaN)."""
    g, w = (a.view(np.int32).astype(np.int64) for a in (got, want))
    g, w = (np.where(a < 0, -(a & 0x7fffffff), a) for a in (g, w))
    return np.where(np.isnan(got) & np.isnan(want), 0, np.abs(g - w))


@pytest.mark.parametrize("name", ["exp", "log", "tanh", "erf"])
def test_within_one_ulp_over_all_float32(name):
    x = SWEEP[::8] if name == "erf" else SWEEP            # math.erf is a Python call
    got = np.empty_like(x)
    _loop(name)(x, got)
    with np.errstate(all="ignore"):
        want = REFERENCES[name](x.astype(np.float64)).astype(np.float32)
    ulps = _ulps(got, want)
    assert ulps.max() <= 1, (name, x[ulps.argmax()], got[ulps.argmax()], want[ulps.argmax()])


@pytest.mark.parametrize("name", ["exp", "log", "tanh", "erf"])
def test_special_values(name):
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45, 1e-40, -88.0, -103.9,
                  -104.0, 88.7, 89.0, 10.0, -10.0, 3.92, 4.5], np.float32)
    got = np.empty_like(x)
    _loop(name)(x, got)
    with np.errstate(all="ignore"):
        want = REFERENCES[name](x.astype(np.float64)).astype(np.float32)
    assert _ulps(got, want).max() <= 1, (x, got, want)
    number = ~np.isnan(want)
    assert np.array_equal(np.signbit(got[number]), np.signbit(want[number]))   # signed zeros


@pytest.mark.parametrize("name", ["exp", "log", "tanh", "erf"])
def test_the_loops_calling_them_vectorize(name):
    """numba's own np.exp and friends call the C library per element: a loop over them
    stays scalar. These must not (packed single-precision instructions, no calls in the
    loop body beyond numba's own helpers)."""
    apply = _loop(name)
    x = np.ones(64, np.float32)
    apply(x, x.copy())
    asm = next(iter(apply.inspect_asm().values()))
    assert "ps\t%ymm" in asm or "ps\t%zmm" in asm or "ps %ymm" in asm
    for libm in ("expf", "logf", "tanhf", "erff"):
        assert f"call\t{libm}" not in asm and f"@{libm}" not in asm
