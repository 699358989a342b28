"""Every scheduler of torch.optim.lr_scheduler against torch, step by step: learning rates,
momentum / betas, last_epoch, get_last_lr, state_dict keys and round trips, step(epoch) with
the closed forms, argument errors; and compiled training steps that never retrace."""
import warnings

import numpy as np
import pytest

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad import nn, optim
from graphgrad.optim import lr_scheduler as S

torch = pytest.importorskip("torch")
TS = torch.optim.lr_scheduler

STEPS = 40
OPTIMIZERS = {
    "sgd": lambda o, groups: o.SGD(groups, lr=0.1, momentum=0.9),
    "adam": lambda o, groups: o.Adam(groups, lr=0.1),
    "rmsprop": lambda o, groups: o.RMSprop(groups, lr=0.1, momentum=0.5),
    "nadam": lambda o, groups: o.NAdam(groups, lr=0.1),
}


class Third:
    """A callable object: torch saves its __dict__ in state_dict (plain functions: None)."""

    def __init__(self):
        self.calls = 0

    def __call__(self, epoch):
        self.calls += 1
        return 1.0 / (1.0 + epoch / 3.0)


CASES = {
    "lambda_object": lambda m, o: m.LambdaLR(o, Third()),
    "multiplicative": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.95 if e % 2 else 1.01),
    "constant": lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=7),
    "linear": lambda m, o: m.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=12),
    "polynomial": lambda m, o: m.PolynomialLR(o, total_iters=25, power=2.0),
    "step": lambda m, o: m.StepLR(o, step_size=4, gamma=0.5),
    "multistep": lambda m, o: m.MultiStepLR(o, milestones=[3, 3, 9], gamma=0.5),
    "exponential": lambda m, o: m.ExponentialLR(o, gamma=0.93),
    "cosine": lambda m, o: m.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
    "cyclic_triangular": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=[0.1, 0.3],
                                                 step_size_up=4, step_size_down=6),
    "cyclic_triangular2": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3,
                                                  mode="triangular2"),
    "cyclic_exp_range": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5,
                                                mode="exp_range", gamma=0.97,
                                                base_momentum=0.7, max_momentum=0.95),
    "cyclic_scale_fn": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5,
                                               scale_fn=lambda x: 1 / (x + 1),
                                               scale_mode="iterations", cycle_momentum=False),
    "warm_restarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2,
                                                                eta_min=0.001),
    "warm_restarts_mult1": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=7),
    "onecycle": lambda m, o: m.OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=STEPS + 1),
    "sequential": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.2, total_iters=5), m.ExponentialLR(o, gamma=0.9),
            m.CosineAnnealingLR(o, T_max=8)], milestones=[6, 20]),
    "chained": lambda m, o: m.ChainedScheduler([m.ConstantLR(o, factor=0.5, total_iters=4),
                                                m.ExponentialLR(o, gamma=0.93),
                                                m.MultiStepLR(o, [10, 30], gamma=0.5)]),
}


def make_optimizer(module, kind, tensor):
    w, b = tensor([1.0], requires_grad=True), tensor([1.0], requires_grad=True)
    return OPTIMIZERS[kind](module, [{"params": [w]}, {"params": [b], "lr": 0.5}])


def pair(case, kind):
    """(graphgrad optimizer, scheduler), (torch optimizer, scheduler)."""
    ours, theirs = make_optimizer(optim, kind, gg.tensor), make_optimizer(torch.optim, kind,
                                                                          torch.tensor)
    return (ours, CASES[case](S, ours)), (theirs, CASES[case](TS, theirs))


def assert_same_groups(ours, theirs, where):
    for g, tg in zip(ours.param_groups, theirs.param_groups):
        for key in ("lr", "initial_lr", "momentum", "betas", "max_lr", "min_lr",
                    "base_momentum", "max_momentum"):
            assert (key in g) == (key in tg), (key, where)
            if key in tg:
                np.testing.assert_allclose(g[key], tg[key], rtol=1e-14, atol=0,
                                           err_msg=f"{key}, {where}")


def run_both(case, kind, steps=STEPS):
    (ours, sched), (theirs, tsched) = pair(case, kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # torch's "step the optimizer first" warning
        for i in range(steps):
            np.testing.assert_allclose(sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-14,
                                       atol=0, err_msg=f"lr after {i} steps")
            assert_same_groups(ours, theirs, f"after {i} steps")
            assert getattr(sched, "last_epoch", None) == getattr(tsched, "last_epoch", None)
            ours.step()
            theirs.step()
            sched.step()
            tsched.step()
    return sched, tsched


@pytest.mark.parametrize("kind", sorted(OPTIMIZERS))
@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_torch_step_by_step(case, kind):
    run_both(case, kind)


def _keys(state):
    keys = set(state)
    if "_schedulers" in state:
        keys |= {(i, k) for i, s in enumerate(state["_schedulers"]) for k in s}
    return keys


@pytest.mark.parametrize("case", sorted(CASES))
def test_state_dict_has_torchs_entries_and_round_trips(case, tmp_path):
    sched, tsched = run_both(case, "sgd", steps=9)
    state = sched.state_dict()
    assert _keys(state) == _keys(tsched.state_dict())
    if case == "lambda_object":
        assert state["lr_lambdas"][0] == {"calls": sched.lr_lambdas[0].calls}
    gg.save({"opt": sched.optimizer.state_dict(), "sched": state}, tmp_path / "s.ckpt")
    expected = []
    for _ in range(15):
        sched.optimizer.step()
        sched.step()
        expected.append(sched.get_last_lr())
    saved = gg.load(tmp_path / "s.ckpt")
    ours = make_optimizer(optim, "sgd", gg.tensor)
    again = CASES[case](S, ours)
    ours.load_state_dict(saved["opt"])
    again.load_state_dict(saved["sched"])
    got = []
    for _ in range(15):
        ours.step()
        again.step()
        got.append(again.get_last_lr())
    np.testing.assert_allclose(got, expected, rtol=1e-15)


CLOSED_FORM = ["step", "multistep", "constant", "linear", "exponential", "polynomial", "cosine"]


@pytest.mark.parametrize("case", CLOSED_FORM)
def test_step_with_an_epoch_uses_the_closed_form_and_warns(case):
    (ours, sched), (theirs, tsched) = pair(case, "sgd")
    for epoch in [3, 1, 10, 10, 25, 4, 0, 17]:
        with pytest.warns(UserWarning, match="epoch parameter"):
            sched.step(epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tsched.step(epoch)
        np.testing.assert_allclose(sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-14)
        assert sched.last_epoch == tsched.last_epoch == epoch


def test_warm_restarts_with_fractional_epochs():
    (ours, sched), (theirs, tsched) = pair("warm_restarts", "adam")
    with warnings.catch_warnings():
        warnings.simplefilter("error")       # no deprecation warning for this scheduler
        for epoch in np.arange(0, 40, 0.35):
            sched.step(float(epoch))
            tsched.step(float(epoch))
            np.testing.assert_allclose(sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-14)
            assert (sched.last_epoch, sched.T_i, sched.T_cur) == \
                (tsched.last_epoch, tsched.T_i, pytest.approx(tsched.T_cur, rel=1e-14))
    with pytest.raises(ValueError, match="non-negative"):
        sched.step(-1)


def test_get_lr_outside_step_warns_like_torch():
    (_, sched), _ = pair("exponential", "sgd")
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()


def test_resuming_from_last_epoch_like_torch():
    (ours, sched), (theirs, tsched) = pair("cosine", "sgd")
    for _ in range(5):
        ours.step()
        theirs.step()
        sched.step()
        tsched.step()
    again = S.CosineAnnealingLR(ours, T_max=7, eta_min=0.01, last_epoch=sched.last_epoch)
    tagain = TS.CosineAnnealingLR(theirs, T_max=7, eta_min=0.01, last_epoch=tsched.last_epoch)
    for _ in range(12):
        np.testing.assert_allclose(again.get_last_lr(), tagain.get_last_lr(), rtol=1e-14)
        ours.step()
        theirs.step()
        again.step()
        tagain.step()


def other_optimizer():
    return optim.SGD([gg.tensor([1.0], requires_grad=True)], lr=0.1)


BAD = [
    (ValueError, lambda o: S.ConstantLR(o, factor=1.5)),
    (ValueError, lambda o: S.LinearLR(o, start_factor=0.0)),
    (ValueError, lambda o: S.LinearLR(o, end_factor=1.5)),
    (ValueError, lambda o: S.CyclicLR(o, 0.01, 0.1, mode="sawtooth")),
    (ValueError, lambda o: S.CyclicLR(o, [0.01], 0.1)),
    (ValueError, lambda o: S.CyclicLR(optim.Adagrad(o.param_groups[0]["params"]), 0.01, 0.1)),
    (ValueError, lambda o: S.CosineAnnealingWarmRestarts(o, T_0=0)),
    (ValueError, lambda o: S.CosineAnnealingWarmRestarts(o, T_0=2.5)),
    (ValueError, lambda o: S.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=0)),
    (ValueError, lambda o: S.CosineAnnealingWarmRestarts(o, T_0=5, eta_min="0")),
    (ValueError, lambda o: S.SequentialLR(o, [S.ExponentialLR(o, 0.9)], milestones=[3])),
    (ValueError, lambda o: S.SequentialLR(o, [], milestones=[])),
    (ValueError, lambda o: S.SequentialLR(o, [S.ExponentialLR(o, 0.9),
                                              S.ReduceLROnPlateau(o)], milestones=[3])),
    (ValueError, lambda o: S.SequentialLR(o, [S.ExponentialLR(o, 0.9),
                                              S.ExponentialLR(other_optimizer(), 0.9)],
                                          milestones=[3])),
    (ValueError, lambda o: S.ChainedScheduler([])),
    (ValueError, lambda o: S.ChainedScheduler([S.ExponentialLR(o, 0.9),
                                               S.ExponentialLR(other_optimizer(), 0.9)])),
    (TypeError, lambda o: S.MultiplicativeLR(o, 0.9)),
    (TypeError, lambda o: S.StepLR("not an optimizer", 3)),
]


@pytest.mark.parametrize("error, bad", BAD)
def test_invalid_arguments_raise(error, bad):
    with pytest.raises(error):
        bad(make_optimizer(optim, "sgd", gg.tensor))


# -- compiled whole training steps -----------------------------------------------------------------

RNG = np.random.default_rng(7)
X = RNG.standard_normal((16, 3))
Y = RNG.standard_normal((16, 2))
COMPILED = {
    "multiplicative": (optim.SGD, lambda o: S.MultiplicativeLR(o, lambda e: 0.97)),
    "constant": (optim.Adam, lambda o: S.ConstantLR(o, factor=0.2, total_iters=6)),
    "linear": (optim.RMSprop, lambda o: S.LinearLR(o, start_factor=0.1, total_iters=10)),
    "polynomial": (optim.NAdam, lambda o: S.PolynomialLR(o, total_iters=25, power=1.5)),
    "cyclic_sgd": (optim.SGD, lambda o: S.CyclicLR(o, 0.005, 0.05, step_size_up=4)),
    "cyclic_adam": (optim.Adam, lambda o: S.CyclicLR(o, 0.005, 0.05, step_size_up=4,
                                                      mode="triangular2")),
    "warm_restarts": (optim.Adamax, lambda o: S.CosineAnnealingWarmRestarts(o, T_0=4,
                                                                            T_mult=2)),
    "sequential": (optim.RAdam, lambda o: S.SequentialLR(
        o, [S.LinearLR(o, 0.1, total_iters=5), S.CosineAnnealingLR(o, T_max=25)],
        milestones=[5])),
    "chained": (optim.Adagrad, lambda o: S.ChainedScheduler([S.ConstantLR(o, 0.5, 8),
                                                            S.ExponentialLR(o, 0.95)])),
}


def train_with(make_opt, make_sched, compiled, steps=30):
    gg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2)).double()
    kwargs = {"momentum": 0.9} if make_opt in (optim.SGD, optim.RMSprop) else {}
    opt = make_opt(model.parameters(), lr=0.05, **kwargs)
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
        sched.step()
    return np.array(losses), lrs, fn


@pytest.mark.parametrize("case", sorted(COMPILED))
def test_compiled_training_step_never_retraces(case):
    make_opt, make_sched = COMPILED[case]
    eager_losses, eager_lrs, _ = train_with(make_opt, make_sched, compiled=False)
    losses, lrs, fn = train_with(make_opt, make_sched, compiled=True)
    assert fn.cache_info().traces == 1
    assert len(set(lrs)) > 1
    assert lrs == eager_lrs
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-12)
