"""Every optimizer against torch.optim: 40 steps of a small tanh network from the same weights,
float64 to 1e-10 and float32 to rounding, eagerly and as one compiled training step (which
equals the eager one); the state after training (names, dtypes, values), state_dict round
trips through gg.save, argument errors, and schedulers that cycle momentum / beta1 under
compile without retracing."""
import warnings

import numpy as np
import pytest

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad import optim
from graphgrad.optim import lr_scheduler as S

torch = pytest.importorskip("torch")

STEPS = 40
RNG = np.random.default_rng(5)
X = RNG.standard_normal((8, 3))
Y = RNG.standard_normal((8, 2))
WEIGHTS = [RNG.standard_normal((4, 3)) * 0.7, RNG.standard_normal(4) * 0.1,
           RNG.standard_normal((2, 4)) * 0.7]
TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-4, atol=2e-6)}

CASES = {
    "adadelta": lambda o, p: o.Adadelta(p),
    "adadelta_wd": lambda o, p: o.Adadelta(p, lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1),
    "adadelta_maximize": lambda o, p: o.Adadelta(p, lr=0.1, maximize=True),
    "adagrad": lambda o, p: o.Adagrad(p, lr=0.1),
    "adagrad_decay_wd_init": lambda o, p: o.Adagrad(p, lr=0.1, lr_decay=0.05, weight_decay=0.1,
                                                    initial_accumulator_value=0.2, eps=1e-8),
    "rmsprop": lambda o, p: o.RMSprop(p, lr=0.01),
    "rmsprop_centered": lambda o, p: o.RMSprop(p, lr=0.01, centered=True),
    "rmsprop_momentum_wd": lambda o, p: o.RMSprop(p, lr=0.005, alpha=0.9, momentum=0.8,
                                                  weight_decay=0.1),
    "rmsprop_centered_momentum_maximize": lambda o, p: o.RMSprop(
        p, lr=0.001, alpha=0.9, centered=True, momentum=0.5, maximize=True),
    "nadam": lambda o, p: o.NAdam(p, lr=0.01),
    "nadam_wd": lambda o, p: o.NAdam(p, lr=0.01, betas=(0.8, 0.99), weight_decay=0.1,
                                     momentum_decay=0.01),
    "nadam_decoupled_maximize": lambda o, p: o.NAdam(p, lr=0.01, weight_decay=0.1,
                                                     decoupled_weight_decay=True, maximize=True),
    "radam": lambda o, p: o.RAdam(p, lr=0.01),
    "radam_wd": lambda o, p: o.RAdam(p, lr=0.01, betas=(0.8, 0.9), weight_decay=0.1),
    "radam_decoupled_maximize": lambda o, p: o.RAdam(p, lr=0.01, weight_decay=0.1,
                                                     decoupled_weight_decay=True, maximize=True),
    "adamax": lambda o, p: o.Adamax(p, lr=0.02),
    "adamax_wd_maximize": lambda o, p: o.Adamax(p, lr=0.02, betas=(0.7, 0.9), eps=1e-6,
                                                weight_decay=0.1, maximize=True),
    "adam_amsgrad": lambda o, p: o.Adam(p, lr=0.02, amsgrad=True, weight_decay=0.1),
    "adam_decoupled": lambda o, p: o.Adam(p, lr=0.02, weight_decay=0.1,
                                          decoupled_weight_decay=True),
    "adam_fused": lambda o, p: o.Adam(p, lr=0.02, fused=True),
    "adamw_amsgrad_maximize": lambda o, p: o.AdamW(p, lr=0.02, amsgrad=True, maximize=True),
    "sgd_nesterov_foreach": lambda o, p: o.SGD(p, lr=0.05, momentum=0.9, nesterov=True,
                                               weight_decay=0.01, foreach=True),
    "sgd_dampening_fused": lambda o, p: o.SGD(p, lr=0.05, momentum=0.9, dampening=0.3,
                                              fused=True),
}


def torch_run(make, dtype, steps=STEPS, schedule=None):
    """[(parameters after each step)], the optimizer (and scheduler)."""
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    params = [torch.tensor(w, dtype=tdtype, requires_grad=True) for w in WEIGHTS]
    x, y = torch.tensor(X, dtype=tdtype), torch.tensor(Y, dtype=tdtype)
    opt = make(torch.optim, params)
    sched = schedule(torch.optim.lr_scheduler, opt) if schedule else None
    out = []
    for _ in range(steps):
        opt.zero_grad()
        w1, b1, w2 = params
        torch.nn.functional.mse_loss(torch.tanh(x @ w1.T + b1) @ w2.T, y).backward()
        opt.step()
        if sched:
            sched.step()
        out.append([p.detach().numpy().copy() for p in params])
    return out, opt


class Run:
    """The same network and problem in graphgrad, eager or as one compiled step."""

    def __init__(self, make, dtype, compiled, schedule=None):
        self.params = [gg.tensor(w.astype(dtype), requires_grad=True) for w in WEIGHTS]
        self.x, self.y = gg.tensor(X.astype(dtype)), gg.tensor(Y.astype(dtype))
        self.opt = make(optim, self.params)
        self.sched = schedule(S, self.opt) if schedule else None
        self.step = gg.compile(self._step) if compiled else self._step

    def _step(self, x, y):
        self.opt.zero_grad()
        w1, b1, w2 = self.params
        loss = F.mse_loss(gg.tanh(x @ w1.T + b1) @ w2.T, y)
        loss.backward()
        self.opt.step()
        return loss

    def train(self, steps):
        out = []
        for _ in range(steps):
            self.step(self.x, self.y)
            if self.sched:
                self.sched.step()
            out.append([p.numpy().copy() for p in self.params])
        return out


def assert_trajectories_close(actual, expected, tol):
    assert len(actual) == len(expected)
    for i, (got, want) in enumerate(zip(actual, expected)):
        for k, (a, e) in enumerate(zip(got, want)):
            assert a.dtype == e.dtype
            np.testing.assert_allclose(a, e, **tol, err_msg=f"step {i + 1}, parameter {k}")


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_torch(case, dtype, compiled):
    expected, _ = torch_run(CASES[case], dtype)
    run = Run(CASES[case], dtype, compiled)
    assert_trajectories_close(run.train(STEPS), expected, TOL[dtype])
    if compiled:
        assert run.step.cache_info().traces == 1


@pytest.mark.parametrize("case", sorted(CASES))
def test_compiled_step_equals_eager_step(case):
    eager = Run(CASES[case], np.float64, False).train(STEPS)
    compiled = Run(CASES[case], np.float64, True).train(STEPS)
    assert_trajectories_close(compiled, eager, dict(rtol=1e-13, atol=1e-15))


@pytest.mark.parametrize("case", sorted(CASES))
def test_state_after_training_matches_torch(case):
    _, topt = torch_run(CASES[case], np.float64, steps=30)
    run = Run(CASES[case], np.float64, compiled=True)
    run.train(30)
    mine, theirs = run.opt.state_dict(), topt.state_dict()
    for g, tg in zip(mine["param_groups"], theirs["param_groups"]):
        assert set(g) == set(tg)
        for k in tg:
            assert g[k] == tg[k] or k == "params", k
    assert sorted(mine["state"]) == sorted(theirs["state"])
    for i, tstate in theirs["state"].items():
        state = {k: v for k, v in mine["state"][i].items() if k != "started"}  # SGD's flag
        assert sorted(state) == sorted(tstate)
        for name, tvalue in tstate.items():
            value = state[name].numpy()
            assert value.dtype == tvalue.numpy().dtype, name    # step, mu_product: float32
            np.testing.assert_allclose(value, tvalue.numpy(), rtol=1e-10, atol=1e-12,
                                       err_msg=name)
        if "step" in tstate:
            assert state["step"].item() == 30.0


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_state_dict_round_trip_resumes_exactly(case, compiled, tmp_path):
    full = Run(CASES[case], np.float64, compiled).train(20)
    first = Run(CASES[case], np.float64, compiled)
    first.train(10)
    gg.save({"params": [p.numpy() for p in first.params], "opt": first.opt.state_dict()},
            tmp_path / "ckpt")
    first.train(3)      # moves on; the checkpoint does not
    saved = gg.load(tmp_path / "ckpt")
    second = Run(CASES[case], np.float64, compiled)
    second.train(2)     # a compiled step already bound to its state tensors
    with gg.no_grad():
        for p, value in zip(second.params, saved["params"]):
            p.copy_(gg.tensor(value))
    second.opt.load_state_dict(saved["opt"])
    for state in second.opt.state.values():
        if "step" in state:
            assert state["step"].dtype == np.float32 and state["step"].item() == 10.0
    assert_trajectories_close(second.train(10), full[10:], dict(rtol=1e-13, atol=1e-15))
    if compiled:
        assert second.step.cache_info().traces == 1


BAD = [
    ("Adadelta", dict(lr=-1.0)), ("Adadelta", dict(rho=1.5)), ("Adadelta", dict(rho=-0.1)),
    ("Adadelta", dict(eps=-1e-6)), ("Adadelta", dict(weight_decay=-0.1)),
    ("Adagrad", dict(lr=-0.1)), ("Adagrad", dict(lr_decay=-0.1)),
    ("Adagrad", dict(weight_decay=-1.0)), ("Adagrad", dict(initial_accumulator_value=-1.0)),
    ("Adagrad", dict(eps=-1.0)), ("Adagrad", dict(fused=True, foreach=True)),
    ("Adagrad", dict(fused=True, differentiable=True)),
    ("RMSprop", dict(lr=-0.1)), ("RMSprop", dict(eps=-1.0)), ("RMSprop", dict(momentum=-0.5)),
    ("RMSprop", dict(weight_decay=-0.5)), ("RMSprop", dict(alpha=-0.5)),
    ("NAdam", dict(lr=-0.1)), ("NAdam", dict(eps=-1.0)), ("NAdam", dict(betas=(1.0, 0.9))),
    ("NAdam", dict(betas=(0.9, -0.1))), ("NAdam", dict(weight_decay=-0.1)),
    ("NAdam", dict(momentum_decay=-0.1)),
    ("RAdam", dict(lr=-0.1)), ("RAdam", dict(eps=-1.0)), ("RAdam", dict(betas=(-0.1, 0.9))),
    ("RAdam", dict(betas=(0.9, 1.0))), ("RAdam", dict(weight_decay=-0.1)),
    ("Adamax", dict(lr=-0.1)), ("Adamax", dict(eps=-1.0)), ("Adamax", dict(betas=(1.5, 0.9))),
    ("Adamax", dict(betas=(0.9, 1.0))), ("Adamax", dict(weight_decay=-0.1)),
    ("Adam", dict(betas=(0, 0.9))), ("Adam", dict(fused=True, foreach=True)),
    ("AdamW", dict(fused=True, differentiable=True)), ("Adam", dict(eps=-1.0)),
    ("SGD", dict(lr=0.1, momentum=-1.0)), ("SGD", dict(lr=0.1, weight_decay=-1.0)),
    ("SGD", dict(lr=0.1, nesterov=True)), ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1,
                                                       nesterov=True)),
    ("SGD", dict(lr=0.1, fused=True, foreach=True)),
]


@pytest.mark.parametrize("name, kwargs", BAD, ids=[f"{n}-{sorted(k)}" for n, k in BAD])
def test_bad_hyperparameters_raise_like_torch(name, kwargs):
    with pytest.raises(Exception) as theirs:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)
    with pytest.raises(Exception) as mine:
        getattr(optim, name)([gg.zeros(2, requires_grad=True)], **kwargs)
    assert mine.type is theirs.type
    assert str(theirs.value) in str(mine.value)      # torch's message, plus the rule


@pytest.mark.parametrize("name", ["Adadelta", "Adagrad", "RMSprop", "NAdam", "RAdam", "Adamax"])
def test_empty_parameter_list_raises(name):
    with pytest.raises(ValueError, match="empty"):
        getattr(optim, name)([])


def test_defaults_are_torchs():
    w, tw = gg.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    for name in ("Adadelta", "Adagrad", "RMSprop", "NAdam", "RAdam", "Adamax", "Adam", "AdamW"):
        mine = getattr(optim, name)([w]).param_groups[0]
        theirs = getattr(torch.optim, name)([tw]).param_groups[0]
        assert {k: v for k, v in mine.items() if k != "params"} == \
            {k: v for k, v in theirs.items() if k != "params"}, name


def test_adagrad_state_exists_from_construction_like_torch():
    w = gg.zeros((2, 3), requires_grad=True)
    opt = optim.Adagrad([w], initial_accumulator_value=0.25)
    state = opt.state_dict()["state"][0]
    assert sorted(state) == ["step", "sum"]
    np.testing.assert_array_equal(state["sum"].numpy(), np.full((2, 3), 0.25, np.float32))
    assert state["step"].dtype == np.float32 and state["step"].item() == 0.0


@pytest.mark.parametrize("name", ["Adam", "NAdam", "RAdam", "Adamax", "Adadelta", "RMSprop"])
def test_step_counter_is_float32_for_float16_parameters(name):
    """A float16 counter would stick at 2048 (2048 + 1 rounds back to 2048)."""
    w = gg.tensor(np.ones(3, np.float16), requires_grad=True)
    opt = getattr(optim, name)([w], lr=1e-4)
    w.grad = gg.tensor(np.ones(3, np.float16))
    opt.step()
    state = opt.state_dict()
    state["state"][0]["step"] = gg.tensor(np.float32(2500.0))
    opt.load_state_dict(state)
    step = opt.state[w]["step"]
    assert step.dtype == np.float32 and step.item() == 2500.0
    opt.step()
    opt.step()
    assert step.dtype == np.float32 and step.item() == 2502.0
    assert w.dtype == np.float16


def test_nadam_mu_product_is_float32_in_every_mode():
    w = gg.tensor(np.ones(3), requires_grad=True)
    opt = optim.NAdam([w])
    w.grad = gg.tensor(np.ones(3))
    opt.step()
    mu_product = opt.state[w]["mu_product"]
    assert mu_product.dtype == np.float32
    opt.load_state_dict(opt.state_dict())
    assert opt.state[w]["mu_product"] is mu_product and mu_product.dtype == np.float32


def test_adamw_loading_an_adam_checkpoint_stays_decoupled():
    w = gg.zeros(2, requires_grad=True)
    state = optim.Adam([w]).state_dict()
    opt = optim.AdamW([gg.zeros(2, requires_grad=True)])
    opt.load_state_dict(state)
    assert opt.param_groups[0]["decoupled_weight_decay"] is True


# -- schedulers that move momentum / beta1 under compile ------------------------------------------

SCHEDULED = {
    "rmsprop_cyclic": (lambda o, p: o.RMSprop(p, lr=0.01, momentum=0.9),
                       lambda s, o: s.CyclicLR(o, base_lr=0.001, max_lr=0.01, step_size_up=5)),
    "nadam_cyclic_exp": (lambda o, p: o.NAdam(p, lr=0.01),
                         lambda s, o: s.CyclicLR(o, base_lr=0.001, max_lr=0.02, step_size_up=4,
                                                 mode="exp_range", gamma=0.98)),
    "radam_onecycle": (lambda o, p: o.RAdam(p), lambda s, o: s.OneCycleLR(o, max_lr=0.05,
                                                                         total_steps=STEPS)),
    "adamax_warm_restarts": (lambda o, p: o.Adamax(p, lr=0.05),
                             lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=6, T_mult=2)),
    "adagrad_sequential": (lambda o, p: o.Adagrad(p, lr=0.1, lr_decay=0.01),
                           lambda s, o: s.SequentialLR(o, [s.LinearLR(o, 0.1, total_iters=8),
                                                           s.PolynomialLR(o, 40, power=2.0)],
                                                       milestones=[8])),
    "adadelta_chained": (lambda o, p: o.Adadelta(p),
                         lambda s, o: s.ChainedScheduler([s.ConstantLR(o, 0.5, total_iters=6),
                                                          s.ExponentialLR(o, gamma=0.95)])),
}


@pytest.mark.parametrize("case", sorted(SCHEDULED))
def test_scheduled_compiled_training_matches_torch_without_retracing(case):
    make, schedule = SCHEDULED[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # torch warns about the order of the steps
        expected, _ = torch_run(make, np.float64, schedule=schedule)
    run = Run(make, np.float64, compiled=True, schedule=schedule)
    assert_trajectories_close(run.train(STEPS), expected, TOL[np.float64])
    assert run.step.cache_info().traces == 1
