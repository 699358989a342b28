"""What runs inside a DataLoader worker process, and what it sends back.

A worker seeds itself as torch's do (`base_seed + worker_id` for Python's `random` and for
graphgrad's generator, NumPy's global generator from torch's `_generate_state(base_seed,
worker_id)`), runs `worker_init_fn`, then fetches the batches whose indices arrive on its index
queue and puts `(epoch, task, pickled batch)` on the shared result queue. An exception becomes
an ExceptionWrapper carrying the worker's traceback, re-raised in the main process. The worker
leaves when it reads None, when the loader sets `done_event`, or when the main process is gone.
"""
import os
import pickle
import queue
import random
import sys
import traceback
from multiprocessing.reduction import ForkingPickler

import numpy as np

from graphgrad.tensor import Tensor

__all__ = ["WorkerInfo", "get_worker_info"]

# how often a waiting worker checks that the main process is alive, and the main process that
# its workers are (seconds)
STATUS_INTERVAL = 0.1

_worker_info = None


class WorkerInfo:
    """In a worker: `id`, `num_workers`, `seed` and this worker's copy of `dataset`."""

    __initialized = False

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.__keys = tuple(kwargs)
        self.__initialized = True

    def __setattr__(self, key, value):
        if self.__initialized:
            raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")
        super().__setattr__(key, value)

    def __repr__(self):
        items = ", ".join(f"{k}={getattr(self, k)}" for k in self.__keys)
        return f"{type(self).__name__}({items})"


def get_worker_info():
    """The WorkerInfo of the current DataLoader worker process, or None in the main process."""
    return _worker_info


class ExceptionWrapper:
    """An exception and its traceback as text, to re-raise in another process."""

    def __init__(self, exc_info=None, where="in background"):
        exc_info = exc_info or sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_name = exc_info[0].__name__
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_name} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            raise KeyError(_KeyErrorMessage(msg))
        try:
            exc = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exc


class _KeyErrorMessage(str):
    def __repr__(self):         # KeyError shows repr(arg): keep the traceback readable
        return str(self)


class IterableStop:
    """Sent by a worker whose IterableDataset copy is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class Resume:
    """Sent to persistent workers at a new epoch: start the dataset iterator afresh."""

    def __init__(self, epoch):
        self.epoch = epoch


# -- tensors travel between processes (pickle.dumps(tensor) stays refused) ------------------------

def _rebuild_tensor(array, requires_grad):
    t = Tensor._wrap(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_parameter(array, requires_grad):
    from graphgrad.nn.parameter import Parameter
    return Parameter(Tensor._wrap(array), requires_grad=requires_grad)


def _reduce(t, rebuild):
    data = t._concrete("sending a tensor to another process")
    if t._grad_fn is not None:
        raise RuntimeError("a tensor computed by an op that requires grad cannot be sent to "
                           "another process (its graph stays behind); send t.detach()")
    return rebuild, (data, t._requires_grad)


def register_reducers():
    from graphgrad.nn.parameter import Parameter
    ForkingPickler.register(Tensor, lambda t: _reduce(t, _rebuild_tensor))
    ForkingPickler.register(Parameter, lambda t: _reduce(t, _rebuild_parameter))


register_reducers()


# -- seeding -----------------------------------------------------------------------------------

def _generate_state(base_seed, worker_id):
    """NumPy's global seed for a worker: torch's function (after numpy.random.SeedSequence),
    so a worker's np.random numbers equal a torch worker's for the same base seed."""
    mask = 0xFFFFFFFF
    const = [0x43B0D7E5]

    def hash_(value):
        value = (value ^ const[0]) & mask
        const[0] = (const[0] * 0x931E8875) & mask
        value = (value * const[0]) & mask
        return (value ^ (value >> 16)) & mask

    def mix(x, y):
        result = ((0xCA01F9DD * x) & mask) - ((0x4973F715 * y) & mask)
        result &= mask
        return (result ^ (result >> 16)) & mask

    pool = [hash_(v) for v in (worker_id, base_seed & mask, base_seed >> 32, 0)]
    for src in range(4):
        for dst in range(4):
            if src != dst:
                pool[dst] = mix(pool[dst], hash_(pool[src]))
    const_b = 0x8B51F9DD
    state = []
    for value in pool:
        value = (value ^ const_b) & mask
        const_b = (const_b * 0x58F38DED) & mask
        value = (value * const_b) & mask
        state.append((value ^ (value >> 16)) & mask)
    return state


def seed_worker(base_seed, worker_id):
    from graphgrad import rng
    seed = base_seed + worker_id
    random.seed(seed)
    rng.manual_seed(seed % 2 ** 63)
    np.random.seed(_generate_state(base_seed, worker_id))
    return seed


# -- the worker loop ---------------------------------------------------------------------------

def _dumps(data, worker_id):
    """Pickle here, not in the queue's feeder thread, so a batch that cannot be pickled
    becomes an error the main process sees instead of a batch that never arrives."""
    try:
        return bytes(ForkingPickler.dumps(data))
    except Exception:
        if not isinstance(data, ExceptionWrapper):
            data = ExceptionWrapper(where=f"in DataLoader worker process {worker_id} (sending "
                                          "the batch to the main process)")
    try:
        return bytes(ForkingPickler.dumps(data))
    except Exception:
        data.exc_type = RuntimeError        # e.g. an exception class defined in a function
        return bytes(ForkingPickler.dumps(data))


def worker_loop(kind, dataset, index_queue, data_queue, done_event, auto_collation, collate_fn,
                drop_last, base_seed, init_fn, worker_id, num_workers):
    from graphgrad.utils.data._utils.fetch import create_fetcher
    global _worker_info
    try:
        seed = seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        where = f"in DataLoader worker process {worker_id}"
        init_error = fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = create_fetcher(kind, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_error = ExceptionWrapper(where=where)
        parent = os.getppid()
        ended = False
        # done_event, not only the None task, ends the loop: a queue collected with its
        # iterator may never deliver the None
        while os.getppid() == parent and not done_event.is_set():
            try:
                task = index_queue.get(timeout=STATUS_INTERVAL)
            except queue.Empty:
                continue
            if task is None:
                break
            if isinstance(task, Resume):
                ended = False
                if init_error is None:
                    fetcher = create_fetcher(kind, dataset, auto_collation, collate_fn,
                                             drop_last)
                continue
            if ended:
                continue
            epoch, idx, index = task
            if init_error is not None:
                data = init_error
            else:
                try:
                    data = fetcher.fetch(index)
                except Exception as e:
                    if isinstance(e, StopIteration) and kind == "iterable":
                        data, ended = IterableStop(worker_id), True
                    else:
                        data = ExceptionWrapper(where=where)
            data_queue.put((epoch, idx, _dumps(data, worker_id)))
            del data, task, index
    except KeyboardInterrupt:
        pass            # the main process handles Ctrl-C and shuts the workers down
    if done_event.is_set():
        data_queue.cancel_join_thread()
        data_queue.close()


def loads(payload):
    return pickle.loads(payload)
