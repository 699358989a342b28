"""Torch-oracle rows for flip, fliplr, flipud, roll, rot90, repeat, tile and repeat_interleave:
negative dims and shifts, zero-size, integer and bool tensors."""
import numpy as np
from torch_oracle import TorchCase

RNG = np.random.default_rng(14)


def u(*shape, lo=-2.0, hi=2.0):
    return RNG.uniform(lo, hi, shape)


T = TorchCase
X = u(2, 3, 4)

CASES = [
    T("flip", lambda m, x: m.flip(x, (0, 2)), (X,)),
    T("flip-negative-dim-method", lambda m, x: x.flip(-1), (X,)),
    T("flip-method-varargs", lambda m, x: x.flip(0, 1), (X,)),
    T("flip-int", lambda m, x: m.flip(x, [1]), (np.arange(6).reshape(2, 3),)),
    T("flip-bool-empty", lambda m, x: m.flip(x, (0,)), (np.zeros((0, 2), bool),)),
    T("flip-0d", lambda m, x: m.flip(x, ()), (u(),)),
    T("fliplr", lambda m, x: m.fliplr(x), (X,)),
    T("flipud-method", lambda m, x: x.flipud(), (u(3),)),
    T("roll", lambda m, x: m.roll(x, 1, 0), (X,)),
    T("roll-several", lambda m, x: m.roll(x, (-1, 5), (2, -2)), (X,)),
    T("roll-flat", lambda m, x: x.roll(4), (X,)),
    T("roll-int-zero-shift", lambda m, x: m.roll(x, 3, 1), (np.arange(6).reshape(2, 3),)),
    T("roll-empty", lambda m, x: m.roll(x, 2, 0), (np.zeros((0, 3)),)),
    T("rot90", lambda m, x: m.rot90(x), (X,)),
    T("rot90-k2-dims", lambda m, x: m.rot90(x, 2, (1, 2)), (X,)),
    T("rot90-k-negative-method", lambda m, x: x.rot90(-1, [2, 0]), (X,)),
    T("rot90-k4", lambda m, x: m.rot90(x, 4), (u(2, 3),)),
    T("rot90-bool", lambda m, x: m.rot90(x, 3), (RNG.random((2, 3)) < 0.5,)),
    T("repeat", lambda m, x: x.repeat(2, 1, 3), (X,)),
    T("repeat-new-dims", lambda m, x: x.repeat(2, 1, 2), (u(3),)),
    T("repeat-tuple-zero", lambda m, x: x.repeat((0, 2)), (u(2, 3),)),
    T("repeat-bool", lambda m, x: x.repeat(2, 2), (RNG.random((2, 3)) < 0.5,)),
    T("repeat-0d", lambda m, x: x.repeat(3), (u(),)),
    T("tile", lambda m, x: m.tile(x, (2,)), (u(2, 3),)),
    T("tile-more-dims-method", lambda m, x: x.tile(2, 1, 2), (u(2, 3),)),
    T("tile-int", lambda m, x: m.tile(x, (2, 2)), (np.arange(3),)),
    T("repeat_interleave", lambda m, x: m.repeat_interleave(x, 2), (u(2, 3),)),
    T("repeat_interleave-dim", lambda m, x: x.repeat_interleave(3, dim=-2), (u(2, 3),)),
    T("repeat_interleave-tensor", lambda m, x, r: x.repeat_interleave(r, dim=0),
      (u(3, 2), np.array([2, 0, 1])), compiled=False),
    T("repeat_interleave-tensor-flat", lambda m, x, r: m.repeat_interleave(x, r),
      (u(2, 2), np.array([1, 2, 0, 3])), compiled=False),
    T("repeat_interleave-counts", lambda m, r: m.repeat_interleave(r), (np.array([2, 0, 1]),),
      compiled=False),
    T("repeat_interleave-int", lambda m, x: x.repeat_interleave(2, dim=1),
      (np.arange(6).reshape(2, 3),)),
]
