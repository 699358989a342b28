"""Datasets (torch.utils.data.dataset's classes): map-style and iterable datasets, TensorDataset,
Subset, ConcatDataset, ChainDataset and random_split.

A TensorDataset (or a Subset of one) also offers `_take(indices)`, which builds a whole batch
with one fancy index per underlying array; the DataLoader uses it instead of collating sample by
sample when the default collate function is in use (the batch is the same either way).
"""
import bisect
import itertools
import math
import warnings

import numpy as np

from graphgrad import rng as _rng
from graphgrad.tensor import Tensor

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset",
           "ChainDataset", "random_split"]


class Dataset:
    """A map-style dataset: `__getitem__(index)` returns one sample, `__len__` their number.
    `a + b` concatenates two datasets."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: define `__iter__`. With DataLoader workers, every worker iterates
    its own copy; use `get_worker_info()` inside `__iter__` to give each worker its share."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __add__(self, other):
        return ChainDataset([self, other])


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
        # a list, as default_collate makes of tuple samples (torch's rule)
        return [Tensor._wrap(a[indices]) for a in self.arrays]


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
        if isinstance(index, list):
            return self.dataset[[int(self.indices[i]) for i in index]]
        return self.dataset[int(self.indices[index])]

    def __getitems__(self, indices):
        inner = [int(self.indices[i]) for i in indices]
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__(inner)
        return [self.dataset[i] for i in inner]

    def __len__(self):
        return len(self.indices)

    def _take(self, indices):
        return fast_take(self.dataset)(self.indices[indices])


class ConcatDataset(Dataset):
    """The samples of several map-style datasets, one after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset (use "
                                "ChainDataset)")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if index < 0:
            if -index > len(self):
                raise ValueError(f"ConcatDataset: index {index} is out of range for "
                                 f"{len(self)} samples")
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        if which == len(self.datasets):
            raise IndexError(f"ConcatDataset: index {index} is out of range for {len(self)} "
                             "samples")
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


class ChainDataset(IterableDataset):
    """The samples of several iterable datasets, one stream after the other."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


def _fraction_lengths(n, fractions):
    counts = []
    for i, f in enumerate(fractions):
        if f < 0 or f > 1:
            raise ValueError(f"random_split: fraction at index {i} is not between 0 and 1")
        counts.append(int(math.floor(n * f)))
    for i in range(n - sum(counts)):       # the remainder goes round-robin, as in torch
        counts[i % len(counts)] += 1
    for i, k in enumerate(counts):
        if k == 0:
            warnings.warn(f"random_split: length of split at index {i} is 0; this split will "
                          "be empty", stacklevel=3)
    return counts


def random_split(dataset, lengths, generator=None, seed=None):
    """Split into non-overlapping Subsets of the given lengths, or of fractions of the dataset
    summing to 1 (split as torch does: floors, then the remainder round-robin). The order comes
    from `generator` (a gg.Generator or numpy Generator), a generator seeded with `seed`, or
    graphgrad's generator."""
    if generator is not None and seed is not None:
        raise ValueError("random_split: pass either generator or seed, not both")
    n = len(dataset)
    lengths = list(lengths)
    if lengths and math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _fraction_lengths(n, lengths)
    if any(not isinstance(k, (int, np.integer)) or k < 0 for k in lengths) or sum(lengths) != n:
        raise ValueError(f"random_split: lengths must be non-negative integers summing to the "
                         f"dataset size {n} (or fractions summing to 1), got {lengths}")
    if seed is not None:
        gen = np.random.default_rng(seed)
    else:
        gen = _rng.numpy_generator(generator, "random_split")
    order = gen.permutation(n)
    out, start = [], 0
    for k in lengths:
        out.append(Subset(dataset, order[start:start + k]))
        start += k
    return out


def fast_take(dataset):
    """`indices -> batch` without per-sample Python, when the dataset allows it, else None."""
    if type(dataset).__getitem__ is TensorDataset.__getitem__:
        return dataset._take
    if type(dataset).__getitem__ is Subset.__getitem__ and fast_take(dataset.dataset):
        return dataset._take
    return None
