"""Neural-network functions and layers against PyTorch: activations, masked_fill, binary
cross-entropy, normalization, embedding, attention, loss modules, gradient clipping and
containers; forward values and gradients, eager and compiled (including whole compiled training
steps); plus a one-block transformer whose compiled training equals eager training.
"""
import math

import numpy as np
import pytest

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad import nn, optim

torch = pytest.importorskip("torch")
TF = torch.nn.functional

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)
DTYPES = [pytest.param(F32, id="f32"), pytest.param(F64, id="f64")]
FORWARD_TOL = {F32: {"rtol": 1e-4, "atol": 1e-6}, F64: {"rtol": 1e-10, "atol": 1e-12}}
GRAD_TOL = {F32: {"rtol": 1e-3, "atol": 1e-5}, F64: {"rtol": 1e-8, "atol": 1e-10}}


def rand(*shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def close(actual, expected, tol, msg=""):
    actual = actual.numpy() if isinstance(actual, (gg.Tensor, torch.Tensor)) else actual
    expected = expected.detach().numpy() if isinstance(expected, torch.Tensor) else expected
    gg.testing.assert_close(np.atleast_1d(np.asarray(actual, np.float64)),
                            np.atleast_1d(np.asarray(expected, np.float64)), msg=msg, **tol)


def cast(arrays, dtype):
    return [a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays]


def run_gg(fn, arrays, grad_pos, weight, compiled):
    ts = [gg.tensor(a, requires_grad=i in grad_pos) for i, a in enumerate(arrays)]
    out = (gg.compile(fn) if compiled else fn)(*ts)
    (out * gg.tensor(weight)).sum().backward()
    return out.numpy(), [ts[i].grad.numpy() for i in grad_pos]


def run_torch(fn, arrays, grad_pos, weight):
    ts = [torch.tensor(a, requires_grad=i in grad_pos) for i, a in enumerate(arrays)]
    out = fn(*ts)
    (out * torch.tensor(weight)).sum().backward()
    return out.detach().numpy(), [ts[i].grad.numpy() for i in grad_pos]


def check_like_torch(gg_fn, torch_fn, arrays, dtype, grad_pos=None):
    """Forward values and gradients (of a random weighting of the output) equal torch's, eagerly
    and through a compiled forward with its compiled backward."""
    arrays = cast([np.asarray(a) for a in arrays], dtype)
    if grad_pos is None:
        grad_pos = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    ref_out = torch_fn(*[torch.tensor(a) for a in arrays]).detach().numpy()
    weight = rand(*ref_out.shape, seed=99).astype(ref_out.dtype)
    ref_out, ref_grads = run_torch(torch_fn, arrays, grad_pos, weight)
    for compiled in (False, True):
        out, grads = run_gg(gg_fn, arrays, grad_pos, weight, compiled)
        mode = "compiled" if compiled else "eager"
        assert out.dtype == ref_out.dtype, f"{mode}: dtype {out.dtype}, torch {ref_out.dtype}"
        close(out, ref_out, FORWARD_TOL[dtype], f"{mode} forward: ")
        for i, g, r in zip(grad_pos, grads, ref_grads):
            close(g, r, GRAD_TOL[dtype], f"{mode} gradient of input {i}: ")


def copy_params(gg_module, torch_module, dtype=None):
    """Load gg_module's parameters and buffers into the torch module (names agree)."""
    if dtype == F64:
        torch_module.double()
    state = {k: torch.tensor(v.numpy()) for k, v in gg_module.state_dict().items()}
    torch_module.load_state_dict(state)
    return torch_module


# -- activations and elementwise functions ------------------------------------------------------

ACTIVATIONS = [
    ("gelu", F.gelu, TF.gelu),
    ("gelu-tanh", lambda x: F.gelu(x, approximate="tanh"),
     lambda x: TF.gelu(x, approximate="tanh")),
    ("silu", F.silu, TF.silu),
    ("elu", F.elu, TF.elu),
    ("elu-alpha", lambda x: F.elu(x, 0.3), lambda x: TF.elu(x, 0.3)),
    ("softplus", F.softplus, TF.softplus),
    ("softplus-beta", lambda x: F.softplus(x, beta=3.0, threshold=5.0),
     lambda x: TF.softplus(x, beta=3.0, threshold=5.0)),
    ("leaky_relu", F.leaky_relu, TF.leaky_relu),
    ("leaky_relu-slope", lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
    ("erf", gg.erf, torch.erf),
    ("erf-method", lambda x: x.erf(), lambda x: x.erf()),
    ("gelu-module", nn.GELU(), torch.nn.GELU()),
    ("gelu-tanh-module", nn.GELU("tanh"), torch.nn.GELU("tanh")),
    ("silu-module", nn.SiLU(), torch.nn.SiLU()),
    ("elu-module", nn.ELU(0.5), torch.nn.ELU(0.5)),
    ("leaky_relu-module", nn.LeakyReLU(0.1), torch.nn.LeakyReLU(0.1)),
    ("softplus-module", nn.Softplus(2.0), torch.nn.Softplus(2.0)),
    ("softmax-module", nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
    ("log_softmax-module", nn.LogSoftmax(dim=-1), torch.nn.LogSoftmax(dim=-1)),
]
# inputs cover both signs, the kinks at 0, erf's two expansions and softplus' threshold
ACT_INPUT = np.concatenate([rand(30, scale=2.0), [0.0, -0.0, 2.4, 2.6, -3.5, 7.0, -9.0, 25.0,
                                                  -30.0, 1e-4]]).reshape(5, 8)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gg_fn, torch_fn", [pytest.param(*a[1:], id=a[0]) for a in ACTIVATIONS])
def test_activations_match_torch(gg_fn, torch_fn, dtype):
    check_like_torch(gg_fn, torch_fn, [ACT_INPUT], dtype)


def test_erf_is_accurate_over_the_whole_range():
    x = np.concatenate([np.linspace(-8, 8, 4001), [np.inf, -np.inf, 1e-300, -1e-20]])
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(gg.erf(gg.tensor(x)).numpy(), expected, rtol=1e-15, atol=0)
    assert np.isnan(gg.erf(gg.tensor([np.nan])).numpy()).all()
    assert gg.erf(gg.tensor(np.float32(0.5))).shape == ()


@pytest.mark.parametrize("dtype", DTYPES)
def test_masked_fill_matches_torch(dtype):
    mask = rand(3, 1, 4, seed=1) > 0

    def gg_fn(x, v):
        return x.masked_fill(gg.tensor(mask), v) * 2.0

    def torch_fn(x, v):
        return x.masked_fill(torch.tensor(mask), v) * 2.0

    check_like_torch(gg_fn, torch_fn, [rand(2, 3, 5, 4), rand(seed=3)], dtype)
    check_like_torch(lambda x: gg.masked_fill(x, gg.tensor(mask), -1e9),
                     lambda x: x.masked_fill(torch.tensor(mask), -1e9), [rand(3, 3, 4)], dtype)


def test_masked_fill_in_place_and_errors():
    x = gg.tensor([1.0, 2.0, 3.0])
    assert x.masked_fill_(gg.tensor([True, False, True]), 0.0) is x
    np.testing.assert_array_equal(x.numpy(), [0.0, 2.0, 0.0])
    with pytest.raises(TypeError, match="masked_fill: the mask must be a bool tensor"):
        x.masked_fill(gg.tensor([1, 0, 1]), 0.0)
    with pytest.raises(gg.ShapeError, match=r"masked_fill: .*\(3, 2\)"):
        gg.zeros(2).masked_fill(gg.tensor(np.ones((3, 2), bool)), 1.0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_boolean_mask_indexing_gradient_and_trace_error(dtype):
    x = rand(3, 4, seed=4)
    mask = x > 0.2
    t = gg.tensor(x.astype(dtype), requires_grad=True)
    r = torch.tensor(x.astype(dtype), requires_grad=True)
    w = rand(int(mask.sum()), seed=5).astype(dtype)
    (t[gg.tensor(mask)] * gg.tensor(w)).sum().backward()
    (r[torch.tensor(mask)] * torch.tensor(w)).sum().backward()
    close(t.grad, r.grad, GRAD_TOL[dtype])
    with pytest.raises(gg.TraceError, match="boolean-mask indexing.*masked_fill"):
        gg.compile(lambda a, m: a[m])(gg.tensor(x), gg.tensor(mask))
    # the traceable replacement gives the masked values and gradient
    check_like_torch(lambda a: a.masked_fill(~gg.tensor(mask), 0.0),
                     lambda a: a.masked_fill(~torch.tensor(mask), 0.0), [x], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cosine_similarity_matches_torch(dtype):
    check_like_torch(F.cosine_similarity, TF.cosine_similarity, [rand(4, 5), rand(4, 5, seed=1)],
                     dtype)
    check_like_torch(lambda a, b: F.cosine_similarity(a, b, dim=-1),
                     lambda a, b: TF.cosine_similarity(a, b, dim=-1),
                     [rand(2, 3, 4), rand(3, 4, seed=1)], dtype)


# -- binary cross-entropy -------------------------------------------------------------------------

P = 1 / (1 + np.exp(-rand(4, 3, seed=6)))
Y = (rand(4, 3, seed=7) > 0).astype(np.float64)
SOFT_Y = np.random.default_rng(8).uniform(0, 1, (4, 3))
BCE_CASES = [
    ("mean", lambda p, y: F.binary_cross_entropy(p, y), TF.binary_cross_entropy, [P, Y]),
    ("sum-soft-targets", lambda p, y: F.binary_cross_entropy(p, y, reduction="sum"),
     lambda p, y: TF.binary_cross_entropy(p, y, reduction="sum"), [P, SOFT_Y]),
    ("weight-none", lambda p, y, w: F.binary_cross_entropy(p, y, w, reduction="none"),
     lambda p, y, w: TF.binary_cross_entropy(p, y, w, reduction="none"), [P, SOFT_Y, P[0]]),
    ("module", nn.BCELoss(), torch.nn.BCELoss(), [P, Y]),
    ("module-weight-sum",
     lambda p, y: nn.BCELoss(gg.tensor(P[:1].astype(p.dtype)), reduction="sum")(p, y),
     lambda p, y: torch.nn.BCELoss(torch.tensor(P[:1]).to(p.dtype), reduction="sum")(p, y),
     [P, Y]),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gg_fn, torch_fn, inputs", [pytest.param(*c[1:], id=c[0])
                                                     for c in BCE_CASES])
def test_binary_cross_entropy_matches_torch(gg_fn, torch_fn, inputs, dtype):
    check_like_torch(gg_fn, torch_fn, inputs, dtype, grad_pos=[0, 1])   # target grads too


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy_at_probabilities_0_and_1_stays_finite(dtype):
    p = np.array([0.0, 1.0, 0.0, 1.0, 1e-30, 1 - 1e-7, 0.5])
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.3])
    check_like_torch(lambda a, b: F.binary_cross_entropy(a, b, reduction="none"),
                     lambda a, b: TF.binary_cross_entropy(a, b, reduction="none"),
                     [p, y], dtype, grad_pos=[0])
    # float32 sigmoids saturate to exactly 1.0: the gradient stays finite, as in torch
    x = gg.tensor(np.array([30.0, -120.0, 0.0], dtype), requires_grad=True)
    loss = F.binary_cross_entropy(gg.sigmoid(x), gg.tensor(np.array([0.0, 1.0, 1.0], dtype)))
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(x.grad.numpy()).all()
    with pytest.raises(gg.ShapeError, match="between 0 and 1"):
        F.binary_cross_entropy(gg.tensor([1.5]), gg.tensor([1.0]))


LOGITS = rand(4, 3, seed=9, scale=3.0)
BCE_LOGITS_CASES = [
    ("mean", F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits,
     [LOGITS, SOFT_Y]),
    ("pos_weight-weight", lambda x, y, w, pw: F.binary_cross_entropy_with_logits(
        x, y, weight=w, pos_weight=pw),
     lambda x, y, w, pw: TF.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=pw),
     [LOGITS, Y, P[:, :1], np.array([0.5, 2.0, 3.0])]),
    ("huge-logits", lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction="none"),
     lambda x, y: TF.binary_cross_entropy_with_logits(x, y, reduction="none"),
     [np.array([-1e4, -100.0, 0.0, 100.0, 1e4, 3e38]), np.array([1.0, 0.0, 0.5, 1.0, 0.0, 1.0])]),
    ("module-sum", nn.BCEWithLogitsLoss(reduction="sum"),
     torch.nn.BCEWithLogitsLoss(reduction="sum"), [LOGITS, Y]),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("gg_fn, torch_fn, inputs", [pytest.param(*c[1:], id=c[0])
                                                     for c in BCE_LOGITS_CASES])
def test_binary_cross_entropy_with_logits_matches_torch(gg_fn, torch_fn, inputs, dtype):
    # torch has no gradient for weight and pos_weight; logits and targets are checked
    check_like_torch(gg_fn, torch_fn, inputs, dtype, grad_pos=[0, 1])


def test_huge_logits_stay_finite_in_float32():
    x = gg.tensor(np.array([-1e30, -1e4, 1e4, 1e30], np.float32), requires_grad=True)
    y = gg.tensor(np.array([1.0, 0.0, 1.0, 0.0], np.float32))
    loss = F.binary_cross_entropy_with_logits(x, y, pos_weight=gg.tensor([2.0]))
    loss.backward()
    assert np.isfinite(loss.item())
    assert np.isfinite(x.grad.numpy()).all()
    assert loss.item() == pytest.approx((2e30 + 0 + 0 + 1e30) / 4, rel=1e-6)


# -- normalization --------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_layer_norm_matches_torch(dtype):
    w, b = rand(4, seed=1), rand(4, seed=2)
    check_like_torch(lambda x, w, b: F.layer_norm(x, (4,), w, b, eps=1e-3),
                     lambda x, w, b: TF.layer_norm(x, (4,), w, b, eps=1e-3),
                     [rand(2, 3, 4, scale=3.0) + 1.0, w, b], dtype)
    check_like_torch(lambda x: F.layer_norm(x, (3, 4)), lambda x: TF.layer_norm(x, (3, 4)),
                     [rand(2, 3, 4)], dtype)
    gg_ln = nn.LayerNorm(4, dtype=dtype)
    gg.nn.init.normal_(gg_ln.weight)
    torch_ln = copy_params(gg_ln, torch.nn.LayerNorm(4), dtype)
    check_like_torch(gg_ln, torch_ln, [rand(5, 4)], dtype)
    assert nn.LayerNorm((3, 4), elementwise_affine=False).weight is None


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 3, 2, 2)], ids=["2d", "3d", "4d"])
def test_batch_norm_function_matches_torch(shape, dtype):
    x, w, b = rand(*shape, scale=2.0) + 0.5, rand(3, seed=1), rand(3, seed=2)
    check_like_torch(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                     lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True),
                     [x, w, b], dtype)
    rm, rv = rand(3, seed=3), np.abs(rand(3, seed=4)) + 0.5
    check_like_torch(lambda x, rm, rv, w, b: F.batch_norm(x, rm, rv, w, b, eps=1e-3),
                     lambda x, rm, rv, w, b: TF.batch_norm(x, rm, rv, w, b, eps=1e-3),
                     [x, rm, rv, w, b], dtype, grad_pos=[0, 3, 4])
    # training mode updates the given running statistics in place (unbiased variance)
    stats = [gg.tensor(rm.astype(dtype)), gg.tensor(rv.astype(dtype))]
    ref = [torch.tensor(rm.astype(dtype)), torch.tensor(rv.astype(dtype))]
    F.batch_norm(gg.tensor(x.astype(dtype)), *stats, training=True, momentum=0.3)
    TF.batch_norm(torch.tensor(x.astype(dtype)), *ref, training=True, momentum=0.3)
    for s, r in zip(stats, ref):
        close(s, r, FORWARD_TOL[dtype])


def _bn_models(cls, torch_cls, dtype, **kwargs):
    gg.manual_seed(0)
    body = [nn.Linear(4, 3, dtype=dtype)] if cls is nn.BatchNorm1d else []
    model = nn.Sequential(*body, cls(3, **kwargs), nn.Tanh())
    if kwargs.get("affine", True):
        gg.nn.init.uniform_(model[len(body)].weight, 0.5, 1.5)
        gg.nn.init.uniform_(model[len(body)].bias, -0.5, 0.5)
    model.to(dtype)
    torch_body = [torch.nn.Linear(4, 3)] if cls is nn.BatchNorm1d else []
    ref = torch.nn.Sequential(*torch_body, torch_cls(3, **kwargs), torch.nn.Tanh())
    return model, copy_params(model, ref, dtype)


BN_VARIANTS = [
    ("1d", nn.BatchNorm1d, "BatchNorm1d", (8, 4), {}),
    ("1d-momentum-None", nn.BatchNorm1d, "BatchNorm1d", (8, 4), {"momentum": None}),
    ("1d-no-affine", nn.BatchNorm1d, "BatchNorm1d", (8, 4), {"affine": False}),
    ("2d", nn.BatchNorm2d, "BatchNorm2d", (4, 3, 3, 2), {"momentum": 0.2}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
@pytest.mark.parametrize("cls, torch_name, shape, kwargs",
                         [pytest.param(*v[1:], id=v[0]) for v in BN_VARIANTS])
def test_batch_norm_training_steps_and_running_stats_match_torch(cls, torch_name, shape, kwargs,
                                                                 compiled, dtype):
    model, ref = _bn_models(cls, getattr(torch.nn, torch_name), dtype, **kwargs)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)

    def step(x):
        opt.zero_grad()
        loss = (model(x) ** 2).mean()
        loss.backward()
        opt.step()
        return loss

    fn = gg.compile(step) if compiled else step
    for i in range(4):
        x = rand(*shape, seed=10 + i, scale=2.0).astype(dtype) + 1.0
        loss = fn(gg.tensor(x))
        ref_opt.zero_grad()
        ref_loss = (ref(torch.tensor(x)) ** 2).mean()
        ref_loss.backward()
        ref_opt.step()
        close(loss, ref_loss, FORWARD_TOL[dtype], f"step {i} loss: ")
    tol = GRAD_TOL[dtype]
    for name, value in ref.state_dict().items():
        close(model.state_dict()[name], value, tol, f"{name}: ")
    bn = model[len(model) - 2]
    assert bn.num_batches_tracked.item() == 4 and bn.num_batches_tracked.dtype == np.int64
    if compiled:
        assert fn.cache_info().traces == 1
    # eval mode uses the running statistics (compiled: the training flag is guarded)
    model.eval()
    ref.eval()
    forward = gg.compile(model) if compiled else model
    x = rand(*shape, seed=50).astype(dtype)
    close(forward(gg.tensor(x)), ref(torch.tensor(x)), FORWARD_TOL[dtype], "eval: ")
    assert bn.num_batches_tracked.item() == 4


def test_batch_norm_compiled_forward_updates_buffers_and_backward_matches_torch():
    gg.manual_seed(0)
    bn = nn.BatchNorm2d(3)
    ref = torch.nn.BatchNorm2d(3)
    compiled = gg.compile(bn)
    for i in range(3):
        x = rand(2, 3, 4, 4, seed=i) * (i + 1)
        t = gg.tensor(x.astype(np.float32), requires_grad=True)
        r = torch.tensor(x.astype(np.float32), requires_grad=True)
        w = rand(2, 3, 4, 4, seed=20 + i).astype(np.float32)
        (compiled(t) * gg.tensor(w)).sum().backward()
        (ref(r) * torch.tensor(w)).sum().backward()
        close(t.grad, r.grad, GRAD_TOL[F32])
    close(bn.running_mean, ref.running_mean, FORWARD_TOL[F32])
    close(bn.running_var, ref.running_var, FORWARD_TOL[F32])
    close(bn.weight.grad, ref.weight.grad, GRAD_TOL[F32])
    assert compiled.cache_info().traces == 1


def test_batch_norm_without_running_stats_and_state_dict():
    bn = nn.BatchNorm1d(3, track_running_stats=False)
    assert bn.running_mean is None and list(bn.state_dict()) == ["weight", "bias"]
    bn.eval()                         # no running statistics: batch statistics even in eval
    x = rand(6, 3).astype(np.float32)
    ref = torch.nn.BatchNorm1d(3, track_running_stats=False).eval()
    close(bn(gg.tensor(x)), ref(torch.tensor(x)), FORWARD_TOL[F32])
    model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
    assert list(model.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias",
                                        "1.running_mean", "1.running_var",
                                        "1.num_batches_tracked"]
    assert [n for n, _ in model.named_buffers()] == ["1.running_mean", "1.running_var",
                                                     "1.num_batches_tracked"]
    # a torch checkpoint loads (same names and shapes), buffers included
    torch_bn = torch.nn.BatchNorm1d(3)
    torch_bn.running_mean.fill_(0.25)
    torch_bn.num_batches_tracked.fill_(7)
    gg_bn = nn.BatchNorm1d(3)
    gg_bn.load_state_dict({k: gg.tensor(v.numpy()) for k, v in torch_bn.state_dict().items()})
    np.testing.assert_array_equal(gg_bn.running_mean.numpy(), [0.25] * 3)
    assert gg_bn.num_batches_tracked.item() == 7
    gg_bn.reset_running_stats()
    assert gg_bn.num_batches_tracked.item() == 0 and gg_bn.running_var.numpy().tolist() == [1] * 3


# -- embedding ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_matches_torch(dtype):
    ids = np.array([[0, 2, 2, 5], [5, 1, 0, 2]])
    for padding_idx in (None, 2, -1):
        gg.manual_seed(1)
        emb = nn.Embedding(6, 3, padding_idx=padding_idx, dtype=dtype)
        if padding_idx is not None:
            assert not emb.weight.numpy()[padding_idx].any()      # the padding row starts at 0
        ref = copy_params(emb, torch.nn.Embedding(6, 3, padding_idx=padding_idx), dtype)
        for compiled in (False, True):
            emb.weight.grad = None
            ref.weight.grad = None
            w = rand(2, 4, 3, seed=3).astype(dtype)
            out = (gg.compile(emb) if compiled else emb)(gg.tensor(ids))
            (out * gg.tensor(w)).sum().backward()
            ref_out = ref(torch.tensor(ids))
            (ref_out * torch.tensor(w)).sum().backward()
            close(out, ref_out, FORWARD_TOL[dtype])
            close(emb.weight.grad, ref.weight.grad, GRAD_TOL[dtype])   # scatter-add, padding 0


def test_embedding_init_and_errors():
    gg.manual_seed(0)
    w = nn.Embedding(2000, 8).weight.numpy()
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1.0) < 0.02 and w.dtype == F32
    pre = nn.Embedding.from_pretrained(gg.tensor(np.eye(3)))
    assert not pre.weight.requires_grad
    with pytest.raises(gg.ShapeError, match=r"embedding: class index 7 out of range \[0, 4\)"):
        F.embedding(gg.tensor([1, 7]), gg.zeros(4, 2))
    with pytest.raises(gg.ShapeError, match="class index 7 out of range"):
        gg.compile(lambda i, w: F.embedding(i, w))(gg.tensor([1, 7]), gg.zeros(4, 2))
    with pytest.raises(TypeError, match=r"embedding: expects integer indices, got \(2,\) f32"):
        F.embedding(gg.tensor([1.0, 2.0]), gg.zeros(4, 2))


# -- attention ------------------------------------------------------------------------------------

SDPA_CASES = [
    ("plain", {}, {}),
    ("bool-mask", {"attn_mask": np.tril(np.ones((3, 4), bool), 1)}, None),
    ("float-mask", {"attn_mask": rand(3, 4, seed=5)}, None),
    ("causal-scale", {"is_causal": True, "scale": 0.7}, None),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", [pytest.param(c[1], id=c[0]) for c in SDPA_CASES])
def test_scaled_dot_product_attention_matches_torch(kwargs, dtype):
    q, k, v = rand(2, 2, 3, 4, seed=1), rand(2, 2, 4, 4, seed=2), rand(2, 2, 4, 5, seed=3)
    if kwargs.get("is_causal"):
        k, v = k[:, :, :3], v[:, :, :3]

    def masks(lib):
        out = dict(kwargs)
        if "attn_mask" in out:
            m = out["attn_mask"]
            out["attn_mask"] = (gg.tensor if lib is gg else torch.tensor)(
                m if m.dtype == bool else m.astype(dtype))
        return out

    check_like_torch(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **masks(gg)),
                     lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, **masks(torch)),
                     [q, k, v], dtype)


def _mha_pair(dtype, batch_first, **kwargs):
    gg.manual_seed(2)
    mha = nn.MultiheadAttention(8, 2, batch_first=batch_first, dtype=dtype, **kwargs)
    gg.nn.init.uniform_(mha.in_proj_bias, -0.3, 0.3) if mha.in_proj_bias is not None else None
    ref = torch.nn.MultiheadAttention(8, 2, batch_first=batch_first, **kwargs)
    return mha, copy_params(mha, ref, dtype)


MHA_CASES = [
    ("self-batch-first", True, {}, {}),
    ("seq-first-masks", False, {}, {"padding": True, "attn_mask": "bool"}),
    ("float-mask-per-head-weights", True, {}, {"attn_mask": "float",
                                               "average_attn_weights": False}),
    ("kdim-vdim-no-bias", True, {"kdim": 5, "vdim": 6, "bias": False}, {}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch_first, init_kw, call_kw",
                         [pytest.param(*c[1:], id=c[0]) for c in MHA_CASES])
def test_multihead_attention_matches_torch(batch_first, init_kw, call_kw, dtype):
    mha, ref = _mha_pair(dtype, batch_first, **init_kw)
    N, L, S = 2, 3, 4
    kdim, vdim = init_kw.get("kdim", 8), init_kw.get("vdim", 8)

    def shaped(n, length, e, seed):
        a = rand(n, length, e, seed=seed).astype(dtype)
        return a if batch_first else a.transpose(1, 0, 2).copy()

    q, k, v = shaped(N, L, 8, 1), shaped(N, S, kdim, 2), shaped(N, S, vdim, 3)
    extra_gg, extra_torch = {}, {}
    if call_kw.get("padding"):
        pad = np.array([[False, False, True, True], [False, False, False, True]])
        extra_gg["key_padding_mask"], extra_torch["key_padding_mask"] = \
            gg.tensor(pad), torch.tensor(pad)
    if call_kw.get("attn_mask") == "bool":
        m = np.triu(np.ones((L, S), bool), 2)
        extra_gg["attn_mask"], extra_torch["attn_mask"] = gg.tensor(m), torch.tensor(m)
    elif call_kw.get("attn_mask") == "float":
        m = rand(N * 2, L, S, seed=4).astype(dtype)
        extra_gg["attn_mask"], extra_torch["attn_mask"] = gg.tensor(m), torch.tensor(m)
    avg = call_kw.get("average_attn_weights", True)
    w_out = rand(*q.shape[:-1], 8, seed=5).astype(dtype)
    ref_inputs = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    ref_out, ref_w = ref(*ref_inputs, average_attn_weights=avg, **extra_torch)
    ((ref_out * torch.tensor(w_out)).sum() + (ref_w ** 2).sum()).backward()
    for compiled in (False, True):
        mha.zero_grad()
        inputs = [gg.tensor(a, requires_grad=True) for a in (q, k, v)]
        fn = gg.compile(mha) if compiled else mha
        out, weights = fn(*inputs, average_attn_weights=avg, **extra_gg)
        ((out * gg.tensor(w_out)).sum() + (weights ** 2).sum()).backward()
        close(out, ref_out, FORWARD_TOL[dtype], "output: ")
        close(weights, ref_w, FORWARD_TOL[dtype], "weights: ")
        for t, r in zip(inputs, ref_inputs):
            close(t.grad, r.grad, GRAD_TOL[dtype], "input gradient: ")
        ref_params = dict(ref.named_parameters())
        for name, p in mha.named_parameters():
            close(p.grad, ref_params[name].grad, GRAD_TOL[dtype], f"{name}.grad: ")


def test_multihead_attention_unbatched_need_weights_false_and_errors():
    mha, ref = _mha_pair(F32, True)
    x = rand(3, 8).astype(np.float32)
    out, weights = mha(gg.tensor(x), gg.tensor(x), gg.tensor(x), need_weights=False)
    assert weights is None and out.shape == (3, 8)
    close(out, ref(*[torch.tensor(x)] * 3)[0], FORWARD_TOL[F32])
    assert [n for n, _ in mha.named_parameters()] == [n for n, _ in ref.named_parameters()]
    bad = gg.zeros(2, 3, 5)
    with pytest.raises(gg.ShapeError, match=r"MultiheadAttention: query \(2, 3, 5\) f32 must "
                                            "have 8 features"):
        mha(bad, bad, bad)
    with pytest.raises(gg.ShapeError, match="MultiheadAttention: query"):
        gg.compile(lambda t: mha(t, t, t))(bad)
    with pytest.raises(ValueError, match="multiple of num_heads"):
        nn.MultiheadAttention(6, 4)


def test_multihead_attention_dropout_only_in_training():
    mha = nn.MultiheadAttention(8, 2, dropout=0.5, batch_first=True)
    x = gg.tensor(rand(2, 3, 8).astype(np.float32))
    gg.manual_seed(0)
    a, _ = mha(x, x, x)
    b, _ = mha(x, x, x)
    assert not np.allclose(a.numpy(), b.numpy())
    mha.eval()
    c, wc = mha(x, x, x)
    d, _ = gg.compile(mha)(x, x, x)
    close(c, d, FORWARD_TOL[F32])
    np.testing.assert_allclose(wc.numpy().sum(-1), 1.0, rtol=1e-6)


# -- loss modules ---------------------------------------------------------------------------------

CE_LOGITS = rand(5, 4, seed=11)
CE_TARGETS = np.array([0, 3, 1, 3, 2])
CE_IGNORED = np.array([0, -100, 1, 3, -100])
CLASS_W = np.abs(rand(4, seed=12)) + 0.5
LOSS_CASES = [
    ("mse", nn.MSELoss(), torch.nn.MSELoss(), [CE_LOGITS, rand(5, 4, seed=13)]),
    ("mse-sum", nn.MSELoss(reduction="sum"), torch.nn.MSELoss(reduction="sum"),
     [CE_LOGITS, rand(5, 4, seed=13)]),
    ("cross_entropy", nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(),
     [CE_LOGITS, CE_TARGETS]),
    ("cross_entropy-ignore_index", nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(),
     [CE_LOGITS, CE_IGNORED]),
    ("cross_entropy-label_smoothing-weight",
     nn.CrossEntropyLoss(weight=gg.tensor(CLASS_W), label_smoothing=0.2),
     torch.nn.CrossEntropyLoss(weight=torch.tensor(CLASS_W), label_smoothing=0.2),
     [CE_LOGITS, CE_IGNORED]),
    ("cross_entropy-none", nn.CrossEntropyLoss(reduction="none", ignore_index=1),
     torch.nn.CrossEntropyLoss(reduction="none", ignore_index=1), [CE_LOGITS, CE_TARGETS]),
    ("nll", nn.NLLLoss(), torch.nn.NLLLoss(), [CE_LOGITS, CE_IGNORED]),
    ("nll-weight-sum", nn.NLLLoss(weight=gg.tensor(CLASS_W), reduction="sum"),
     torch.nn.NLLLoss(weight=torch.tensor(CLASS_W), reduction="sum"), [CE_LOGITS, CE_TARGETS]),
    ("bce_with_logits-pos_weight", nn.BCEWithLogitsLoss(pos_weight=gg.tensor(CLASS_W)),
     torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(CLASS_W)),
     [CE_LOGITS, (rand(5, 4, seed=14) > 0).astype(np.float64)]),
]


@pytest.mark.parametrize("gg_loss, torch_loss, inputs", [pytest.param(*c[1:], id=c[0])
                                                         for c in LOSS_CASES])
def test_loss_modules_match_torch(gg_loss, torch_loss, inputs):
    check_like_torch(gg_loss, torch_loss, inputs, F64, grad_pos=[0])
    weights = [n for n, _ in gg_loss.named_buffers()]
    assert weights == [n for n, _ in torch_loss.named_buffers()]


def test_loss_module_errors():
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(gg.ShapeError, match=r"binary_cross_entropy: target \(3,\) f32 must have "
                                            r"the shape of the input \(3, 1\) f32"):
        nn.BCELoss()(gg.full((3, 1), 0.5), gg.ones(3))
    with pytest.raises(gg.ShapeError, match="binary_cross_entropy_with_logits: target"):
        gg.compile(nn.BCEWithLogitsLoss())(gg.zeros(3, 1), gg.ones(3))


# -- gradient clipping ----------------------------------------------------------------------------

def _clip_models(dtype):
    gg.manual_seed(3)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)).to(dtype)
    return model, copy_params(model, torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_type, max_norm", [(2.0, 0.3), (1.0, 0.5), (math.inf, 0.05),
                                                 (3.0, 0.2), (2.0, 1e3)],
                         ids=["l2", "l1", "inf", "l3", "no-clip"])
def test_clip_grad_norm_matches_torch_eager_and_compiled(norm_type, max_norm, dtype):
    x = rand(6, 4, seed=1).astype(dtype)
    y = np.array([0, 1, 2, 0, 1, 2])
    model, ref = _clip_models(dtype)
    TF.cross_entropy(ref(torch.tensor(x)), torch.tensor(y)).backward()
    ref_norm = torch.nn.utils.clip_grad_norm_(ref.parameters(), max_norm, norm_type)
    ref_grads = [p.grad for p in ref.parameters()]

    F.cross_entropy(model(gg.tensor(x)), gg.tensor(y)).backward()
    total = nn.utils.clip_grad_norm_(model.parameters(), max_norm, norm_type)
    assert isinstance(total, gg.Tensor) and total.shape == () and total.dtype == dtype
    close(total, ref_norm, FORWARD_TOL[dtype])
    for p, r in zip(model.parameters(), ref_grads):
        close(p.grad, r, GRAD_TOL[dtype])

    # a compiled step: backward, clip, read the clipped gradients
    model, _ = _clip_models(dtype)

    @gg.compile
    def step(x, y):
        model.zero_grad()
        F.cross_entropy(model(x), y).backward()
        norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm, norm_type)
        return norm, [p.grad * 1.0 for p in model.parameters()]

    for _ in range(2):
        total, grads = step(gg.tensor(x), gg.tensor(y))
        close(total, ref_norm, FORWARD_TOL[dtype])
        for p, g, r in zip(model.parameters(), grads, ref_grads):
            close(g, r, GRAD_TOL[dtype])
            close(p.grad, r, GRAD_TOL[dtype])     # the writeback of the clipped .grad


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
def test_clip_grad_norm_in_a_training_step_matches_torch(compiled):
    model, ref = _clip_models(F32)
    opt = optim.Adam(model.parameters(), lr=0.05)
    ref_opt = torch.optim.Adam(ref.parameters(), lr=0.05)

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        norm = nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        nn.utils.clip_grad_value_(model.parameters(), 0.1)
        opt.step()
        return loss, norm

    fn = gg.compile(step) if compiled else step
    for i in range(5):
        x = rand(6, 4, seed=i).astype(np.float32)
        y = np.array([0, 1, 2, 0, 1, 2])
        loss, norm = fn(gg.tensor(x), gg.tensor(y))
        ref_opt.zero_grad()
        ref_loss = TF.cross_entropy(ref(torch.tensor(x)), torch.tensor(y))
        ref_loss.backward()
        ref_norm = torch.nn.utils.clip_grad_norm_(ref.parameters(), 0.5)
        torch.nn.utils.clip_grad_value_(ref.parameters(), 0.1)
        ref_opt.step()
        close(loss, ref_loss, FORWARD_TOL[F32], f"step {i} loss: ")
        close(norm, ref_norm, FORWARD_TOL[F32], f"step {i} norm: ")
    for p, r in zip(model.parameters(), ref.parameters()):
        close(p, r, GRAD_TOL[F32])


def test_clip_grad_of_gradients_computed_outside_the_compiled_function():
    p = gg.tensor(np.array([3.0, 4.0], np.float32), requires_grad=True)
    clip = gg.compile(lambda: nn.utils.clip_grad_norm_([p], 5.0))
    (p * p).sum().backward()                       # grad (6, 8), norm 10
    assert clip().item() == pytest.approx(10.0)
    np.testing.assert_allclose(p.grad.numpy(), [3.0, 4.0], rtol=1e-5)
    p.grad = gg.tensor(np.array([-5.0, 3.0], np.float32))
    clip_value = gg.compile(lambda: nn.utils.clip_grad_value_(p, 3.5))
    clip_value()
    np.testing.assert_array_equal(p.grad.numpy(), [-3.5, 3.0])
    assert nn.utils.clip_grad_norm_([gg.zeros(2, requires_grad=True)], 1.0).item() == 0.0
    bad = gg.tensor([1.0], requires_grad=True)
    bad.grad = gg.tensor([np.inf])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([bad], 1.0, error_if_nonfinite=True)


# -- containers -----------------------------------------------------------------------------------

def test_module_list_and_dict_register_their_modules():
    layers = nn.ModuleList([nn.Linear(2, 3), nn.ReLU()])
    layers.append(nn.Linear(3, 1))
    layers += [nn.Tanh()]
    assert len(layers) == 4 and isinstance(layers[-1], nn.Tanh)
    assert [n for n, _ in layers.named_parameters()] == ["0.weight", "0.bias", "2.weight",
                                                         "2.bias"]
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    layers.insert(0, nn.Identity())
    del layers[0]
    assert [type(m).__name__ for m in layers] == ["Linear", "ReLU", "Linear", "Tanh"]
    with pytest.raises(TypeError, match="nn.Module"):
        layers.append(lambda x: x)
    heads = nn.ModuleDict({"a": nn.Linear(3, 2), "b": nn.Linear(3, 4)})
    heads["c"] = nn.Linear(3, 1)
    assert list(heads) == ["a", "b", "c"] and "b" in heads and len(heads) == 3
    assert list(heads.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias",
                                        "c.weight", "c.bias"]
    heads.pop("b")
    assert list(heads.keys()) == ["a", "c"]

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList(nn.Linear(3, 3) for _ in range(2))
            self.heads = nn.ModuleDict({"x": nn.Linear(3, 1)})

        def forward(self, x):
            for b in self.blocks:
                x = gg.tanh(b(x))
            return self.heads["x"](x)

    net = Net()
    assert len(list(net.parameters())) == 6
    x = gg.tensor(rand(4, 3).astype(np.float32))
    close(gg.compile(net)(x), net(x), FORWARD_TOL[F32])
    net.eval()
    assert not net.blocks[1].training


# -- errors name the op and the shapes, eagerly and compiled --------------------------------------

ERRORS = [
    (lambda x: F.layer_norm(x, (4,)), (2, 3), (r"layer_norm: normalized_shape \(4,\) does not "
     r"match the trailing dims of the input \(2, 3\) f32")),
    (lambda x: nn.BatchNorm2d(3)(x), (2, 3, 4), (r"BatchNorm2d: expected 4D input, got "
     r"\(2, 3, 4\) f32")),
    (lambda x: nn.BatchNorm1d(3)(x), (2, 4), (r"BatchNorm1d: expected 3 channels in dim 1, got "
     r"input \(2, 4\) f32")),
    (lambda x: F.batch_norm(x, None, None, training=True), (1, 3),
     r"batch_norm: expected more than 1 value per channel when training, got input \(1, 3\)"),
    (lambda x: F.scaled_dot_product_attention(x, gg.zeros(2, 5, 3), gg.zeros(2, 5, 3)),
     (2, 3, 4), r"scaled_dot_product_attention: query \(2, 3, 4\) f32 and key \(2, 5, 3\) f32"),
    (lambda x: F.scaled_dot_product_attention(x, x, x, attn_mask=gg.ones(5, 5)), (2, 3, 4),
     r"scaled_dot_product_attention: attn_mask \(5, 5\) f32 does not broadcast"),
    (lambda x: F.binary_cross_entropy_with_logits(x, gg.zeros(3)), (3, 1),
     (r"binary_cross_entropy_with_logits: target \(3,\) f32 must have the shape of the input "
     r"\(3, 1\) f32")),
    (lambda x: nn.LayerNorm(3)(x), (2, 4), r"layer_norm: normalized_shape \(3,\)"),
    (lambda x: F.layer_norm(x, 4, weight=gg.ones(3)), (2, 4),
     r"layer_norm: weight \(3,\) f32 must have shape \(4,\)"),
]


@pytest.mark.parametrize("fn, shape, message", ERRORS)
def test_errors_name_the_op_and_shapes_eager_and_compiled(fn, shape, message):
    with pytest.raises(gg.ShapeError, match=message):
        fn(gg.zeros(*shape))
    with pytest.raises(gg.ShapeError, match=message):
        gg.compile(fn)(gg.zeros(*shape))


# -- a one-block transformer ----------------------------------------------------------------------

class TinyTransformer(nn.Module):
    """Token + position embeddings, one pre-norm block (causal self-attention and a GELU MLP,
    both residual), a final LayerNorm and a Linear head over the vocabulary."""

    def __init__(self, vocab=13, d=16, heads=2, seq=6):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(seq, d)
        self.ln1 = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab)
        self.mask = np.triu(np.ones((seq, seq), bool), 1)   # True: may not attend

    def forward(self, ids):
        L = ids.shape[1]
        x = self.tok(ids) + self.pos(gg.arange(L))
        h = self.ln1(x)
        a, _ = self.attn(h, h, h, attn_mask=gg.tensor(self.mask[:L, :L]), need_weights=False)
        x = x + a
        x = x + self.mlp(self.ln2(x))
        return self.head(self.ln_f(x))


def _train_transformer(compiled, steps=20):
    gg.manual_seed(0)
    model = TinyTransformer()
    # SGD, not Adam: the key bias of attention has an exactly-zero true gradient (softmax
    # ignores a per-query constant), and Adam would blow its rounding noise up to lr-sized steps
    opt = optim.SGD(model.parameters(), lr=0.2, momentum=0.9)

    def step(ids, targets):
        opt.zero_grad()
        logits = model(ids)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss

    fn = gg.compile(step) if compiled else step
    rng = np.random.default_rng(0)
    data = rng.integers(0, 13, (4, 8, 7))
    losses = [fn(gg.tensor(data[i % 4, :, :-1]), gg.tensor(data[i % 4, :, 1:])).item()
              for i in range(steps)]
    if compiled:
        assert fn.cache_info().traces == 1
    return np.array(losses), model.state_dict()


def test_transformer_block_compiled_training_equals_eager():
    eager_losses, eager_state = _train_transformer(False)
    losses, state = _train_transformer(True)
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-4)
    for name, value in eager_state.items():
        np.testing.assert_allclose(state[name].numpy(), value.numpy(), rtol=1e-4,
                                   atol=1e-4 * np.abs(value.numpy()).max(), err_msg=name)
    assert losses[-1] < 0.9 * losses[0]


def test_transformer_block_matches_torch_in_float64():
    gg.manual_seed(0)
    model = TinyTransformer().double()
    ref_layers = torch.nn.ModuleDict({
        "tok": torch.nn.Embedding(13, 16), "pos": torch.nn.Embedding(6, 16),
        "ln1": torch.nn.LayerNorm(16), "attn": torch.nn.MultiheadAttention(16, 2, batch_first=True),
        "ln2": torch.nn.LayerNorm(16), "mlp": torch.nn.Sequential(
            torch.nn.Linear(16, 64), torch.nn.GELU(), torch.nn.Linear(64, 16)),
        "ln_f": torch.nn.LayerNorm(16), "head": torch.nn.Linear(16, 13)})
    copy_params(model, ref_layers, F64)
    mask = torch.tensor(model.mask)

    def ref_forward(ids):
        m = ref_layers
        x = m["tok"](ids) + m["pos"](torch.arange(ids.shape[1]))
        h = m["ln1"](x)
        x = x + m["attn"](h, h, h, attn_mask=mask, need_weights=False)[0]
        x = x + m["mlp"](m["ln2"](x))
        return m["head"](m["ln_f"](x))

    opt = optim.SGD(model.parameters(), lr=0.1)
    ref_opt = torch.optim.SGD(ref_layers.parameters(), lr=0.1)

    @gg.compile
    def step(ids, targets):
        opt.zero_grad()
        loss = F.cross_entropy(model(ids).reshape(-1, 13), targets.reshape(-1))
        loss.backward()
        opt.step()
        return loss

    data = np.random.default_rng(1).integers(0, 13, (3, 4, 7))
    for i in range(3):
        ids, targets = data[i, :, :-1], data[i, :, 1:]
        loss = step(gg.tensor(ids), gg.tensor(targets))
        ref_opt.zero_grad()
        ref_loss = TF.cross_entropy(ref_forward(torch.tensor(ids)).reshape(-1, 13),
                                    torch.tensor(targets).reshape(-1))
        ref_loss.backward()
        ref_opt.step()
        close(loss, ref_loss, FORWARD_TOL[F64], f"step {i}: ")
    ref_state = ref_layers.state_dict()
    for name, value in model.state_dict().items():
        close(value, ref_state[name], GRAD_TOL[F64], f"{name}: ")


def test_in_place_update_of_an_outside_grad_is_written_back():
    p = gg.tensor([3.0, 4.0], requires_grad=True)
    (p * p).sum().backward()

    @gg.compile
    def halve():
        with gg.no_grad():
            p.grad.mul_(0.5)

    halve()
    np.testing.assert_array_equal(p.grad.numpy(), [3.0, 4.0])
