"""Whole-step compiled training equals eager training, step for step."""
import numpy as np
import pytest

import graphgrad as gg
from helpers import training_step
import graphgrad.nn.functional as F
from graphgrad import nn, optim

OPTIMIZERS = {
    "sgd_momentum": lambda params: optim.SGD(params, lr=0.05, momentum=0.9),
    "sgd_nesterov_wd": lambda params: optim.SGD(params, lr=0.05, momentum=0.9, nesterov=True,
                                                weight_decay=1e-3),
    "adam": lambda params: optim.Adam(params, lr=1e-3),
    "adamw": lambda params: optim.AdamW(params, lr=1e-3),
}
TOLERANCE = {np.float32: 1e-4, np.float64: 1e-9}


def _data(dtype, n_batches=4, batch=128):
    rng = np.random.default_rng(1)
    xs = [gg.tensor(rng.standard_normal((batch, 784)).astype(dtype)) for _ in range(n_batches)]
    ys = [gg.tensor(rng.integers(0, 10, batch)) for _ in range(n_batches)]
    return xs, ys


def _train(opt_name, dtype, compiled, steps=50):
    gg.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                          nn.Linear(128, 10)).to(dtype)
    opt = OPTIMIZERS[opt_name](model.parameters())
    body_runs = []

    def step(x, y):
        body_runs.append(1)
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    fn = gg.compile(step) if compiled else step
    xs, ys = _data(dtype)
    losses = [fn(xs[i % len(xs)], ys[i % len(ys)]).item() for i in range(steps)]
    params = [p.numpy().copy() for p in model.parameters()]
    return np.array(losses), params, len(body_runs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
def test_compiled_mlp_training_equals_eager(opt_name, dtype):
    eager_losses, eager_params, _ = _train(opt_name, dtype, compiled=False)
    losses, params, body_runs = _train(opt_name, dtype, compiled=True)
    rtol = TOLERANCE[dtype]
    np.testing.assert_allclose(losses, eager_losses, rtol=rtol)
    for p, q in zip(params, eager_params):
        np.testing.assert_allclose(p, q, rtol=rtol, atol=rtol * np.abs(q).max())
    assert body_runs == 1                      # traced once, then only the schedule runs
    assert losses[-1] < 0.5 * losses[0]        # and it actually learns


def test_batch_size_change_retraces_and_old_signature_stays_cached():
    gg.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

    step = training_step(model, opt, compiled=True)

    rng = np.random.default_rng(0)
    big = (gg.tensor(rng.standard_normal((64, 784)).astype(np.float32)),
           gg.tensor(rng.integers(0, 10, 64)))
    small = (gg.tensor(rng.standard_normal((32, 784)).astype(np.float32)),
             gg.tensor(rng.integers(0, 10, 32)))
    step(*big)
    step(*small)
    step(*big)
    step(*small)
    info = step.cache_info()
    assert info.traces == 2 and info.entries == 2
    assert info.recompile_reasons == ["arg x: shape now (32, 784), before (64, 784); "
                                      "arg y: shape now (32,), before (64,)"]


def test_step_lr_changes_do_not_retrace_and_match_eager():
    results = {}
    for mode in ("eager", "compiled"):
        gg.manual_seed(0)
        model = nn.Sequential(nn.Linear(20, 16), nn.Tanh(), nn.Linear(16, 4))
        opt = optim.SGD(model.parameters(), lr=0.2, momentum=0.5)
        sched = optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)

        fn = training_step(model, opt, compiled=mode == "compiled")
        rng = np.random.default_rng(3)
        x = gg.tensor(rng.standard_normal((32, 20)).astype(np.float32))
        y = gg.tensor(rng.integers(0, 4, 32))
        losses, lrs = [], []
        for _ in range(10):
            losses.append(fn(x, y).item())
            lrs.append(sched.get_last_lr()[0])
            sched.step()
        results[mode] = (losses, lrs, [p.numpy().copy() for p in model.parameters()])
        if mode == "compiled":
            assert fn.cache_info().traces == 1
    np.testing.assert_allclose(results["compiled"][0], results["eager"][0], rtol=1e-6)
    assert results["compiled"][1] == results["eager"][1] == [0.2] * 3 + [0.1] * 3 + \
        [0.05] * 3 + [0.025]
    for p, q in zip(results["compiled"][2], results["eager"][2]):
        np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-7)
