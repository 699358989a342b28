"""Learning-rate schedulers: hand-computed schedules, torch.optim.lr_scheduler over 40 steps, state
round trips, and compiled whole training steps that never retrace while the schedule runs."""
import math

import numpy as np
import pytest

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad import nn, optim
from graphgrad.optim import lr_scheduler as S

STEPS = 40


def two_groups(kind="sgd"):
    w = gg.tensor([1.0], requires_grad=True)
    b = gg.tensor([1.0], requires_grad=True)
    groups = [{"params": [w]}, {"params": [b], "lr": 0.5}]
    if kind == "sgd":
        return optim.SGD(groups, lr=0.1, momentum=0.9)
    return optim.Adam(groups, lr=0.1)


def lrs_over(sched, opt, steps=STEPS, metrics=None):
    seen = []
    for i in range(steps):
        seen.append(sched.get_last_lr())
        assert seen[-1] == [g["lr"] for g in opt.param_groups]
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[i])
    return np.array(seen)


# -- hand-computed schedules -----------------------------------------------------------------------

def test_multistep_lr_values():
    opt = two_groups()
    seen = lrs_over(S.MultiStepLR(opt, milestones=[7, 3, 12, 12], gamma=0.5), opt, steps=15)
    factors = [1] * 3 + [0.5] * 4 + [0.25] * 5 + [0.0625] * 3   # 12 is listed twice
    np.testing.assert_allclose(seen, np.outer(factors, [0.1, 0.5]), rtol=1e-15)


def test_exponential_lr_values():
    opt = two_groups()
    seen = lrs_over(S.ExponentialLR(opt, gamma=0.9), opt, steps=10)
    np.testing.assert_allclose(seen, np.outer(0.9 ** np.arange(10), [0.1, 0.5]), rtol=1e-14)


def test_cosine_annealing_values_and_restart_past_t_max():
    opt = two_groups()
    seen = lrs_over(S.CosineAnnealingLR(opt, T_max=4, eta_min=0.02), opt, steps=9)
    # cos(pi t / 4) for t = 0..8: 1, r, 0, -r, -1, -r, 0, r, 1 with r = sqrt(2)/2
    r = math.sqrt(0.5)
    cos = np.array([1, r, 0, -r, -1, -r, 0, r, 1])
    for base, column in zip([0.1, 0.5], seen.T):
        np.testing.assert_allclose(column, 0.02 + (base - 0.02) * (1 + cos) / 2, rtol=1e-14)
    assert seen[4, 0] == pytest.approx(0.02) and seen[8, 0] == pytest.approx(0.1)


def test_lambda_lr_one_function_per_group():
    opt = two_groups()
    sched = S.LambdaLR(opt, [lambda e: 1.0 / (e + 1), lambda e: 0.5 ** e])
    seen = lrs_over(sched, opt, steps=6)
    e = np.arange(6)
    np.testing.assert_allclose(seen[:, 0], 0.1 / (e + 1), rtol=1e-15)
    np.testing.assert_allclose(seen[:, 1], 0.5 * 0.5 ** e, rtol=1e-15)
    assert sched.state_dict()["lr_lambdas"] == [None, None]     # functions are code, as in torch


def test_one_cycle_linear_values_and_momentum():
    w = gg.tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=0.3, anneal_strategy="linear",
                         div_factor=10.0, final_div_factor=100.0)
    lrs, moms = [], []
    for _ in range(10):
        lrs.append(sched.get_last_lr()[0])
        moms.append(opt.param_groups[0]["momentum"])
        sched.step()
    # warm-up 0.1 -> 1.0 over steps 0..2 (end_step = 0.3 * 10 - 1 = 2), then 1.0 -> 0.001 over 2..9
    up = [0.1, 0.55, 1.0]
    down = [1.0 + (0.001 - 1.0) * k / 7 for k in range(1, 8)]
    np.testing.assert_allclose(lrs, up + down, rtol=1e-13)
    np.testing.assert_allclose(moms, [0.95, 0.9, 0.85] + [0.85 + 0.1 * k / 7 for k in range(1, 8)],
                               rtol=1e-13)
    with pytest.raises(ValueError, match="total_steps"):
        for _ in range(2):
            sched.step()


def test_reduce_on_plateau_values():
    opt = two_groups()
    sched = S.ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=1, min_lr=[0.0, 0.2],
                                threshold=0.1, threshold_mode="abs")
    metrics = [1.0, 0.95, 0.95, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    seen = [sched.get_last_lr()]
    for m in metrics:
        sched.step(m)
        seen.append(sched.get_last_lr())
    # 0.95 is not better than 1.0 - 0.1: bad epochs at steps 2, 3 -> reduce at step 3;
    # 0.5 improves (step 4, also the cooldown step), then stays flat: bad at 5, 6 -> reduce at 6
    # (the second group stops at its min_lr 0.2); step 7 is cooldown; bad at 8, 9 -> reduce at 9
    # (the second group is already at its floor and stays)
    expected = [[0.1, 0.5]] * 3 + [[0.05, 0.25]] * 3 + [[0.025, 0.2]] * 3 + [[0.0125, 0.2]]
    np.testing.assert_allclose(seen, expected, rtol=1e-15)


@pytest.mark.parametrize("bad", [
    lambda o: S.MultiStepLR(o, milestones=[2, -1]),
    lambda o: S.CosineAnnealingLR(o, T_max=0),
    lambda o: S.LambdaLR(o, [lambda e: 1.0]),                # one per group: 2 expected
    lambda o: S.LambdaLR(o, 3.0),
    lambda o: S.OneCycleLR(o, max_lr=1.0),                    # no length
    lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=1.5),
    lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=10, anneal_strategy="exp"),
    lambda o: S.ReduceLROnPlateau(o, factor=1.5),
    lambda o: S.ReduceLROnPlateau(o, mode="maximum"),
    lambda o: S.ReduceLROnPlateau(o, patience=-1),
    lambda o: S.ReduceLROnPlateau(o, min_lr=[0.1]),
])
def test_invalid_arguments_raise(bad):
    with pytest.raises((ValueError, TypeError)):
        bad(two_groups())


def test_reduce_on_plateau_wants_a_metric():
    opt = two_groups()
    with pytest.raises(TypeError, match="metric"):
        S.ReduceLROnPlateau(opt).step("loss")


# -- against torch ---------------------------------------------------------------------------------

CASES = {
    "multistep": lambda m, o: m.MultiStepLR(o, milestones=[5, 12, 12, 30], gamma=0.3),
    "exponential": lambda m, o: m.ExponentialLR(o, gamma=0.93),
    "cosine": lambda m, o: m.CosineAnnealingLR(o, T_max=15, eta_min=0.01),   # 40 > T_max
    "lambda": lambda m, o: m.LambdaLR(o, lambda e: 1.0 / (1.0 + 0.3 * e)),
    "onecycle_cos": lambda m, o: m.OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=STEPS + 1),
    "onecycle_linear_3phase": lambda m, o: m.OneCycleLR(
        o, max_lr=1.0, epochs=4, steps_per_epoch=11, anneal_strategy="linear", three_phase=True),
    "onecycle_no_momentum": lambda m, o: m.OneCycleLR(o, max_lr=0.8, total_steps=STEPS,
                                                      pct_start=0.25, cycle_momentum=False),
}
PLATEAU = {
    "min_rel": dict(mode="min", factor=0.5, patience=2, cooldown=1),
    "max_abs": dict(mode="max", factor=0.3, patience=1, threshold=0.05, threshold_mode="abs",
                    min_lr=0.004),
}


def torch_groups(torch, kind):
    w = torch.tensor([1.0], requires_grad=True)
    b = torch.tensor([1.0], requires_grad=True)
    groups = [{"params": [w]}, {"params": [b], "lr": 0.5}]
    if kind == "sgd":
        return torch.optim.SGD(groups, lr=0.1, momentum=0.9)
    return torch.optim.Adam(groups, lr=0.1)


def run_both(torch, make, kind, metrics=None):
    ours, theirs = two_groups(kind), torch_groups(torch, kind)
    ours_s, theirs_s = make(S, ours), make(torch.optim.lr_scheduler, theirs)
    key = "momentum" if kind == "sgd" else "betas"
    for i in range(STEPS):
        np.testing.assert_allclose(ours_s.get_last_lr(), theirs_s.get_last_lr(), rtol=1e-12,
                                   err_msg=f"lr after {i} steps")
        for g, tg in zip(ours.param_groups, theirs.param_groups):
            np.testing.assert_allclose(g[key], tg[key], rtol=1e-12, err_msg=f"{key}, step {i}")
        ours.step()
        theirs.step()
        if metrics is None:
            ours_s.step()
            theirs_s.step()
        else:
            ours_s.step(metrics[i])
            theirs_s.step(metrics[i])


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_torch(case, kind):
    torch = pytest.importorskip("torch")
    run_both(torch, CASES[case], kind)


@pytest.mark.parametrize("case", sorted(PLATEAU))
def test_reduce_on_plateau_matches_torch(case):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    metrics = list(np.cumsum(rng.normal(0.0, 0.1, STEPS)))     # a random walk with plateaus
    run_both(torch, lambda m, o: m.ReduceLROnPlateau(o, **PLATEAU[case]), "sgd", metrics)


# -- state round trips -----------------------------------------------------------------------------

ALL = dict(CASES, plateau=lambda m, o: m.ReduceLROnPlateau(o, patience=1, factor=0.5))


@pytest.mark.parametrize("case", sorted(ALL))
def test_state_dict_round_trip_through_gg_save(case, tmp_path):
    make = ALL[case]
    opt = two_groups()
    sched = make(S, opt)
    metric = iter(1.0 + np.arange(100) % 3)      # plateaus: reductions for ReduceLROnPlateau
    stepper = (lambda: sched.step(next(metric))) if case == "plateau" else sched.step
    for _ in range(7):
        stepper()
    gg.save({"opt": opt.state_dict(), "sched": sched.state_dict()}, tmp_path / "s.ckpt")
    expected = []
    for _ in range(20):
        stepper()
        expected.append(sched.get_last_lr())
    state = gg.load(tmp_path / "s.ckpt")
    opt2 = two_groups()
    opt2.load_state_dict(state["opt"])
    sched2 = make(S, opt2)
    sched2.load_state_dict(state["sched"])
    metric = iter(1.0 + np.arange(100) % 3)
    for _ in range(7):
        next(metric)
    stepper2 = (lambda: sched2.step(next(metric))) if case == "plateau" else sched2.step
    got = []
    for _ in range(20):
        stepper2()
        got.append(sched2.get_last_lr())
    np.testing.assert_allclose(got, expected, rtol=1e-15)


def test_resuming_without_initial_lr_is_a_clear_error():
    with pytest.raises(KeyError, match="initial_lr"):
        S.ExponentialLR(two_groups(), gamma=0.9, last_epoch=5)


# -- compiled whole training steps -----------------------------------------------------------------

RNG = np.random.default_rng(7)
X = RNG.standard_normal((16, 3))
Y = RNG.standard_normal((16, 2))
COMPILED = {
    "step": lambda o: S.StepLR(o, step_size=4, gamma=0.5),
    "multistep": lambda o: S.MultiStepLR(o, milestones=[5, 10, 20], gamma=0.5),
    "exponential": lambda o: S.ExponentialLR(o, gamma=0.95),
    "cosine": lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=1e-3),
    "lambda": lambda o: S.LambdaLR(o, lambda e: 1.0 / (1 + e)),
    "onecycle": lambda o: S.OneCycleLR(o, max_lr=0.2, total_steps=30, cycle_momentum=False),
    "onecycle_3phase": lambda o: S.OneCycleLR(o, max_lr=0.2, total_steps=30, three_phase=True,
                                              anneal_strategy="linear", cycle_momentum=False),
    "plateau": lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=0, threshold=0.05),
}


def train_with(make_sched, opt_kind, compiled, steps=30):
    gg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2)).double()
    if opt_kind == "sgd":
        opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    else:
        opt = optim.Adam(model.parameters(), lr=0.05)
    sched = make_sched(opt)

    def step(x, y):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        return loss

    fn = gg.compile(step) if compiled else step
    x, y = gg.tensor(X), gg.tensor(Y)
    losses, lrs = [], []
    for _ in range(steps):
        losses.append(fn(x, y).item())
        lrs.append(opt.param_groups[0]["lr"])
        if isinstance(sched, S.ReduceLROnPlateau):
            sched.step(losses[-1])
        else:
            sched.step()
    return np.array(losses), lrs, fn


@pytest.mark.parametrize("opt_kind", ["sgd", "adam"])
@pytest.mark.parametrize("case", sorted(COMPILED))
def test_compiled_training_step_never_retraces(case, opt_kind):
    eager_losses, eager_lrs, _ = train_with(COMPILED[case], opt_kind, compiled=False)
    losses, lrs, fn = train_with(COMPILED[case], opt_kind, compiled=True)
    assert fn.cache_info().traces == 1
    assert len(set(lrs)) > 1                     # the learning rate really moved
    assert lrs == eager_lrs
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-10)


def test_compiled_one_cycle_with_cycled_momentum_never_retraces():
    make = lambda o: S.OneCycleLR(o, max_lr=0.2, total_steps=30)   # noqa: E731
    _, _, fn = train_with(make, "sgd", compiled=True, steps=6)
    assert fn.cache_info().traces == 1
