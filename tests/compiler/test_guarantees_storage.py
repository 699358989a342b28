"""Storage semantics of PyTorch in both modes: in-place updates mutate the array; `.data`,
`.detach()`, `.numpy()` and `from_numpy` share memory; arguments that alias each other are
handled at call time; a returned argument is that object; a call that cannot write its
outputs changes nothing."""
import warnings

import numpy as np
import pytest

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad import nn, optim


def _alias_step(a, b):
    c = b * 1
    a.add_(1)
    return c


def _run_alias(lib, mode, same, calls=3):
    base = np.zeros(3, np.float32)
    a = lib.from_numpy(base)
    b = a if same else lib.from_numpy(base)
    fn = gg.compile(_alias_step) if mode == "compiled" else _alias_step
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        outs = [fn(a, b).numpy().copy().tolist() for _ in range(calls)]
    return outs, base.tolist()


@pytest.mark.parametrize("same", [True, False], ids=["same tensor", "shared memory"])
def test_9_aliased_arguments_compiled_equal_eager(same):
    eager = _run_alias(gg, "eager", same)
    compiled = _run_alias(gg, "compiled", same)
    assert compiled == eager
    assert eager == ([[0.0] * 3, [1.0] * 3, [2.0] * 3], [3.0] * 3)
    torch = pytest.importorskip("torch")
    assert _run_alias(torch, "eager", same) == eager


def test_9_sharing_memory_with_updated_state_warns_once_and_runs_eagerly():
    w = gg.zeros(3)

    def f(x):
        w.add_(x)
        return w * 2
    c = gg.compile(f)
    with pytest.warns(UserWarning, match="share memory"):
        c(w)                   # the argument is the state the function updates
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c(w)
    assert w.tolist() == [0.0, 0.0, 0.0]          # 0 + 0, then 0 + 0: eager's answer
    c(gg.ones(3))
    assert w.tolist() == [1.0, 1.0, 1.0]


STORAGE_CASES = {
    "data add (word-language-model update)":
        lambda m, p, g: (p.data.add_(g, alpha=-0.5), p)[1] * 1,
    "write through an index view": lambda m, x: (x[0].add_(1.0), x)[1] * 1,
    "view sees its base's later update":
        lambda m, x: (lambda y: (lambda z: (y.add_(1.0), z * 1)[1])(y[1:]))(x * 1),
    "write through reshape": lambda m, x: (x.reshape(-1).mul_(2.0), x * 1)[1],
    "write through transpose": lambda m, x: (x.t()[0].fill_(5.0), x * 1)[1],
    "detach shares memory": lambda m, x: (lambda d: (x.add_(1.0), d * 1)[1])(x.detach()),
    "argument written in place": lambda m, x: (x.mul_(3.0), x + 0)[1],
}


def _storage_run(fn, lib, arrays):
    ts = [lib.from_numpy(a.copy()) for a in arrays]
    out = fn(*ts)
    return [out.detach().numpy().copy()] + [t.numpy().copy() for t in ts]


@pytest.mark.parametrize("name", list(STORAGE_CASES))
def test_10_11_storage_semantics_compiled_equal_eager_equal_torch(name):
    case = STORAGE_CASES[name]
    n = case.__code__.co_argcount - 1
    arrays = [np.arange(6, dtype=np.float32).reshape(2, 3) + i for i in range(n)]
    eager = _storage_run(lambda *xs: case(gg, *xs), gg, arrays)
    compiled_fn = gg.compile(lambda *xs: case(gg, *xs))
    for _ in range(2):                                    # the trace, then the fast path
        compiled = _storage_run(compiled_fn, gg, arrays)
        for c, e in zip(compiled, eager):
            np.testing.assert_array_equal(c, e)
    torch = pytest.importorskip("torch")
    for t, e in zip(_storage_run(lambda *xs: case(torch, *xs), torch, arrays), eager):
        np.testing.assert_array_equal(t, e)


@pytest.mark.parametrize("mode", ["eager", "compiled"])
def test_11_detach_and_numpy_taken_before_training_follow_the_parameters(mode):
    gg.manual_seed(0)
    m = nn.Linear(3, 2)
    opt = optim.Adam(m.parameters(), lr=0.1)
    detached, array, data = m.weight.detach(), m.weight.numpy(), m.weight.data

    def step(x, y):
        opt.zero_grad()
        loss = F.mse_loss(m(x), y)
        loss.backward()
        opt.step()
        return loss
    fn = gg.compile(step) if mode == "compiled" else step
    x, y = gg.randn(4, 3), gg.randn(4, 2)
    before = array.copy()
    for _ in range(3):
        fn(x, y)
    assert not np.array_equal(before, m.weight.numpy())
    assert np.shares_memory(array, m.weight.numpy())
    np.testing.assert_array_equal(detached.numpy(), m.weight.numpy())
    np.testing.assert_array_equal(data.numpy(), m.weight.numpy())


@pytest.mark.parametrize("mode", ["eager", "compiled"])
def test_11_in_place_ops_on_from_numpy_write_the_callers_array(mode):
    base = np.ones(4, np.float32)

    def f(x):
        x.mul_(2.0)
        return x.sum()
    fn = gg.compile(f) if mode == "compiled" else f
    t = gg.from_numpy(base)
    fn(t)
    fn(t)
    assert base.tolist() == [4.0] * 4


def test_12_a_returned_argument_or_outside_tensor_is_that_object():
    w = gg.ones(2)
    f = gg.compile(lambda x, y: (x, y * 2, w))
    x = gg.zeros(2)
    for _ in range(2):
        out = f(x, x)
        assert out[0] is x and out[2] is w and out[1] is not x
    torch = pytest.importorskip("torch")
    tx = torch.zeros(2)
    assert (lambda x: x)(tx) is tx


def _adam_step_on(x_arg):
    gg.manual_seed(0)
    m = nn.Linear(3, 2)
    opt = optim.Adam(m.parameters(), lr=0.1)

    @gg.compile
    def step(x):
        opt.zero_grad()
        loss = m(x).pow(2).mean()
        loss.backward()
        opt.step()
        x.mul_(0.5)                     # writes its input in place
        return loss
    return m, opt, step


def test_13_a_read_only_input_is_refused_before_anything_is_written():
    m, opt, step = _adam_step_on(None)
    x = gg.ones(4, 3)
    step(x)
    step(x)
    weights = [p.numpy().copy() for p in m.parameters()]
    steps = [float(np.asarray(opt.state[p]["step"].numpy())) for p in m.parameters()]
    versions = [p._version for p in m.parameters()]
    frozen = np.ones((4, 3), np.float32)
    frozen.flags.writeable = False                 # as a memory-mapped dataset is
    with pytest.raises(ValueError, match="read-only.*nothing was changed"):
        step(gg.from_numpy(frozen))
    for p, w in zip(m.parameters(), weights):
        np.testing.assert_array_equal(p.numpy(), w)
    assert [float(np.asarray(opt.state[p]["step"].numpy())) for p in m.parameters()] == steps
    assert [p._version for p in m.parameters()] == versions
    step(gg.ones(4, 3))                                # and the next good call goes on
    assert [float(np.asarray(opt.state[p]["step"].numpy())) for p in m.parameters()] == \
        [s + 1 for s in steps]


def test_13_read_only_state_is_refused_before_anything_is_written():
    w = gg.zeros(3)
    v = gg.zeros(3)

    @gg.compile
    def f(x):
        v.add_(x)
        w.add_(x)
        return x * 1
    f(gg.ones(3))
    w._data.flags.writeable = False
    with pytest.raises(ValueError, match="read-only.*nothing was changed"):
        f(gg.ones(3))
    assert v.tolist() == [1.0, 1.0, 1.0]           # nothing written, not even the first


def test_outside_state_given_autograd_history_is_refused_while_tracing():
    state = gg.zeros(3)
    w = gg.ones(3, requires_grad=True)
    f = gg.compile(lambda x: (state.add_(x * w), state * 1)[1])
    with pytest.raises(gg.TraceError, match="in place with a value that requires grad"):
        f(gg.ones(3))
    assert state.tolist() == [0.0, 0.0, 0.0] and not state.requires_grad
    ok = gg.compile(lambda x: (state.add_((x * w).detach()), state * 1)[1])
    assert ok(gg.ones(3)).tolist() == [1.0, 1.0, 1.0]


def test_arguments_that_only_read_shared_memory_are_compiled():
    w = gg.zeros(3)
    stream = gg.arange(12.0)

    @gg.compile
    def f(data, target):
        w.add_(data - target)               # writes state, not the arguments
        return w * 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # no eager fallback
        for i in range(3):
            out = f(stream[i:i + 3], stream[i + 1:i + 4])
    assert out.tolist() == [-3.0, -3.0, -3.0]
    assert f.cache_info().traces == 1


@pytest.mark.parametrize("clear", ["set_to_none", "zero in place", "accumulate", "assign"])
def test_grad_tensor_objects_are_new_or_kept_as_eagerly(clear):
    # after zero_grad() backward makes a new .grad tensor (an old reference keeps its values);
    # accumulating keeps the tensor: compiled calls must do the same
    def run(compiled):
        gg.manual_seed(0)
        m = nn.Linear(2, 1)

        def step(x):
            if clear == "set_to_none":
                m.zero_grad()
            elif clear == "zero in place":
                m.zero_grad(set_to_none=False)
            elif clear == "assign":
                m.weight.grad = gg.zeros(1, 2)
            loss = m(x).sum()
            loss.backward()
            return loss
        f = gg.compile(step) if compiled else step
        seen = []
        for k in range(4):
            f(gg.full((3, 2), float(k + 1)))
            g = m.weight.grad
            seen.append((g, g.numpy().copy()))
        same = [a is b for (a, _), (b, _) in zip(seen, seen[1:])]
        kept = [np.array_equal(g.numpy(), v) for g, v in seen]
        return same, kept, [v for _, v in seen]

    eager, compiled = run(False), run(True)
    assert compiled[0] == eager[0] and compiled[1] == eager[1]
    np.testing.assert_allclose(np.array(compiled[2]), np.array(eager[2]), rtol=1e-6)
