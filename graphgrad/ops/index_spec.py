"""Python subscripts (`x[1, :, d]`) as hashable specs, and torch's rule for the shape of
`x[index]`: the part of indexing shared by the getitem / setitem primitives (see `subscript`).

torch's rule: ints and 0-d index tensors select first (their dims go away); the other index
tensors broadcast together, and their result dims replace the indexed dims where those are
adjacent, else go first. A bool mask is one integer index per masked dim; a bool scalar is a new
dim of size 1 (True) or 0 (False), indexed. NumPy counts ints as index arrays instead, so
`x[1, :, d]` has d's dims first in NumPy and in place in torch.

A spec item is ("i", n) an int, ("s", start, stop, step) a slice, ("n",) None, ("e",)
Ellipsis, ("b", flag) a bool scalar, or ("t", k) the k-th index tensor among the op's inputs.
"""
import functools

import numpy as np

from graphgrad.errors import OutOfRangeError, TraceError
from graphgrad.ops._core import as_tensor, describe
from graphgrad.tensor import Tensor

FULL = ("s", None, None, None)
_BOOL_INDEX = {True: np.zeros(1, np.intp), False: np.zeros(0, np.intp)}


@functools.lru_cache(maxsize=4096)
def expand(spec, ndim):
    """The spec with its Ellipsis (or the missing trailing dims) spelled out as full slices."""
    used = sum(1 for item in spec if item[0] in "ist")
    if used > ndim:
        raise OutOfRangeError(f"too many indices for tensor of dimension {ndim} "
                            f"(index {format_spec(spec)})")
    ellipses = [k for k, item in enumerate(spec) if item[0] == "e"]
    if len(ellipses) > 1:
        raise OutOfRangeError("an index can only have a single ellipsis ('...')")
    fill = (FULL,) * (ndim - used)
    if ellipses:
        k = ellipses[0]
        return spec[:k] + fill + spec[k + 1:]
    return spec + fill


def _broadcast_index_shapes(shapes):
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        listed = ", ".join(str(list(s)) for s in shapes)
        raise OutOfRangeError(f"shape mismatch: indexing tensors could not be broadcast together "
                            f"with shapes {listed}") from None


def index_shape(name, shape, spec, index_shapes):
    """The shape of `x[index]` for `x` of `shape` (torch's placement of indexed dims)."""
    dims = []            # the result of the selecting/slicing part
    adv = []             # (position in dims, shape of the index)
    d = 0
    for item in expand(spec, len(shape)):
        kind = item[0]
        if kind == "s":
            dims.append(len(range(*slice(*item[1:]).indices(shape[d]))))
            d += 1
        elif kind == "i":
            check_int(name, item[1], shape, d)
            d += 1
        elif kind == "n":
            dims.append(1)
        elif kind == "b":
            adv.append((len(dims), (1,) if item[1] else (0,)))
            dims.append(1)
        else:
            ishape = tuple(index_shapes[item[1]])
            if ishape:
                adv.append((len(dims), ishape))
                dims.append(shape[d])
            d += 1
    if not adv:
        return tuple(dims)
    block = _broadcast_index_shapes([s for _, s in adv])
    where = [p for p, _ in adv]
    rest = [n for p, n in enumerate(dims) if p not in where]
    if where == list(range(where[0], where[0] + len(where))):
        return tuple(rest[:where[0]]) + block + tuple(rest[where[0]:])
    return block + tuple(rest)


def check_int(name, i, shape, d):
    n = shape[d]
    if not -n <= i < n:
        raise OutOfRangeError(f"{name}: index {i} is out of bounds for dimension {d} with size {n} "
                            f"(tensor of shape {tuple(shape)})")


def check_values(name, index, size, d, shape, low=None):
    """Index values must lie in [low, size); low defaults to -size (negatives wrap)."""
    if type(index) is not np.ndarray or not index.size:
        return                     # traced: the kernel checks when it runs
    low = -size if low is None else low
    lo, hi = index.min(), index.max()
    if lo < low or hi >= size:
        bad = lo if lo < low else hi
        raise OutOfRangeError(f"{name}: index {bad} is out of bounds for dimension {d} with size "
                            f"{size} (tensor of shape {tuple(shape)})")


def check_index_tensors(name, x, idx, spec, out_shape):
    """Index tensors must be integers, in range; as in torch, an empty result reads nothing,
    so only 0-d (selecting) index tensors are checked then."""
    for t in idx:
        if t.dtype.kind not in "iu":
            raise OutOfRangeError(f"{name}: tensors used as indices must be integer or bool "
                                f"tensors, got {describe(t)}")
    empty = 0 in out_shape
    d = 0
    for item in expand(spec, len(x.shape)):
        if item[0] == "t" and not (empty and idx[item[1]].shape):
            check_values(name, idx[item[1]], x.shape[d], d, x.shape)
        if item[0] in "ist":
            d += 1


def numpy_index(ndim, spec, arrays):
    """(basic, advanced): x[basic] selects and slices (a view), then [advanced], if not None,
    indexes with arrays only, where NumPy's placement is torch's."""
    basic = []
    adv = {}
    pos = 0                       # dim of x[basic] the next item lands on
    for item in expand(spec, ndim):
        kind = item[0]
        if kind == "i":
            basic.append(item[1])
            continue
        if kind == "s":
            basic.append(slice(item[1], item[2], item[3]))
        elif kind == "n":
            basic.append(None)
        elif kind == "b":
            adv[pos] = _BOOL_INDEX[item[1]]
            basic.append(None)
        else:
            a = arrays[item[1]]
            if a.ndim == 0:
                basic.append(int(a))
                continue
            adv[pos] = a
            basic.append(slice(None))
        pos += 1
    if not adv:
        return tuple(basic), None
    advanced = [slice(None)] * (max(adv) + 1)
    for p, a in adv.items():
        advanced[p] = a
    return tuple(basic), tuple(advanced)


def format_spec(spec):
    parts = []
    for item in spec:
        kind = item[0]
        if kind == "i":
            parts.append(str(item[1]))
        elif kind == "s":
            a, b, c = ("" if v is None else str(v) for v in item[1:])
            parts.append(f"{a}:{b}" + (f":{c}" if c else ""))
        elif kind == "n":
            parts.append("None")
        elif kind == "e":
            parts.append("...")
        elif kind == "b":
            parts.append(str(item[1]))
        else:
            parts.append(f"<tensor {item[1]}>")
    return "[" + ", ".join(parts) + "]"


# -- parsing a Python index -------------------------------------------------------------------


def parse_index(x, index):
    """A Python index -> (spec, index tensors). Bool masks become integer indices (eager)."""
    items = index if as_tuple(index) else (index,)
    spec = []
    tensors = []
    dim = 0
    for k, item in enumerate(items):
        if item is None:
            spec.append(("n",))
        elif item is Ellipsis:
            spec.append(("e",))
            dim = x.ndim - sum(dims_used(it) for it in items[k + 1:])
        elif isinstance(item, slice):
            spec.append(("s",) + tuple(_static_int(v) for v in (item.start, item.stop,
                                                                  item.step)))
            dim += 1
        elif isinstance(item, (bool, np.bool_)):
            spec.append(("b", bool(item)))
        elif isinstance(item, (int, np.integer)):
            spec.append(("i", int(item)))
            dim += 1
        else:
            t = _index_tensor(item)
            if t.dtype in (np.bool_, np.uint8):
                _add_mask(x, t, dim, spec, tensors)
                dim += t.ndim
                continue
            spec.append(("t", len(tensors)))
            tensors.append(t)
            dim += 1
    return tuple(spec), tensors


def as_tuple(index):
    """torch reads a short list holding tensors, sequences, slices, None or ... as a tuple."""
    if isinstance(index, tuple):
        return True
    if not isinstance(index, list) or len(index) >= 32:
        return False
    return any(isinstance(i, (Tensor, list, tuple, slice, np.ndarray)) or i is None
               or i is Ellipsis for i in index)


def dims_used(item):
    if item is None or item is Ellipsis or isinstance(item, (bool, np.bool_)):
        return 0
    if isinstance(item, (Tensor, np.ndarray)) and item.dtype in (np.bool_, np.uint8):
        return item.ndim
    return 1


def _index_tensor(item):
    if isinstance(item, Tensor):
        t = item
    elif hasattr(item, "__index__") and not isinstance(item, np.ndarray):
        return _index_tensor(int(item.__index__()))
    else:
        t = as_tensor(np.asarray(item) if not isinstance(item, np.ndarray) else item)
    if t.dtype.kind not in "iub":
        raise OutOfRangeError(f"getitem: tensors used as indices must be integer or bool "
                            f"tensors, got {describe(t)}")
    return t


def _add_mask(x, mask, dim, spec, tensors):
    if mask.ndim == 0:
        spec.append(("b", bool(mask._concrete("indexing with a 0-d bool tensor"))))
        return
    for k, n in enumerate(mask.shape):
        if dim + k >= x.ndim or x.shape[dim + k] != n:
            raise OutOfRangeError(f"getitem: the shape of the mask {list(mask.shape)} at index "
                                f"{k} does not match the shape of the indexed tensor "
                                f"{list(x.shape)} at index {dim + k}")
    for k in _mask_to_indices(mask):
        spec.append(("t", len(tensors)))
        tensors.append(k)


def _static_int(v):
    if v is None or isinstance(v, (int, np.integer)):
        return None if v is None else int(v)
    if isinstance(v, Tensor):
        return int(v._concrete("a tensor used as a slice bound"))
    if hasattr(v, "__index__"):
        return int(v.__index__())
    raise TypeError(f"getitem: slice bounds must be ints, got {type(v).__name__}")


def _mask_to_indices(mask):
    if type(mask._data) is not np.ndarray:
        raise TraceError("boolean-mask indexing inside a compiled function has a data-dependent "
                         "shape; use gg.where(mask, x, 0) or x.masked_fill(~mask, 0) instead")
    return [Tensor._wrap(k.astype(np.int64)) for k in np.nonzero(mask._data)]
