"""Optimizers and schedulers against NumPy re-implementations of torch.optim's update formulas,
eagerly and inside a compiled whole training step; then against torch.optim itself when it is
installed."""
import numpy as np
import pytest

import graphgrad as gg
from helpers import training_step
import graphgrad.nn.functional as F
from graphgrad import nn, optim
from graphgrad.optim.lr_scheduler import StepLR

STEPS = 20
RNG = np.random.default_rng(1)
X = RNG.standard_normal((8, 3))
Y = RNG.standard_normal((8, 2))
W0 = RNG.standard_normal((2, 3))
B0 = RNG.standard_normal(2)
TOL = {np.float32: {"rtol": 1e-5, "atol": 1e-6}, np.float64: {"rtol": 1e-10, "atol": 1e-12}}


# -- the problem: linear regression, mean squared error -------------------------------------------

def numpy_grads(w, b):
    r = X @ w.T + b - Y
    return [2.0 / r.size * r.T @ X, 2.0 / r.size * r.sum(0)]


def make_model(dtype):
    model = nn.Linear(3, 2, dtype=dtype)
    with gg.no_grad():
        model.weight.copy_(gg.tensor(W0.astype(dtype)))
        model.bias.copy_(gg.tensor(B0.astype(dtype)))
    return model


def make_step(model, opt, compiled):
    return training_step(model, opt, F.mse_loss, compiled)


def train(make_opt, dtype, compiled, steps=STEPS, scheduler=None):
    """Parameters after every step: [[weight, bias], ...]."""
    model = make_model(dtype)
    opt = make_opt(model.parameters())
    sched = scheduler(opt) if scheduler else None
    step = make_step(model, opt, compiled)
    x, y = gg.tensor(X.astype(dtype)), gg.tensor(Y.astype(dtype))
    trajectory = []
    for _ in range(steps):
        step(x, y)
        if sched:
            sched.step()
        trajectory.append([model.weight.numpy().copy(), model.bias.numpy().copy()])
    if compiled:
        assert step.cache_info().traces == 1
    return trajectory


def assert_trajectories_close(actual, expected, dtype):
    assert len(actual) == len(expected)
    for i, (got, want) in enumerate(zip(actual, expected)):
        for name, a, e in zip(("weight", "bias"), got, want):
            assert a.dtype == dtype
            np.testing.assert_allclose(a, e, **TOL[dtype], err_msg=f"step {i + 1} {name}")


# -- NumPy references (torch.optim's single-tensor formulas) ---------------------------------------

def ref_sgd(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False,
            steps=STEPS, lr_at=None):
    params, bufs, out = [W0.copy(), B0.copy()], [None, None], []
    for t in range(steps):
        step_lr = lr if lr_at is None else lr_at(t)
        for i, g in enumerate(numpy_grads(*params)):
            g = -g if maximize else g
            if weight_decay:
                g = g + weight_decay * params[i]
            if momentum:
                if bufs[i] is None:
                    bufs[i] = g.copy()
                else:
                    bufs[i] = momentum * bufs[i] + (1.0 - dampening) * g
                g = g + momentum * bufs[i] if nesterov else bufs[i]
            params[i] = params[i] - step_lr * g
        out.append([p.copy() for p in params])
    return out


def ref_adam(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
             decoupled=False, maximize=False, steps=STEPS):
    beta1, beta2 = betas
    params, out = [W0.copy(), B0.copy()], []
    m, v, v_max = [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]
    for t in range(1, steps + 1):
        for i, g in enumerate(numpy_grads(*params)):
            g = -g if maximize else g
            if weight_decay and decoupled:
                params[i] = params[i] * (1.0 - lr * weight_decay)
            elif weight_decay:
                g = g + weight_decay * params[i]
            m[i] = beta1 * m[i] + (1.0 - beta1) * g
            v[i] = beta2 * v[i] + (1.0 - beta2) * g * g
            second = v[i]
            if amsgrad:
                v_max[i] = np.maximum(v_max[i], v[i])
                second = v_max[i]
            denom = np.sqrt(second) / np.sqrt(1.0 - beta2 ** t) + eps
            params[i] = params[i] - lr / (1.0 - beta1 ** t) * m[i] / denom
        out.append([p.copy() for p in params])
    return out


CASES = {
    "sgd": (lambda p: optim.SGD(p, lr=0.1), lambda: ref_sgd(0.1)),
    "sgd_momentum": (lambda p: optim.SGD(p, lr=0.05, momentum=0.9),
                     lambda: ref_sgd(0.05, momentum=0.9)),
    "sgd_dampening": (lambda p: optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.3),
                      lambda: ref_sgd(0.05, momentum=0.9, dampening=0.3)),
    "sgd_nesterov_wd": (lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True,
                                            weight_decay=0.1),
                        lambda: ref_sgd(0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    "sgd_maximize": (lambda p: optim.SGD(p, lr=0.01, momentum=0.5, maximize=True),
                     lambda: ref_sgd(0.01, momentum=0.5, maximize=True)),
    "adam": (lambda p: optim.Adam(p, lr=0.05), lambda: ref_adam(0.05)),
    "adam_wd": (lambda p: optim.Adam(p, lr=0.05, betas=(0.8, 0.99), weight_decay=0.1),
                lambda: ref_adam(0.05, betas=(0.8, 0.99), weight_decay=0.1)),
    "adam_amsgrad_maximize": (lambda p: optim.Adam(p, lr=0.01, amsgrad=True, maximize=True),
                              lambda: ref_adam(0.01, amsgrad=True, maximize=True)),
    "adamw": (lambda p: optim.AdamW(p, lr=0.05, weight_decay=0.1),
              lambda: ref_adam(0.05, weight_decay=0.1, decoupled=True)),
    "adamw_amsgrad": (lambda p: optim.AdamW(p, lr=0.05, betas=(0.8, 0.9), eps=1e-6,
                                            amsgrad=True),
                      lambda: ref_adam(0.05, betas=(0.8, 0.9), eps=1e-6, weight_decay=1e-2,
                                       decoupled=True, amsgrad=True)),
}


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_optimizer_matches_numpy_reference(case, dtype, compiled):
    make_opt, reference = CASES[case]
    assert_trajectories_close(train(make_opt, dtype, compiled), reference(), dtype)


def test_step_skips_parameters_without_grad():
    w = gg.tensor([1.0, 2.0], requires_grad=True)
    unused = gg.tensor([3.0], requires_grad=True)
    opt = optim.Adam([w, unused], lr=0.1)
    (w * w).sum().backward()
    opt.step()
    np.testing.assert_array_equal(unused.numpy(), [3.0])
    assert unused not in opt.state
    np.testing.assert_allclose(w.numpy(), [0.9, 1.9], rtol=1e-6)   # Adam's first step: lr * sign


def test_zero_grad_set_to_none_both_ways():
    w = gg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * 3.0).sum().backward()
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 0.0])
    opt.zero_grad()
    assert w.grad is None


@pytest.mark.parametrize("set_to_none", [True, False])
def test_compiled_step_with_either_zero_grad_matches_eager(set_to_none):
    def make(model, opt):
        def step(x, y):
            opt.zero_grad(set_to_none=set_to_none)
            loss = F.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            return loss
        return step

    results = {}
    for compiled in (False, True):
        model = make_model(np.float64)
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        fn = gg.compile(make(model, opt)) if compiled else make(model, opt)
        losses = [fn(gg.tensor(X), gg.tensor(Y)).item() for _ in range(6)]
        results[compiled] = losses, model.weight.numpy().copy(), model.weight.grad.numpy().copy()
        if compiled:
            assert fn.cache_info().traces <= 2      # at most once more when .grad stops being None
    for eager, compiled in zip(results[False], results[True]):
        np.testing.assert_allclose(compiled, eager, rtol=1e-12)
    expected = ref_sgd(0.1, momentum=0.9, steps=6)[-1][0]
    np.testing.assert_allclose(results[True][1], expected, rtol=1e-10)


# -- learning-rate schedules -----------------------------------------------------------------------

def test_step_lr_values():
    w = gg.tensor([1.0], requires_grad=True)
    b = gg.tensor([1.0], requires_grad=True)
    opt = optim.SGD([{"params": [w]}, {"params": [b], "lr": 1.0}], lr=0.1)
    sched = StepLR(opt, step_size=3, gamma=0.5)
    seen = [sched.get_last_lr()]
    for _ in range(8):
        opt.step()
        sched.step()
        seen.append(sched.get_last_lr())
    factors = [0.5 ** (k // 3) for k in range(9)]
    np.testing.assert_allclose(seen, [[0.1 * f, 1.0 * f] for f in factors], rtol=1e-15)
    assert [g["lr"] for g in opt.param_groups] == seen[-1]
    with pytest.raises(ValueError):
        StepLR(opt, step_size=0)


def test_compiled_step_with_step_lr_does_not_retrace_and_matches_eager():
    lr, step_size, gamma = 0.05, 5, 0.5

    def schedule(opt):
        return StepLR(opt, step_size=step_size, gamma=gamma)

    def make_opt(params):
        return optim.SGD(params, lr=lr, momentum=0.9)

    expected = ref_sgd(lr, momentum=0.9, lr_at=lambda t: lr * gamma ** (t // step_size))
    for dtype in (np.float32, np.float64):
        eager = train(make_opt, dtype, False, scheduler=schedule)
        compiled = train(make_opt, dtype, True, scheduler=schedule)   # asserts traces == 1
        assert_trajectories_close(eager, expected, dtype)
        assert_trajectories_close(compiled, expected, dtype)
    # without the schedule the trajectory differs: the lr really changed
    assert not np.allclose(ref_sgd(lr, momentum=0.9)[-1][0], expected[-1][0])


def test_adam_lr_change_between_compiled_calls_does_not_retrace():
    model = make_model(np.float64)
    opt = optim.Adam(model.parameters(), lr=0.05)
    step = make_step(model, opt, compiled=True)
    x, y = gg.tensor(X), gg.tensor(Y)
    for _ in range(3):
        step(x, y)
    opt.param_groups[0]["lr"] = 0.0
    before = model.weight.numpy().copy()
    step(x, y)
    np.testing.assert_array_equal(model.weight.numpy(), before)
    assert step.cache_info().traces == 1
    opt.param_groups[0]["betas"] = (0.5, 0.9)   # runtime inputs too (OneCycleLR cycles them)
    step(x, y)
    assert step.cache_info().traces == 1
    opt.param_groups[0]["eps"] = 1e-6           # a graph-shaping hyperparameter retraces
    step(x, y)
    assert step.cache_info().traces == 2


# -- parameter groups ------------------------------------------------------------------------------

@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
def test_param_groups_with_different_settings(compiled):
    model = make_model(np.float64)
    opt = optim.SGD([{"params": [model.weight], "lr": 0.1},
                     {"params": [model.bias], "momentum": 0.9}], lr=0.01)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert [g["momentum"] for g in opt.param_groups] == [0.0, 0.9]
    step = make_step(model, opt, compiled)
    x, y = gg.tensor(X), gg.tensor(Y)
    w, b, buf = W0.copy(), B0.copy(), None
    for _ in range(STEPS):
        gw, gb = numpy_grads(w, b)
        buf = gb if buf is None else 0.9 * buf + gb
        w, b = w - 0.1 * gw, b - 0.01 * buf     # weight: plain SGD; bias: momentum, lr 0.01
        step(x, y)
        np.testing.assert_allclose(model.weight.numpy(), w, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(model.bias.numpy(), b, rtol=1e-10, atol=1e-12)


def test_add_param_group():
    w = gg.tensor([1.0], requires_grad=True)
    b = gg.tensor([2.0], requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    opt.add_param_group({"params": b, "lr": 0.5})
    assert len(opt.param_groups) == 2 and opt.param_groups[1]["lr"] == 0.5
    assert opt.param_groups[1]["betas"] == (0.9, 0.999)       # defaults filled in
    with pytest.raises(ValueError, match="more than one group"):
        opt.add_param_group({"params": [w]})


# -- saving and resuming ---------------------------------------------------------------------------

RESUME_CASES = {
    "sgd_dampening": lambda p: optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.2),
    "adam_amsgrad": lambda p: optim.Adam(p, lr=0.05, amsgrad=True, weight_decay=0.01),
    "adamw": lambda p: optim.AdamW(p, lr=0.05),
}


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
@pytest.mark.parametrize("case", sorted(RESUME_CASES))
def test_state_dict_round_trip_resumes_identically(case, compiled):
    make_opt = RESUME_CASES[case]
    x, y = gg.tensor(X), gg.tensor(Y)
    full = train(make_opt, np.float64, compiled, steps=10)

    model = make_model(np.float64)
    opt = make_opt(model.parameters())
    step = make_step(model, opt, compiled)
    for _ in range(5):
        step(x, y)
    model_state, opt_state = model.state_dict(), opt.state_dict()
    saved = {k: v.numpy().copy() for k, v in opt_state["state"][0].items()}
    for _ in range(3):            # keep training: the saved state must not change
        step(x, y)
    for k, v in opt_state["state"][0].items():
        np.testing.assert_array_equal(v.numpy(), saved[k], err_msg=k)

    # a fresh model and optimizer resume from the checkpoint
    model2 = make_model(np.float64)
    opt2 = make_opt(model2.parameters())
    step2 = make_step(model2, opt2, compiled)
    model2.load_state_dict(model_state)
    opt2.load_state_dict(opt_state)
    resumed = []
    for _ in range(5):
        step2(x, y)
        resumed.append([model2.weight.numpy().copy(), model2.bias.numpy().copy()])
    assert_trajectories_close(resumed, full[5:], np.float64)

    # the original objects go back to the checkpoint, with a compiled step already traced
    model.load_state_dict(model_state)
    opt.load_state_dict(opt_state)
    again = []
    for _ in range(5):
        step(x, y)
        again.append([model.weight.numpy().copy(), model.bias.numpy().copy()])
    assert_trajectories_close(again, full[5:], np.float64)
    if compiled:
        assert step.cache_info().traces == 1


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
def test_loading_empty_optimizer_state_restarts_it(compiled):
    x, y = gg.tensor(X), gg.tensor(Y)
    model = make_model(np.float64)
    opt = optim.Adam(model.parameters(), lr=0.05)
    step = make_step(model, opt, compiled)
    for _ in range(4):
        step(x, y)
    fresh_state = optim.Adam(make_model(np.float64).parameters(), lr=0.05).state_dict()
    opt.load_state_dict(fresh_state)
    model.load_state_dict({"weight": W0, "bias": B0})
    restarted = []
    for _ in range(5):
        step(x, y)
        restarted.append([model.weight.numpy().copy(), model.bias.numpy().copy()])
    assert_trajectories_close(restarted, ref_adam(0.05, steps=5), np.float64)


def test_optimizer_load_state_dict_validates_before_changing_anything():
    model = make_model(np.float64)
    opt = optim.Adam(model.parameters(), lr=0.05)
    step = make_step(model, opt, compiled=False)
    step(gg.tensor(X), gg.tensor(Y))
    state = opt.state_dict()
    before = {k: v.numpy().copy() for k, v in opt.state[model.weight].items()}
    bad = {"state": {0: dict(state["state"][0], exp_avg=gg.zeros(5))},
           "param_groups": [dict(state["param_groups"][0], lr=1.0)]}
    with pytest.raises(gg.ShapeError, match="exp_avg"):
        opt.load_state_dict(bad)
    assert opt.param_groups[0]["lr"] == 0.05
    for k, v in opt.state[model.weight].items():
        np.testing.assert_array_equal(v.numpy(), before[k], err_msg=k)
    with pytest.raises(ValueError, match="parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": []})


# -- invalid arguments -----------------------------------------------------------------------------

def test_invalid_arguments_raise():
    w = gg.tensor([1.0], requires_grad=True)
    for bad_lr in (-0.1, None, "fast"):
        with pytest.raises(ValueError, match="learning rate"):
            optim.SGD([w], lr=bad_lr)
        with pytest.raises(ValueError, match="learning rate"):
            optim.Adam([w], lr=bad_lr)
    with pytest.raises(ValueError, match="learning rate"):
        optim.SGD([{"params": [w], "lr": -1.0}], lr=0.1)
    for make in (lambda p: optim.SGD(p, lr=0.1), optim.Adam, optim.AdamW):
        with pytest.raises(ValueError, match="empty"):
            make([])
        with pytest.raises(ValueError, match="empty"):
            make(iter([]))
    with pytest.raises(ValueError, match="momentum"):
        optim.SGD([w], lr=0.1, momentum=-0.5)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([w], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([w], betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="eps"):
        optim.Adam([w], eps=-1.0)
    with pytest.raises(ValueError, match="weight_decay"):
        optim.AdamW([w], weight_decay=-0.1)
    with pytest.raises(ValueError, match="does not require grad"):
        optim.SGD([gg.tensor([1.0])], lr=0.1)
    with pytest.raises(TypeError, match="Tensors"):
        optim.SGD([np.ones(2)], lr=0.1)


# -- torch.optim as the oracle ---------------------------------------------------------------------

TORCH_CASES = {
    "sgd_momentum_nesterov_wd": lambda o, p: o.SGD(p, lr=0.05, momentum=0.9, nesterov=True,
                                                   weight_decay=0.1),
    "sgd_momentum_dampening_wd": lambda o, p: o.SGD(p, lr=0.05, momentum=0.8, dampening=0.25,
                                                    weight_decay=0.01),
    "adam": lambda o, p: o.Adam(p, lr=0.05, weight_decay=0.1),
    "adamw": lambda o, p: o.AdamW(p, lr=0.05, weight_decay=0.1),
    "adamw_amsgrad": lambda o, p: o.AdamW(p, lr=0.05, betas=(0.8, 0.9), amsgrad=True),
}


def torch_trajectory(torch, make_opt, dtype, scheduler=None):
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    w = torch.tensor(W0, dtype=tdtype, requires_grad=True)
    b = torch.tensor(B0, dtype=tdtype, requires_grad=True)
    x, y = torch.tensor(X, dtype=tdtype), torch.tensor(Y, dtype=tdtype)
    opt = make_opt(torch.optim, [w, b])
    sched = scheduler(torch.optim.lr_scheduler, opt) if scheduler else None
    out = []
    for _ in range(STEPS):
        opt.zero_grad()
        torch.nn.functional.mse_loss(x @ w.T + b, y).backward()
        opt.step()
        if sched:
            sched.step()
        out.append([w.detach().numpy().copy(), b.detach().numpy().copy()])
    return out


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", sorted(TORCH_CASES))
def test_optimizer_matches_torch(case, dtype, compiled):
    torch = pytest.importorskip("torch")
    make_opt = TORCH_CASES[case]
    expected = torch_trajectory(torch, make_opt, dtype)
    actual = train(lambda p: make_opt(optim, list(p)), dtype, compiled)
    assert_trajectories_close(actual, expected, dtype)


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
def test_step_lr_matches_torch(compiled):
    torch = pytest.importorskip("torch")
    make_opt = TORCH_CASES["sgd_momentum_nesterov_wd"]
    expected = torch_trajectory(torch, make_opt, np.float64,
                                scheduler=lambda s, o: s.StepLR(o, step_size=4, gamma=0.3))
    actual = train(lambda p: make_opt(optim, list(p)), np.float64, compiled,
                   scheduler=lambda o: StepLR(o, step_size=4, gamma=0.3))
    assert_trajectories_close(actual, expected, np.float64)
