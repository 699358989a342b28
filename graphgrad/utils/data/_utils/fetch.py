"""Fetchers: turn one entry of the index sampler into one batch (or one sample, without
automatic batching), for a map-style or an iterable dataset; the same code runs in the main
process and in workers."""
import numpy as np

from graphgrad.utils.data._utils.collate import default_collate
from graphgrad.utils.data.dataset import fast_take

MAP, ITERABLE = "map", "iterable"


class MapFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        # one fancy index per array gives the batch default_collate would build
        self.take = fast_take(dataset) if auto_collation and collate_fn is default_collate \
            else None

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self.take is not None:
            return self.take(np.asarray(index, dtype=np.int64))
        getitems = getattr(self.dataset, "__getitems__", None)
        data = getitems(index) if callable(getitems) else [self.dataset[i] for i in index]
        return self.collate_fn(data)


class IterableFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.iterator = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.iterator))
        data = []
        for _ in index:
            try:
                data.append(next(self.iterator))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < len(index)):
            raise StopIteration
        return self.collate_fn(data)


def create_fetcher(kind, dataset, auto_collation, collate_fn, drop_last):
    cls = MapFetcher if kind == MAP else IterableFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)
