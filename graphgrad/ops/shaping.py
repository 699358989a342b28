"""Views and rearrangements torch has beyond the core movement ops: unbind, select, movedim,
swapaxes, ravel, unflatten, tensor_split and its h/v/d forms, the *stack family, atleast_nd,
broadcast_tensors, meshgrid, cartesian_prod, diff and Tensor.unfold. All are compositions of
primitives (their gradients come from those)."""
import warnings

import numpy as np

from graphgrad.errors import OutOfRangeError, ShapeError
from graphgrad.ir.types import broadcast_shapes, normalize_dim
from graphgrad.ops._core import as_tensor, describe
from graphgrad.ops.indexing import index_select
from graphgrad.ops.movement import (broadcast_to, cat, narrow, permute, reshape, squeeze,
                                    stack, transpose)


def _tensors(name, tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    return [as_tensor(t) for t in tensors]


def select(input, dim, index):
    """The slice at `index` of dimension `dim`, that dimension removed."""
    x = as_tensor(input)
    if x.ndim == 0:
        raise OutOfRangeError("select: cannot be applied to a 0-dim tensor")
    d = normalize_dim("select", dim, x.ndim)
    n = x.shape[d]
    if not -n <= index < n:
        raise OutOfRangeError(f"select: index {index} out of range for dimension {dim} of size "
                              f"{n} in {describe(x)}")
    return squeeze(narrow(x, d, index % n, 1), d)


def unbind(input, dim=0):
    x = as_tensor(input)
    d = normalize_dim("unbind", dim, x.ndim)
    return tuple(select(x, d, i) for i in range(x.shape[d]))


def _dim_list(name, dims, ndim):
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    return tuple(normalize_dim(name, d, ndim) for d in dims)


def movedim(input, source, destination):
    """Move dims `source` to positions `destination` (ints or sequences); the others keep
    their order."""
    x = as_tensor(input)
    src = _dim_list("movedim", source, x.ndim)
    dst = _dim_list("movedim", destination, x.ndim)
    if len(src) != len(dst) or len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ShapeError(f"movedim: source {source} and destination {destination} must be "
                         "distinct dims of the same count")
    rest = [d for d in range(x.ndim) if d not in src]
    perm = [None] * x.ndim
    for s, t in zip(src, dst):
        perm[t] = s
    it = iter(rest)
    perm = [p if p is not None else next(it) for p in perm]
    return permute(x, tuple(perm))


moveaxis = movedim


def swapaxes(input, axis0, axis1):
    return transpose(as_tensor(input), axis0, axis1)


swapdims = swapaxes


def ravel(input):
    return reshape(as_tensor(input), (-1,))


def unflatten(input, dim, sizes):
    """Split dimension `dim` into `sizes` (one entry may be -1)."""
    x = as_tensor(input)
    d = normalize_dim("unflatten", dim, x.ndim)
    sizes = tuple(int(s) for s in sizes)
    known = int(np.prod([s for s in sizes if s != -1]))
    if sizes.count(-1) > 1 or (-1 not in sizes and known != x.shape[d]) \
            or (-1 in sizes and (known == 0 or x.shape[d] % known)):
        raise ShapeError(f"unflatten: sizes {sizes} do not multiply to the size of dim {dim} "
                         f"of {describe(x)}")
    if -1 in sizes:
        sizes = tuple(x.shape[d] // known if s == -1 else s for s in sizes)
    return reshape(x, x.shape[:d] + sizes + x.shape[d + 1:])


def tensor_split(input, indices_or_sections, dim=0):
    """Split into `sections` nearly equal parts (the first ones one longer) or at `indices`."""
    x = as_tensor(input)
    d = normalize_dim("tensor_split", dim, x.ndim)
    n = x.shape[d]
    if isinstance(indices_or_sections, (int, np.integer)):
        s = int(indices_or_sections)
        if s <= 0:
            raise ValueError(f"tensor_split: number of sections must be positive, got {s}")
        sizes = [n // s + (1 if i < n % s else 0) for i in range(s)]
        bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    else:
        idx = [int(i) for i in indices_or_sections]
        bounds = [0] + idx + [n]
    parts = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        lo = min(max(lo + n if lo < 0 else lo, 0), n)
        hi = min(max(hi + n if hi < 0 else hi, 0), n)
        parts.append(narrow(x, d, lo, max(hi - lo, 0)))
    return tuple(parts)


def _split_at(name, x, sections, dim, min_ndim):
    x = as_tensor(x)
    if x.ndim < min_ndim:
        raise ShapeError(f"{name}: requires a tensor with at least {min_ndim} dimensions, got "
                         f"{describe(x)}")
    if isinstance(sections, (int, np.integer)) and (sections == 0 or x.shape[dim] % sections):
        raise ShapeError(f"{name}: dimension {dim} of {describe(x)} is not divisible by the "
                         f"split size {sections}")
    return tensor_split(x, sections, dim)


def hsplit(input, indices_or_sections):
    x = as_tensor(input)
    return _split_at("hsplit", x, indices_or_sections, 0 if x.ndim == 1 else 1, 1)


def vsplit(input, indices_or_sections):
    return _split_at("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections):
    return _split_at("dsplit", input, indices_or_sections, 2, 3)


def _atleast(tensors, ndim):
    ts = _tensors(f"atleast_{ndim}d", tensors)
    out = []
    for t in ts:
        if t.ndim == 0:
            t = reshape(t, (1,) * ndim)
        elif t.ndim == 1 and ndim >= 2:
            t = reshape(t, (1, t.shape[0], 1)[:ndim])
        elif t.ndim == 2 and ndim == 3:
            t = reshape(t, t.shape + (1,))
        out.append(t)
    single = len(tensors) == 1 and not isinstance(tensors[0], (list, tuple))
    return out[0] if single else tuple(out)


def atleast_1d(*tensors):
    return _atleast(tensors, 1)


def atleast_2d(*tensors):
    return _atleast(tensors, 2)


def atleast_3d(*tensors):
    return _atleast(tensors, 3)


def hstack(tensors):
    ts = [atleast_1d(t) for t in tensors]
    return cat(ts, 0 if ts and ts[0].ndim == 1 else 1)


def vstack(tensors):
    return cat([atleast_2d(t) for t in tensors], 0)


row_stack = vstack


def dstack(tensors):
    return cat([atleast_3d(t) for t in tensors], 2)


def column_stack(tensors):
    ts = [as_tensor(t) for t in tensors]
    ts = [reshape(t, (t.numel(), 1)) if t.ndim <= 1 else t for t in ts]
    return hstack(ts)


def broadcast_tensors(*tensors):
    ts = _tensors("broadcast_tensors", tensors)
    shape = broadcast_shapes("broadcast_tensors", *(t.shape for t in ts))
    return tuple(broadcast_to(t, shape) for t in ts)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids of 1-D (or 0-d) tensors; indexing 'ij' (the default, with torch's
    warning when not given) or 'xy'."""
    ts = _tensors("meshgrid", tensors)
    if indexing is None:
        warnings.warn("meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    for t in ts:
        if t.ndim > 1:
            raise ShapeError(f"meshgrid: expects 0-D or 1-D tensors, got {describe(t)}")
    ts = [reshape(t, (-1,)) for t in ts]
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.shape[0] for t in ts)
    grids = [broadcast_to(reshape(t, tuple(-1 if j == i else 1 for j in range(len(ts)))), shape)
             for i, t in enumerate(ts)]
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def cartesian_prod(*tensors):
    ts = _tensors("cartesian_prod", tensors)
    if len(ts) == 1:
        return ts[0]
    grids = meshgrid(*ts, indexing="ij")
    return stack([reshape(g, (-1,)) for g in grids], 1)


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """n-th forward difference along dim (bool tensors: x[i+1] != x[i], as torch)."""
    x = as_tensor(input)
    if x.ndim == 0:
        raise ShapeError("diff: expects input to be at least one-dimensional")
    d = normalize_dim("diff", dim, x.ndim)
    parts = [as_tensor(p) for p in (prepend,) if p is not None] + [x] + \
        [as_tensor(a) for a in (append,) if a is not None]
    if len(parts) > 1:
        parts = [broadcast_to(p, x.shape[:d] + (1,) + x.shape[d + 1:]) if p.ndim == 0 else p
                 for p in parts]
        x = cat(parts, d)
    for _ in range(n):
        m = x.shape[d]
        if m == 0:
            break
        hi, lo = narrow(x, d, 1, m - 1), narrow(x, d, 0, m - 1)
        x = hi != lo if x.dtype == np.bool_ else hi - lo
    return x


def unfold_dim(input, dimension, size, step):
    """Tensor.unfold: every window of `size` elements, `step` apart, along `dimension` (that
    dim becomes the window count; a new last dim of length `size` holds the windows)."""
    x = as_tensor(input)
    d = normalize_dim("unfold", dimension, x.ndim) if x.ndim else 0
    n = x.shape[d] if x.ndim else 1
    if size > n or step <= 0 or size < 0:
        raise ShapeError(f"unfold: size {size} and step {step} do not fit dimension "
                         f"{dimension} of {describe(x)}")
    if x.ndim == 0:
        return reshape(x, (1,))
    count = (n - size) // step + 1
    idx = (np.arange(count)[:, None] * step + np.arange(size)[None, :]).reshape(-1)
    picked = index_select(x, d, as_tensor(idx.astype(np.int64)))
    picked = reshape(picked, x.shape[:d] + (count, size) + x.shape[d + 1:])
    return movedim(picked, d + 1, -1)
