"""The lean eager path keeps every check: shape rules still fail each time (only passing
signatures are remembered), dtypes are still told apart, and NumPy's error state is quiet inside
ops and left as the caller set it."""
import warnings

import numpy as np
import pytest

import graphgrad as gg
from graphgrad.dispatch import bind
from graphgrad.errors import DTypeError, OutOfRangeError, ShapeError
from graphgrad.ops.elementwise import ADD


def test_a_failing_shape_rule_fails_every_time_naming_op_and_shapes():
    a, b = gg.ones(2, 3), gg.ones(4, 3)
    for _ in range(3):
        with pytest.raises(ShapeError, match=r"add.*\(2, 3\).*\(4, 3\)"):
            a + b
    with pytest.raises(ShapeError, match="matmul"):
        a @ a
    assert (gg.ones(2, 3) + gg.ones(2, 3)).shape == (2, 3)


def test_a_remembered_signature_does_not_cover_another_dtype_or_attrs():
    x = gg.ones(2, 3)
    assert x.sum(dim=1).shape == (2,)
    with pytest.raises(OutOfRangeError):
        x.sum(dim=5)
    f32 = gg.ones(3)
    assert (f32 + f32).dtype == np.float32
    b = gg.tensor([True, False, True])
    with pytest.raises(DTypeError):
        bind(ADD, f32, b)


def test_numpy_error_state_is_quiet_inside_ops_and_restored_outside():
    before = np.geterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = gg.log(gg.zeros(2)) + gg.tensor([1.0, 0.0]) / gg.zeros(2)
    assert np.isinf(out.numpy()).all() or np.isnan(out.numpy()).any()
    assert np.geterr() == before
    with np.errstate(all="raise"):
        gg.log(gg.zeros(2))                  # quiet inside the op, as before
        with pytest.raises(FloatingPointError):
            np.log(np.zeros(2))              # the caller's own state is untouched
    assert np.geterr() == before
