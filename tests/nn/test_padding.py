"""Padding layers against torch (values and input gradients, eager and compiled)."""
import numpy as np
import pytest
from layer_oracle import check_layer

from graphgrad import nn


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


LAYERS = [
    ("ZeroPad1d", (2,), (2, 3, 5)),
    ("ZeroPad2d", ((1, 0, 2, 1),), (2, 4, 5)),
    ("ZeroPad3d", (1,), (1, 2, 3, 4, 5)),
    ("ConstantPad1d", ((1, 3), 0.5), (3, 5)),
    ("ConstantPad2d", (2, -1.0), (1, 2, 3, 4)),
    ("ConstantPad3d", ((1, 0, 2, 1, 0, 1), 2.0), (2, 3, 4, 5)),
    ("ReflectionPad1d", ((2, 1),), (2, 3, 5)),
    ("ReflectionPad2d", (2,), (2, 4, 5)),
    ("ReflectionPad3d", ((1, 2, 0, 1, 2, 1),), (1, 2, 3, 4, 5)),
    ("ReplicationPad1d", (3,), (3, 5)),
    ("ReplicationPad2d", ((3, 0, 1, 2),), (1, 2, 3, 4)),
    ("ReplicationPad3d", (2,), (2, 3, 4, 5)),
    ("CircularPad1d", ((2, 3),), (2, 3, 5)),
    ("CircularPad2d", (1,), (1, 2, 3, 4)),
    ("CircularPad3d", ((1, 2, 0, 1, 2, 0),), (1, 2, 3, 4, 5)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls, args, shape", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_matches_torch(torch, cls, args, shape, dtype):
    x = np.random.default_rng(1).standard_normal(shape)
    check_layer(torch, lambda: getattr(nn, cls)(*args), lambda tnn: getattr(tnn, cls)(*args),
                [x], dtype)
    assert repr(getattr(nn, cls)(*args)) == repr(getattr(torch.nn, cls)(*args))


def test_bad_padding_is_a_value_error():
    with pytest.raises(ValueError, match="ReflectionPad2d: padding must be an int or 4 ints"):
        nn.ReflectionPad2d((1, 2))
