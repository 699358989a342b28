"""Torch-oracle rows for F.interpolate: every mode (nearest, nearest-exact, linear, bilinear,
bicubic, trilinear, area), by size and by scale factor (up, down, fractional), with and
without align_corners and recompute_scale_factor; and the upsample aliases."""
import numpy as np
from torch_oracle import TorchCase

RNG = np.random.default_rng(53)


def u(*shape):
    return RNG.uniform(-1.0, 1.0, shape)


def interp(x, **kw):
    id = "interpolate-" + "-".join(f"{k}={v}" for k, v in kw.items()).replace(" ", "")
    id += "-" + "x".join(map(str, x.shape))
    return TorchCase(id, lambda m, x: m.nn.functional.interpolate(x, **kw), (x,))


X1, X2, X3 = u(2, 3, 7), u(2, 2, 5, 6), u(1, 2, 3, 4, 5)

CASES = [
    interp(X1, size=11, mode="nearest"),
    interp(X1, scale_factor=0.6, mode="nearest"),
    interp(X2, scale_factor=2, mode="nearest"),
    interp(X2, size=(7, 4), mode="nearest"),
    interp(X3, scale_factor=(1.5, 2.0, 0.5), mode="nearest"),
    interp(X1, size=10, mode="nearest-exact"),
    interp(X2, scale_factor=1.7, mode="nearest-exact"),
    interp(X3, size=(5, 3, 7), mode="nearest-exact"),
    interp(X1, size=12, mode="linear"),
    interp(X1, scale_factor=0.5, mode="linear", align_corners=True),
    interp(X1, scale_factor=1.3, mode="linear", recompute_scale_factor=True),
    interp(X2, size=(9, 11), mode="bilinear"),
    interp(X2, size=(9, 4), mode="bilinear", align_corners=True),
    interp(X2, scale_factor=(1.5, 0.7), mode="bilinear"),
    interp(X2, scale_factor=2.5, mode="bilinear", recompute_scale_factor=True),
    interp(X2, size=(8, 9), mode="bicubic"),
    interp(X2, size=(3, 10), mode="bicubic", align_corners=True),
    interp(X2, scale_factor=1.6, mode="bicubic"),
    interp(X3, size=(5, 6, 4), mode="trilinear"),
    interp(X3, scale_factor=2, mode="trilinear", align_corners=True),
    interp(X3, scale_factor=(0.7, 1.5, 1.2), mode="trilinear"),
    interp(X1, size=4, mode="area"),
    interp(X2, scale_factor=0.5, mode="area"),
    interp(X3, size=(2, 3, 3), mode="area"),
    interp(u(1, 1, 1, 1), size=(3, 2), mode="bilinear", align_corners=True),
    TorchCase("upsample_bilinear", lambda m, x: m.nn.functional.upsample_bilinear(x, (7, 8)),
              (X2,)),
    TorchCase("upsample_nearest", lambda m, x: m.nn.functional.upsample_nearest(x, (7, 8)),
              (X2,)),
    TorchCase("upsample", lambda m, x: m.nn.functional.upsample(x, scale_factor=2,
                                                                mode="linear"), (X1,)),
]
