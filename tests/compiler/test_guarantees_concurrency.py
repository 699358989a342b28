"""All-or-nothing calls under Ctrl-C, and threads: one compiled function called from several
threads gives the right numbers; grad mode and the active trace belong to a thread."""
import os
import random
import signal
import threading
import time

import numpy as np
import pytest

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad import nn, optim


def _interrupt():
    os.kill(os.getpid(), signal.SIGINT)


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name == "nt", reason="POSIX signals")
def test_14_ctrl_c_never_leaves_a_compiled_step_half_applied():
    gg.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 4))
    opt = optim.AdamW(model.parameters(), lr=1e-3)

    @gg.compile
    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    x, y = gg.randn(32, 16), gg.tensor(np.arange(32) % 4)
    step(x, y)
    params = list(model.parameters())

    def consistent():
        steps = {float(np.asarray(opt.state[p]["step"].numpy())) for p in params}
        versions = {p._version for p in params}
        return len(steps) == 1 and len(versions) == 1

    def raise_interrupt(signum, frame):
        raise KeyboardInterrupt
    # a handler of the program's own: the deferral passes the signal on to it after the commit
    previous = signal.signal(signal.SIGINT, raise_interrupt)
    rng = random.Random(0)
    t0 = time.perf_counter()
    step(x, y)
    call = time.perf_counter() - t0
    interrupts = half_applied = 0
    try:
        for _ in range(200):
            timer = threading.Timer(rng.uniform(0, 3 * call), _interrupt)
            try:
                timer.start()
                for _ in range(5):
                    step(x, y)
                timer.join()
                time.sleep(0.002)               # a late signal lands here, inside the try
            except KeyboardInterrupt:
                interrupts += 1
            half_applied += not consistent()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert interrupts == 200
    assert half_applied == 0


def test_15_four_threads_calling_one_compiled_function_get_right_answers():
    gg.manual_seed(0)
    m = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 4))
    f = gg.compile(m)
    xs = [gg.randn(16, 8) for _ in range(4)]
    expected = [m(x).numpy().copy() for x in xs]
    wrong, errors = [0] * 4, []

    def worker(k):
        try:
            for _ in range(2500):
                if not np.allclose(f(xs[k]).numpy(), expected[k], rtol=1e-6):
                    wrong[k] += 1
        except Exception as e:               # pragma: no cover - reported below
            errors.append(e)
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(wrong) == 0


def test_15_threads_training_one_compiled_step_apply_every_update_once():
    w = gg.zeros(3)

    @gg.compile
    def bump(x):
        w.add_(x)
        return w.sum()
    bump(gg.ones(3))
    threads = [threading.Thread(target=lambda: [bump(gg.ones(3)) for _ in range(500)])
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert w.tolist() == [2001.0] * 3


def test_16_a_trace_in_one_thread_does_not_record_another_threads_eager_ops():
    inside, release = threading.Event(), threading.Event()
    eager_results = []

    def traced(x):
        inside.set()
        release.wait(5)              # another thread computes eagerly meanwhile
        return x * 2

    def other():
        inside.wait(5)
        a = gg.tensor([1.0, 2.0])
        eager_results.append((a + 1).numpy().tolist())
        release.set()
    f = gg.compile(traced)
    t = threading.Thread(target=other)
    t.start()
    out = f(gg.ones(2))
    t.join()
    assert out.tolist() == [2.0, 2.0]
    assert eager_results == [[2.0, 3.0]]
    assert f.cache_info().traces == 1
    assert "add" not in [n.op.name for n in f.graph(gg.ones(2)).nodes]


def test_17_grad_mode_belongs_to_the_thread_that_set_it():
    in_no_grad, done = threading.Event(), threading.Event()

    def evaluation():
        with gg.no_grad():
            in_no_grad.set()
            done.wait(5)
    t = threading.Thread(target=evaluation)
    t.start()
    in_no_grad.wait(5)
    try:
        x = gg.ones(2, requires_grad=True)
        y = (x * 3).sum()
        assert gg.is_grad_enabled() and y.requires_grad
        y.backward()
        assert x.grad.tolist() == [3.0, 3.0]
    finally:
        done.set()
        t.join()

    seen = []
    t = threading.Thread(target=lambda: seen.append(gg.is_grad_enabled()))
    with gg.no_grad():
        t.start()
        t.join()
    assert seen == [True]                 # a new thread starts with grad enabled, as in torch
