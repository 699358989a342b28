"""Padding: the constant-padding primitive and `pad` (constant, reflect, replicate, circular)."""
import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import ShapeError
from graphgrad.ir.types import TensorType
from graphgrad.ops._core import as_tensor, describe
from graphgrad.ops.spatial import defop_out


def _pad_infer(x, *, pads, value):
    if len(pads) != len(x.shape) or any(b < 0 or a < 0 for b, a in pads):
        raise ShapeError(f"pad: pads {pads} do not fit {describe(x)}")
    return TensorType(tuple(d + b + a for d, (b, a) in zip(x.shape, pads)), x.dtype)


def _pad_out(out, x, *, pads, value):
    out.fill(value)
    out[tuple(slice(b, b + d) for d, (b, _) in zip(x.shape, pads))] = x
    return out


def _pad_vjp(g, x, *, out, pads, value):
    from graphgrad.ops.movement import GETITEM
    spec = tuple(("s", b, b + d, None) for d, (b, _) in zip(x.shape, pads))
    return (bind(GETITEM, g, spec=spec),)


PAD = defop_out("pad", _pad_infer, _pad_out, _pad_vjp)


def _pad_index(mode, n, before, after):
    j = np.arange(-before, n + after)
    if mode == "replicate":
        return np.clip(j, 0, n - 1)
    if mode == "circular":
        return j % n
    j = np.abs(j)                                                # reflect
    return np.where(j > n - 1, 2 * (n - 1) - j, j)


def pad(input, pad, mode="constant", value=None):
    """torch.nn.functional.pad: `pad` lists (before, after) pairs starting from the last dim.
    Modes: constant (negative pads crop), reflect, replicate, circular."""
    from graphgrad.ops.movement import getitem
    x = as_tensor(input)
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad: the padding {pad} must have an even length of at most "
                         f"2 * {x.ndim} entries for {describe(x)}")
    pairs = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        pairs[x.ndim - 1 - i] = pad[2 * i:2 * i + 2]
    if mode == "constant":
        if any(d + b + a < 0 for d, (b, a) in zip(x.shape, pairs)):
            raise ShapeError(f"pad: the padding {pad} crops more than all of {describe(x)}")
        if any(b < 0 or a < 0 for b, a in pairs):
            x = getitem(x, tuple(slice(max(-b, 0), d - max(-a, 0))
                                 for d, (b, a) in zip(x.shape, pairs)))
        pairs = tuple((max(b, 0), max(a, 0)) for b, a in pairs)
        if not any(b or a for b, a in pairs):
            return x
        return bind(PAD, x, pads=pairs, value=0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', "
                         f"got {mode!r}")
    if value:
        raise ValueError(f"pad: mode {mode!r} takes no fill value, got {value!r}")
    k = len(pad) // 2
    if k > 3 or x.ndim not in (k + 1, k + 2):
        raise NotImplementedError(f"pad: {mode} padding of {k} dims needs a {k + 1}-D or "
                                  f"{k + 2}-D input (at most 3 padded dims), got {describe(x)}")
    for dim, (b, a) in enumerate(pairs):
        n = x.shape[dim]
        limit = {"reflect": n - 1, "circular": n}.get(mode, max(b, a))
        if min(b, a) < 0 or max(b, a) > limit or n == 0:
            raise ShapeError(f"pad: {mode} padding {(b, a)} of dim {dim} is invalid for "
                             f"{describe(x)} (each side must be from 0 to {limit})")
        if b or a:
            x = getitem(x, (slice(None),) * dim + (_pad_index(mode, n, b, a),))
    return x

