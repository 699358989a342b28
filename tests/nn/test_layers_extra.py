"""GroupNorm, InstanceNorm, RMSNorm, LocalResponseNorm, Bilinear, the distance modules,
ParameterList/ParameterDict and LazyLinear against torch from the same weights, eagerly and
compiled; channel dropout, alpha dropout and gumbel_softmax by their defining properties."""
import numpy as np
import pytest
from torch_module_pairs import F32, F64, check_pair, load_torch, rand

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad import nn

torch = pytest.importorskip("torch")
DTYPES = [pytest.param(F32, id="f32"), pytest.param(F64, id="f64")]


def perturbed(module, dtype):
    """The module in `dtype` with random parameters (so affine terms are exercised)."""
    module = module.double() if dtype == F64 else module
    with gg.no_grad():
        for i, p in enumerate(module.parameters()):
            p.copy_(gg.tensor(rand(*p.shape, seed=30 + i).astype(dtype)))
    return module


PAIRS = [
    ("GroupNorm", lambda m: m.GroupNorm(2, 4), (rand(3, 4, 5),)),
    ("GroupNorm-noaffine", lambda m: m.GroupNorm(3, 6, affine=False, eps=1e-3),
     (rand(2, 6, 2, 2),)),
    ("InstanceNorm1d", lambda m: m.InstanceNorm1d(3), (rand(2, 3, 5),)),
    ("InstanceNorm1d-unbatched-affine", lambda m: m.InstanceNorm1d(3, affine=True),
     (rand(3, 5),)),
    ("InstanceNorm2d-affine", lambda m: m.InstanceNorm2d(3, affine=True), (rand(2, 3, 4, 4),)),
    ("InstanceNorm3d", lambda m: m.InstanceNorm3d(2), (rand(2, 2, 3, 2, 2),)),
    ("RMSNorm", lambda m: m.RMSNorm(4), (rand(3, 4),)),
    ("RMSNorm-2d-eps", lambda m: m.RMSNorm([3, 4], eps=1e-4), (rand(2, 3, 4),)),
    ("LocalResponseNorm", lambda m: m.LocalResponseNorm(3), (rand(2, 5, 3, 3),)),
    ("Bilinear", lambda m: m.Bilinear(3, 2, 4), (rand(5, 3), rand(5, 2))),
    ("Bilinear-nobias", lambda m: m.Bilinear(3, 2, 4, bias=False), (rand(2, 5, 3),
                                                                    rand(2, 5, 2))),
    ("CosineSimilarity", lambda m: m.CosineSimilarity(dim=0), (rand(3, 4), rand(3, 4))),
    ("PairwiseDistance", lambda m: m.PairwiseDistance(p=3.0, keepdim=True), (rand(3, 4),
                                                                             rand(3, 4))),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, make, inputs", PAIRS, ids=[p[0] for p in PAIRS])
def test_module_matches_torch(name, make, inputs, dtype):
    module = perturbed(make(nn), dtype)
    check_pair(module, load_torch(module, make(torch.nn), dtype), inputs, dtype)


@pytest.mark.parametrize("compiled", [False, True])
def test_instance_norm_running_stats_match_torch(compiled):
    module = nn.InstanceNorm2d(3, affine=True, track_running_stats=True, momentum=0.3).double()
    ref = torch.nn.InstanceNorm2d(3, affine=True, track_running_stats=True, momentum=0.3)
    load_torch(module, ref, F64)
    assert list(module.state_dict()) == list(ref.state_dict())
    fn = gg.compile(module) if compiled else module
    for step in range(3):
        x = rand(2, 3, 4, 4, seed=step)
        np.testing.assert_allclose(fn(gg.tensor(x)).numpy(), ref(torch.tensor(x)).detach(),
                                   rtol=1e-10, atol=1e-12)
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(module, name).numpy(), getattr(ref, name).numpy(),
                                   rtol=1e-10, atol=1e-12)
    module.eval()
    ref.eval()
    x = rand(2, 3, 4, 4, seed=9)
    np.testing.assert_allclose(module(gg.tensor(x)).numpy(), ref(torch.tensor(x)).detach(),
                               rtol=1e-10, atol=1e-12)


def test_parameter_list_and_dict_register_parameters_with_torch_names():
    def build(lib):
        net = lib.nn.Module()
        net.ws = lib.nn.ParameterList([lib.nn.Parameter(lib.ones(2)), lib.zeros(3)])
        net.ws.append(lib.nn.Parameter(lib.ones(1)))
        net.named = lib.nn.ParameterDict({"a": lib.nn.Parameter(lib.ones(2))})
        net.named["b"] = lib.nn.Parameter(lib.zeros(2))
        return net

    net, ref = build(gg), build(torch)
    assert list(net.state_dict()) == list(ref.state_dict())
    assert [n for n, _ in net.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert isinstance(net.ws[1], nn.Parameter) and net.ws[1].requires_grad
    assert len(net.ws) == 3 and len(net.named) == 2 and "a" in net.named
    assert list(net.named.keys()) == ["a", "b"]
    with pytest.raises(IndexError):
        net.ws[3]


def test_parameter_list_parameters_train_under_compile():
    params = nn.ParameterList([nn.Parameter(gg.ones(3)), nn.Parameter(gg.ones(3) * 2)])
    step = gg.compile(lambda x: (params[0] * x + params[1]).sum())
    loss = step(gg.tensor([1.0, 2.0, 3.0]))
    loss.backward()
    assert loss.item() == 12.0
    np.testing.assert_array_equal(params[0].grad.numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(params[1].grad.numpy(), [1.0, 1.0, 1.0])


def test_lazy_linear_infers_in_features_and_becomes_linear():
    lazy = nn.LazyLinear(4)
    assert list(lazy.parameters()) == []
    x = gg.tensor(rand(2, 3).astype(np.float32))
    out = lazy(x)
    assert type(lazy) is nn.Linear and lazy.in_features == 3 and out.shape == (2, 4)
    assert list(lazy.state_dict()) == ["weight", "bias"]
    ref = torch.nn.Linear(3, 4)
    load_torch(lazy, ref, F32)
    np.testing.assert_allclose(gg.compile(lazy)(x).numpy(), ref(torch.tensor(x.numpy()))
                               .detach(), rtol=1e-6)
    with pytest.raises(gg.TraceError, match="LazyLinear"):
        gg.compile(nn.LazyLinear(2))(x)


@pytest.mark.parametrize("cls, shape", [(nn.Dropout1d, (4, 6, 5)), (nn.Dropout1d, (6, 5)),
                                        (nn.Dropout2d, (4, 6, 3, 3)),
                                        (nn.Dropout3d, (2, 6, 2, 2, 2))])
@pytest.mark.parametrize("compiled", [False, True])
def test_channel_dropout_zeroes_whole_channels(cls, shape, compiled):
    layer = cls(p=0.5)
    fn = gg.compile(layer) if compiled else layer
    x = gg.tensor(rand(*shape) + 5.0)
    gg.manual_seed(3)
    out = fn(x).numpy()
    lead = out.ndim - {"Dropout1d": 1, "Dropout2d": 2, "Dropout3d": 3}[cls.__name__]
    per_channel = out.reshape(out.shape[:lead] + (-1,))
    dropped = (per_channel == 0).all(-1)
    kept = np.isclose(per_channel, 2 * x.numpy().reshape(per_channel.shape)).all(-1)
    assert (dropped | kept).all() and dropped.any() and kept.any()
    gg.manual_seed(3)
    np.testing.assert_array_equal(fn(x).numpy(), out)
    layer.eval()
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())


def test_alpha_dropout_keeps_selu_statistics_and_is_identity_in_eval():
    gg.manual_seed(0)
    x = gg.tensor(np.random.default_rng(0).standard_normal(200_000))
    out = F.alpha_dropout(x, 0.3, training=True).numpy()
    assert abs(out.mean()) < 0.02 and abs(out.std() - 1.0) < 0.02
    assert np.isclose(np.unique(np.round(out, 6))[0], out.min())
    np.testing.assert_array_equal(F.alpha_dropout(x, 0.3).numpy(), x.numpy())
    layer = nn.AlphaDropout(0.2)
    layer.eval()
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.AlphaDropout(1.5)


@pytest.mark.parametrize("compiled", [False, True])
def test_gumbel_softmax_samples_seeded_and_hard_one_hot(compiled):
    logits = gg.tensor(np.log([[0.7, 0.2, 0.1]] * 4000), requires_grad=True)
    def sample(x):
        return F.gumbel_softmax(x, tau=0.5, hard=True)
    fn = gg.compile(sample) if compiled else sample
    gg.manual_seed(1)
    y = fn(logits)
    values = y.numpy()
    assert set(np.unique(values)) == {0.0, 1.0} and (values.sum(1) == 1).all()
    np.testing.assert_allclose(values.mean(0), [0.7, 0.2, 0.1], atol=0.03)
    (y * gg.tensor(rand(4000, 3))).sum().backward()
    assert logits.grad is not None and np.abs(logits.grad.numpy()).sum() > 0
    gg.manual_seed(1)
    np.testing.assert_array_equal(fn(logits).numpy(), values)
    soft = F.gumbel_softmax(logits, tau=2.0).numpy()
    np.testing.assert_allclose(soft.sum(1), 1.0)


def test_normalization_errors():
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(3, 4)
    with pytest.raises(RuntimeError, match=r"group_norm: .*\(2, 5, 3\)"):
        F.group_norm(gg.zeros(2, 5, 3), 2)
    with pytest.raises(RuntimeError, match="InstanceNorm2d"):
        nn.InstanceNorm2d(3)(gg.zeros(2, 3))
    with pytest.raises(RuntimeError, match=r"rms_norm: .*\(2, 3\)"):
        F.rms_norm(gg.zeros(2, 3), (4,))
    with pytest.raises(ValueError, match="local_response_norm"):
        F.local_response_norm(gg.zeros(2, 3), 2)
    with pytest.raises(RuntimeError, match="bilinear"):
        F.bilinear(gg.zeros(2, 3), gg.zeros(2, 2), gg.zeros(4, 2, 2))
    with pytest.raises(RuntimeError, match="cdist"):
        gg.cdist(gg.zeros(2, 3), gg.zeros(2, 4))
    with pytest.raises(RuntimeError, match="dropout2d"):
        F.dropout2d(gg.zeros(3, 4), 0.5)
