"""The quick eager paths (Tensor operators with Python numbers, SGD's step on the arrays,
shortcuts in dims and shapes) give exactly what the general paths give: the same values, bit
for bit, the same dtypes, the same errors and version counts."""
import itertools

import numpy as np
import pytest

import graphgrad as gg
from graphgrad import ops
from graphgrad.errors import OutOfRangeError, ShapeError


def _sgd_run(dtype, anomaly, steps=4, **kw):
    """Parameters and momentum buffers after `steps` SGD steps (anomaly mode takes the general
    path, op by op)."""
    rng = np.random.default_rng(3)
    w = gg.tensor(rng.standard_normal((3, 4)).astype(dtype), requires_grad=True)
    b = gg.tensor(rng.standard_normal(4).astype(dtype), requires_grad=True)
    x = gg.tensor(rng.standard_normal((5, 3)).astype(dtype))
    opt = gg.optim.SGD([w, b], lr=0.05, **kw)
    versions = []
    for _ in range(steps):
        opt.zero_grad()
        loss = ((x @ w + b) ** 2).sum()
        loss.backward()
        if anomaly:
            with gg.detect_anomaly():
                opt.step()
        else:
            opt.step()
        versions.append((w._version, b._version))
    bufs = [opt.state[p]["momentum_buffer"].numpy().copy() for p in (w, b)
            if "momentum_buffer" in opt.state[p]]
    return [w.numpy().copy(), b.numpy().copy()], bufs, versions


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("momentum,nesterov,weight_decay,maximize,dampening", [
    (0.0, False, 0.0, False, 0.0), (0.9, False, 0.0, False, 0.0), (0.9, True, 0.0, False, 0.0),
    (0.9, False, 0.01, False, 0.0), (0.5, True, 0.1, True, 0.0), (0.0, False, 0.2, True, 0.0),
    (0.9, False, 0.0, False, 0.3), (1, False, 0, False, 0)])
def test_sgd_step_on_arrays_is_bitwise_the_general_step(dtype, momentum, nesterov, weight_decay,
                                                       maximize, dampening):
    kw = dict(momentum=momentum, nesterov=nesterov, weight_decay=weight_decay,
              maximize=maximize, dampening=dampening)
    fast = _sgd_run(dtype, False, **kw)
    general = _sgd_run(dtype, True, **kw)
    for a, b in zip(fast[0] + fast[1], general[0] + general[1]):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_array_equal(a, b)
    assert fast[2] == general[2]


def test_sgd_step_keeps_its_errors_and_falls_back_for_other_lr_types():
    w = gg.tensor(np.ones(3, np.float32), requires_grad=True)
    w.grad = gg.ones(3)
    opt = gg.optim.SGD([w], lr=0.5)
    w._data.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        opt.step()
    w._data.flags.writeable = True
    opt.param_groups[0]["lr"] = np.float64(0.5)       # not a Python number: general path
    opt.step()
    np.testing.assert_array_equal(w.numpy(), np.full(3, 0.5, np.float32))


def _outcome(fn):
    try:
        out = fn()
    except Exception as e:          # the same error, e.g. -1 out of bounds for uint8
        return type(e), str(e)
    return out.dtype, out.numpy().tolist()


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32, np.uint8,
                                   np.bool_])
@pytest.mark.parametrize("number", [2.5, 3, -1, 0.0])
def test_operators_with_python_numbers_match_the_op_functions(dtype, number):
    x = gg.tensor(np.array([[0, 1, 2], [3, 4, 5]]).astype(dtype))
    pairs = [(lambda: x + number, lambda: ops.add(x, number)),
             (lambda: number + x, lambda: ops.add(number, x)),
             (lambda: x * number, lambda: ops.mul(x, number)),
             (lambda: number * x, lambda: ops.mul(number, x)),
             (lambda: x - number, lambda: ops.sub(x, number)),
             (lambda: number - x, lambda: ops.sub(number, x))]
    for name in ("eq", "ne", "lt", "le", "gt", "ge"):
        pairs.append((lambda name=name: getattr(x, f"__{name}__")(number),
                      lambda name=name: getattr(ops, name)(x, number)))
    for got, want in pairs:
        assert _outcome(got) == _outcome(want)


def test_operators_with_numbers_record_gradients_and_trace():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    y = (2.0 - x) * 3 + 1.5 * x - x * 0.5 + (1 + x)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(2, -1.0, np.float32))
    f = gg.compile(lambda t: (2.0 - t) * 3 + 1.5 * t)
    np.testing.assert_array_equal(f(gg.tensor([1.0, 2.0])).numpy(), [4.5, 3.0])


def test_dims_and_shapes_keep_their_errors():
    x = gg.ones(2, 3, 4)
    for bad in (3, -4):
        with pytest.raises(OutOfRangeError, match="transpose"):
            x.transpose(bad, 0)
    with pytest.raises(TypeError, match="dim must be an int"):
        x.transpose(True, 0)
    with pytest.raises(ShapeError, match=r"reshape: shape \(5, 5\) is invalid for 24"):
        x.reshape(5, 5)
    assert x.reshape(4, -1).shape == (4, 6)
    assert x.transpose(1, 1) is x
    assert gg.ones(()).sum(dim=-1).shape == ()
    assert x.transpose(-1, 0).shape == (4, 3, 2)


@pytest.mark.parametrize("perm", list(itertools.permutations(range(3))))
def test_permute_gradient_is_the_inverse_permutation(perm):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 3, 4)).astype(np.float32)
    w = rng.standard_normal(np.transpose(a, perm).shape).astype(np.float32)
    x = gg.tensor(a, requires_grad=True)
    (x.permute(*perm) * gg.tensor(w)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.transpose(w, np.argsort(perm)))


def test_where_broadcasts_operands_of_any_shape():
    c = gg.tensor([[True], [False]])
    out = gg.where(c, gg.tensor([1.0, 2.0, 3.0]), 0.0)
    np.testing.assert_array_equal(out.numpy(), [[1, 2, 3], [0, 0, 0]])
    out = gg.where(gg.tensor([True, False, True]), 0.0, gg.ones(2, 3))
    np.testing.assert_array_equal(out.numpy(), [[0, 1, 0], [0, 1, 0]])



@pytest.mark.parametrize("shape", [(2, 3, 4), (5,), ()])
def test_reductions_over_one_int_dim_equal_the_tuple_form(shape):
    x = gg.tensor(np.random.default_rng(1).standard_normal(shape))
    for dim in range(-len(shape), len(shape)):
        for keepdim in (False, True):
            for fn in (gg.sum, gg.mean):
                want = fn(x, [dim], keepdim)             # a list takes the general path
                for got in (fn(x, dim, keepdim), fn(x, (dim,), keepdim)):
                    assert got.shape == want.shape
                    np.testing.assert_array_equal(got.numpy(), want.numpy())
    for fn in (gg.sum, gg.mean):
        with pytest.raises(OutOfRangeError, match="out of range"):
            fn(x, len(shape) + 1)
    assert gg.ones(()).sum(0).shape == gg.ones(()).mean(-1).shape == ()


def test_int_index_and_T_equal_the_general_forms():
    a = np.arange(12.0).reshape(3, 4)
    x = gg.tensor(a, requires_grad=True)
    for i in range(-3, 3):
        np.testing.assert_array_equal(x[i].numpy(), a[i])
        np.testing.assert_array_equal(x[i].numpy(), x[(i,)].numpy())
    with pytest.raises(OutOfRangeError, match=r"index 3 is out of bounds .* shape \(3, 4\)"):
        x[3]
    with pytest.raises(OutOfRangeError, match="too many indices"):
        gg.tensor(1.0)[0]
    np.testing.assert_array_equal(x.T.numpy(), a.T)
    assert x.T.shape == x.permute(1, 0).shape and gg.ones(3).T.shape == (3,)
    (x[1] * 2 + x.T[:, 0]).sum().backward()          # views of x: gradients flow back
    want = np.zeros((3, 4))
    want[1] = 2
    want[0] += 1
    np.testing.assert_array_equal(x.grad.numpy(), want)
    y = gg.zeros(2, 3)
    y[1][2] = 5.0                                     # writes through the view, as in torch
    y.T[0, 1] = 7.0
    np.testing.assert_array_equal(y.numpy(), [[0, 0, 0], [7, 0, 5]])


def _optimizer_run(opt_class, dtype, anomaly, steps=4, **kw):
    """Parameters, state and version counts after `steps` steps (anomaly mode takes the
    general path, op by op)."""
    rng = np.random.default_rng(5)
    w = gg.tensor(rng.standard_normal((3, 4)).astype(dtype), requires_grad=True)
    b = gg.tensor(rng.standard_normal(4).astype(dtype), requires_grad=True)
    x = gg.tensor(rng.standard_normal((5, 3)).astype(dtype))
    opt = opt_class([w, b], **kw)
    versions = []
    for i in range(steps):
        opt.zero_grad()
        ((x @ w + b) ** 2).sum().backward()
        opt.param_groups[0]["lr"] = kw.get("lr", 1e-3) * (1 + i)     # as a scheduler would
        if anomaly:
            with gg.detect_anomaly():
                opt.step()
        else:
            opt.step()
        versions.append((w._version, b._version) + tuple(
            t._version for p in (w, b) for t in opt.state[p].values()))
    state = [(name, t.numpy().copy()) for p in (w, b) for name, t in opt.state[p].items()]
    return [w.numpy().copy(), b.numpy().copy()] + state, versions


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("opt_class, kw", [
    ("Adam", {}), ("Adam", dict(lr=0.1, weight_decay=0.1)), ("Adam", dict(maximize=True)),
    ("Adam", dict(betas=(0.3, 0.5), eps=1e-3)), ("AdamW", {}),
    ("AdamW", dict(lr=0.05, weight_decay=0.3, maximize=True)), ("Adam", dict(amsgrad=True)),
    ("Adam", dict(weight_decay=0.1, decoupled_weight_decay=True)),
    ("RMSprop", {}), ("RMSprop", dict(alpha=0.9, eps=1e-3, weight_decay=0.1, maximize=True)),
    ("RMSprop", dict(momentum=0.9)), ("RMSprop", dict(centered=True)),
    ("Adagrad", {}), ("Adagrad", dict(weight_decay=0.1, initial_accumulator_value=0.5,
                                      maximize=True)),
    ("Adagrad", dict(lr_decay=0.01)),
    ("Adamax", {}), ("Adamax", dict(betas=(0.3, 0.5), weight_decay=0.1, maximize=True)),
    ("Adadelta", {}), ("Adadelta", dict(rho=0.5, eps=1e-3, weight_decay=0.1, maximize=True)),
    ("NAdam", {}), ("NAdam", dict(betas=(0.3, 0.5), weight_decay=0.1, momentum_decay=0.1)),
    ("NAdam", dict(weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", {}), ("RAdam", dict(betas=(0.3, 0.5), weight_decay=0.1, maximize=True)),
    ("RAdam", dict(betas=(0.5, 0.9), weight_decay=0.1, decoupled_weight_decay=True))])
def test_optimizer_step_on_arrays_is_bitwise_the_general_step(dtype, opt_class, kw,
                                                              monkeypatch):
    opt_class = getattr(gg.optim, opt_class)
    owner = next(c for c in opt_class.__mro__ if "_eager_update" in vars(c))
    taken = []
    quick = owner._eager_update
    monkeypatch.setattr(owner, "_eager_update", lambda *a: taken.append(quick(*a)) or taken[-1])
    steps = 8 if opt_class is gg.optim.RAdam else 4    # RAdam rectifies from step 6 on here
    fast = _optimizer_run(opt_class, dtype, False, steps, **kw)
    general_path = kw.get("amsgrad") or kw.get("centered") or kw.get("lr_decay")
    assert taken == ([] if general_path else [True] * 2 * steps)     # 2 parameters
    monkeypatch.undo()
    general = _optimizer_run(opt_class, dtype, True, steps, **kw)
    assert len(fast[0]) == len(general[0])
    for a, b in zip(fast[0], general[0]):
        if isinstance(a, tuple):                              # (state name, values)
            assert a[0] == b[0]
            a, b = a[1], b[1]
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    assert fast[1] == general[1]


def test_quick_paths_compiled_equal_eager_and_torch():
    # sum/mean over one dim (int or 1-tuple), x[i], 2-D .T, arange(n), softmax rows,
    # sigmoid and (B, T, K) @ (K, N): compiled, traced through the same quick paths, equals
    # eager, values and gradients, and both equal torch
    rng = np.random.default_rng(11)
    xs, ws = rng.standard_normal((3, 4, 5)), rng.standard_normal((5, 6))

    def loss(x, w, lib=gg, F=gg.nn.functional):
        return ((x.sum(1) ** 2).sum() + x.sum((2,)).mean() + (x.mean(-1).sum() *
                x.mean((0,))).sum() + (x[1] @ w).sum() + ((x @ w) * lib.arange(6)).sum()
                + (F.softmax(x, dim=1) * F.log_softmax(x, dim=-1)).sum()
                + lib.sigmoid(w.T).sum())

    results = []
    for run in (loss, gg.compile(loss)):
        x, w = gg.tensor(xs, requires_grad=True), gg.tensor(ws, requires_grad=True)
        out = run(x, w)
        out.backward()
        results.append((out.numpy(), x.grad.numpy(), w.grad.numpy()))
    for got, want in zip(results[1], results[0]):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    try:
        import torch
    except ImportError:
        return
    x, w = torch.tensor(xs, requires_grad=True), torch.tensor(ws, requires_grad=True)
    out = loss(x, w, torch, torch.nn.functional)
    out.backward()
    for got, want in zip(results[0], (out.detach(), x.grad, w.grad)):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-10, atol=1e-12)
