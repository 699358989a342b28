"""Shape and movement primitives: reshape, permute, broadcast_to, cat, and the functions built on
them (flatten, squeeze, stack, split, ...). Indexing (`x[i]`) lives in `subscript`."""
import math

import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import DTypeError, OutOfRangeError, ShapeError
from graphgrad.ir.types import TensorType, normalize_dim
from graphgrad.ops._core import as_tensor, defop, describe, unbroadcast
from graphgrad.tensor import Tensor
from graphgrad.ops.subscript import (GETITEM, INDEX_ADD, SETITEM, getitem,  # noqa: F401
                                     index_add_at, parse_index, setitem)

# -- reshape ----------------------------------------------------------------------------------


def resolve_shape(name, size, shape):
    """Fill in one -1 and check the element count, like torch.reshape."""
    if all(type(d) is int and d >= 0 for d in shape):      # the common case, quickly
        shape = tuple(shape)
        if math.prod(shape) != size:
            raise ShapeError(f"{name}: shape {shape} is invalid for {size} elements")
        return shape
    shape = tuple(int(d) for d in shape)
    unknown = [i for i, d in enumerate(shape) if d == -1]
    if len(unknown) > 1 or any(d < -1 for d in shape):
        raise ShapeError(f"{name}: invalid shape {shape}")
    known = math.prod([d for d in shape if d != -1])
    if unknown:
        if known == 0 or size % known:
            raise ShapeError(f"{name}: shape {shape} is invalid for {size} elements")
        shape = shape[:unknown[0]] + (size // known,) + shape[unknown[0] + 1:]
    elif known != size:
        raise ShapeError(f"{name}: shape {shape} is invalid for {size} elements")
    return shape


def _reshape_infer(x, *, shape):
    size = int(np.prod(x.shape, dtype=np.int64))
    if int(np.prod(shape, dtype=np.int64)) != size:
        raise ShapeError(f"reshape: cannot reshape {describe(x)} to {shape}")
    return TensorType(tuple(shape), x.dtype)


def _reshape_kernel(in_types, *, shape):
    return lambda x: x.reshape(shape)


RESHAPE = defop("reshape", _reshape_infer, lambda x, *, shape: x.reshape(shape),
                lambda g, x, *, out, shape: (reshape(g, x.shape),), kernel=_reshape_kernel,
                alias=True, expr=lambda a, out, t, *, shape: f"{a[0]}.reshape({shape!r})",
                view_put=lambda base, new, *, shape: reshape(new, base.shape))

# -- permute ----------------------------------------------------------------------------------


def _permute_infer(x, *, perm):
    if sorted(perm) != list(range(len(x.shape))):
        raise ShapeError(f"permute: {perm} is not a permutation of the dims of {describe(x)}")
    return TensorType(tuple(x.shape[p] for p in perm), x.dtype)


def _permute_vjp(g, x, *, out, perm):
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p] = i
    return (bind(PERMUTE, g, perm=tuple(inverse)),)


PERMUTE = defop("permute", _permute_infer, lambda x, *, perm: x.transpose(perm), _permute_vjp,
                alias=True, expr=lambda a, out, t, *, perm: f"{a[0]}.T" if perm == (1, 0)
                else f"{a[0]}.transpose({perm!r})",
                view_put=lambda base, new, *, perm: _permute_vjp(new, base, out=None, perm=perm)[0])

# -- broadcast_to -----------------------------------------------------------------------------


def _broadcast_infer(x, *, shape):
    xs = tuple(x.shape)
    ok = len(shape) >= len(xs) and all(
        d == s or d == 1 for d, s in zip(xs[::-1], shape[::-1]))
    if not ok:
        raise ShapeError(f"broadcast_to: cannot broadcast {describe(x)} to {shape}")
    return TensorType(tuple(shape), x.dtype)


BROADCAST_TO = defop("broadcast_to", _broadcast_infer,
                     lambda x, *, shape: np.broadcast_to(x, shape),
                     lambda g, x, *, out, shape: (unbroadcast(g, x.shape),), alias=True,
                     broadcast=True, view_put=lambda base, new, *, shape: _expanded_write(base),
                     expr=lambda a, out, t, *, shape: f"_np.broadcast_to({a[0]}, {shape!r})")


def _expanded_write(base):
    raise ShapeError(f"in-place update of an expanded view of {describe(base)}: several of its "
                     "elements share one memory location; clone() it first")

# -- cat --------------------------------------------------------------------------------------


def _cat_infer(*xs, dim):
    if not xs:
        raise ShapeError("cat: expects a non-empty list of tensors")
    first = xs[0]
    if not first.shape:
        raise ShapeError(f"cat: zero-dimensional tensors cannot be concatenated (got "
                         f"{describe(first)}); use stack")
    for x in xs[1:]:
        if x.dtype != first.dtype:
            raise DTypeError(f"cat: all tensors must share a dtype, got "
                            f"{', '.join(describe(t) for t in xs)}")
        if len(x.shape) != len(first.shape) or any(
                a != b for i, (a, b) in enumerate(zip(x.shape, first.shape)) if i != dim):
            raise ShapeError(f"cat: shapes must match except in dim {dim}, got "
                             f"{', '.join(str(tuple(t.shape)) for t in xs)}")
    shape = list(first.shape)
    shape[dim] = sum(x.shape[dim] for x in xs)
    return TensorType(tuple(shape), first.dtype)


def _cat_vjp(g, *xs, out, dim):
    grads = []
    start = 0
    for x in xs:
        stop = start + x.shape[dim]
        grads.append(_slice_dim(g, dim, start, stop))
        start = stop
    return tuple(grads)


CAT = defop("cat", _cat_infer, lambda *xs, dim: np.concatenate(xs, axis=dim), _cat_vjp)

# -- op functions -----------------------------------------------------------------------------


def reshape(x, *shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    shape = resolve_shape("reshape", x.numel(), shape)
    if shape == x.shape:
        return x
    return bind(RESHAPE, x, shape=shape)


def view(x, *shape):
    """`x.view(shape)` (a reshape) or `x.view(dtype)` (the same bytes as another dtype)."""
    from graphgrad.ops.bitcast import is_dtype_argument, view_dtype
    if is_dtype_argument(shape):
        return view_dtype(x, shape[0])
    return reshape(x, *shape)


def flatten(x, start_dim=0, end_dim=-1):
    if x.ndim == 0:
        return reshape(x, (1,))
    start = normalize_dim("flatten", start_dim, x.ndim)
    end = normalize_dim("flatten", end_dim, x.ndim)
    if start > end:
        raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    s = x.shape
    return reshape(x, s[:start] + (int(np.prod(s[start:end + 1], dtype=np.int64)),) + s[end + 1:])


def permute(x, *dims):
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    ndim = x.ndim
    perm = tuple([normalize_dim("permute", d, ndim) for d in dims])
    if len(perm) != ndim:
        raise ShapeError(f"permute: {len(perm)} dims given for a tensor with {ndim} dims")
    if perm == tuple(range(ndim)):
        return x
    return bind(PERMUTE, x, perm=perm)


def transpose(x, dim0, dim1):
    ndim = x.ndim
    d0 = normalize_dim("transpose", dim0, ndim)
    d1 = normalize_dim("transpose", dim1, ndim)
    if d0 == d1:
        return x
    perm = list(range(ndim))
    perm[d0], perm[d1] = perm[d1], perm[d0]
    return bind(PERMUTE, x, perm=tuple(perm))       # a permutation by construction


def t(x):
    if x.ndim > 2:
        raise ShapeError(f"t: expects a tensor with at most 2 dims, got {describe(x)}")
    return permute(x, tuple(reversed(range(x.ndim))))


def broadcast_to(x, shape):
    if not isinstance(x, Tensor):
        x = as_tensor(x)
    shape = tuple(shape)
    if not all(type(d) is int for d in shape):
        shape = tuple(int(d) for d in shape)
    if shape == x.shape:
        return x
    return bind(BROADCAST_TO, x, shape=shape)


def expand(x, *sizes):
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ShapeError(f"expand: {len(sizes)} sizes for a tensor with {x.ndim} dims")
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return broadcast_to(x, shape)


def expand_as(x, other):
    return broadcast_to(x, other.shape)


def squeeze(x, dim=None):
    if dim is None:
        return reshape(x, tuple(d for d in x.shape if d != 1))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    dims = {normalize_dim("squeeze", d, x.ndim) for d in dims}
    return reshape(x, tuple(d for i, d in enumerate(x.shape) if not (i in dims and d == 1)))


def unsqueeze(x, dim):
    d = normalize_dim("unsqueeze", dim, x.ndim + 1)
    return reshape(x, x.shape[:d] + (1,) + x.shape[d:])


def cat(tensors, dim=0):
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ShapeError("cat: expects a non-empty list of tensors")
    if len(tensors) == 1:
        return tensors[0]
    from graphgrad.ir.types import promote
    from graphgrad.ops.elementwise import cast
    dtype = promote(*(t.dtype for t in tensors))
    tensors = [cast(t, dtype) for t in tensors]
    d = normalize_dim("cat", dim, tensors[0].ndim)
    return bind(CAT, *tensors, dim=d)


concat = cat
concatenate = cat


def stack(tensors, dim=0):
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ShapeError("stack: expects a non-empty list of tensors")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ShapeError(f"stack: all tensors must have the same shape, got {sorted(shapes)}")
    d = normalize_dim("stack", dim, tensors[0].ndim + 1)
    return cat([unsqueeze(t, d) for t in tensors], d)


def split(x, split_size_or_sections, dim=0):
    d = normalize_dim("split", dim, x.ndim)
    n = x.shape[d]
    if isinstance(split_size_or_sections, int):
        if split_size_or_sections <= 0:
            raise ValueError(f"split: split_size must be positive, got {split_size_or_sections}")
        sizes = [min(split_size_or_sections, n - s) for s in range(0, n, split_size_or_sections)]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise ShapeError(f"split: sections {sizes} do not add up to {n} (dim {dim} of "
                             f"{describe(x)})")
    out = []
    start = 0
    for size in sizes:
        out.append(_slice_dim(x, d, start, start + size))
        start += size
    return tuple(out)


def chunk(x, chunks, dim=0):
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    d = normalize_dim("chunk", dim, x.ndim)
    size = -(-x.shape[d] // chunks)
    return split(x, max(size, 1), d)


def narrow(x, dim, start, length):
    """`length` elements of dimension `dim` from `start` (a view, as torch's narrow)."""
    d = normalize_dim("narrow", dim, x.ndim)
    n = x.shape[d]
    start = int(start)
    if start < 0:
        start += n
    if not 0 <= start <= n or length < 0 or start + length > n:
        raise OutOfRangeError(f"narrow: start {start} and length {length} do not fit dim {dim} "
                              f"of size {n} ({describe(x)})")
    return _slice_dim(x, d, start, start + int(length))


def _slice_dim(x, dim, start, stop):
    spec = tuple(("s", None, None, None) for _ in range(dim)) + (("s", start, stop, None),)
    return bind(GETITEM, x, spec=spec)
