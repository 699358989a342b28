"""nn.Module registration and state, Linear, Sequential, Dropout, load_state_dict, and modules
under gg.compile."""
import math
from collections import OrderedDict

import numpy as np
import pytest

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        self.register_buffer("running", gg.zeros(2))
        self.register_buffer("scratch", gg.ones(2), persistent=False)
        self.scale = nn.Parameter(gg.ones(1))
        self.note = "not a tensor"

    def forward(self, x):
        return self.body(x) * self.scale + self.running


def full_state(model, value):
    return {k: gg.tensor(np.full(v.shape, value, v.dtype)) for k, v in model.state_dict().items()}


def snapshot(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


# -- registration ----------------------------------------------------------------------------------

def test_parameters_and_names():
    model = Net()
    names = [n for n, _ in model.named_parameters()]
    assert names == ["scale", "body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias"]
    params = list(model.parameters())
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in params)
    assert [p.shape for p in params] == [(1,), (4, 3), (4,), (2, 4), (2,)]
    seq = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight",
                                                      "2.bias"]
    assert next(model.body.named_parameters(prefix="body"))[0] == "body.0.weight"
    assert [n for n, _ in model.named_parameters(recurse=False)] == ["scale"]


def test_shared_parameter_listed_once():
    layer = nn.Linear(2, 2)
    seq = nn.Sequential(layer, nn.ReLU(), layer)
    assert len(list(seq.parameters())) == 2


def test_buffers_are_registered_not_parameters():
    model = Net()
    assert [n for n, _ in model.named_buffers()] == ["running", "scratch"]
    assert not any(b.requires_grad for b in model.buffers())
    assert "running" not in [n for n, _ in model.named_parameters()]
    assert model.running is model._buffers["running"]
    model.running = gg.full((2,), 3.0)    # reassigning keeps it a buffer
    assert [n for n, _ in model.named_buffers()] == ["running", "scratch"]
    np.testing.assert_array_equal(model.running.numpy(), [3.0, 3.0])
    assert model.note == "not a tensor"
    model.scale = nn.Parameter(gg.full((1,), 2.0))   # a reassigned parameter keeps its place
    assert [n for n, _ in model.named_parameters()][:2] == ["scale", "body.0.weight"]
    assert list(model.state_dict())[:2] == ["scale", "running"]
    with pytest.raises(TypeError, match="Tensor"):
        model.register_buffer("bad", np.zeros(2))


def test_children_and_modules():
    model = Net()
    assert [type(c).__name__ for c in model.children()] == ["Sequential"]
    assert [type(m).__name__ for m in model.modules()] == ["Net", "Sequential", "Linear",
                                                           "ReLU", "Linear"]
    assert [n for n, _ in model.named_modules()] == ["", "body", "body.0", "body.1", "body.2"]


def test_train_and_eval_are_recursive():
    model = Net()
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model.body.eval()
    assert model.training and not model.body[0].training
    with pytest.raises(TypeError):
        model.train("yes")


def test_zero_grad_set_to_none_both_ways():
    model = Net()
    model(gg.ones(5, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    grads = [p.grad for p in model.parameters()]
    model.zero_grad(set_to_none=False)
    for p, g in zip(model.parameters(), grads):
        assert p.grad is g                              # the same tensor, zeroed
        np.testing.assert_array_equal(p.grad.numpy(), np.zeros(p.shape))
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_to_float64_and_double_convert_parameters_and_buffers_in_place():
    model = Net()
    weight = model.body[0].weight
    before = weight.numpy().copy()
    assert model.to(gg.float64) is model
    assert model.body[0].weight is weight
    assert all(t.dtype == gg.float64 for t in model.state_dict().values())
    assert model.scratch.dtype == gg.float64
    np.testing.assert_array_equal(weight.numpy(), before.astype(np.float64))
    out = model(gg.tensor(np.ones((2, 3))))
    assert out.dtype == gg.float64
    model.float()
    assert all(t.dtype == gg.float32 for t in model.state_dict().values())
    model.double()
    assert all(p.dtype == gg.float64 for p in model.parameters())


def test_module_needs_super_init():
    class Broken(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super"):
        Broken()


# -- Linear ----------------------------------------------------------------------------------------

def test_linear_default_init_follows_pytorch():
    fan_in, fan_out = 1000, 500
    layer = nn.Linear(fan_in, fan_out)
    bound = 1.0 / math.sqrt(fan_in)
    w, b = layer.weight.numpy(), layer.bias.numpy()
    assert w.shape == (fan_out, fan_in) and w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.99 * bound           # the whole range is used
    # U(-bound, bound) has variance bound^2 / 3
    np.testing.assert_allclose(w.var(), bound ** 2 / 3, rtol=0.02)
    np.testing.assert_allclose(w.mean(), 0.0, atol=bound * 0.01)
    np.testing.assert_allclose(b.var(), bound ** 2 / 3, rtol=0.2)


def test_linear_init_is_reproducible_with_manual_seed():
    gg.manual_seed(3)
    first = nn.Linear(4, 3).weight.numpy().copy()
    gg.manual_seed(3)
    np.testing.assert_array_equal(nn.Linear(4, 3).weight.numpy(), first)


def test_linear_forward_equals_x_wt_plus_b():
    layer = nn.Linear(3, 2)
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    expected = x @ layer.weight.numpy().T + layer.bias.numpy()
    np.testing.assert_allclose(layer(gg.tensor(x)).numpy(), expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(F.linear(gg.tensor(x), layer.weight, layer.bias).numpy(),
                               expected, rtol=1e-6, atol=1e-7)
    batched = np.stack([x, 2 * x])
    np.testing.assert_allclose(layer(gg.tensor(batched)).numpy()[1],
                               2 * x @ layer.weight.numpy().T + layer.bias.numpy(), rtol=1e-6)
    no_bias = nn.Linear(3, 2, bias=False)
    assert no_bias.bias is None and len(list(no_bias.parameters())) == 1
    np.testing.assert_allclose(no_bias(gg.tensor(x)).numpy(), x @ no_bias.weight.numpy().T,
                               rtol=1e-6)
    with pytest.raises(gg.ShapeError, match="linear"):
        layer(gg.ones(4, 5))


def test_linear_float64():
    layer = nn.Linear(3, 2, dtype=gg.float64)
    assert layer.weight.dtype == gg.float64 and layer.bias.dtype == gg.float64
    x = np.random.default_rng(0).standard_normal((4, 3))
    np.testing.assert_allclose(layer(gg.tensor(x)).numpy(),
                               x @ layer.weight.numpy().T + layer.bias.numpy(), rtol=1e-14)


# -- Sequential ------------------------------------------------------------------------------------

def test_sequential_item_assignment_and_deletion_as_torch():
    a, b, c, d = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), nn.Tanh()
    seq = nn.Sequential(a, b, c)
    seq[1] = d
    assert list(seq) == [a, d, c] and list(seq._modules) == ["0", "1", "2"]
    del seq[0]
    assert list(seq) == [d, c] and list(seq._modules) == ["0", "1"]   # numbered again
    assert [n for n, _ in seq.named_parameters()] == ["1.weight", "1.bias"]
    del seq[-2:]
    assert len(seq) == 0
    with pytest.raises(IndexError, match="index 5 is out of range"):
        seq[5] = d


def test_sequential_indexing_len_iteration():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3
    assert seq[0] is a and seq[1] is b and seq[-1] is c
    assert list(seq) == [a, b, c]
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and list(head) == [a, b]
    tail = seq[1:]
    assert list(tail) == [b, c] and list(tail.state_dict()) == ["2.weight", "2.bias"]
    x = gg.tensor(np.random.default_rng(0).standard_normal((5, 2)).astype(np.float32))
    np.testing.assert_allclose(seq(x).numpy(), c(b(a(x))).numpy(), rtol=1e-6)
    named = nn.Sequential(OrderedDict([("inp", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert [n for n, _ in named.named_parameters()] == ["inp.weight", "inp.bias"]
    named.append(nn.Identity())
    assert len(named) == 3 and isinstance(named[2], nn.Identity)


def test_activation_modules():
    x = gg.tensor([-2.0, 0.0, 1.5])
    xv = x.numpy()
    np.testing.assert_array_equal(nn.ReLU()(x).numpy(), np.maximum(xv, 0))
    np.testing.assert_allclose(nn.Tanh()(x).numpy(), np.tanh(xv), rtol=1e-6)
    np.testing.assert_allclose(nn.Sigmoid()(x).numpy(), 1 / (1 + np.exp(-xv)), rtol=1e-6)
    assert nn.Identity()(x) is x


# -- Dropout ---------------------------------------------------------------------------------------

def test_dropout_train_scales_and_drops_about_p():
    p = 0.3
    drop = nn.Dropout(p)
    x = gg.ones(200, 200)
    y = drop(x).numpy()
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1.0 / (1.0 - p), rtol=1e-6)
    assert abs((~kept).mean() - p) < 0.01            # 40,000 draws: std of the fraction 0.002
    np.testing.assert_allclose(y.mean(), 1.0, atol=0.02)


def test_dropout_gradient_uses_the_same_mask():
    x = gg.tensor(np.ones((50, 50), np.float32), requires_grad=True)
    y = nn.Dropout(0.5)(x)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())


def test_dropout_eval_is_identity():
    drop = nn.Dropout(0.5).eval()
    x = gg.randn(10, 10)
    np.testing.assert_array_equal(drop(x).numpy(), x.numpy())
    np.testing.assert_array_equal(F.dropout(x, 0.5, training=False).numpy(), x.numpy())
    with pytest.raises(ValueError):
        nn.Dropout(1.5)


def test_compiled_dropout_draws_a_new_mask_each_call_and_follows_manual_seed():
    drop = nn.Dropout(0.5)
    compiled = gg.compile(drop)
    x = gg.ones(64, 64)
    first, second = compiled(x).numpy(), compiled(x).numpy()
    assert compiled.cache_info().traces == 1
    assert (first != second).mean() > 0.3            # independent masks differ on ~half
    for y in (first, second):
        assert set(np.unique(y)) == {0.0, 2.0}
        assert abs((y == 0).mean() - 0.5) < 0.03
    gg.manual_seed(7)
    run1 = [compiled(x).numpy() for _ in range(2)]
    gg.manual_seed(7)
    run2 = [compiled(x).numpy() for _ in range(2)]
    np.testing.assert_array_equal(run1[0], run2[0])
    np.testing.assert_array_equal(run1[1], run2[1])
    gg.manual_seed(7)
    np.testing.assert_array_equal(drop(x).numpy(), run1[0])   # eager draws the same numbers
    drop.eval()
    np.testing.assert_array_equal(compiled(x).numpy(), x.numpy())
    assert compiled.cache_info().traces == 2                    # training flag is guarded


# -- state_dict / load_state_dict ------------------------------------------------------------------

def test_state_dict_keys_and_snapshots():
    model = Net()
    state = model.state_dict()
    assert list(state) == ["scale", "running", "body.0.weight", "body.0.bias", "body.2.weight",
                           "body.2.bias"]                       # non-persistent buffer left out
    before = state["body.0.weight"].numpy().copy()
    with gg.no_grad():
        model.body[0].weight.add_(1.0)
    np.testing.assert_array_equal(state["body.0.weight"].numpy(), before)


def test_deepcopy_copies_parameters_buffers_and_grads():
    import copy
    model = Net()
    model(gg.ones(2, 3)).sum().backward()
    clone = copy.deepcopy(model)
    pairs = list(zip(model.named_parameters(), clone.named_parameters()))
    assert [a for (a, _), _ in pairs] == [b for _, (b, _) in pairs]
    for (_, p), (_, q) in pairs:
        assert q is not p and type(q) is type(p) and q.requires_grad
        np.testing.assert_array_equal(q.numpy(), p.numpy())
        np.testing.assert_array_equal(q.grad.numpy(), p.grad.numpy())
    assert list(dict(clone.named_buffers())) == list(dict(model.named_buffers()))
    with gg.no_grad():
        clone.scale.mul_(3.0)
    assert model.scale.item() == 1.0
    shared = nn.Sequential(model.body, model.body)
    twin = copy.deepcopy(shared)
    assert twin[0] is twin[1] and twin[0] is not model.body
    with pytest.raises(gg.AutogradError, match="graph leaves"):
        copy.deepcopy(model.scale * 2)


def test_load_state_dict_round_trip():
    src, dst = Net(), Net()
    with gg.no_grad():
        src.running.fill_(0.25)
    result = dst.load_state_dict(src.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (k, a), b in zip(src.state_dict().items(), dst.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    x = gg.randn(3, 3)
    np.testing.assert_array_equal(src(x).numpy(), dst(x).numpy())


def test_load_state_dict_strict_lists_every_problem_and_copies_nothing():
    model = Net()
    before = snapshot(model)
    state = full_state(model, 7.0)
    del state["scale"]
    del state["body.2.bias"]
    state["extra.weight"] = gg.zeros(1)
    state["body.0.weight"] = gg.zeros(2, 2)
    with pytest.raises(gg.ShapeError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    for part in ("missing key: scale", "missing key: body.2.bias", "unexpected key: extra.weight",
                 "body.0.weight: shape (2, 2)", "(4, 3)", "nothing was loaded"):
        assert part in message
    after = snapshot(model)
    for k in before:
        np.testing.assert_array_equal(after[k], before[k], err_msg=k)


def test_load_state_dict_wrong_shape_alone_copies_nothing():
    model = Net()
    before = snapshot(model)
    state = full_state(model, 7.0)
    state["body.2.bias"] = gg.zeros(3)
    with pytest.raises(gg.ShapeError, match=r"body\.2\.bias: shape \(3,\)"):
        model.load_state_dict(state)
    np.testing.assert_array_equal(model.body[0].weight.numpy(), before["body.0.weight"])


def test_load_state_dict_not_strict():
    model = Net()
    state = full_state(model, 7.0)
    del state["scale"]
    state["extra"] = gg.zeros(1)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["scale"] and result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(model.scale.numpy(), [1.0])
    np.testing.assert_array_equal(model.body[0].weight.numpy(), np.full((4, 3), 7.0))
    np.testing.assert_array_equal(model.running.numpy(), [7.0, 7.0])
    # a wrong shape is an error even when not strict, and nothing is copied
    state["body.0.bias"] = gg.zeros(9)
    state["body.2.bias"] = gg.full((2,), 1.0)
    with pytest.raises(gg.ShapeError, match=r"body\.0\.bias"):
        model.load_state_dict(state, strict=False)
    np.testing.assert_array_equal(model.body[2].bias.numpy(), [7.0, 7.0])


def test_load_state_dict_keeps_parameter_objects_and_dtype():
    model = Net()
    weight = model.body[0].weight
    state = {k: v.numpy().astype(np.float64) + 1.0 for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    assert model.body[0].weight is weight and weight.dtype == gg.float32
    np.testing.assert_allclose(weight.numpy(), state["body.0.weight"], rtol=1e-7)


# -- modules under gg.compile ----------------------------------------------------------------------

def test_compiled_model_sees_in_place_parameter_updates_without_retracing():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    compiled = gg.compile(model)
    x = gg.tensor(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))

    def reference():
        w0, b0 = model[0].weight.numpy(), model[0].bias.numpy()
        w2, b2 = model[2].weight.numpy(), model[2].bias.numpy()
        return np.tanh(x.numpy() @ w0.T + b0) @ w2.T + b2

    with gg.no_grad():
        np.testing.assert_allclose(compiled(x).numpy(), reference(), rtol=1e-5, atol=1e-6)
        model[0].weight.mul_(2.0)
        model[2].bias.fill_(0.5)
        np.testing.assert_allclose(compiled(x).numpy(), reference(), rtol=1e-5, atol=1e-6)
    model.load_state_dict({k: v.numpy() * 0.5 for k, v in model.state_dict().items()})
    with gg.no_grad():
        np.testing.assert_allclose(compiled(x).numpy(), reference(), rtol=1e-5, atol=1e-6)
    assert compiled.cache_info().traces == 1


def test_compiled_model_gradients_match_eager():
    model = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2))
    compiled = gg.compile(model)
    rng = np.random.default_rng(2)
    x = gg.tensor(rng.standard_normal((6, 3)).astype(np.float32))
    y = gg.tensor(rng.integers(0, 2, 6))
    F.cross_entropy(model(x), y).backward()
    eager = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    F.cross_entropy(compiled(x), y).backward()
    for p, g in zip(model.parameters(), eager):
        np.testing.assert_allclose(p.grad.numpy(), g, rtol=1e-5, atol=1e-7)
