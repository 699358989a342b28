"""Activation modules against torch's: the same repr (names, arguments, extra_repr), forward
values and gradients eagerly and compiled (gg.compile(module)), `inplace=True`, PReLU's
learnable weight (state_dict, gradients, an optimizer step), RReLU's random slopes in training
mode and its mean slope in eval mode, Softmin's legacy dim."""
import warnings

import numpy as np
import pytest

import graphgrad as gg
from graphgrad import nn, optim

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(61)
F32, F64 = np.dtype(np.float32), np.dtype(np.float64)
TOL = {F32: {"rtol": 2e-5, "atol": 2e-6}, F64: {"rtol": 1e-10, "atol": 1e-12}}
EDGES = np.array([-np.inf, -6.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, np.inf])

# (args, kwargs) shared by both libraries
MODULES = {
    "ReLU": ((), {}), "ReLU6": ((), {}), "Hardtanh": ((-2.0, 0.5), {}),
    "Hardsigmoid": ((), {}), "Hardswish": ((), {}), "ELU": ((0.5,), {}), "CELU": ((1.5,), {}),
    "SELU": ((), {}), "LeakyReLU": ((0.2,), {}), "SiLU": ((), {}), "Mish": ((), {}),
    "Softsign": ((), {}), "Tanhshrink": ((), {}), "LogSigmoid": ((), {}),
    "Softshrink": ((0.3,), {}), "Hardshrink": ((0.7,), {}), "Threshold": ((0.1, 20.0), {}),
    "GLU": ((), {"dim": 1}), "Softmin": ((), {"dim": -1}), "RReLU": ((0.1, 0.3), {}),
    "PReLU": ((), {"num_parameters": 4, "init": 0.1}),
}
INPLACE = ["ReLU", "ReLU6", "Hardtanh", "Hardsigmoid", "Hardswish", "ELU", "CELU", "SELU",
           "LeakyReLU", "SiLU", "Mish", "Threshold", "RReLU"]


def pair(name, *args, **kwargs):
    return getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)


def inputs(dtype):
    x = RNG.uniform(-5, 5, (3, 4, 6))
    x.reshape(-1)[:EDGES.size] = EDGES
    return x.astype(dtype)


@pytest.mark.parametrize("name", MODULES)
def test_repr_matches_torch(name):
    args, kwargs = MODULES[name]
    g, t = pair(name, *args, **kwargs)
    assert repr(g) == repr(t)
    if name in INPLACE:
        g, t = pair(name, *args, inplace=True, **kwargs)
        assert repr(g) == repr(t)
        assert g.inplace


@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", MODULES)
def test_forward_and_gradients_match_torch_eager_and_compiled(name, dtype):
    args, kwargs = MODULES[name]
    g, t = pair(name, *args, **kwargs)
    g.eval()
    t.eval()
    if dtype == F64:
        g.double()
        t.double()
    for p_g, p_t in zip(g.parameters(), t.parameters()):
        p_t.data = torch.from_numpy(p_g.numpy().copy())
    x = inputs(dtype)
    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    want = t(tx)
    w = RNG.uniform(-1, 1, tuple(want.shape)).astype(dtype)
    (want * torch.from_numpy(w)).sum().backward()
    for run in (g, gg.compile(g)):
        g.zero_grad()
        gx = gg.tensor(x, requires_grad=True)
        got = run(gx)
        (got * gg.tensor(w)).sum().backward()
        assert got.dtype == dtype
        np.testing.assert_allclose(got.numpy(), want.detach().numpy(), equal_nan=True,
                                   **TOL[dtype])
        np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), equal_nan=True,
                                   **TOL[dtype])
        for p_g, p_t in zip(g.parameters(), t.parameters()):
            np.testing.assert_allclose(p_g.grad.numpy(), p_t.grad.numpy(), **TOL[dtype])


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_modules_update_a_computed_input_like_torch(name):
    args, kwargs = MODULES[name]
    g, t = pair(name, *args, inplace=True, **kwargs)
    g.eval()
    t.eval()
    x = inputs(F32)
    gx, tx = gg.tensor(x, requires_grad=True), torch.from_numpy(x.copy()).requires_grad_(True)
    gy, ty = gx * 2.0, tx * 2.0
    assert g(gy) is gy and t(ty) is ty
    gy.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(gy.numpy(), ty.detach().numpy(), **TOL[F32])
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), **TOL[F32])
    compiled = gg.compile(lambda v: g(v * 2.0))
    np.testing.assert_allclose(compiled(gg.tensor(x)).numpy(), ty.detach().numpy(), **TOL[F32])


def test_prelu_weight_is_a_parameter_that_trains_like_torch():
    g, t = pair("PReLU", 3, 0.2)
    assert list(g.state_dict()) == list(t.state_dict()) == ["weight"]
    assert g.weight.shape == (3,) and np.all(g.weight.numpy() == np.float32(0.2))
    x = RNG.uniform(-2, 2, (4, 3, 5)).astype(np.float32)
    opt_g, opt_t = optim.SGD(g.parameters(), lr=0.5), torch.optim.SGD(t.parameters(), lr=0.5)

    @gg.compile
    def step(v):
        opt_g.zero_grad()
        loss = (g(v) ** 2).mean()
        loss.backward()
        opt_g.step()
        return loss

    for _ in range(3):
        opt_t.zero_grad()
        loss_t = (t(torch.from_numpy(x)) ** 2).mean()
        loss_t.backward()
        opt_t.step()
        np.testing.assert_allclose(step(gg.tensor(x)).numpy(), loss_t.item(), rtol=1e-5)
    np.testing.assert_allclose(g.weight.numpy(), t.weight.detach().numpy(), rtol=1e-5)
    with pytest.raises(ValueError, match="CPU"):
        nn.PReLU(device="cuda")


def test_rrelu_draws_slopes_in_training_and_uses_the_mean_in_eval():
    m = nn.RReLU(0.1, 0.3)
    x = -gg.ones(20000)
    slopes = -m(x).numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3
    assert abs(slopes.mean() - 0.2) < 0.005 and slopes.std() > 0.05
    np.testing.assert_array_equal(m(gg.tensor([2.0, 0.0])).numpy(), [2.0, 0.0])
    compiled = gg.compile(m)
    first, second = compiled(x).numpy(), compiled(x).numpy()
    assert not np.array_equal(first, second)              # new slopes at every call
    assert first.min() >= -0.3 and first.max() <= -0.1
    m.eval()
    np.testing.assert_allclose(m(x).numpy(), -0.2, rtol=1e-6)
    xg = gg.tensor([-1.0, 2.0], requires_grad=True)
    m.train()
    y = m(xg)
    y.sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), [-y.numpy()[0], 1.0], rtol=1e-6)


def test_softmin_default_dim_is_torchs_legacy_choice():
    for shape in [(5,), (3, 4), (2, 3, 4), (2, 3, 4, 5)]:
        x = RNG.uniform(-2, 2, shape).astype(np.float32)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")        # torch warns about the implicit dim
            want = torch.nn.Softmin()(torch.from_numpy(x)).numpy()
        np.testing.assert_allclose(nn.Softmin()(gg.tensor(x)).numpy(), want, rtol=1e-5)
