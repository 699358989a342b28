"""Index and mask functions: index_select, index_add, index_copy, index_fill, index_put, take,
take_along_dim, masked_fill, masked_scatter, and the eager-only masked_select and nonzero.

They are composites of the subscript and gather primitives; `check_bounds` validates index
values where torch refuses negative ones (also inside compiled graphs, when the kernel runs).
"""
import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import DTypeError, OutOfRangeError, ShapeError, TraceError
from graphgrad.ir.types import TensorType, broadcast_shapes
from graphgrad.ops._core import as_tensor, as_tensor_like, defop, describe
from graphgrad.ops.elementwise import cast, where
from graphgrad.ops.scatter import wrap_dim
from graphgrad.ops.index_spec import FULL
from graphgrad.ops.subscript import INDEX_ADD, SETITEM
from graphgrad.tensor import Tensor


def _check_bounds_infer(index, *, low, high, what):
    if index.dtype.kind not in "iu":
        raise DTypeError(f"{what}: expects an integer index, got {describe(index)}")
    if type(index) is np.ndarray:
        _check_bounds_impl(index, low=low, high=high, what=what)
    return TensorType(tuple(index.shape), index.dtype)


def _check_bounds_impl(index, *, low, high, what):
    if index.size and (index.min() < low or index.max() >= high):
        bad = index.min() if index.min() < low else index.max()
        raise OutOfRangeError(f"{what}: index {bad} is out of range [{low}, {high})")
    return index


CHECK_BOUNDS = defop("check_bounds", _check_bounds_infer, _check_bounds_impl, alias=True,
                     check=True)


def check_bounds(index, low, high, what):
    return bind(CHECK_BOUNDS, index, low=int(low), high=int(high), what=what)


def _index_vector(name, index, size, dim, negatives=False):
    """A 0-d or 1-D integer index as a 1-D tensor, checked to lie in [0, size)."""
    index = as_tensor(index)
    if index.dtype.kind not in "iu":
        raise DTypeError(f"{name}: expects an int64 or int32 index, got {describe(index)}")
    if index.ndim > 1:
        raise ShapeError(f"{name}: the index must be a vector, got {describe(index)}")
    if index.ndim == 0:
        index = index.reshape(1)
    if negatives:
        return index
    return check_bounds(index, 0, size, f"{name} (dim {dim} of size {size})")


def _dim_spec(dim):
    return (FULL,) * dim + (("t", 0),)


def index_select(input, dim, index):
    """The slices of `input` along `dim` at the positions in the 1-D `index`."""
    input = as_tensor(input)
    d = wrap_dim("index_select", dim, input.ndim)
    index = _index_vector("index_select", index, _size(input, d), d)
    if input.ndim == 0:
        return input.reshape(1)[index].reshape(())
    return input[(slice(None),) * d + (index,)]


def _size(x, d):
    return x.shape[d] if x.ndim else 1


def _source(name, input, index, d, source):
    """`source` as a tensor of input's dtype whose shape is input's with dim d of len(index)."""
    source = as_tensor_like(source, input)
    if source.dtype != input.dtype:
        source = cast(source, input.dtype)
    want = tuple(input.shape[:d]) + (index.shape[0],) + tuple(input.shape[d + 1:])
    if input.ndim == 0:
        want = ()
    if tuple(source.shape) != want:
        raise ShapeError(f"{name}: source {describe(source)} must have the shape {want} (the "
                         f"input {describe(input)} with dim {d} of the index's length "
                         f"{index.shape[0]})")
    return source


def _write_dim(op, name, input, dim, index, source, negatives=False):
    input = as_tensor(input)
    d = wrap_dim(name, dim, input.ndim)
    index = _index_vector(name, index, _size(input, d), d, negatives)
    source = _source(name, input, index, d, source)
    if input.ndim == 0:
        flat = bind(op, input.reshape(1), source.reshape(1), index, spec=_dim_spec(0))
        return flat.reshape(())
    return bind(op, input, source, index, spec=_dim_spec(d))


def index_add(input, dim, index, source, *, alpha=1):
    """`input` plus `alpha * source` added at the positions `index` along `dim` (repeated
    positions accumulate)."""
    if alpha != 1:
        source = as_tensor(source) * alpha
    return _write_dim(INDEX_ADD, "index_add", input, dim, index, source)


def index_copy(input, dim, index, source):
    """`input` with the slices of `source` copied to the positions `index` along `dim`."""
    return _write_dim(SETITEM, "index_copy", input, dim, index, source)


def index_fill(input, dim, index, value):
    """`input` with `value` (a number or 0-d tensor) at the positions `index` along `dim`."""
    from graphgrad.ops.creation import zeros
    input = as_tensor(input)
    d = wrap_dim("index_fill", dim, input.ndim)
    if isinstance(value, Tensor) and value.ndim != 0:
        raise ShapeError(f"index_fill: value must be a number or a 0-d tensor, got "
                         f"{describe(value)}")
    index = _index_vector("index_fill", index, _size(input, d), d, negatives=True)
    if input.ndim == 0:
        return index_fill(input.reshape(1), 0, index, value).reshape(())
    # a mask, so that a repeated index counts once in the gradient of `value` (as in torch)
    hit = bind(SETITEM, zeros((input.shape[d],), dtype=np.bool_),
               as_tensor(np.bool_(True)), index, spec=_dim_spec(0))
    return masked_fill(input, hit.reshape((-1,) + (1,) * (input.ndim - d - 1)), value)


def index_put(input, indices, values, accumulate=False):
    """`input[indices] = values` for a tuple of index tensors (None: a whole dim); with
    accumulate=True repeated positions add up."""
    from graphgrad.ops.subscript import index_add_at, setitem
    if not isinstance(indices, (tuple, list)):
        raise DTypeError(f"index_put: indices must be a tuple of tensors, got "
                        f"{type(indices).__name__}")
    index = tuple(slice(None) if i is None else as_tensor(i) for i in indices)
    input = as_tensor(input)
    if accumulate:
        return index_add_at(input, index, values)
    return setitem(input, index, values)


def take(input, index):
    """`input` read as 1-D at `index` (any shape; negative positions count from the end)."""
    input, index = as_tensor(input), as_tensor(index)
    if index.dtype.kind not in "iu":
        raise DTypeError(f"take: expects an int64 index, got {describe(index)}")
    return input.reshape(-1)[index]


def take_along_dim(input, indices, dim=None):
    """gather after broadcasting `input` and `indices` against each other (all dims but
    `dim`); dim=None reads both as 1-D."""
    from graphgrad.ops.scatter import gather
    input, indices = as_tensor(input), as_tensor(indices)
    if indices.dtype.kind not in "iu":
        raise DTypeError(f"take_along_dim: expects an int64 index, got {describe(indices)}")
    if dim is None:
        return take_along_dim(input.reshape(-1), indices.reshape(-1), 0)
    if input.ndim != indices.ndim:
        raise ShapeError(f"take_along_dim: input {describe(input)} and indices "
                         f"{describe(indices)} must have the same number of dims")
    d = wrap_dim("take_along_dim", dim, input.ndim)
    n = _size(input, d)
    shape = broadcast_shapes("take_along_dim", _without(input.shape, d), _without(indices.shape,
                                                                                    d))
    input = input.broadcast_to(_with(shape, d, n))
    indices = indices.broadcast_to(_with(shape, d, indices.shape[d] if indices.ndim else 1))
    indices = cast(indices, np.int64)
    return gather(input, d, where(indices < 0, indices + n, indices))


def _without(shape, d):
    return tuple(1 if k == d else n for k, n in enumerate(shape))


def _with(shape, d, n):
    return tuple(n if k == d else s for k, s in enumerate(shape))


def masked_fill(x, mask, value):
    """`x` with `value` where the bool `mask` (broadcastable to x's shape) is True."""
    x = as_tensor(x)
    mask = _mask_for("masked_fill", x, mask)
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ShapeError(f"masked_fill: value must be a number or a 0-d tensor, got "
                             f"{describe(value)}")
        if value.dtype != x.dtype:
            value = cast(value, x.dtype)
    else:
        value = as_tensor_like(value, x)
        if value.dtype != x.dtype:
            value = cast(value, x.dtype)
    return where(mask, value, x)


def _mask_for(name, x, mask):
    mask = as_tensor(mask)
    if mask.dtype != np.bool_:
        raise DTypeError(f"{name}: the mask must be a bool tensor, got {describe(mask)}")
    shape = broadcast_shapes(name, tuple(mask.shape), tuple(x.shape))
    if shape != x.shape:
        raise ShapeError(f"{name}: the mask {describe(mask)} does not broadcast to the "
                         f"shape of the tensor {describe(x)}")
    return mask


def masked_scatter(input, mask, source):
    """`input` with the elements of `source`, in order, written where `mask` is True."""
    from graphgrad.ops.sorting import argsort
    input, source = as_tensor(input), as_tensor(source)
    mask = _mask_for("masked_scatter", input, mask)
    if source.dtype != input.dtype:
        raise DTypeError(f"masked_scatter: source {describe(source)} must have the dtype of the "
                        f"input {describe(input)}")
    m = mask.broadcast_to(input.shape).reshape(-1)
    # rank of each element among the True ones: a stable sort puts them first, in order
    order = argsort(cast(~m, np.int64), stable=True)
    rank = argsort(order, stable=True)
    n = source.numel()
    pos = check_bounds(where(m, rank, -1), -1, n, f"masked_scatter: the mask has more True "
                       f"elements than the {n} elements of source;")
    if n:
        values = source.reshape(-1)[pos.clamp(min=0)]
    else:
        values = as_tensor_like(0, input)
    # the where reads `pos`, so the check stays in compiled graphs
    return where(pos >= 0, values, input.reshape(-1)).reshape(input.shape)


def masked_select(input, mask):
    """The elements of `input` where `mask` is True, as a 1-D tensor (eager only: the length
    depends on the mask's values)."""
    input, mask = as_tensor(input), as_tensor(mask)
    if mask.dtype != np.bool_:
        raise DTypeError(f"masked_select: the mask must be a bool tensor, got {describe(mask)}")
    if mask.is_traced:
        raise TraceError("masked_select inside a compiled function has a data-dependent "
                         "shape; use gg.where(mask, x, 0) or x.masked_fill(~mask, 0) instead")
    shape = broadcast_shapes("masked_select", tuple(mask.shape), tuple(input.shape))
    return input.broadcast_to(shape)[mask.broadcast_to(shape)]


def nonzero(input, *, as_tuple=False):
    """The indices of the nonzero elements: an (n, ndim) int64 tensor, or one 1-D tensor per
    dim with as_tuple=True (eager only: n depends on the values)."""
    input = as_tensor(input)
    data = input._concrete("nonzero / argwhere (their result's length depends on the values)")
    if as_tuple:
        found = np.nonzero(data.reshape(1) if data.ndim == 0 else data)
        return tuple(Tensor._wrap(k.astype(np.int64)) for k in found)
    if data.ndim == 0:
        return Tensor._wrap(np.zeros((int(data != 0), 0), np.int64))
    return Tensor._wrap(np.argwhere(data).astype(np.int64))


def argwhere(input):
    return nonzero(input)


def _inplace(name, fn):
    def method(self, *args, **kwargs):
        return self._inplace(lambda s: fn(s, *args, **kwargs), name)
    method.__name__ = name
    return method


def _attach_methods():
    for fn in (masked_fill, masked_scatter, index_add, index_copy, index_fill, index_put):
        setattr(Tensor, fn.__name__, fn)
        setattr(Tensor, fn.__name__ + "_", _inplace(fn.__name__ + "_", fn))
    for fn in (index_select, take, take_along_dim, masked_select, nonzero, argwhere):
        setattr(Tensor, fn.__name__, fn)


_attach_methods()
