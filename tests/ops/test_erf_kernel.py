"""The float32 erf kernel against the float64 math.erf and torch's float32 erf, in ulps."""
import math

import numpy as np
import pytest

import graphgrad as gg

_MATH_ERF = np.frompyfunc(math.erf, 1, 1)


def _ulps(got, want):
    want = np.asarray(want, np.float64)
    ulp = np.spacing(np.abs(want).astype(np.float32)).astype(np.float64)
    return np.abs(got.astype(np.float64) - want) / ulp


def test_float32_erf_is_within_about_one_ulp_of_the_true_value_on_a_dense_grid():
    x = np.linspace(-5, 5, 200_001).astype(np.float32)
    got = gg.erf(gg.tensor(x)).numpy()
    assert got.dtype == np.float32
    want = _MATH_ERF(x.astype(np.float64)).astype(np.float64)
    assert _ulps(got, want).max() <= 1.5
    tiny = np.float32([1e-30, -1e-38, 1e-45, 3e-3, 0.999, 1.0, 1.001, 3.9, 3.92])
    assert _ulps(gg.erf(gg.tensor(tiny)).numpy(), _MATH_ERF(tiny.astype(np.float64))).max() <= 1.5


def test_float32_erf_special_values_strides_and_empty():
    x = np.float32([np.nan, np.inf, -np.inf, 0.0, -0.0, 10.0, -10.0, 4.0])
    got = gg.erf(gg.tensor(x)).numpy()
    np.testing.assert_array_equal(got, [np.nan, 1, -1, 0, -0.0, 1, -1, 1])
    assert np.signbit(got[4])
    grid = np.linspace(-3, 3, 60).astype(np.float32).reshape(6, 10)
    strided = gg.tensor(grid).t()[::2]
    np.testing.assert_array_equal(gg.erf(strided).numpy(), gg.erf(gg.tensor(
        np.ascontiguousarray(grid.T[::2]))).numpy())
    assert gg.erf(gg.tensor(np.zeros((0, 3), np.float32))).shape == (0, 3)


def test_float64_erf_stays_exact():
    x = np.linspace(-7, 7, 20_001)
    got = gg.erf(gg.tensor(x)).numpy()
    np.testing.assert_allclose(got, _MATH_ERF(x).astype(np.float64), rtol=1e-15, atol=1e-16)


def test_float32_erf_matches_torch_within_one_ulp():
    torch = pytest.importorskip("torch")
    x = np.linspace(-6, 6, 400_001).astype(np.float32)
    got = gg.erf(gg.tensor(x)).numpy()
    want = torch.erf(torch.from_numpy(x)).numpy()
    assert _ulps(got, want).max() <= 1.0
    gelu = gg.nn.functional.gelu(gg.tensor(x)).numpy()
    want = torch.nn.functional.gelu(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(gelu, want, rtol=1e-6, atol=2e-6)   # 1 + erf cancels


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_erf_written_into_a_planned_buffer_equals_the_new_array_kernel(dtype):
    """The compiled runtime writes erf into its planned buffer (erf's out kernel): bitwise
    what the eager kernel returns, also when the buffer is strided."""
    from graphgrad.ops.activation import ERF
    x = np.linspace(-4.5, 4.5, 3001).astype(dtype)
    x[::7] = np.nan
    want = ERF.impl(x)
    out = np.full_like(x, 7.0)
    assert ERF.out_impl(out, x) is out
    np.testing.assert_array_equal(out, want)
    strided = np.full((2, x.size), 7.0, dtype)[:, ::-1][0]
    np.testing.assert_array_equal(ERF.out_impl(strided, x), want)

    def f(t):
        return gg.erf(t * 2.0)
    np.testing.assert_array_equal(gg.compile(f)(gg.tensor(x / 2)).numpy(), want)
