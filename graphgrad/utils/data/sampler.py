"""Samplers (torch.utils.data.sampler's classes): which indices a DataLoader reads, in which
order, and how they group into batches.

Random samplers draw from `generator` (a gg.Generator or a numpy.random.Generator) or, without
one, from a generator seeded from graphgrad's generator at every pass (so gg.manual_seed makes
them reproducible). The orders are graphgrad's own; lengths, grouping and the way permutations
are chained are torch's.
"""
import itertools

import numpy as np

from graphgrad import rng as _rng
from graphgrad.tensor import Tensor

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]


def _is_int(x):
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


class Sampler:
    """Base class: `__iter__` yields indices (or lists of indices, for a batch sampler);
    `__len__` is optional."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random order of the indices; with `replacement`, `num_samples` independent draws.
    Without replacement and num_samples > len(data_source), whole permutations are chained and
    the last one is cut, as in torch."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement should be a boolean value, but got "
                            f"replacement={replacement!r}")
        if not _is_int(self.num_samples) or self.num_samples <= 0:
            raise ValueError(f"RandomSampler: num_samples should be a positive integer value, "
                             f"but got num_samples={self.num_samples!r}")
        if generator is not None:
            _rng.numpy_generator(generator, "RandomSampler")     # refuses a wrong type now

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        gen = _rng.numpy_generator(self.generator, "RandomSampler")
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield from gen.integers(0, n, 32).tolist()
            yield from gen.integers(0, n, self.num_samples % 32).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from gen.permutation(n).tolist()
        yield from gen.permutation(n).tolist()[:self.num_samples % n]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        gen = _rng.numpy_generator(self.generator, "SubsetRandomSampler")
        for i in gen.permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """`num_samples` indices of [0, len(weights)) drawn with probabilities proportional to
    `weights` (with or without replacement)."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not _is_int(num_samples) or num_samples <= 0:
            raise ValueError(f"WeightedRandomSampler: num_samples should be a positive integer "
                             f"value, but got num_samples={num_samples!r}")
        if not isinstance(replacement, bool):
            raise ValueError(f"WeightedRandomSampler: replacement should be a boolean value, "
                             f"but got replacement={replacement!r}")
        w = weights._concrete("WeightedRandomSampler") if isinstance(weights, Tensor) else weights
        w = np.asarray(w, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"WeightedRandomSampler: weights should be a 1d sequence but given "
                             f"weights have shape {w.shape}")
        self.weights = Tensor._wrap(w)
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        w = self.weights._data
        if not np.isfinite(w).all() or (w < 0).any():
            raise RuntimeError("WeightedRandomSampler: weights must be finite and non-negative")
        if w.sum() <= 0:
            raise RuntimeError("WeightedRandomSampler: invalid distribution (the weights sum "
                               "to 0)")
        if not self.replacement and self.num_samples > len(w):
            raise RuntimeError(f"WeightedRandomSampler: cannot draw {self.num_samples} samples "
                               f"without replacement from {len(w)} weights")
        gen = _rng.numpy_generator(self.generator, "WeightedRandomSampler")
        if self.replacement:
            yield from gen.choice(len(w), self.num_samples, p=w / w.sum()).tolist()
            return
        # without replacement as torch.multinomial does it: the largest w / Exp(1) first, so
        # zero weights come last (in a random order) once the others are used up
        keys = w / gen.exponential(size=len(w))
        order = np.lexsort((gen.random(len(w)), -keys))
        yield from order[:self.num_samples].tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of `sampler` into lists of `batch_size`; `drop_last` drops a last,
    smaller list."""

    def __init__(self, sampler, batch_size, drop_last):
        if not _is_int(batch_size) or batch_size <= 0:
            raise ValueError(f"BatchSampler: batch_size should be a positive integer value, but "
                             f"got batch_size={batch_size!r}")
        if not isinstance(drop_last, (bool, np.bool_)):
            raise ValueError(f"BatchSampler: drop_last should be a boolean value, but got "
                             f"drop_last={drop_last!r}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = bool(drop_last)

    def __iter__(self):
        it = iter(self.sampler)
        while True:
            batch = list(itertools.islice(it, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return -(-len(self.sampler) // self.batch_size)
