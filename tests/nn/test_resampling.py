"""Upsample, PixelShuffle / PixelUnshuffle, Unfold / Fold, Flatten / Unflatten against torch
(values and input gradients, eager and compiled) and their reprs."""
import numpy as np
import pytest
from layer_oracle import check_layer

from graphgrad import nn


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


LAYERS = [
    ("Upsample", (), {"scale_factor": 2}, (2, 3, 4, 5)),
    ("Upsample", (), {"size": (5, 7), "mode": "bilinear", "align_corners": False},
     (2, 3, 4, 5)),
    ("Upsample", (), {"scale_factor": 1.5, "mode": "bicubic", "align_corners": True},
     (1, 2, 4, 5)),
    ("Upsample", (), {"scale_factor": (2, 1, 0.5), "mode": "trilinear"}, (1, 2, 3, 4, 4)),
    ("Upsample", (), {"size": 9, "mode": "linear"}, (2, 3, 5)),
    ("Upsample", (), {"scale_factor": 1.5, "mode": "nearest-exact"}, (1, 2, 4, 5)),
    ("UpsamplingNearest2d", (), {"scale_factor": 3}, (2, 1, 3, 4)),
    ("UpsamplingBilinear2d", (), {"size": (6, 4)}, (2, 2, 3, 5)),
    ("PixelShuffle", (2,), {}, (2, 8, 3, 4)),
    ("PixelUnshuffle", (2,), {}, (2, 2, 4, 6)),
    ("Unfold", ((2, 3),), {"padding": 1, "stride": (1, 2)}, (2, 3, 5, 6)),
    ("Fold", ((4, 5), 2), {}, (2, 12, 12)),
    ("Flatten", (), {}, (2, 3, 4, 5)),
    ("Flatten", (0, 2), {}, (2, 3, 4, 5)),
    ("Flatten", (-3, -2), {}, (2, 3, 4, 5)),
    ("Unflatten", (1, (2, 6)), {}, (3, 12, 2)),
    ("Unflatten", (-1, (2, -1, 2)), {}, (3, 12)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls, args, kwargs, shape", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_matches_torch(torch, cls, args, kwargs, shape, dtype):
    x = np.random.default_rng(2).standard_normal(shape)
    check_layer(torch, lambda: getattr(nn, cls)(*args, **kwargs),
                lambda tnn: getattr(tnn, cls)(*args, **kwargs), [x], dtype)
    assert repr(getattr(nn, cls)(*args, **kwargs)) == repr(getattr(torch.nn, cls)(*args,
                                                                                   **kwargs))
