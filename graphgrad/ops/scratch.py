"""Per-thread scratch arrays for kernels with large temporaries.

A fresh array of more than a few hundred KiB is mapped from the OS, and every call then pays a
page fault per 4 KiB page as it is first written. A kernel asks for its temporaries by a key
instead; the same thread gets the same array back for the same key, shape and dtype. Its
contents are whatever the last user of the key left, so a key must name everything that decides
which parts a kernel writes (for a zero-padded copy: the geometry), and a kernel never returns a
scratch array or keeps one past its call. Each thread keeps its most recent arrays, up to a
byte budget.
"""
import threading
from collections import OrderedDict

import numpy as np

_BUDGET_BYTES = 1 << 28
_local = threading.local()


def _cache():
    cache = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = OrderedDict()
    return cache


def scratch(key, shape, dtype, zeroed=False):
    """An array of `shape` and `dtype` for this thread and `key`. When `zeroed`, a new array
    starts as zeros and a reused one keeps what its last user left (a kernel that writes the
    same positions every time then never clears it)."""
    cache = _cache()
    full = (key, shape, np.dtype(dtype), zeroed)
    array = cache.pop(full, None)
    if array is None:
        array = np.zeros(shape, dtype) if zeroed else np.empty(shape, dtype)
        _evict(cache, array.nbytes)
    cache[full] = array                       # most recently used last
    return array


def _evict(cache, incoming):
    held = sum(a.nbytes for a in cache.values()) + incoming
    while cache and held > _BUDGET_BYTES:
        _, old = cache.popitem(last=False)
        held -= old.nbytes


def clear():
    """Drop this thread's scratch arrays."""
    _cache().clear()
