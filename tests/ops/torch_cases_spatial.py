"""Torch-oracle rows for F.unfold / F.fold, F.pixel_shuffle / F.pixel_unshuffle and F.pad on
3-D, 4-D and 5-D inputs in every mode (batched and unbatched)."""
import numpy as np
from torch_oracle import TorchCase

RNG = np.random.default_rng(61)


def u(*shape):
    return RNG.uniform(-1.0, 1.0, shape)


def F(m):
    return m.nn.functional


def pad(shape, padding, mode="constant", **kw):
    return TorchCase(f"pad-{mode}-{'x'.join(map(str, shape))}-{padding}".replace(" ", ""),
                     lambda m, x: F(m).pad(x, padding, mode=mode, **kw), (u(*shape),))


def fold_row(id, size, lead, kernel, **kw):
    """fold of random columns shaped like unfold's output for that geometry; `lead` is
    (N, C) or, unbatched, (C,)."""
    import math
    blocks = [(n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, s, p, d in zip(
        size, _pair(kernel), _pair(kw.get("stride", 1)), _pair(kw.get("padding", 0)),
        _pair(kw.get("dilation", 1)))]
    cols = u(*lead[:-1], lead[-1] * math.prod(_pair(kernel)), math.prod(blocks))
    return TorchCase(id, lambda m, c: F(m).fold(c, size, kernel, **kw), (cols,))


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


CASES = [
    TorchCase("unfold", lambda m, x: F(m).unfold(x, 2), (u(2, 3, 5, 4),)),
    TorchCase("unfold-geometry", lambda m, x: F(m).unfold(x, (3, 2), dilation=(1, 2),
                                                         padding=1, stride=(2, 1)),
              (u(1, 2, 7, 6),)),
    TorchCase("unfold-unbatched", lambda m, x: F(m).unfold(x, 3, stride=2), (u(2, 7, 5),)),
    fold_row("fold", (5, 4), (2, 3), 2),
    fold_row("fold-geometry", (7, 6), (1, 2), (3, 2), dilation=(1, 2), padding=1,
             stride=(2, 1)),
    fold_row("fold-unbatched", (7, 5), (2,), 3, stride=2),
    TorchCase("unfold-fold", lambda m, x: F(m).fold(F(m).unfold(x, 3, padding=1), (5, 6), 3,
                                                    padding=1), (u(2, 2, 5, 6),)),
    TorchCase("pixel_shuffle", lambda m, x: F(m).pixel_shuffle(x, 2), (u(2, 8, 3, 5),)),
    TorchCase("pixel_shuffle-unbatched-r3", lambda m, x: F(m).pixel_shuffle(x, 3),
              (u(9, 2, 3),)),
    TorchCase("pixel_shuffle-5d", lambda m, x: m.pixel_shuffle(x, 2), (u(2, 1, 4, 2, 3),)),
    TorchCase("pixel_unshuffle", lambda m, x: F(m).pixel_unshuffle(x, 2), (u(2, 3, 4, 6),)),
    TorchCase("pixel_unshuffle-unbatched", lambda m, x: m.pixel_unshuffle(x, 3),
              (u(2, 6, 3),)),
    pad((2, 3, 7), (2, 1), "reflect"),
    pad((3, 7), (1, 3), "replicate"),
    pad((2, 3, 5), (2, 4), "circular"),
    pad((3, 4, 5), (1, 2, 3, 1), "reflect"),
    pad((2, 3, 4, 5), (2, 1, 0, 3), "replicate"),
    pad((2, 1, 4, 5), (4, 1, 3, 2), "circular"),
    pad((2, 2, 3, 4, 5), (1, 2, 2, 1, 1, 2), "reflect"),
    pad((2, 3, 4, 5), (1, 0, 2, 1, 2, 1), "reflect"),
    pad((1, 2, 3, 4, 5), (2, 1, 0, 3, 4, 1), "replicate"),
    pad((2, 3, 3, 4), (3, 1, 1, 2, 2, 3), "replicate"),
    pad((1, 2, 3, 4, 5), (1, 4, 3, 2, 0, 1), "circular"),
    pad((2, 2, 3, 4, 5), (1, 2, 0, 1, 2, 1), "constant", value=0.5),
    pad((2, 3, 4, 5), (1, -1, 2, 0, 1, 1)),
]
