"""Datasets and a DataLoader (torch.utils.data's names and defaults, on NumPy).

A DataLoader cuts a dataset into batches, in order or shuffled by a seedable NumPy generator
(a new order every epoch, the same sequence of orders for the same seed). Samples are stacked
into batch tensors by `default_collate`; a TensorDataset (or a Subset of one) skips the
per-sample path and takes each batch with one fancy index per underlying array.
"""
import math
import numbers
from collections.abc import Mapping

import numpy as np

from graphgrad import rng as _rng
from graphgrad.tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "DataLoader", "default_collate"]


class Dataset:
    """A map-style dataset: `__getitem__(index)` returns one sample, `__len__` their number."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


def _as_array(x, what):
    if isinstance(x, Tensor):
        return x._concrete(what)
    if isinstance(x, np.ndarray):
        return x
    return Tensor(x)._data


class TensorDataset(Dataset):
    """Samples are the rows of tensors that share their first dimension: sample i is
    `(t0[i], t1[i], ...)`."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor")
        arrays = [_as_array(t, "TensorDataset") for t in tensors]
        for i, a in enumerate(arrays):
            if a.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {i} is 0-d; every tensor needs a first "
                                 "(sample) dimension")
        sizes = [a.shape[0] for a in arrays]
        if len(set(sizes)) > 1:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(f"TensorDataset: tensors must have the same size in dimension 0, "
                             f"got shapes {shapes}")
        self.arrays = arrays
        self.tensors = tuple(Tensor._wrap(a) for a in arrays)

    def __getitem__(self, index):
        return tuple(Tensor._wrap(np.array(a[index])) for a in self.arrays)

    def __len__(self):
        return self.arrays[0].shape[0]

    def _take(self, indices):
        return tuple(Tensor._wrap(a[indices]) for a in self.arrays)


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        n = len(dataset)
        if self.indices.size and (self.indices.min() < -n or self.indices.max() >= n):
            raise IndexError(f"Subset: indices must be in [-{n}, {n}) for a dataset of {n} "
                             "samples")

    def __getitem__(self, index):
        return self.dataset[int(self.indices[index])]

    def __len__(self):
        return len(self.indices)

    def _take(self, indices):
        return _fast_take(self.dataset)(self.indices[indices])


def random_split(dataset, lengths, seed=None):
    """Split into non-overlapping Subsets of the given lengths (or fractions summing to 1)."""
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(isinstance(f, float) for f in lengths) and math.isclose(sum(lengths), 1):
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):       # the remainder goes round-robin, as in torch
            counts[i % len(counts)] += 1
        lengths = counts
    if any(not isinstance(k, (int, np.integer)) or k < 0 for k in lengths) or sum(lengths) != n:
        raise ValueError(f"random_split: lengths must be non-negative integers summing to the "
                         f"dataset size {n} (or fractions summing to 1), got {lengths}")
    order = np.random.default_rng(seed).permutation(n)
    out, start = [], 0
    for k in lengths:
        out.append(Subset(dataset, order[start:start + k]))
        start += k
    return out


def _fast_take(dataset):
    """`indices -> batch` without per-sample Python, when the dataset allows it, else None."""
    if type(dataset).__getitem__ is TensorDataset.__getitem__:
        return dataset._take
    if type(dataset).__getitem__ is Subset.__getitem__ and _fast_take(dataset.dataset):
        return dataset._take
    return None


# -- collation -------------------------------------------------------------------------------

def default_collate(samples):
    """Stack a list of samples into a batch: tensors and arrays -> one tensor with a new first
    dimension; Python numbers -> a tensor (floats float32, ints int64, as gg.tensor does);
    tuples, lists, dicts and namedtuples -> the same structure of batches; strings -> a list."""
    if not samples:
        raise ValueError("default_collate: got an empty list of samples")
    return _collate(list(samples), "sample")


def _kind(x):
    if isinstance(x, (Tensor, np.ndarray)):
        return "array"
    if isinstance(x, (bool, np.bool_, numbers.Number)):
        return "number"
    if isinstance(x, str):
        return "str"
    if isinstance(x, Mapping):
        return "mapping"
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return "namedtuple"
    if isinstance(x, (tuple, list)):
        return "sequence"
    return None


def _collate(items, path):
    kind = _kind(items[0])
    if kind is None:
        raise TypeError(f"default_collate: cannot batch {path} of type {type(items[0]).__name__}; "
                        "pass a collate_fn")
    for i, x in enumerate(items):
        if _kind(x) != kind:
            raise TypeError(f"default_collate: {path} is a {type(items[0]).__name__} in sample 0 "
                            f"but a {type(x).__name__} in sample {i}")
    if kind == "array":
        arrays = [_as_array(x, "default_collate") for x in items]
        for i, a in enumerate(arrays):
            if a.shape != arrays[0].shape:
                raise ValueError(f"default_collate: ragged batch, {path} has shape "
                                 f"{arrays[0].shape} in sample 0 but {a.shape} in sample {i}; "
                                 "pad the samples to one shape or pass a collate_fn")
        return Tensor._wrap(np.stack(arrays))
    if kind == "number":
        if all(isinstance(x, np.generic) for x in items):
            return Tensor._wrap(np.array(items))
        return Tensor(items)
    if kind == "str":
        return list(items)
    if kind == "mapping":
        keys = list(items[0].keys())
        for i, x in enumerate(items):
            if set(x.keys()) != set(keys):
                raise ValueError(f"default_collate: {path} has keys {sorted(map(str, keys))} in "
                                 f"sample 0 but {sorted(map(str, x.keys()))} in sample {i}")
        return {k: _collate([x[k] for x in items], f"{path}[{k!r}]") for k in keys}
    for i, x in enumerate(items):
        if len(x) != len(items[0]):
            raise ValueError(f"default_collate: {path} has {len(items[0])} elements in sample 0 "
                             f"but {len(x)} in sample {i}")
    fields = [_collate([x[j] for x in items], f"{path}[{j}]") for j in range(len(items[0]))]
    if kind == "namedtuple":
        return type(items[0])(*fields)
    return tuple(fields) if isinstance(items[0], tuple) else fields


# -- the loader ------------------------------------------------------------------------------

class DataLoader:
    """Iterate over `dataset` in batches of `batch_size`.

    shuffle: a new random order every epoch, drawn from `generator` (a numpy.random.Generator),
    or from a generator seeded with `seed`, or else seeded from graphgrad's generator (so
    gg.manual_seed makes it reproducible). drop_last: skip a last, smaller batch.
    collate_fn: turns a list of samples into a batch (default: `default_collate`).
    state_dict() / load_state_dict() save and restore the shuffling generator.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, collate_fn=None,
                 generator=None, seed=None):
        if not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
            raise TypeError(f"DataLoader: dataset must define __getitem__ and __len__, got "
                            f"{type(dataset).__name__}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"DataLoader: batch_size must be a positive integer, got "
                            f"{batch_size!r} ({type(batch_size).__name__})")
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got "
                             f"{batch_size}")
        for name, flag in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not isinstance(flag, (bool, np.bool_)):
                raise TypeError(f"DataLoader: {name} must be True or False, got {flag!r}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got "
                            f"{type(collate_fn).__name__}")
        if generator is not None and seed is not None:
            raise ValueError("DataLoader: pass either generator or seed, not both")
        if generator is not None and not isinstance(generator, np.random.Generator):
            raise TypeError(f"DataLoader: generator must be a numpy.random.Generator, got "
                            f"{type(generator).__name__}")
        if seed is not None and (isinstance(seed, bool) or
                                 not isinstance(seed, (int, np.integer))):
            raise TypeError(f"DataLoader: seed must be an integer, got {seed!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self._dataset_size()                 # refuses an empty dataset now
        if generator is None and seed is None and self.shuffle:
            seed = int(_rng.generator().integers(2 ** 63))
        self.generator = generator if generator is not None else np.random.default_rng(seed)

    def _dataset_size(self):
        n = len(self.dataset)
        if n == 0:
            raise ValueError(f"DataLoader: the dataset ({type(self.dataset).__name__}) is empty")
        return n

    def __len__(self):
        n = self._dataset_size()
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        n = self._dataset_size()
        order = self.generator.permutation(n) if self.shuffle else np.arange(n)
        take = _fast_take(self.dataset) if self.collate_fn is None else None
        collate = self.collate_fn or default_collate
        for start in range(0, n, self.batch_size):
            indices = order[start:start + self.batch_size]
            if self.drop_last and len(indices) < self.batch_size:
                return
            if take is not None:
                yield take(indices)
            else:
                yield collate([self.dataset[int(i)] for i in indices])

    def state_dict(self):
        return {"generator": self.generator.bit_generator.state}

    def load_state_dict(self, state):
        self.generator.bit_generator.state = state["generator"]

    def __repr__(self):
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last})")
