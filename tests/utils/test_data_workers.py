"""DataLoader worker processes: the batch order of num_workers=0, torch's per-worker seeding and
get_worker_info, worker errors re-raised with the worker's traceback, and no hang: a killed
worker, a timeout or an early break end in a clear error or a clean shutdown within seconds."""
import gc
import multiprocessing
import os
import random
import signal
import time

import numpy as np
import pytest

import graphgrad as gg
from graphgrad.utils.data import (DataLoader, Dataset, IterableDataset, TensorDataset,
                                  get_worker_info)
from graphgrad.utils.data._utils.worker import _generate_state

pytestmark = pytest.mark.skipif(os.name != "posix", reason="worker tests use POSIX signals")


class Probe(Dataset):
    """Sample i: its index, which worker made it, and that worker's random state."""

    def __init__(self, n=23, fail_at=None, kill_at=None, sleep=0.0, error=ValueError):
        self.n, self.fail_at, self.kill_at, self.sleep, self.error = (n, fail_at, kill_at,
                                                                      sleep, error)

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.fail_at:
            raise self.error(f"bad sample {i}")
        if i == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        if self.sleep:
            time.sleep(self.sleep)
        info = get_worker_info()
        return {"i": i, "worker": -1 if info is None else info.id,
                "np": float(np.random.random()), "py": random.random(),
                "gg": gg.rand(1).item()}


def indices(loader):
    return [b["i"].tolist() for b in loader]


def children():
    return {p.pid for p in multiprocessing.active_children()}


@pytest.mark.parametrize("workers", [1, 2, 3])
@pytest.mark.parametrize("shuffle", [False, True])
def test_batches_come_in_the_order_of_num_workers_0(workers, shuffle):
    def loader(n):
        return DataLoader(Probe(), batch_size=4, shuffle=shuffle, num_workers=n,
                          generator=gg.Generator().manual_seed(7))
    assert indices(loader(workers)) == indices(loader(0))
    x = np.arange(40, dtype=np.float32).reshape(20, 2)
    fast = [b[0].tolist() for b in DataLoader(TensorDataset(gg.tensor(x)), batch_size=3,
                                              shuffle=shuffle, seed=1, num_workers=workers)]
    assert fast == [b[0].tolist() for b in DataLoader(TensorDataset(gg.tensor(x)), batch_size=3,
                                                      shuffle=shuffle, seed=1)]


def test_workers_share_the_batches_round_robin_and_prefetch_factor_1():
    loader = DataLoader(Probe(12), batch_size=2, num_workers=3, prefetch_factor=1)
    workers = [b["worker"].tolist() for b in loader]
    assert workers == [[0, 0], [1, 1], [2, 2], [0, 0], [1, 1], [2, 2]]
    assert [b["worker"].tolist() for b in DataLoader(Probe(4), batch_size=2)] == [[-1, -1]] * 2


def test_worker_seeding_is_torchs():
    pytest.importorskip("torch")
    from torch.utils.data._utils.worker import _generate_state as torch_state
    for base in (0, 1, 2 ** 40 + 5, 2 ** 63 - 1):
        for wid in (0, 1, 7):
            assert _generate_state(base, wid) == torch_state(base, wid)
    seeds = []

    def init(worker_id):
        info = get_worker_info()
        seeds.append(info.seed)          # appended in the worker's copy only
        assert info.id == worker_id and info.num_workers == 2
        assert isinstance(info.dataset, Probe)
        with pytest.raises(RuntimeError):
            info.id = 5

    gen = gg.Generator().manual_seed(11)
    batches = list(DataLoader(Probe(8), batch_size=4, num_workers=2, generator=gen,
                              worker_init_fn=init))
    base = int(np.random.default_rng(11).integers(2 ** 63))      # the loader's first draw
    for b in batches:
        wid = b["worker"][0].item()
        state = np.random.RandomState(_generate_state(base, wid))
        assert b["np"][0].item() == state.random_sample()
        assert b["py"][0].item() == random.Random(base + wid).random()
        assert b["gg"][0].item() == pytest.approx(
            float(np.random.default_rng(base + wid).random(1, dtype=np.float32)[0]))
    assert seeds == [] and get_worker_info() is None


def test_epochs_draw_new_worker_seeds_and_runs_repeat():
    loader = DataLoader(Probe(4), batch_size=2, num_workers=2, seed=3)
    first, second = [b["np"].tolist() for b in loader], [b["np"].tolist() for b in loader]
    assert first != second
    again = DataLoader(Probe(4), batch_size=2, num_workers=2, seed=3)
    assert [b["np"].tolist() for b in again] == first


@pytest.mark.parametrize("error", [ValueError, KeyError, IndexError])
def test_worker_exception_is_reraised_with_the_worker_traceback(error):
    loader = DataLoader(Probe(fail_at=9, error=error), batch_size=4, num_workers=2)
    with pytest.raises(error) as info:
        list(loader)
    text = str(info.value)
    assert f"Caught {error.__name__} in DataLoader worker process 0" in text
    assert "Original Traceback" in text and "__getitem__" in text and "bad sample 9" in text


def test_exception_that_cannot_be_rebuilt_becomes_runtime_error():
    class Picky(Exception):
        def __init__(self, a, b):
            super().__init__(a, b)

    class Bad(Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            raise Picky(1, 2)

    with pytest.raises(RuntimeError, match="Caught Picky"):
        list(DataLoader(Bad(), num_workers=1))


def test_worker_init_fn_error_and_unpicklable_batch_reach_the_main_process():
    def init(worker_id):
        raise OSError("no such device")

    with pytest.raises(OSError, match="no such device"):
        list(DataLoader(Probe(4), num_workers=2, worker_init_fn=init))
    with pytest.raises(Exception, match="sending the batch"):
        list(DataLoader(Probe(4), num_workers=1, collate_fn=lambda batch: lambda: batch))


def test_killed_worker_raises_a_clear_error_quickly():
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"exited unexpectedly.*SIGKILL"):
        list(DataLoader(Probe(kill_at=5), batch_size=2, num_workers=2))
    assert time.monotonic() - start < 10
    gc.collect()
    assert not children()


def test_timeout_raises_and_shutdown_does_not_hang():
    before = children()
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="timed out after 0.5 seconds"):
        list(DataLoader(Probe(4, sleep=30), num_workers=1, timeout=0.5))
    assert time.monotonic() - start < 10
    assert children() <= before


def test_breaking_out_early_stops_the_workers():
    before = children()
    loader = DataLoader(Probe(40, sleep=0.01), batch_size=2, num_workers=2)
    it = iter(loader)
    next(it)
    assert len(children() - before) == 2
    start = time.monotonic()
    del it
    gc.collect()
    assert time.monotonic() - start < 10
    assert children() <= before


def test_persistent_workers_keep_their_processes_across_epochs():
    loader = DataLoader(Probe(10), batch_size=3, num_workers=2, persistent_workers=True)
    expected = [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert indices(loader) == expected
    pids = {w.pid for w in loader._iterator._workers}
    assert indices(loader) == expected
    for _ in loader:             # a broken-off epoch: its late batches are dropped
        break
    assert indices(loader) == expected
    assert {w.pid for w in loader._iterator._workers} == pids
    loader._iterator.shutdown()
    assert indices(loader) == expected       # a closed pool is started again


def test_iterable_dataset_workers_match_torch():
    torch = pytest.importorskip("torch")

    def stream(base, info_fn):
        class Stream(base):
            def __iter__(self):
                info = info_fn()
                lo, step = (0, 1) if info is None else (info.id, info.num_workers)
                return iter(range(lo, 11, step))
        return Stream()

    for kwargs in (dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None)):
        ours = DataLoader(stream(IterableDataset, get_worker_info), num_workers=2, **kwargs)
        theirs = torch.utils.data.DataLoader(
            stream(torch.utils.data.IterableDataset, torch.utils.data.get_worker_info),
            num_workers=2, **kwargs)
        assert [getattr(b, "tolist", lambda: b)() for b in ours] == \
            [getattr(b, "tolist", lambda: b)() for b in theirs]


def test_spawn_context_sends_the_dataset_and_tensors():
    ds = TensorDataset(gg.arange(6.0), gg.arange(6))
    loader = DataLoader(ds, batch_size=4, num_workers=1, multiprocessing_context="spawn",
                        collate_fn=list)
    batches = list(loader)
    assert [len(b) for b in batches] == [4, 2]
    x, y = batches[1][1]
    assert isinstance(x, gg.Tensor) and x.item() == 5.0 and y.dtype == np.int64


def test_tensors_still_refuse_plain_pickle():
    import pickle
    with pytest.raises(TypeError, match="gg.save"):
        pickle.dumps(gg.ones(2))


_ORPHAN_SCRIPT = """
import os, signal, sys, time
import graphgrad as gg
from graphgrad.utils.data import DataLoader, Dataset

class Slow(Dataset):
    def __len__(self):
        return 100
    def __getitem__(self, i):
        time.sleep(0.05)
        return i

it = iter(DataLoader(Slow(), num_workers=2))
next(it)
print(" ".join(str(w.pid) for w in it._workers), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _running(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="needs /proc")
def test_workers_leave_when_the_main_process_is_killed():
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", _ORPHAN_SCRIPT], capture_output=True, text=True,
                         env=env, timeout=60)
    pids = [int(p) for p in out.stdout.split()]
    assert len(pids) == 2, out.stderr[-2000:]
    deadline = time.monotonic() + 10
    while any(_running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_running(p) for p in pids)
