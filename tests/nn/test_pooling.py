"""Pooling layers against torch (values and input gradients, eager and compiled, with the
same constructor arguments), including return_indices and MaxUnpool."""
import numpy as np
import pytest
from layer_oracle import check_layer

from graphgrad import nn


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def distinct(*shape, seed=0):
    n = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(n).reshape(shape) * 0.1 - n * 0.05


LAYERS = [
    ("MaxPool1d", (3,), {"stride": 2, "padding": 1}, (2, 3, 9)),
    ("MaxPool1d", (2,), {"return_indices": True, "ceil_mode": True}, (3, 7)),
    ("MaxPool2d", (3,), {"stride": 2, "padding": 1, "return_indices": True}, (2, 2, 7, 6)),
    ("MaxPool2d", ((2, 3),), {"dilation": (2, 1)}, (2, 6, 7)),
    ("MaxPool3d", (2,), {"stride": 1, "return_indices": True}, (1, 2, 3, 4, 5)),
    ("AvgPool1d", (3,), {"stride": 2, "padding": 1, "count_include_pad": False}, (2, 3, 9)),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}, (2, 2, 7, 6)),
    ("AvgPool3d", ((2, 3, 2),), {"divisor_override": 4}, (1, 2, 4, 6, 5)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 9)),
    ("AdaptiveAvgPool2d", ((3, None),), {}, (2, 2, 7, 6)),
    ("AdaptiveAvgPool3d", (2,), {}, (2, 3, 5, 4)),
    ("AdaptiveMaxPool1d", (4,), {"return_indices": True}, (2, 3, 9)),
    ("AdaptiveMaxPool2d", ((3, 4),), {}, (2, 2, 7, 6)),
    ("AdaptiveMaxPool3d", ((2, 3, 2),), {"return_indices": True}, (1, 2, 4, 6, 5)),
    ("LPPool1d", (2, 3), {"stride": 2}, (2, 3, 9)),
    ("LPPool2d", (3, 2), {"ceil_mode": True}, (2, 2, 7, 6)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls, args, kwargs, shape", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_matches_torch(torch, cls, args, kwargs, shape, dtype):
    x = distinct(*shape) + (3.0 if cls.startswith("LP") else 0.0)
    check_layer(torch, lambda: getattr(nn, cls)(*args, **kwargs),
                lambda tnn: getattr(tnn, cls)(*args, **kwargs), [x], dtype)


@pytest.mark.parametrize("nd, shape", [(1, (2, 3, 8)), (2, (2, 2, 6, 6)), (3, (1, 2, 4, 4, 6))])
def test_max_unpool_layers_match_torch(torch, nd, shape):
    x = distinct(*shape)
    t_values, t_indices = getattr(torch.nn, f"MaxPool{nd}d")(2, return_indices=True)(
        torch.tensor(x))
    check_layer(torch, lambda: getattr(nn, f"MaxUnpool{nd}d")(2),
                lambda tnn: getattr(tnn, f"MaxUnpool{nd}d")(2),
                [t_values.detach().numpy()], extra=(t_indices.numpy(),))


def test_reprs_match_torch(torch):
    for cls, args, kwargs, _ in LAYERS:
        assert repr(getattr(nn, cls)(*args, **kwargs)).split("(")[0] == cls
    assert repr(nn.MaxPool2d(3, 2)) == repr(torch.nn.MaxPool2d(3, 2))
    assert repr(nn.AdaptiveAvgPool2d((3, 4))) == repr(torch.nn.AdaptiveAvgPool2d((3, 4)))
