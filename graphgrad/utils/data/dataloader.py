"""DataLoader: torch's arguments and semantics, on NumPy.

It reads a map-style dataset through a sampler (sequential, shuffled, or yours) grouped into
batches by a batch sampler, or an IterableDataset as a stream, and collates each batch with
`collate_fn`. With `num_workers > 0` the batches are built in worker processes (see
_utils/multiprocess.py) and come out in the same order as with num_workers=0.

Shuffling draws from `generator` (a gg.Generator or numpy.random.Generator), from a generator
seeded with `seed`, or else from a generator seeded from graphgrad's generator when the loader
is made (so gg.manual_seed makes runs reproducible). Every epoch also draws a base seed from the
same source for the workers' random state, as torch does, so the order does not depend on
num_workers. `state_dict()` / `load_state_dict()` save and restore the shuffling state.
"""
import multiprocessing

import numpy as np

from graphgrad import rng as _rng
from graphgrad.utils.data._utils.collate import default_collate, default_convert
from graphgrad.utils.data._utils.fetch import ITERABLE, MAP, create_fetcher
from graphgrad.utils.data._utils.worker import get_worker_info
from graphgrad.utils.data.dataset import IterableDataset
from graphgrad.utils.data.sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]


class _InfiniteConstantSampler:
    """The sampler of an IterableDataset: the dataset decides where the stream ends."""

    def __iter__(self):
        while True:
            yield None


def _positive_int(name, value, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or \
            value < 1:
        raise ValueError(f"DataLoader: {name} must be a positive integer, got {value!r} "
                         f"({type(value).__name__})")
    return int(value)


def _check_flag(name, value, allow_none=False):
    if value is None and allow_none:
        return
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"DataLoader: {name} must be True or False, got {value!r}")


class DataLoader:
    """Iterate over `dataset` in batches; see the module docstring. Arguments as torch's:
    batch_size (None: no batching), shuffle, sampler, batch_sampler, num_workers, collate_fn,
    pin_memory (accepted; no effect on the CPU), drop_last, timeout, worker_init_fn,
    multiprocessing_context, generator, prefetch_factor, persistent_workers, plus seed."""

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True, seed=None):
        self.dataset = dataset
        self._check_dataset(dataset, sampler, batch_sampler)
        iterable = isinstance(dataset, IterableDataset)
        self._check_workers(num_workers, timeout, prefetch_factor, persistent_workers)
        _check_flag("shuffle", shuffle, allow_none=True)
        if not isinstance(drop_last, (bool, np.bool_)):
            raise ValueError(f"DataLoader: drop_last must be True or False, got {drop_last!r}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got "
                            f"{type(collate_fn).__name__}")
        generator = self._generator(generator, seed)
        if iterable:
            for name, value in (("shuffle", shuffle), ("sampler", sampler),
                                ("batch_sampler", batch_sampler)):
                if value not in (None, False):
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                     f"{name} option, but got {name}={value!r}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                                 "batch_size, shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        else:
            batch_size = _positive_int("batch_size", batch_size, allow_none=True)
            if batch_size is None and drop_last:
                raise ValueError("DataLoader: batch_size=None option disables auto-batching "
                                 "and is mutually exclusive with drop_last")
        self._dataset_kind = ITERABLE if iterable else MAP
        if not iterable and sampler is None and batch_sampler is None:
            self._dataset_size()                 # refuses an empty dataset now
        if sampler is None:
            if iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                if generator is None:             # drawn now, so the state can be saved
                    generator = np.random.default_rng(int(_rng.generator().integers(2 ** 63)))
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, bool(drop_last))
        self.batch_size = batch_size
        self.drop_last = bool(drop_last)
        self.shuffle = shuffle
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self.num_workers = int(num_workers)
        self.prefetch_factor = 2 if num_workers > 0 and prefetch_factor is None \
            else prefetch_factor
        self.persistent_workers = bool(persistent_workers)
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.in_order = in_order
        self.multiprocessing_context = self._context(multiprocessing_context)
        self.collate_fn = collate_fn or (default_collate if self._auto_collation
                                         else default_convert)
        self._iterator = None

    # -- argument checks -----------------------------------------------------------------------
    @staticmethod
    def _check_dataset(dataset, sampler, batch_sampler):
        if isinstance(dataset, IterableDataset):
            return
        if not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: dataset must define __getitem__ (and __len__) or be "
                            f"an IterableDataset, got {type(dataset).__name__}")
        if sampler is None and batch_sampler is None and not hasattr(dataset, "__len__"):
            raise TypeError(f"DataLoader: dataset {type(dataset).__name__} must define "
                            "__len__ (or pass a sampler)")

    @staticmethod
    def _check_workers(num_workers, timeout, prefetch_factor, persistent_workers):
        if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)):
            raise TypeError(f"DataLoader: num_workers must be an int, got {num_workers!r}")
        if num_workers < 0:
            raise ValueError("DataLoader: num_workers option should be non-negative; use "
                             "num_workers=0 to disable multiprocessing.")
        if not isinstance(timeout, (int, float)) or timeout < 0:
            raise ValueError(f"DataLoader: timeout option should be a non-negative number, got "
                             f"{timeout!r}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("DataLoader: prefetch_factor option could only be specified in "
                             "multiprocessing: let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if prefetch_factor is not None:
            _positive_int("prefetch_factor", prefetch_factor)
        _check_flag("persistent_workers", persistent_workers)
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")

    @staticmethod
    def _generator(generator, seed):
        if generator is not None and seed is not None:
            raise ValueError("DataLoader: pass either generator or seed, not both")
        if seed is not None:
            if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
                raise TypeError(f"DataLoader: seed must be an integer, got {seed!r}")
            return np.random.default_rng(seed)
        if generator is not None:
            _rng.numpy_generator(generator, "DataLoader")     # refuses a wrong type now
        return generator

    def _context(self, context):
        if context is None:
            return None
        if self.num_workers == 0:
            raise ValueError("DataLoader: multiprocessing_context can only be used with "
                             f"multiprocessing (num_workers > 0), but got num_workers="
                             f"{self.num_workers}")
        if isinstance(context, str):
            methods = multiprocessing.get_all_start_methods()
            if context not in methods:
                raise ValueError(f"DataLoader: multiprocessing_context should specify a valid "
                                 f"start method in {methods!r}, but got {context!r}")
            context = multiprocessing.get_context(context)
        if not isinstance(context, multiprocessing.context.BaseContext):
            raise TypeError(f"DataLoader: multiprocessing_context should be a context object "
                            f"or a start method name, got {context!r}")
        return context

    # -- iteration -----------------------------------------------------------------------------
    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _dataset_size(self):
        n = len(self.dataset)
        if n == 0:
            raise ValueError(f"DataLoader: the dataset ({type(self.dataset).__name__}) is empty")
        return n

    def _base_seed(self):
        gen = _rng.numpy_generator(self.generator, "DataLoader") if self.generator is not None \
            else _rng.generator()
        return int(gen.integers(2 ** 63))

    def __iter__(self):
        # drawn with or without workers, so that the sampler's order does not depend on them
        base_seed = self._base_seed()
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        from graphgrad.utils.data._utils.multiprocess import MultiProcessIter
        if not self.persistent_workers:
            return MultiProcessIter(self, base_seed)
        if self._iterator is None or self._iterator._closed:
            self._iterator = MultiProcessIter(self, base_seed)
        else:
            self._iterator.reset()
        return self._iterator

    def __len__(self):
        if self._dataset_kind == ITERABLE:
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)

    def check_worker_number_rationality(self):
        """torch warns about more workers than cores; graphgrad leaves that choice to you."""

    def state_dict(self):
        gen = getattr(self.sampler, "generator", None)
        gen = _rng.numpy_generator(gen, "DataLoader") if gen is not None else None
        return {"generator": None if gen is None else gen.bit_generator.state}

    def load_state_dict(self, state):
        gen = getattr(self.sampler, "generator", None)
        if gen is not None and state.get("generator") is not None:
            _rng.numpy_generator(gen, "DataLoader").bit_generator.state = state["generator"]

    def __repr__(self):
        size = len(self.dataset) if hasattr(self.dataset, "__len__") else "?"
        return (f"DataLoader({type(self.dataset).__name__} of {size}, "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, num_workers={self.num_workers})")


class _SingleProcessIter:
    def __init__(self, loader):
        self._sampler_iter = iter(loader._index_sampler)
        self._fetcher = create_fetcher(loader._dataset_kind, loader.dataset,
                                       loader._auto_collation, loader.collate_fn,
                                       loader.drop_last)

    def __iter__(self):
        return self

    def __next__(self):
        index = next(self._sampler_iter)
        return self._fetcher.fetch(index)
