"""`x[index]` and `x[index] = value`: the getitem, setitem and index_add primitives (torch's
placement of indexed dims, see `index_spec`) and the op functions behind Tensor.__getitem__ and
Tensor.__setitem__."""
import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import DTypeError, OutOfRangeError, ShapeError
from graphgrad.ir.types import TensorType
from graphgrad.ops._core import defop, describe, unbroadcast
from graphgrad.ops.creation import zeros
from graphgrad.ops.index_kernels import add_rows
from graphgrad.ops.index_spec import (FULL, as_tuple, dims_used, check_index_tensors,
                                      index_shape, numpy_index, parse_index)
from graphgrad.tensor import Tensor

# -- primitives -------------------------------------------------------------------------------

def _getitem_infer(x, *idx, spec):
    shape = index_shape("getitem", tuple(x.shape), spec, [i.shape for i in idx])
    check_index_tensors("getitem", x, idx, spec, shape)
    return TensorType(shape, x.dtype)


def out_of_range(name, error, shape):
    """The error of an index NumPy found out of range (`error`, its IndexError) in `name` on a
    tensor of `shape`."""
    return OutOfRangeError(f"{name}: {error} (tensor of shape {shape})")


_INDEXES = {}        # (ndim, spec) -> numpy_index, for specs without index tensors


def _getitem_impl(x, *idx, spec):
    if idx:
        basic, advanced = numpy_index(x.ndim, spec, idx)
    else:                               # ints, slices, None, ... and bools: worked out once
        key = (x.ndim, spec)
        index = _INDEXES.get(key)
        if index is None:
            if len(_INDEXES) >= 1024:
                _INDEXES.clear()
            index = _INDEXES[key] = numpy_index(x.ndim, spec, idx)
        basic, advanced = index
    y = _read(x, basic, "getitem")
    if advanced is None:
        return y
    try:
        return y[advanced]
    except IndexError as e:
        shape = index_shape("getitem", x.shape, spec, [i.shape for i in idx])
        if 0 in shape:
            return np.zeros(shape, x.dtype)   # reads nothing: torch checks no index then
        raise out_of_range("getitem", e, x.shape) from None


def _read(x, basic, name):
    """x[basic]: ints, 0-d indices and slices (a view); an int out of range raises."""
    try:
        return x[basic]
    except IndexError as e:
        raise out_of_range(name, e, x.shape) from None


def _getitem_vjp(g, x, *idx, out, spec):
    base = zeros(x.shape, dtype=x.dtype)
    return (bind(INDEX_ADD, base, g, *idx, spec=spec),) + (None,) * len(idx)


def _getitem_put(base, new, *idx, spec):
    """Basic indexing (ints, slices, None, 0-d index tensors) makes a view: writing it writes
    the indexed region of the base. Index tensors with dims and bool masks make a copy: None,
    nothing to write back."""
    if any(len(t.shape) for t in idx) or any(item[0] == "b" for item in spec):
        return None
    return bind(SETITEM, base, new, *idx, spec=spec)


GETITEM = defop("getitem", _getitem_infer, _getitem_impl, _getitem_vjp, alias=True,
                view_put=_getitem_put)


def _write_infer(name):
    def infer(base, value, *idx, spec):
        target = index_shape(name, tuple(base.shape), spec, [i.shape for i in idx])
        check_index_tensors(name, base, idx, spec, target)
        if value.dtype != base.dtype:
            raise DTypeError(f"{name}: value {describe(value)} must have the dtype of "
                            f"{describe(base)}")
        vs = tuple(value.shape)
        if len(vs) > len(target) or any(v != t and v != 1 for v, t in zip(vs[::-1], target[::-1])):
            raise ShapeError(f"{name}: value of shape {vs} cannot be broadcast to the indexed "
                             f"region {tuple(target)} of {describe(base)}")
        return TensorType(tuple(base.shape), base.dtype)
    return infer


def write(out, value, idx, spec, accumulate):
    """out[index] = value (or += with repeated indices accumulating), in place."""
    basic, advanced = numpy_index(out.ndim, spec, idx)
    name = "index_add" if accumulate else "setitem"
    if advanced is None:
        _read(out, basic, name)
        if accumulate:
            out[basic] += value
        else:
            out[basic] = value
        return out
    view = _read(out, basic, name)
    try:
        if accumulate:
            if not add_rows(view, advanced, value):
                np.add.at(view, advanced, value)
        else:
            view[advanced] = value
    except IndexError as e:
        if 0 not in index_shape(name, out.shape, spec, [i.shape for i in idx]):
            raise out_of_range(name, e, out.shape) from None
    return out


def _index_add_impl(base, value, *idx, spec):
    return write(base.copy(), value, idx, spec, accumulate=True)


def _index_add_vjp(g, base, value, *idx, out, spec):
    return (g, unbroadcast(bind(GETITEM, g, *idx, spec=spec), value.shape)) + (None,) * len(idx)


INDEX_ADD = defop("index_add", _write_infer("index_add"), _index_add_impl, _index_add_vjp)


def _setitem_impl(base, value, *idx, spec):
    return write(base.copy(), value, idx, spec, accumulate=False)


def _setitem_vjp(g, base, value, *idx, out, spec):
    g_base = bind(SETITEM, g, zeros((), dtype=g.dtype), *idx, spec=spec)
    g_value = unbroadcast(bind(GETITEM, g, *idx, spec=spec), value.shape)
    return (g_base, g_value) + (None,) * len(idx)


SETITEM = defop("setitem", _write_infer("setitem"), _setitem_impl, _setitem_vjp)

# -- op functions -----------------------------------------------------------------------------

def getitem(x, index):
    if type(index) is int:                    # x[i], the common case, quickly
        return bind(GETITEM, x, spec=(("i", index),))
    spec, tensors = parse_index(x, index)
    if not tensors and all(s == FULL for s in spec):
        return x
    return bind(GETITEM, x, *tensors, spec=spec)


def _value_for(x, value):
    """`value` as a tensor of x's dtype, without leading size-1 dims beyond what it needs."""
    from graphgrad.ops._core import as_tensor_like
    from graphgrad.ops.elementwise import cast
    value = as_tensor_like(value, x)
    if value.dtype != x.dtype:
        value = cast(value, x.dtype)
    return value


def _strip_ones(value, ndim):
    """Leading size-1 dims beyond `ndim` dropped (torch accepts them in x[i] = v)."""
    lead = value.ndim - ndim
    if lead > 0 and all(n == 1 for n in value.shape[:lead]):
        from graphgrad.ops.movement import reshape
        return reshape(value, value.shape[lead:])
    return value


def setitem(x, index, value):
    """Functional `x[index] = value`: a new tensor (Tensor.__setitem__ rebinds x to it)."""
    value = _value_for(x, value)
    masked = _masked_write(x, index, value)
    if masked is not None:
        return masked
    spec, tensors = parse_index(x, index)
    region = index_shape("setitem", x.shape, spec, [t.shape for t in tensors])
    value = _strip_ones(value, len(region))
    return bind(SETITEM, x, value, *tensors, spec=spec)


def index_add_at(x, index, value):
    """Functional `x[index] += value` where repeated indices accumulate (index_put with
    accumulate=True)."""
    spec, tensors = parse_index(x, index)
    value = _value_for(x, value)
    region = index_shape("index_add", x.shape, spec, [t.shape for t in tensors])
    value = _strip_ones(value, len(region))
    return bind(INDEX_ADD, x, value, *tensors, spec=spec)


def _masked_write(x, index, value):
    """`x[mask] = value` with one bool mask (between full slices) and a value that does not
    depend on the number of True elements: a `where`, so it also works while tracing."""
    items = index if as_tuple(index) else (index,)
    masks = [k for k, it in enumerate(items) if isinstance(it, Tensor) and it.dtype == np.bool_
             and it.ndim > 0]
    if len(masks) != 1 or not all(it is Ellipsis or (isinstance(it, slice) and it == slice(None))
                                  for k, it in enumerate(items) if k != masks[0]):
        return None
    k = masks[0]
    mask = items[k]
    lead = sum(dims_used(it) for it in items[:k])
    if any(it is Ellipsis for it in items[:k]):
        lead = x.ndim - mask.ndim - sum(dims_used(it) for it in items[k + 1:])
    shape = tuple(x.shape[lead:lead + mask.ndim])
    if shape != tuple(mask.shape):
        raise OutOfRangeError(f"setitem: the shape of the mask {list(mask.shape)} does not match "
                            f"the shape of the indexed tensor {list(x.shape)} at index {lead}")
    rest = x.ndim - lead - mask.ndim
    v = _strip_ones(value, lead + 1 + rest)
    if v.ndim > rest:
        if v.shape[v.ndim - rest - 1] != 1:
            return None               # one value per True element: an integer index write
        from graphgrad.ops.movement import reshape
        cut = v.ndim - rest - 1
        v = reshape(v, v.shape[:cut] + (1,) * mask.ndim + v.shape[cut + 1:])
    from graphgrad.ops.elementwise import where
    from graphgrad.ops.movement import reshape
    m = reshape(mask, (1,) * lead + tuple(mask.shape) + (1,) * rest)
    try:
        fits = np.broadcast_shapes(v.shape, x.shape) == tuple(x.shape)
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(f"setitem: value {describe(value)} cannot be broadcast to the masked "
                         f"elements of {describe(x)}")
    return where(m, v, x)
