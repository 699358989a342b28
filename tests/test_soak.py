"""Long runs (SPEC section 10: memory stays flat; no leaking tapes, graphs or cache entries).

All tests here are slow: run them with `python -m pytest -m slow tests/test_soak.py -s` (the -s
shows the measured figures). Memory is measured with tracemalloc after a warm-up, with a
garbage collection before each reading.
"""
import gc
import tracemalloc
import warnings
import weakref

import numpy as np
import pytest

import graphgrad as gg
from helpers import small_mlp, training_step
import graphgrad.nn.functional as F
from graphgrad import optim

pytestmark = pytest.mark.slow

MB = 2 ** 20
STEPS = 10_000
WARMUP = 500


def _mlp():
    return small_mlp((8, 32, 3))


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 8)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0.5).astype(np.int64)
    return gg.tensor(x), gg.tensor(y)


def _traced_bytes():
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def _train(step, steps, batches):
    """Run `steps` steps after WARMUP warm-up steps; returns (growth in bytes, losses)."""
    losses = []
    for i in range(WARMUP):
        step(*batches[i % len(batches)])
    tracemalloc.start()
    try:
        start = _traced_bytes()
        middle = None
        for i in range(steps):
            loss = step(*batches[i % len(batches)])
            if i % 1000 == 0:
                losses.append(loss.item())
            if i == steps // 2:
                middle = _traced_bytes()
        end = _traced_bytes()
    finally:
        tracemalloc.stop()
    return start, middle, end, losses


def _make_step(model, opt):
    return training_step(model, opt)


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
def test_ten_thousand_training_steps_keep_memory_flat(compiled):
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    step = _make_step(model, opt)
    if compiled:
        step = gg.compile(step)
    x, y = _data(256)
    batches = [(x[i:i + 32], y[i:i + 32]) for i in range(0, 256, 32)]
    start, middle, end, losses = _train(step, STEPS, batches)
    growth = end - start
    print(f"\n{'compiled' if compiled else 'eager'}: {STEPS} steps after {WARMUP} warm-up "
          f"steps, traced memory growth {(middle - start) / 1024:.1f} KiB at half way, "
          f"{growth / 1024:.1f} KiB at the end; loss {losses[0]:.4f} -> {losses[-1]:.4f}")
    assert growth < 1 * MB
    assert end - middle < 0.5 * MB          # no steady leak in the second half either
    assert losses[-1] < losses[0]          # it did train
    if compiled:
        assert step.cache_info().traces == 1


def _random_size_step():
    model = _mlp()
    opt = optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    return gg.compile(_make_step(model, opt)), _data(64)


def test_random_batch_sizes_keep_the_cache_bounded_and_free_evicted_entries():
    step, (x, y) = _random_size_step()
    limit = gg.config.recompile_limit
    rng = np.random.default_rng(0)
    entries = weakref.WeakSet()
    graphs = weakref.WeakSet()
    executables = weakref.WeakSet()
    max_entries = 0
    calls = 1000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # the recompile-limit warning, expected here
        for i in range(calls):
            n = int(rng.integers(1, 41))
            loss = step(x[:n], y[:n])
            assert np.isfinite(loss.item())
            live = list(step.entries.values())
            max_entries = max(max_entries, len(live))
            for entry in live:
                entries.add(entry)
                graphs.add(entry.traced)
                executables.add(entry.forward_exe)
        del loss, live, entry
    gc.collect()
    info = step.cache_info()
    print(f"\nrandom batch sizes: {calls} calls, {info.traces} traces, {info.hits} hits, "
          f"at most {max_entries} entries (limit {limit}); alive after gc: {len(entries)} "
          f"entries, {len(graphs)} traced graphs, {len(executables)} executables")
    assert info.traces > 5 * limit                  # eviction really happened, many times
    assert max_entries <= limit and info.entries <= limit
    assert len(entries) <= limit                     # evicted entries were freed ...
    assert len(graphs) <= limit                      # ... with their graphs
    assert len(executables) <= limit                 # ... and generated code


def test_retracing_forever_keeps_memory_flat():
    step, (x, y) = _random_size_step()
    rng = np.random.default_rng(0)

    def fill():
        # the same 8 signatures at both readings, so the cache holds the same kind of entries
        for n in range(41, 49):
            step(x[:n], y[:n])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(300):     # warm-up: fills the bounded list of recompile reasons too
            n = int(rng.integers(1, 41))
            step(x[:n], y[:n])
        tracemalloc.start()
        try:
            # one round under tracemalloc first: objects made before it started (the cached
            # entries, the bounded list of reasons) are replaced by traced ones of equal size
            for _ in range(200):
                n = int(rng.integers(1, 41))
                step(x[:n], y[:n])
            fill()
            start, traces = _traced_bytes(), step.cache_info().traces
            for _ in range(200):
                n = int(rng.integers(1, 41))
                step(x[:n], y[:n])
            fill()
            growth, traces = _traced_bytes() - start, step.cache_info().traces - traces
        finally:
            tracemalloc.stop()
    print(f"\nretracing: {traces} traces, traced memory growth {growth / 1024:.1f} KiB "
          f"({growth / traces:.0f} bytes per trace)")
    assert growth < 100 * traces


def test_failing_calls_leave_memory_flat_and_no_half_built_entries():
    model = _mlp()
    opt = optim.Adam(model.parameters(), lr=1e-3)

    @gg.compile
    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    @gg.compile
    def branchy(x):
        h = model(x).sum()
        return h if h > 0 else -h

    x, y = _data(16)
    step(x, y)
    params = [p.numpy().copy() for p in model.parameters()]
    bad_index = gg.tensor(np.where(np.arange(16) == 3, 7, y.numpy()))
    bad_length = y[:5]

    def fail_all():
        with pytest.raises(gg.ShapeError, match="out of range"):
            step(x, bad_index)                   # at run time
        with pytest.raises(gg.ShapeError, match="expected target shape"):
            step(x, bad_length)                  # while tracing
        with pytest.raises(gg.TraceError):
            branchy(x)                           # data-dependent Python

    for _ in range(50):
        fail_all()
    tracemalloc.start()
    try:
        start = _traced_bytes()
        for _ in range(1000):
            fail_all()
        growth = _traced_bytes() - start
    finally:
        tracemalloc.stop()
    info = step.cache_info()
    print(f"\nfailing calls: 3 x 1050 failures, traced memory growth over the last 3 x 1000: "
          f"{growth / 1024:.1f} KiB; step cache entries {info.entries}, traces {info.traces}; "
          f"branchy entries {branchy.cache_info().entries}")
    assert growth < 1 * MB
    assert info.entries == 1 and info.traces == 1
    assert branchy.cache_info().entries == 0 and branchy.cache_info().traces == 0
    for before, p in zip(params, model.parameters()):
        np.testing.assert_array_equal(p.numpy(), before)
    assert np.isfinite(step(x, y).item())        # and the step still works
