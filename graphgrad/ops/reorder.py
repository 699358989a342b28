"""Reordering and repeating elements: flip, fliplr, flipud, roll, rot90, repeat, tile and
repeat_interleave, as composites of slicing, cat and broadcast_to (their gradients follow)."""
import numpy as np

from graphgrad.errors import ShapeError
from graphgrad.ops._core import as_tensor, describe
from graphgrad.ops.scatter import wrap_dim
from graphgrad.tensor import Tensor


def _dims(name, dims, ndim):
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    out = tuple(wrap_dim(name, d, ndim) for d in dims)
    if len(set(out)) != len(out):
        raise ShapeError(f"{name}: dims {dims} has duplicates")
    return out


def flip(input, dims):
    """`input` with the order of its elements reversed along each of `dims`."""
    input = as_tensor(input)
    dims = _dims("flip", dims, input.ndim)
    if input.ndim == 0 or not dims:
        return input.clone()
    return input[tuple(slice(None, None, -1) if d in dims else slice(None)
                       for d in range(input.ndim))]


def fliplr(input):
    input = as_tensor(input)
    if input.ndim < 2:
        raise ShapeError(f"fliplr: expects a tensor with at least 2 dims, got {describe(input)}")
    return flip(input, 1)


def flipud(input):
    input = as_tensor(input)
    if input.ndim < 1:
        raise ShapeError(f"flipud: expects a tensor with at least 1 dim, got {describe(input)}")
    return flip(input, 0)


def roll(input, shifts, dims=None):
    """`input` shifted by `shifts` along `dims`, elements wrapping around; without dims the
    tensor is rolled as 1-D and keeps its shape."""
    from graphgrad.ops.movement import cat
    input = as_tensor(input)
    shifts = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise ShapeError(f"roll: {len(shifts)} shifts need as many dims")
        return roll(input.reshape(-1), shifts, 0).reshape(input.shape)
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(shifts) != len(dims):
        raise ShapeError(f"roll: shifts {shifts} and dims {dims} must have the same length")
    out = input
    for shift, dim in zip(shifts, dims):
        d = wrap_dim("roll", dim, input.ndim)
        n = input.shape[d] if input.ndim else 1
        s = int(shift) % n if n else 0
        if s and input.ndim:
            lead = (slice(None),) * d
            out = cat([out[lead + (slice(n - s, None),)], out[lead + (slice(0, n - s),)]], d)
    return out if out is not input else input.clone()


def rot90(input, k=1, dims=(0, 1)):
    """`input` rotated by k quarter turns in the plane of `dims`, from the first dim towards
    the second."""
    input = as_tensor(input)
    if len(dims) != 2:
        raise ShapeError(f"rot90: expects two dims, got {tuple(dims)}")
    if input.ndim < 2:
        raise ShapeError(f"rot90: expects a tensor with at least 2 dims, got {describe(input)}")
    d0, d1 = _dims("rot90", dims, input.ndim)
    k = int(k) % 4
    if k == 1:
        return flip(input, d1).transpose(d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return flip(input, d0).transpose(d0, d1)
    return input.clone()


def repeat(input, *sizes):
    """`input` tiled `sizes[i]` times along each dim (extra leading sizes add dims)."""
    input = as_tensor(input)
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    sizes = tuple(int(s) for s in sizes)
    if len(sizes) < input.ndim:
        raise ShapeError(f"repeat: {len(sizes)} repeat sizes for a tensor with {input.ndim} "
                         f"dims; give at least one per dim")
    if any(s < 0 for s in sizes):
        raise ShapeError(f"repeat: repeat sizes must be non-negative, got {sizes}")
    shape = (1,) * (len(sizes) - input.ndim) + tuple(input.shape)
    spread = tuple(n for s in shape for n in (1, s))
    tiled = tuple(n for r, s in zip(sizes, shape) for n in (r, s))
    out = input.reshape(spread).broadcast_to(tiled)
    return out.reshape(tuple(r * s for r, s in zip(sizes, shape)))


def tile(input, dims):
    """repeat, with missing leading entries of `dims` taken as 1."""
    input = as_tensor(input)
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    return repeat(input, (1,) * (input.ndim - len(dims)) + dims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element (or slice along `dim`) repeated `repeats` times in place; `repeats` may be
    a tensor with one count per element (eager only: the length depends on its values).
    With a single tensor argument: arange(len(counts)) repeated by those counts."""
    if repeats is None:
        counts = as_tensor(input)
        return repeat_interleave(_arange_like(counts), counts, 0)
    input = as_tensor(input)
    if dim is None:
        input, dim = input.reshape(-1), 0
    d = wrap_dim("repeat_interleave", dim, input.ndim)
    if input.ndim == 0:
        input = input.reshape(1)
    n = input.shape[d]
    if isinstance(repeats, Tensor) and repeats.numel() != 1:
        counts = repeats._concrete("repeat_interleave with a tensor of counts (the result's "
                                   "length depends on them)")
        if counts.shape != (n,):
            raise ShapeError(f"repeat_interleave: repeats {describe(repeats)} must have one "
                             f"count per element of dim {d} ({n})")
        if (counts < 0).any():
            raise ShapeError("repeat_interleave: repeats must be non-negative")
        from graphgrad.ops.indexing import index_select
        index = Tensor._wrap(np.repeat(np.arange(n, dtype=np.int64), counts))
        return index_select(input, d, index)
    r = int(repeats._concrete("repeat_interleave with a tensor count") if isinstance(
        repeats, Tensor) else repeats)
    if r < 0:
        raise ShapeError(f"repeat_interleave: repeats must be non-negative, got {r}")
    shape = tuple(input.shape)
    out = input.unsqueeze(d + 1).broadcast_to(shape[:d + 1] + (r,) + shape[d + 1:])
    return out.reshape(shape[:d] + (n * r,) + shape[d + 1:])


def _arange_like(counts):
    from graphgrad.ops.creation import arange
    if counts.ndim != 1:
        raise ShapeError(f"repeat_interleave: counts must be 1-D, got {describe(counts)}")
    return arange(counts.shape[0])


def _attach_methods():
    Tensor.flip = lambda self, *dims: flip(self, dims[0] if len(dims) == 1 else dims)
    Tensor.fliplr = fliplr
    Tensor.flipud = flipud
    Tensor.roll = roll
    Tensor.rot90 = rot90
    Tensor.repeat = repeat
    Tensor.tile = lambda self, *dims: tile(self, dims[0] if len(dims) == 1 else dims)
    Tensor.repeat_interleave = repeat_interleave


_attach_methods()
