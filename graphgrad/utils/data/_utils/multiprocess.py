"""The main-process side of a DataLoader with worker processes.

Batches are handed out round-robin (task i to the next worker still running), at most
`prefetch_factor * num_workers` ahead of the consumer, and returned in task order, so the batches
come out in the order num_workers=0 gives. A worker's exception is re-raised here with the
worker's traceback. A worker that dies (killed, crashed) is noticed within STATUS_INTERVAL and
raises a RuntimeError naming its pid and exit code; with `timeout` > 0, waiting longer than that
for one batch raises too. Workers are stopped when the iterator is exhausted, garbage collected
or (for persistent workers) when the loader is; a worker that does not stop is terminated.
"""
import itertools
import multiprocessing
import queue
import signal
import time

from graphgrad.utils.data._utils import worker as _worker

JOIN_TIMEOUT = 2.0


def _describe_exit(w):
    code = w.exitcode
    if code is not None and code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class MultiProcessIter:
    def __init__(self, loader, base_seed):
        self._kind = loader._dataset_kind
        self._index_sampler = loader._index_sampler
        self._timeout = loader.timeout
        self._prefetch = loader.prefetch_factor * loader.num_workers
        self._persistent = loader.persistent_workers
        self._epoch = 0
        self._closed = False
        ctx = loader.multiprocessing_context or multiprocessing.get_context()
        self._done = ctx.Event()
        self._results = ctx.Queue()
        self._index_queues, self._workers = [], []
        for i in range(loader.num_workers):
            index_queue = ctx.Queue()
            index_queue.cancel_join_thread()      # never block exit on an unread task
            w = ctx.Process(target=_worker.worker_loop, daemon=True, args=(
                self._kind, loader.dataset, index_queue, self._results, self._done,
                loader._auto_collation, loader.collate_fn, loader.drop_last, base_seed,
                loader.worker_init_fn, i, loader.num_workers))
            w.start()
            self._index_queues.append(index_queue)
            self._workers.append(w)
        self._start_epoch()

    # -- handing out tasks ---------------------------------------------------------------------
    def _start_epoch(self):
        self._sampler_iter = iter(self._index_sampler)
        self._active = [True] * len(self._workers)
        self._cycle = itertools.cycle(range(len(self._workers)))
        self._send_idx = self._rcvd_idx = 0
        self._owner = {}            # task -> worker, for tasks not yet returned in order
        self._ready = {}            # task -> batch that arrived ahead of its turn
        for _ in range(self._prefetch):
            self._put_task()

    def reset(self, base_seed=None):
        """A new epoch on the same (persistent) workers: stale results are dropped by epoch."""
        self._epoch += 1
        for q in self._index_queues:
            q.put(_worker.Resume(self._epoch))
        self._start_epoch()

    def _put_task(self):
        for _ in range(len(self._workers)):
            wid = next(self._cycle)
            if self._active[wid]:
                break
        else:
            return
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        self._index_queues[wid].put((self._epoch, self._send_idx, index))
        self._owner[self._send_idx] = wid
        self._send_idx += 1

    # -- collecting batches --------------------------------------------------------------------
    def __iter__(self):
        return self

    def __next__(self):
        while True:
            # tasks of exhausted iterable workers never produce a batch: skip them
            while self._rcvd_idx < self._send_idx and self._rcvd_idx not in self._ready and \
                    not self._active[self._owner[self._rcvd_idx]]:
                del self._owner[self._rcvd_idx]
                self._rcvd_idx += 1
            if self._rcvd_idx >= self._send_idx:
                if not self._persistent:
                    self.shutdown()
                raise StopIteration
            if self._rcvd_idx in self._ready:
                return self._deliver(self._ready.pop(self._rcvd_idx))
            idx, data = self._get()
            if isinstance(data, _worker.IterableStop):
                self._active[data.worker_id] = False
                self._ready.pop(idx, None)
                self._put_task()
            elif idx == self._rcvd_idx:
                return self._deliver(data)
            else:
                self._ready[idx] = data

    def _deliver(self, data):
        del self._owner[self._rcvd_idx]
        self._rcvd_idx += 1
        self._put_task()
        if isinstance(data, _worker.ExceptionWrapper):
            data.reraise()
        return data

    def _get(self):
        """The next (task, batch) of this epoch; raises if a worker died or on timeout."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = _worker.STATUS_INTERVAL
            if deadline is not None:
                wait = min(wait, max(deadline - time.monotonic(), 0))
            try:
                epoch, idx, payload = self._results.get(timeout=wait)
            except queue.Empty:
                self._check_workers()
                if deadline is not None and time.monotonic() >= deadline:
                    self.shutdown()
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds "
                                       "waiting for a batch from its workers") from None
                continue
            if epoch == self._epoch:
                return idx, _worker.loads(payload)

    def _check_workers(self):
        dead = [w for wid, w in enumerate(self._workers)
                if self._active[wid] and not w.is_alive()]
        if dead:
            detail = ", ".join(f"pid {w.pid} ({_describe_exit(w)})" for w in dead)
            self.shutdown()
            raise RuntimeError(f"DataLoader worker(s) exited unexpectedly: {detail}. A worker "
                               "can be killed by the system when it runs out of memory; run "
                               "with num_workers=0 to see errors in the main process")

    # -- stopping ------------------------------------------------------------------------------
    def shutdown(self):
        if self._closed:
            return
        self._closed = True
        self._done.set()
        for q in self._index_queues:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + JOIN_TIMEOUT
        for w in self._workers:
            w.join(timeout=max(deadline - time.monotonic(), 0))
        for w in self._workers:
            if w.is_alive():
                w.terminate()
                w.join(timeout=JOIN_TIMEOUT)
            if w.is_alive():                 # SIGTERM caught or ignored
                w.kill()
                w.join()
        for q in self._index_queues + [self._results]:
            q.cancel_join_thread()
            q.close()

    def __del__(self):
        try:
            self.shutdown()
        except Exception:
            pass
