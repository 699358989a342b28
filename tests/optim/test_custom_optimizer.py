"""A user-written optimizer in the usual PyTorch style (lazily created `self.state[p]`,
hyperparameters read from `param_groups`, a scheduler changing `group["lr"]`) trains the same
compiled, eager and in torch."""
import numpy as np
import pytest

import graphgrad as gg


def momentum_sgd_class(lib):
    """The same source for torch and graphgrad: only the library differs."""

    class MomentumSGD(lib.optim.Optimizer):
        def __init__(self, params, lr=0.1, momentum=0.9, decay=0.01):
            super().__init__(params, dict(lr=lr, momentum=momentum, decay=decay))

        @lib.no_grad()
        def step(self):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:                       # created on the first step
                        state["step"] = 0
                        state["buf"] = p.grad.clone()
                    else:
                        state["buf"].mul_(group["momentum"]).add_(p.grad)
                    state["step"] += 1
                    scale = 1.0 / (1.0 + group["decay"] * state["step"])
                    p.add_(state["buf"], alpha=-group["lr"] * scale)
    return MomentumSGD


def _train(lib, compiled, steps=50, lr_changes=None, dtype=np.float64):
    rng = np.random.default_rng(0)
    W1, W2 = rng.standard_normal((3, 8)), rng.standard_normal((8, 2))
    X, Y = rng.standard_normal((16, 3)), rng.standard_normal((16, 2))
    w1 = lib.tensor(W1.astype(dtype), requires_grad=True)
    w2 = lib.tensor(W2.astype(dtype), requires_grad=True)
    opt = momentum_sgd_class(lib)([{"params": [w1]}, {"params": [w2], "momentum": 0.5}], lr=0.05)
    x, y = lib.tensor(X.astype(dtype)), lib.tensor(Y.astype(dtype))

    def step(x, y):
        opt.zero_grad()
        loss = ((lib.tanh(x @ w1) @ w2 - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss
    fn = gg.compile(step) if compiled else step
    losses = []
    for i in range(steps):
        for group_lr in (lr_changes or {}).get(i, ()):
            index, lr = group_lr
            opt.param_groups[index]["lr"] = lr                  # what a scheduler does
        losses.append(float(fn(x, y).detach()))
    weights = [w.detach().numpy().copy() for w in (w1, w2)]
    return np.array(losses), weights, opt, fn


LR_CHANGES = {10: [(0, 0.02)], 25: [(1, 0.0)], 40: [(0, 0.1), (1, 0.03)]}


def test_fifty_steps_compiled_equal_eager_equal_torch():
    torch = pytest.importorskip("torch")
    t_loss, t_w, _, _ = _train(torch, False, lr_changes=LR_CHANGES)
    e_loss, e_w, _, _ = _train(gg, False, lr_changes=LR_CHANGES)
    c_loss, c_w, opt, fn = _train(gg, True, lr_changes=LR_CHANGES)
    np.testing.assert_allclose(e_loss, t_loss, rtol=1e-10)
    np.testing.assert_allclose(c_loss, t_loss, rtol=1e-10)
    for e, c, t in zip(e_w, c_w, t_w):
        np.testing.assert_allclose(e, t, rtol=1e-10)
        np.testing.assert_allclose(c, t, rtol=1e-10)


def test_state_persists_and_lr_changes_are_runtime_inputs():
    e_loss, e_w, e_opt, _ = _train(gg, False, lr_changes=LR_CHANGES)
    c_loss, c_w, c_opt, fn = _train(gg, True, lr_changes=LR_CHANGES)
    np.testing.assert_allclose(c_loss, e_loss, rtol=1e-12)
    # the first call creates the state (one trace), later calls reuse the graph that updates it
    assert fn.cache_info().traces == 2
    for p_state_e, p_state_c in zip(e_opt.state.values(), c_opt.state.values()):
        assert p_state_c["step"] == p_state_e["step"] == 50
        assert type(p_state_c["step"]) is int
        np.testing.assert_allclose(p_state_c["buf"].numpy(), p_state_e["buf"].numpy(),
                                   rtol=1e-12)
    saved = c_opt.state_dict()
    assert len(saved["state"]) == 2 and saved["param_groups"][0]["lr"] == 0.1


def test_lr_zero_leaves_the_weights_where_they_are():
    _, _, opt, fn = _train(gg, True, steps=3)
    w = opt.param_groups[0]["params"][0]
    for group in opt.param_groups:
        group["lr"] = 0.0
    before = w.numpy().copy()
    x, y = gg.randn(16, 3, dtype=np.float64), gg.randn(16, 2, dtype=np.float64)
    for _ in range(3):
        fn(x, y)
    np.testing.assert_array_equal(w.numpy(), before)
    assert opt.state[w]["step"] == 6


def test_compiled_state_loads_back_into_an_eager_run():
    _, c_w, c_opt, _ = _train(gg, True, steps=20)
    saved = c_opt.state_dict()
    _, _, e_opt, _ = _train(gg, False, steps=1)
    e_opt.load_state_dict(saved)
    for a, b in zip(c_opt.state.values(), e_opt.state.values()):
        assert a["step"] == b["step"] == 20
        np.testing.assert_array_equal(a["buf"].numpy(), b["buf"].numpy())
