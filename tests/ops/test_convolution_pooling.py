"""Convolution, pooling and padding: PyTorch as an oracle (skipped when it is not installed) for
the functions and the layers, forward and backward; the layers' initialization; a small CNN
whose compiled training step equals eager training; gradients of gradients; error messages.
"""
import math

import numpy as np
import pytest

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad import nn, optim
from graphgrad.ops import convolution as C
from graphgrad.ops import padding as PD
from graphgrad.ops import pooling as P

TOL = {np.float32: (1e-4, 1e-3), np.float64: (1e-10, 1e-10)}   # (forward, gradients) rtol
DTYPES = [pytest.param(np.float32, id="f32"), pytest.param(np.float64, id="f64")]


@pytest.fixture(scope="module")
def torch():
    """PyTorch on one thread: small ops, and its spinning workers would slow NumPy's BLAS."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(threads)


def rand(*shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def close(actual, expected, rtol, what=""):
    """Within rtol of the expected values, relative to their scale."""
    actual = actual.numpy() if isinstance(actual, gg.Tensor) else np.asarray(actual)
    expected = expected.detach().numpy() if hasattr(expected, "detach") else expected
    assert actual.shape == tuple(expected.shape), f"{what}: {actual.shape} vs {expected.shape}"
    assert actual.dtype == expected.dtype, f"{what}: {actual.dtype} vs {expected.dtype}"
    scale = max(float(np.abs(expected).max()), 1e-30) if expected.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=what)


def both(torch, fn_gg, fn_torch, arrays, dtype):
    """Run a function eagerly in graphgrad and in torch with gradients of every input, against
    one random output cotangent; compare values and gradients."""
    fwd, bwd = TOL[dtype]
    xs = [gg.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    ts = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    out, tout = fn_gg(*xs), fn_torch(*ts)
    close(out, tout, fwd, "forward")
    cot = rand(*tout.shape, dtype=dtype, seed=1)
    (out * gg.tensor(cot)).sum().backward()
    tout.backward(torch.tensor(cot))
    for i, (x, t) in enumerate(zip(xs, ts)):
        close(x.grad, t.grad, bwd, f"gradient of input {i}")


# -- functions against torch ------------------------------------------------------------------

CONV_CONFIGS = [
    # (in, out, kernel, stride, padding, dilation, groups, (H, W), bias)
    (3, 5, 3, 1, 0, 1, 1, (8, 9), True),
    (4, 6, (3, 2), 2, (1, 2), 1, 2, (9, 7), False),
    (4, 4, 3, 1, "same", 2, 1, (8, 8), True),
    (3, 4, 4, 1, "same", 1, 1, (6, 7), False),
    (3, 4, 3, 1, "valid", 1, 1, (5, 5), True),
    (6, 6, 3, 1, 1, 1, 6, (7, 7), True),              # depthwise
    (3, 6, 3, 2, 1, 1, 3, (8, 8), False),             # depthwise, channel multiplier 2
    (2, 4, 5, (3, 2), 2, (1, 2), 1, (11, 10), True),
    (4, 8, 1, 1, 0, 1, 2, (5, 5), True),
    (16, 8, 3, 1, 1, 1, 1, (12, 12), True),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")   # torch's note on even kernels
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cfg", CONV_CONFIGS, ids=str)
def test_conv2d_matches_torch(torch, cfg, dtype):
    cin, cout, k, s, p, d, g, hw, bias = cfg
    kk = (k, k) if isinstance(k, int) else k
    arrays = [rand(2, cin, *hw), rand(cout, cin // g, *kk, seed=2)] + \
        ([rand(cout, seed=3)] if bias else [])
    both(torch, lambda *a: F.conv2d(*a, stride=s, padding=p, dilation=d, groups=g),
         lambda *a: torch.nn.functional.conv2d(*a, stride=s, padding=p, dilation=d, groups=g),
         arrays, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cfg", [(4, 3, 3, 2, 1, 1, 1, 1), (4, 6, (2, 3), (2, 1), (1, 0), (1, 0),
                                                           2, 1),
                                 (2, 2, 3, 1, 0, 0, 1, 2)], ids=str)
def test_conv_transpose2d_matches_torch(torch, cfg, dtype):
    cin, cout, k, s, p, op, g, d = cfg
    kk = (k, k) if isinstance(k, int) else k
    arrays = [rand(2, cin, 5, 6), rand(cin, cout // g, *kk, seed=2), rand(cout, seed=3)]
    both(torch, lambda *a: F.conv_transpose2d(*a, s, p, op, g, d),
         lambda *a: torch.nn.functional.conv_transpose2d(*a, s, p, op, g, d), arrays, dtype)


def test_conv2d_gradient_functions_match_torch_nn_grad(torch):
    x, w = rand(2, 4, 9, 8), rand(6, 2, 3, 3, seed=2)
    kw = {"stride": 2, "padding": 1, "dilation": (1, 2), "groups": 2}
    out = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), **kw)
    g = rand(*out.shape, seed=4)
    close(C.conv2d_input(x.shape, gg.tensor(w), gg.tensor(g), **kw),
          torch.nn.grad.conv2d_input(x.shape, torch.tensor(w), torch.tensor(g), **kw), 1e-10)
    close(C.conv2d_weight(gg.tensor(x), w.shape, gg.tensor(g), **kw),
          torch.nn.grad.conv2d_weight(torch.tensor(x), w.shape, torch.tensor(g), **kw), 1e-10)


MAXPOOL_CONFIGS = [
    # (kernel, stride, padding, dilation, ceil_mode, (H, W))
    (2, None, 0, 1, False, (8, 8)),
    (3, 2, 1, 1, True, (7, 8)),
    (3, 2, 1, 2, True, (10, 9)),
    ((2, 3), (2, 1), (1, 1), 1, False, (6, 7)),
    (3, 3, 0, 1, True, (8, 8)),
    (2, 2, 1, 1, True, (5, 6)),
    (3, 1, 1, 1, False, (5, 5)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cfg", MAXPOOL_CONFIGS, ids=str)
def test_max_pool2d_matches_torch(torch, cfg, dtype):
    k, s, p, d, ceil, hw = cfg
    both(torch, lambda x: F.max_pool2d(x, k, s, p, d, ceil),
         lambda x: torch.nn.functional.max_pool2d(x, k, s, p, d, ceil), [rand(2, 3, *hw)], dtype)


@pytest.mark.parametrize("cfg", MAXPOOL_CONFIGS, ids=str)
def test_max_pool2d_ties_send_the_gradient_to_the_first_maximum_like_torch(torch, cfg):
    k, s, p, d, ceil, hw = cfg
    x = np.random.default_rng(5).integers(0, 3, (2, 2) + hw).astype(np.float32)   # many ties
    x[0, 0] = 1.0                                                                  # all tied
    both(torch, lambda t: F.max_pool2d(t, k, s, p, d, ceil),
         lambda t: torch.nn.functional.max_pool2d(t, k, s, p, d, ceil), [x], np.float32)
    compiled = gg.grad(lambda t: (F.max_pool2d(t, k, s, p, d, ceil) * 1.5).sum())
    t = torch.tensor(x, requires_grad=True)
    (torch.nn.functional.max_pool2d(t, k, s, p, d, ceil) * 1.5).sum().backward()
    np.testing.assert_array_equal(compiled(gg.tensor(x)).numpy(), t.grad.numpy())


AVGPOOL_CONFIGS = [
    # (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override, (H, W))
    (2, None, 0, False, True, None, (8, 8)),
    (3, 2, 1, True, True, None, (7, 8)),
    (3, 2, 1, True, False, None, (7, 8)),
    ((2, 3), (2, 1), (1, 1), False, False, None, (6, 7)),
    (3, 3, 1, True, True, None, (8, 8)),
    (3, 2, 1, True, False, 5, (8, 9)),
    (2, 2, 1, True, True, None, (5, 6)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cfg", AVGPOOL_CONFIGS, ids=str)
def test_avg_pool2d_matches_torch(torch, cfg, dtype):
    k, s, p, ceil, inc, div, hw = cfg
    both(torch, lambda x: F.avg_pool2d(x, k, s, p, ceil, inc, div),
         lambda x: torch.nn.functional.avg_pool2d(x, k, s, p, ceil, inc, div),
         [rand(2, 3, *hw)], dtype)


PAD_CONFIGS = [
    ((2, 3, 4), (1, 2), "constant", 0.5),
    ((2, 3, 4, 5), (1, -1, 2, 0), "constant", None),
    ((2, 3, 4, 5), (0, 0, 1, 1, 2, 0), "constant", -1.0),
    ((2, 3, 4, 5), (2, 1, 1, 2), "reflect", None),
    ((2, 3, 6), (3, 2), "reflect", None),
    ((2, 3, 4, 5), (3, 1, 0, 2), "replicate", None),
    ((2, 3, 4, 5), (1, 2, 2, 1), "circular", None),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cfg", PAD_CONFIGS, ids=str)
def test_pad_matches_torch(torch, cfg, dtype):
    shape, pads, mode, value = cfg
    kw = {} if value is None else {"value": value}
    both(torch, lambda x: F.pad(x, pads, mode, **kw),
         lambda x: torch.nn.functional.pad(x, pads, mode, **kw), [rand(*shape)], dtype)

# -- layers -------------------------------------------------------------------------------------


def _copy_params(module, tmodule, torch):
    with torch.no_grad():
        for name, p in module.named_parameters():
            tmodule.get_parameter(name).copy_(torch.tensor(p.numpy()))


LAYERS = [
    ("conv", lambda: nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2),
     lambda tnn: tnn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2)),
    ("conv-same-dilated-no-bias", lambda: nn.Conv2d(4, 3, (3, 2), padding="same", dilation=2,
                                                    bias=False),
     lambda tnn: tnn.Conv2d(4, 3, (3, 2), padding="same", dilation=2, bias=False)),
    ("conv-reflect", lambda: nn.Conv2d(4, 5, 3, padding=(1, 2), padding_mode="reflect"),
     lambda tnn: tnn.Conv2d(4, 5, 3, padding=(1, 2), padding_mode="reflect")),
    ("conv-replicate-same", lambda: nn.Conv2d(4, 5, 4, padding="same",
                                              padding_mode="replicate"),
     lambda tnn: tnn.Conv2d(4, 5, 4, padding="same", padding_mode="replicate")),
    ("conv-circular", lambda: nn.Conv2d(4, 4, 3, padding=1, padding_mode="circular", groups=4),
     lambda tnn: tnn.Conv2d(4, 4, 3, padding=1, padding_mode="circular", groups=4)),
    ("maxpool", lambda: nn.MaxPool2d(3, 2, padding=1, ceil_mode=True),
     lambda tnn: tnn.MaxPool2d(3, 2, padding=1, ceil_mode=True)),
    ("avgpool", lambda: nn.AvgPool2d(2, padding=1, count_include_pad=False),
     lambda tnn: tnn.AvgPool2d(2, padding=1, count_include_pad=False)),
    ("flatten", lambda: nn.Flatten(), lambda tnn: tnn.Flatten()),
    ("flatten-range", lambda: nn.Flatten(0, 2), lambda tnn: tnn.Flatten(0, 2)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, make, make_torch", LAYERS, ids=[entry[0] for entry in LAYERS])
def test_layers_match_torch_eager_and_compiled(torch, name, make, make_torch, dtype):
    fwd, bwd = TOL[dtype]
    gg.manual_seed(0)
    module = make().to(dtype)
    tmodule = make_torch(torch.nn).to(torch.float32 if dtype == np.float32 else torch.float64)
    _copy_params(module, tmodule, torch)
    x = rand(2, 4, 7, 9, dtype=dtype)
    tx = torch.tensor(x, requires_grad=True)
    tout = tmodule(tx)
    cot = rand(*tout.shape, dtype=dtype, seed=1)
    tout.backward(torch.tensor(cot))
    expected = {n: p.grad for n, p in tmodule.named_parameters()}
    for run in (module, gg.compile(module)):
        module.zero_grad()
        t = gg.tensor(x, requires_grad=True)
        out = run(t)
        close(out, tout, fwd, f"{name} forward")
        (out * gg.tensor(cot)).sum().backward()
        close(t.grad, tx.grad, bwd, f"{name} input gradient")
        for n, p in module.named_parameters():
            close(p.grad, expected[n], bwd, f"{name} gradient of {n}")


@pytest.mark.parametrize("args, kwargs", [((16, 32, 3), {}), ((8, 16, (3, 5)), {"groups": 4}),
                                          ((6, 6, 5), {"groups": 6, "bias": False})])
def test_conv2d_init_follows_pytorch(args, kwargs):
    """kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as does the bias."""
    gg.manual_seed(0)
    conv = nn.Conv2d(*args, **kwargs)
    cin, cout, k = args
    k = (k, k) if isinstance(k, int) else k
    groups = kwargs.get("groups", 1)
    assert conv.weight.shape == (cout, cin // groups) + k and conv.weight.dtype == gg.float32
    bound = 1.0 / math.sqrt(cin // groups * k[0] * k[1])
    w = conv.weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert abs(w.mean()) < 0.1 * bound
    assert abs(w.var() / (bound ** 2 / 3) - 1) < 0.25       # the variance of U(-b, b)
    if kwargs.get("bias", True):
        b = conv.bias.numpy()
        assert b.shape == (cout,) and np.abs(b).max() <= bound
        assert len(np.unique(b)) == cout
    else:
        assert conv.bias is None and [n for n, _ in conv.named_parameters()] == ["weight"]
    again = nn.Conv2d(*args, **kwargs)
    assert not np.array_equal(again.weight.numpy(), w)


def test_conv2d_init_bound_equals_torch(torch):
    torch.manual_seed(0)
    for cin, cout, k, groups in [(16, 32, 3, 1), (8, 16, 5, 4)]:
        t = torch.nn.Conv2d(cin, cout, k, groups=groups)
        g = nn.Conv2d(cin, cout, k, groups=groups)
        for tp, p in ((t.weight, g.weight), (t.bias, g.bias)):
            tmax, gmax = float(tp.detach().abs().max()), float(np.abs(p.numpy()).max())
            bound = 1.0 / math.sqrt(cin // groups * k * k)
            assert tmax <= bound and gmax <= bound
            assert tp.shape == p.shape


def test_conv2d_float64_and_state_dict():
    conv = nn.Conv2d(3, 4, 3, dtype=gg.float64)
    assert conv.weight.dtype == gg.float64 and conv.bias.dtype == gg.float64
    assert list(conv.state_dict()) == ["weight", "bias"]
    assert "Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1))" in repr(conv)
    out = conv(gg.tensor(rand(2, 3, 5, 5)))
    assert out.shape == (2, 4, 3, 3) and out.dtype == gg.float64

# -- a small CNN: compiled training step == eager, and == torch ---------------------------------


def _cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
                         nn.Flatten(), nn.Linear(8 * 2 * 2, 3))


def _cnn_data(dtype, n_batches=3, batch=16):
    rng = np.random.default_rng(7)
    ys = [rng.integers(0, 3, batch) for _ in range(n_batches)]
    xs = [rng.standard_normal((batch, 1, 8, 8)) for _ in range(n_batches)]
    for x, y in zip(xs, ys):      # class k: a brighter quadrant k, learnable in a few steps
        for i, k in enumerate(y):
            x[i, 0, 4 * (k // 2):4 * (k // 2) + 4, 4 * (k % 2):4 * (k % 2) + 4] += 1.5
    return [x.astype(dtype) for x in xs], ys


def _train_cnn(dtype, compiled, steps=20):
    gg.manual_seed(0)
    model = _cnn().to(dtype)
    initial = {n: p.numpy().copy() for n, p in model.named_parameters()}
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    body_runs = []

    def step(x, y):
        body_runs.append(1)
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    fn = gg.compile(step) if compiled else step
    xs, ys = _cnn_data(dtype)
    losses = [fn(gg.tensor(xs[i % 3]), gg.tensor(ys[i % 3])).item() for i in range(steps)]
    params = {n: p.numpy().copy() for n, p in model.named_parameters()}
    return np.array(losses), params, initial, len(body_runs)


@pytest.mark.parametrize("dtype", DTYPES)
def test_small_cnn_compiled_training_step_equals_eager(dtype):
    rtol = TOL[dtype][0]
    eager_losses, eager_params, _, _ = _train_cnn(dtype, compiled=False)
    losses, params, _, body_runs = _train_cnn(dtype, compiled=True)
    np.testing.assert_allclose(losses, eager_losses, rtol=rtol)
    for n, q in eager_params.items():
        np.testing.assert_allclose(params[n], q, rtol=rtol, atol=rtol * np.abs(q).max(),
                                   err_msg=n)
    assert body_runs == 1                       # traced once, then only the schedule runs
    assert losses[-1] < 0.7 * losses[0]


def test_small_cnn_training_equals_torch(torch):
    losses, params, initial, _ = _train_cnn(np.float64, compiled=True)
    tmodel = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.AvgPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(8 * 2 * 2, 3)).double()
    with torch.no_grad():
        for n, p in tmodel.named_parameters():
            p.copy_(torch.tensor(initial[n]))
    opt = torch.optim.SGD(tmodel.parameters(), lr=0.05, momentum=0.9)
    xs, ys = _cnn_data(np.float64)
    tlosses = []
    for i in range(20):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(tmodel(torch.tensor(xs[i % 3])),
                                                 torch.tensor(ys[i % 3]))
        loss.backward()
        opt.step()
        tlosses.append(loss.item())
    np.testing.assert_allclose(losses, tlosses, rtol=1e-9)
    for n, p in tmodel.named_parameters():
        np.testing.assert_allclose(params[n], p.detach().numpy(), rtol=1e-8, atol=1e-10)

# -- gradients of gradients -----------------------------------------------------------------------


def _second_derivatives(f, arrays, eps=1e-5):
    """gg.grad(gg.grad(f)) contracted with random directions, against central differences of
    the first gradient (computed by gg.grad) along the same directions."""
    rng = np.random.default_rng(11)
    dirs = [rng.standard_normal(a.shape) for a in arrays]
    argnums = tuple(range(len(arrays)))
    first = gg.grad(f, argnums=argnums)

    def h(*xs):
        total = None
        for g, v in zip(first(*xs), dirs):
            term = (g * gg.tensor(v)).sum()
            total = term if total is None else total + term
        return total

    second = gg.grad(h, argnums=argnums)(*[gg.tensor(a) for a in arrays])
    for k, a in enumerate(arrays):
        numeric = np.zeros_like(a)
        for i in range(a.size):
            plus, minus = [x.copy() for x in arrays], [x.copy() for x in arrays]
            plus[k].flat[i] += eps
            minus[k].flat[i] -= eps
            hp = h(*[gg.tensor(x) for x in plus]).item()
            hm = h(*[gg.tensor(x) for x in minus]).item()
            numeric.flat[i] = (hp - hm) / (2 * eps)
        np.testing.assert_allclose(second[k].numpy(), numeric, rtol=1e-5, atol=1e-7,
                                   err_msg=f"second derivative, input {k}")


def test_grad_of_grad_through_conv2d():
    r = rand(2, 3, 3, 3, seed=9)

    def f(x, w):
        y = F.conv2d(x, w, stride=2, padding=1, dilation=(1, 2))
        return (gg.tanh(y) * gg.tensor(r)).sum()

    _second_derivatives(f, [rand(2, 2, 5, 6), rand(3, 2, 3, 2, seed=2)])


def test_grad_of_grad_through_grouped_conv_pools_and_pad():
    r = rand(1, 4, 2, 2, seed=9)

    def f(x, w):
        y = F.conv2d(F.pad(x, (1, 0, 0, 1), mode="reflect"), w, groups=2)
        y = F.avg_pool2d(F.max_pool2d(gg.tanh(y), 2, 1, ceil_mode=True), 2, ceil_mode=True)
        return (gg.tanh(y) * gg.tensor(r)).sum()

    _second_derivatives(f, [rand(1, 2, 5, 5), rand(4, 1, 2, 2, seed=2)])

# -- errors: the same, and explicit, eagerly and compiled ----------------------------------------


ERRORS = [
    ("conv2d-channels", lambda x, w: F.conv2d(x, w), [(2, 3, 8, 8), (4, 2, 3, 3)],
     gg.ShapeError, r"conv2d: the input has 3 channels but the weight \(4, 2, 3, 3\) expects 2"),
    ("conv2d-kernel-too-big", lambda x, w: F.conv2d(x, w, padding=0), [(1, 1, 4, 4), (1, 1, 5, 5)],
     gg.ShapeError, r"conv2d: kernel 5x5 \(dilated 5x5\) does not fit the padded input 4x4"),
    ("conv2d-dilated-kernel-too-big", lambda x, w: F.conv2d(x, w, dilation=3),
     [(1, 1, 6, 6), (1, 1, 3, 3)], gg.ShapeError, r"kernel 3x3 \(dilated 7x7\) does not fit"),
    ("conv2d-stride-zero", lambda x, w: F.conv2d(x, w, stride=0), [(1, 2, 5, 5), (3, 2, 3, 3)],
     ValueError, r"conv2d: stride must be a positive int or pair of ints, got 0"),
    ("conv2d-stride-negative", lambda x, w: F.conv2d(x, w, stride=(1, -2)),
     [(1, 2, 5, 5), (3, 2, 3, 3)], ValueError, r"conv2d: stride must be a positive"),
    ("conv2d-groups", lambda x, w: F.conv2d(x, w, groups=2), [(1, 3, 5, 5), (4, 1, 3, 3)],
     gg.ShapeError, r"conv2d: groups=2 must divide the input channels \(3\)"),
    ("conv2d-input-dims", lambda x, w: F.conv2d(x, w), [(5, 5), (4, 1, 3, 3)], gg.ShapeError,
     r"conv2d: expects a 3-D \(C, H, W\) or 4-D \(N, C, H, W\) input, got shape \(5, 5\)"),
    ("conv2d-weight-dims", lambda x, w: F.conv2d(x, w), [(1, 1, 5, 5), (4, 3, 3)],
     gg.ShapeError, r"conv2d: expects a 4-D weight, got shape \(4, 3, 3\)"),
    ("conv2d-bias", lambda x, w, b: F.conv2d(x, w, b), [(1, 2, 5, 5), (3, 2, 3, 3), (4,)],
     gg.ShapeError, r"conv2d: bias \(4,\) f32 must be a vector of 3"),
    ("conv2d-same-strided", lambda x, w: F.conv2d(x, w, stride=2, padding="same"),
     [(1, 2, 5, 5), (3, 2, 3, 3)], ValueError, "padding='same' is not supported for strided"),
    ("conv-layer-channels", lambda x: nn.Conv2d(3, 4, 3)(x), [(2, 5, 8, 8)], gg.ShapeError,
     r"conv2d: the input has 5 channels but the weight \(4, 3, 3, 3\) expects 3"),
    ("max_pool2d-kernel-too-big", lambda x: F.max_pool2d(x, 3), [(1, 1, 2, 2)], gg.ShapeError,
     r"max_pool2d: kernel \(3, 3\) .* does not fit the input 2x2"),
    ("max_pool2d-padding", lambda x: F.max_pool2d(x, 2, padding=2), [(1, 1, 6, 6)],
     gg.ShapeError, r"max_pool2d: padding \(2, 2\) must be at most half the kernel size"),
    ("max_pool2d-stride-zero", lambda x: F.max_pool2d(x, 2, stride=0), [(1, 1, 6, 6)],
     ValueError, "max_pool2d: stride must be a positive"),
    ("avg_pool2d-dims", lambda x: F.avg_pool2d(x, 2), [(6, 6)], gg.ShapeError,
     r"avg_pool2d: expects a 3-D \(C, H, W\) or 4-D"),
    ("avg_pool2d-kernel-too-big", lambda x: nn.AvgPool2d((2, 7))(x), [(1, 1, 6, 6)],
     gg.ShapeError, r"avg_pool2d: kernel \(2, 7\)"),
    ("pad-odd-length", lambda x: F.pad(x, (1, 2, 3)), [(2, 3)], ValueError, "pad: the padding"),
    ("pad-reflect-too-large", lambda x: F.pad(x, (3, 0), mode="reflect"), [(2, 3)],
     gg.ShapeError, r"pad: reflect padding \(3, 0\) of dim 1"),
]


@pytest.mark.parametrize("fn, shapes, error, text", [pytest.param(*e[1:], id=e[0])
                                                    for e in ERRORS])
def test_errors_are_clear_and_the_same_eager_and_compiled(fn, shapes, error, text):
    inputs = [gg.tensor(rand(*s, dtype=np.float32)) for s in shapes]
    with pytest.raises(error, match=text) as eager:
        fn(*inputs)
    with pytest.raises(error, match=text) as compiled:
        gg.compile(fn)(*inputs)
    assert str(eager.value) in str(compiled.value)
    if isinstance(eager.value, gg.ShapeError) and "weight" not in str(eager.value):
        assert str(shapes[0]) in str(eager.value)      # the message shows the input's shape


def test_dtype_mismatch_is_an_error():
    with pytest.raises(TypeError, match=r"conv2d: operands must share a dtype \(got "
                                        r"\(1, 2, 5, 5\) f32, \(3, 2, 3, 3\) f64\)"):
        F.conv2d(gg.tensor(rand(1, 2, 5, 5, dtype=np.float32)), gg.tensor(rand(3, 2, 3, 3)))



CONV_OPS = (C.CONV2D, C.CONV2D_INPUT_GRAD, C.CONV2D_WEIGHT_GRAD, P.MAX_POOL2D,
            P.MAX_POOL2D_BACKWARD, P.MAX_POOL2D_SELECT, P.AVG_POOL2D, P.AVG_POOL2D_BACKWARD,
            PD.PAD)


def test_out_kernels_overwrite_the_whole_planned_buffer():
    """The compiled runtime hands `out_impl` a reused buffer that holds old values: every
    element must be written. Checked for each node of these ops in the op-table graphs."""
    from op_cases_conv import CASES
    checked = set()
    for case in CASES:
        arrays = case.arrays(np.float64 if case.float_positions else None)
        graph = gg.trace(case.fn, *[gg.tensor(a) for a in arrays])
        env = dict(zip(graph.inputs, arrays))
        for node in graph.nodes:
            args = [env[v] for v in node.inputs]
            env[node.out] = expected = np.asarray(node.op.impl(*args, **node.attrs))
            if node.op not in CONV_OPS:
                continue
            garbage = np.nan if expected.dtype.kind == "f" else 7
            out = np.full(expected.shape, garbage, expected.dtype)
            assert node.op.out_impl(out, *args, **node.attrs) is out
            np.testing.assert_array_equal(out, expected, err_msg=f"{case.id}: {node.op.name}")
            checked.add(node.op.name)
    assert checked == {op.name for op in CONV_OPS}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kernel, stride, padding", [(2, 2, 0), (3, 3, 0), (3, 1, 1)])
def test_max_pool_gradient_has_torchs_positive_zeros(torch, dtype, kernel, stride, padding):
    """Unselected positions get +0.0 as in torch (not g * False, which is -0.0 for g < 0),
    in the tiled and the general kernels, eagerly and compiled; ties (ReLU's zeros) go to
    the first maximum; windows that do not overlap give torch's gradient bitwise."""
    x = np.maximum(np.random.default_rng(3).standard_normal((2, 3, 12, 12)), 0).astype(dtype)
    tx = torch.from_numpy(x).requires_grad_()
    ty = torch.nn.functional.max_pool2d(tx, kernel, stride, padding)
    g = -np.abs(np.random.default_rng(4).standard_normal(tuple(ty.shape))).astype(dtype)
    ty.backward(torch.from_numpy(g))
    want = tx.grad.numpy()

    def grad(x):
        y = F.max_pool2d(x, kernel, stride, padding)
        y.backward(gg.tensor(g))
        return x.grad

    for run in (grad, gg.compile(grad)):
        got = run(gg.tensor(x, requires_grad=True)).numpy()
        if stride == kernel:
            np.testing.assert_array_equal(got, want)
        else:                   # overlapping windows: sums in another order
            np.testing.assert_allclose(got, want, rtol=TOL[dtype][1])
        assert (want == 0).sum() > 0
        np.testing.assert_array_equal(np.signbit(got[want == 0]), np.signbit(want[want == 0]))


@pytest.mark.parametrize("kernel, stride, padding", [(2, 2, 0), (3, 1, 1)])
def test_max_pool_gradient_of_nan_reaches_only_the_picked_positions(torch, kernel, stride,
                                                                    padding):
    """A NaN upstream gradient lands where torch scatters it, not on the whole window (a
    product by the window's mask made NaN * 0 = NaN)."""
    x = np.maximum(np.random.default_rng(5).standard_normal((2, 3, 8, 8)), 0).astype(np.float32)
    tx = torch.from_numpy(x).requires_grad_()
    ty = torch.nn.functional.max_pool2d(tx, kernel, stride, padding)
    g = np.random.default_rng(6).standard_normal(tuple(ty.shape)).astype(np.float32)
    g[:, :, ::2] = np.nan
    ty.backward(torch.from_numpy(g))
    want = tx.grad.numpy()

    def grad(x):
        F.max_pool2d(x, kernel, stride, padding).backward(gg.tensor(g))
        return x.grad

    for run in (grad, gg.compile(grad)):
        got = run(gg.tensor(x, requires_grad=True)).numpy()
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_allclose(got, want, rtol=1e-6)
