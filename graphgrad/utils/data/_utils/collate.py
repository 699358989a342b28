"""default_collate and default_convert, with torch's output types: tensors and NumPy arrays are
stacked into one tensor with a new first dimension; Python floats become a float64 tensor,
ints an int64 tensor, bools a bool tensor, NumPy scalars keep their dtype; strings and bytes
become a list; mappings and namedtuples keep their type; tuples become lists, as in torch.

Unlike torch, a batch that cannot be stacked gets an error naming the field and the sample
(`default_collate: ragged batch, sample[0] has shape (3,) in sample 0 but (4,) in sample 1`).
"""
import copy
import numbers
from collections.abc import Mapping, MutableMapping, MutableSequence, Sequence

import numpy as np

from graphgrad.errors import ShapeError
from graphgrad.tensor import Tensor, to_array

__all__ = ["default_collate", "default_convert"]


def default_collate(batch):
    """Stack a list of samples into a batch (see the module docstring)."""
    if not isinstance(batch, Sequence) or isinstance(batch, (str, bytes)):
        batch = list(batch)
    if not batch:
        raise ValueError("default_collate: got an empty list of samples")
    return _collate(list(batch), "sample")


def _kind(x):
    if isinstance(x, Tensor):
        return "tensor"
    if isinstance(x, np.ndarray):
        return "array"
    if isinstance(x, np.generic) and not isinstance(x, (np.str_, np.bytes_)):
        return "numpy_scalar"
    if isinstance(x, (bool, numbers.Number)):
        return "number"
    if isinstance(x, (str, bytes)):
        return "str"
    if isinstance(x, Mapping):
        return "mapping"
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return "namedtuple"
    if isinstance(x, Sequence):
        return "sequence"
    return None


def _numeric(arr, path):
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"default_collate: {path} is an array of dtype {arr.dtype}; batches "
                        "hold numeric arrays (pass a collate_fn for other data)")
    return arr


def _stack(items, path):
    arrays = [_numeric(x._concrete("default_collate") if isinstance(x, Tensor) else x, path)
              for x in items]
    for i, a in enumerate(arrays):
        if a.shape != arrays[0].shape:
            raise ShapeError(f"default_collate: ragged batch, {path} has shape "
                             f"{arrays[0].shape} in sample 0 but {a.shape} in sample {i}; pad "
                             "the samples to one shape or pass a collate_fn")
    return Tensor._wrap(to_array(np.stack(arrays)))


def _numbers(items):
    first = items[0]
    if isinstance(first, float):
        return Tensor._wrap(np.array(items, dtype=np.float64))
    if isinstance(first, numbers.Number) and not isinstance(first, numbers.Real):
        raise TypeError("default_collate: complex numbers are not supported")
    return Tensor(items)


def _mapping(items, path):
    first = items[0]
    for i, x in enumerate(items):
        if set(x.keys()) != set(first.keys()):
            raise ValueError(f"default_collate: {path} has keys {sorted(map(str, first))} in "
                             f"sample 0 but {sorted(map(str, x.keys()))} in sample {i}")
    out = {k: _collate([x[k] for x in items], f"{path}[{k!r}]") for k in first}
    try:
        if isinstance(first, MutableMapping):
            clone = copy.copy(first)
            clone.update(out)
            return clone
        return type(first)(out)
    except TypeError:
        return out


def _sequence(items, path, kind):
    first = items[0]
    for i, x in enumerate(items):
        if len(x) != len(first):
            raise ShapeError(f"default_collate: {path} has {len(first)} elements in sample 0 "
                             f"but {len(x)} in sample {i}; each element in the batch should "
                             "be of equal size")
    fields = [_collate(column, f"{path}[{j}]") for j, column in enumerate(zip(*items))]
    if kind == "namedtuple":
        return type(first)(*fields)
    if isinstance(first, tuple) or type(first) is list:
        return fields                       # a tuple becomes a list, as in torch
    try:
        if isinstance(first, MutableSequence):
            clone = copy.copy(first)
            for j, f in enumerate(fields):
                clone[j] = f
            return clone
        return type(first)(fields)
    except TypeError:
        return fields


def _collate(items, path):
    kind = _kind(items[0])
    if kind is None:
        raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, "
                        f"dicts or lists; {path} is a {type(items[0]).__name__} (pass a "
                        "collate_fn)")
    for i, x in enumerate(items):
        if _kind(x) != kind:
            raise TypeError(f"default_collate: {path} is a {type(items[0]).__name__} in sample 0 "
                            f"but a {type(x).__name__} in sample {i}")
    if kind in ("tensor", "array"):
        return _stack(items, path)
    if kind == "numpy_scalar":
        return Tensor._wrap(to_array(_numeric(np.array(items), path)))
    if kind == "number":
        return _numbers(items)
    if kind == "str":
        return items            # as torch: the list (or, inside a tuple sample, the tuple)
    if kind == "mapping":
        return _mapping(items, path)
    return _sequence(items, path, kind)


def default_convert(data):
    """The conversion a DataLoader applies without batching (batch_size=None): NumPy arrays and
    scalars become tensors, inside mappings and sequences too; everything else is unchanged."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (np.ndarray, np.generic)):
        if data.dtype.kind not in "biuf":
            return data
        return Tensor._wrap(to_array(np.asarray(data)))
    if isinstance(data, Mapping):
        out = {k: default_convert(v) for k, v in data.items()}
        try:
            if isinstance(data, MutableMapping):
                clone = copy.copy(data)
                clone.update(out)
                return clone
            return type(data)(out)
        except TypeError:
            return out
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        items = [default_convert(d) for d in data]
        try:
            return items if isinstance(data, list) else type(data)(items)
        except TypeError:
            return items
    return data
