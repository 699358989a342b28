"""Conv1d/2d/3d and ConvTranspose1d/2d/3d against torch from the same weights (every padding
mode, 'same'/'valid', strides, dilations, groups, output_padding and output_size), and their
parameters' names, shapes and initialization."""
import math

import numpy as np
import pytest
from layer_oracle import check_layer

import graphgrad as gg
from graphgrad import nn

DTYPES = [pytest.param(np.float32, id="f32"), pytest.param(np.float64, id="f64")]


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


LAYERS = [
    # (id, class name, args, kwargs, input shape)
    ("conv1d", "Conv1d", (3, 4, 3), {}, (2, 3, 9)),
    ("conv1d-reflect-same", "Conv1d", (2, 4, 4), {"padding": "same", "padding_mode": "reflect"},
     (2, 2, 8)),
    ("conv1d-circular-groups", "Conv1d", (4, 6, 3),
     {"padding": 2, "padding_mode": "circular", "groups": 2, "stride": 2}, (1, 4, 9)),
    ("conv1d-unbatched-replicate", "Conv1d", (2, 3, 3),
     {"padding": 1, "padding_mode": "replicate", "bias": False}, (2, 7)),
    ("conv2d-reflect", "Conv2d", (3, 4, 3), {"padding": 1, "padding_mode": "reflect"},
     (2, 3, 6, 7)),
    ("conv2d-replicate-rect", "Conv2d", (2, 4, (3, 2)),
     {"padding": (2, 1), "padding_mode": "replicate", "dilation": (1, 2)}, (1, 2, 6, 7)),
    ("conv2d-circular-same", "Conv2d", (2, 2, 4), {"padding": "same", "padding_mode": "circular"},
     (2, 2, 5, 6)),
    ("conv3d", "Conv3d", (2, 4, 3), {"padding": 1}, (2, 2, 4, 5, 6)),
    ("conv3d-valid-groups-stride", "Conv3d", (4, 4, (2, 3, 2)),
     {"padding": "valid", "groups": 4, "stride": (1, 2, 1)}, (1, 4, 5, 6, 5)),
    ("conv3d-reflect", "Conv3d", (2, 3, 3), {"padding": (1, 0, 1), "padding_mode": "reflect"},
     (2, 4, 5, 6)),
    ("conv3d-replicate-same", "Conv3d", (1, 2, 2), {"padding": "same",
                                                    "padding_mode": "replicate"},
     (1, 1, 3, 4, 5)),
    ("conv3d-circular", "Conv3d", (2, 2, 3), {"padding": 1, "padding_mode": "circular",
                                              "bias": False}, (1, 2, 4, 4, 5)),
    ("convtranspose1d", "ConvTranspose1d", (3, 4, 3), {"stride": 2, "output_padding": 1},
     (2, 3, 5)),
    ("convtranspose1d-groups-unbatched", "ConvTranspose1d", (4, 2, 4),
     {"groups": 2, "padding": 1, "dilation": 2}, (4, 6)),
    ("convtranspose2d", "ConvTranspose2d", (2, 3, (3, 2)),
     {"stride": (2, 1), "padding": 1, "output_padding": (1, 0)}, (2, 2, 4, 5)),
    ("convtranspose3d", "ConvTranspose3d", (2, 4, 2), {"stride": 2, "groups": 2},
     (1, 2, 3, 2, 3)),
    ("convtranspose3d-no-bias", "ConvTranspose3d", (3, 2, 3),
     {"padding": (1, 0, 1), "bias": False}, (3, 3, 4, 3)),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, cls, args, kwargs, shape", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_matches_torch(torch, name, cls, args, kwargs, shape, dtype):
    check_layer(torch, lambda: getattr(nn, cls)(*args, **kwargs),
                lambda tnn: getattr(tnn, cls)(*args, **kwargs), [rand(*shape)], dtype)


@pytest.mark.parametrize("output_size", [(10, 11), (2, 2, 9, 12), (10, 12)])
def test_conv_transpose_output_size_matches_torch(torch, output_size):
    x = rand(2, 3, 5, 6)
    t_layer = torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1).double()
    layer = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1).double()
    layer.load_state_dict({k: gg.tensor(v.detach().numpy())
                           for k, v in t_layer.state_dict().items()})
    want = t_layer(torch.tensor(x), output_size=output_size).detach().numpy()
    np.testing.assert_allclose(layer(gg.tensor(x), output_size=output_size).numpy(), want,
                               rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="output size"):
        layer(gg.tensor(x), output_size=(14, 14))


@pytest.mark.parametrize("cls, args, kwargs", [
    ("Conv1d", (4, 6, 3), {"groups": 2}),
    ("Conv3d", (3, 5, (2, 3, 4)), {"bias": False}),
    ("ConvTranspose1d", (4, 6, 3), {"groups": 2}),
    ("ConvTranspose2d", (3, 4, (2, 3)), {}),
    ("ConvTranspose3d", (2, 6, 3), {"groups": 2}),
])
def test_parameters_names_shapes_and_init_follow_torch(torch, cls, args, kwargs):
    t_layer = getattr(torch.nn, cls)(*args, **kwargs)
    layer = getattr(nn, cls)(*args, **kwargs)
    t_shapes = {k: tuple(v.shape) for k, v in t_layer.named_parameters()}
    assert {k: p.shape for k, p in layer.named_parameters()} == t_shapes
    w = layer.weight.numpy()
    fan_in = w.shape[1] * math.prod(w.shape[2:])
    bound = 1 / math.sqrt(fan_in)          # kaiming_uniform(a=sqrt(5)) and the bias share it
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.5 * bound
    if layer.bias is not None:
        assert np.abs(layer.bias.numpy()).max() <= bound
    assert repr(layer) == repr(t_layer)


def test_bad_arguments_are_value_errors():
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv1d(2, 2, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="groups=2 must divide"):
        nn.Conv3d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="strided"):
        nn.Conv1d(2, 2, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match='Only "zeros" padding mode'):
        nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect")
