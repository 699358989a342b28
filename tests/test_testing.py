"""gg.testing.gradcheck and assert_close catch wrong gradients and say where."""
import re

import numpy as np
import pytest

import graphgrad as gg
from graphgrad.testing import assert_close, gradcheck

X = np.array([0.1, 3.0, -0.2, 0.5, 2.0])


def wrong_square(t):
    """x * x with one factor detached: autograd sees d/dx = x, the truth is 2x."""
    return t * t.detach()


def test_gradcheck_passes_correct_gradients():
    assert gradcheck(lambda a, b: (a * b).tanh() + a.exp(), [X, X[::-1].copy()])
    assert gradcheck(lambda t: (t @ t.T).sum(1), [np.arange(6.0).reshape(2, 3) / 5])


def test_gradcheck_catches_a_wrong_gradient_and_names_the_input():
    with pytest.raises(AssertionError, match=r"gradcheck, input 1: 5 of 5 elements differ"):
        gradcheck(lambda a, b: a * 2.0 + wrong_square(b), [X, X])
    assert gradcheck(wrong_square, [X], raise_exception=False) is False


def test_gradcheck_reports_the_largest_error():
    # the error of element i is |x_i * w_i| for gradcheck's fixed random direction w
    w = np.random.default_rng(0).standard_normal(X.shape)
    with pytest.raises(AssertionError) as info:
        gradcheck(wrong_square, [X])
    worst = np.abs(X * w).max()
    reported = float(re.search(r"max abs diff ([0-9.e+-]+)", str(info.value)).group(1))
    assert reported == pytest.approx(worst, rel=1e-2)


def test_assert_close_names_the_worst_element():
    actual = np.array([1.0, 1.1, 5.0, 1.0])
    with pytest.raises(AssertionError, match=r"\(2,\)"):
        assert_close(actual, np.ones(4))


def test_assert_close_counts_mismatches_and_checks_shapes():
    with pytest.raises(AssertionError, match=r"2 of 4 elements differ.*max abs diff 4"):
        assert_close(np.array([1.0, 1.1, 5.0, 1.0]), np.ones(4))
    with pytest.raises(AssertionError, match="shapes differ"):
        assert_close(np.ones(3), np.ones((3, 1)))
    with pytest.raises(AssertionError, match="values differ"):
        assert_close(np.array([1, 2]), np.array([1, 3]))
    assert_close(gg.tensor([1.0, float("nan")]), np.array([1.0 + 1e-7, np.nan], np.float32))


@pytest.mark.filterwarnings("ignore:All-NaN slice")
def test_assert_close_catches_nan_where_a_number_is_expected():
    with pytest.raises(AssertionError, match="1 of 2 elements differ"):
        assert_close(np.array([0.0, np.nan]), np.array([0.0, 1.0]))
