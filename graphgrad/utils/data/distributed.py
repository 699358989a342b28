"""DistributedSampler: each of `num_replicas` processes reads its own share of a dataset.

The padding, dropping and striding are torch's exactly: the (shuffled) index list is padded by
repeating its head up to a multiple of `num_replicas` (or cut to one, with drop_last), and
replica r takes every num_replicas-th index from position r. The shuffled order depends only on
`seed + epoch`, so every replica computes the same permutation; call `set_epoch(e)` at the start
of each epoch for a new one.
"""
import math

import numpy as np

from graphgrad.utils.data.sampler import Sampler

__all__ = ["DistributedSampler"]


def _world():
    """(world size, rank) of an initialized graphgrad.distributed process group, else None."""
    try:
        from graphgrad import distributed
    except ImportError:
        return None
    is_initialized = getattr(distributed, "is_initialized", None)
    if is_initialized is None or not is_initialized():
        return None
    return distributed.get_world_size(), distributed.get_rank()


class DistributedSampler(Sampler):
    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None or rank is None:
            world = _world()
            if world is None:
                raise ValueError("DistributedSampler: no distributed process group is "
                                 "initialized; pass num_replicas= and rank= explicitly")
            num_replicas = world[0] if num_replicas is None else num_replicas
            rank = world[1] if rank is None else rank
        for name, value in (("num_replicas", num_replicas), ("rank", rank), ("seed", seed)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
                raise TypeError(f"DistributedSampler: {name} must be an int, got {value!r}")
        if num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be positive, got "
                             f"{num_replicas}")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % self.num_replicas != 0:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = shuffle
        self.seed = int(seed)

    def _order(self):
        n = len(self.dataset)
        if self.shuffle:
            return np.random.default_rng(self.seed + self.epoch).permutation(n).tolist()
        return list(range(n))

    def __iter__(self):
        indices = self._order()
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Set the epoch: with shuffle=True, each epoch gets its own order (the same on every
        replica)."""
        self.epoch = epoch
