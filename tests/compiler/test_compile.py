"""gg.compile semantics (SPEC section 3): cache and guards, state by reference, live randomness,
TraceError, AOT backward, whole training step, functional transforms."""
import os

import numpy as np
import pytest

import graphgrad as gg
from helpers import small_mlp, training_step
import graphgrad.nn.functional as F
from graphgrad import nn, optim


def _line_of(fn, needle):
    """Absolute line number of the first source line of `fn` containing `needle`."""
    import inspect
    lines, start = inspect.getsourcelines(fn)
    for i, line in enumerate(lines):
        if needle in line:
            return start + i
    raise AssertionError(needle)


# -- cache and guards ----------------------------------------------------------------------------

def test_body_runs_once_per_signature_and_old_entries_stay_cached():
    calls = []

    @gg.compile
    def f(x):
        calls.append(x.shape)
        return (x * 2.0).sum(1)

    a, b = gg.randn(4, 3), gg.randn(8, 3)
    for _ in range(3):
        np.testing.assert_allclose(f(a).numpy(), a.numpy().sum(1) * 2, rtol=1e-6)
    f(b)
    f(a)
    f(b)
    assert calls == [(4, 3), (8, 3)]
    info = f.cache_info()
    assert info.traces == 2 and info.entries == 2 and info.hits == 4


def test_recompile_reason_is_logged(capsys):
    @gg.compile
    def f(x):
        return x + 1.0

    gg.config.logs = {"recompiles"}
    try:
        f(gg.zeros(64, 784))
        f(gg.zeros(32, 784))
    finally:
        gg.config.logs = set()
    err = capsys.readouterr().err
    assert "arg x: shape now (32, 784), before (64, 784)" in err
    assert f.cache_info().recompile_reasons == ["arg x: shape now (32, 784), before (64, 784)"]


def test_dtype_and_requires_grad_changes_retrace():
    @gg.compile
    def f(x):
        return x * 2.0

    f(gg.ones(3))
    f(gg.ones(3, dtype=gg.float64))
    assert f(gg.ones(3, dtype=gg.float64)).dtype == np.float64
    f(gg.ones(3, requires_grad=True))
    info = f.cache_info()
    assert info.traces == 3
    assert "dtype now float64, before float32" in info.recompile_reasons[0]


def test_recompile_limit_evicts_lru_and_warns_once():
    @gg.compile
    def f(x):
        return x + 1.0

    old = gg.config.recompile_limit
    gg.config.recompile_limit = 3
    try:
        with pytest.warns(UserWarning, match="recompile limit"):
            for n in range(1, 7):
                f(gg.zeros(n))
        assert f.cache_info().entries == 3
        f(gg.zeros(6))                      # most recent: still cached
        assert f.cache_info().traces == 6
        f(gg.zeros(1))                      # evicted: traced again
        assert f.cache_info().traces == 7
    finally:
        gg.config.recompile_limit = old


def test_static_arguments_are_part_of_the_key():
    calls = []

    @gg.compile
    def f(x, scale, mode="add"):
        calls.append((scale, mode))
        return x + scale if mode == "add" else x * scale

    x = gg.ones(2)
    assert f(x, 2.0).tolist() == [3.0, 3.0]
    assert f(x, 3.0).tolist() == [4.0, 4.0]
    assert f(x, 3.0, mode="mul").tolist() == [3.0, 3.0]
    assert f(x, 2.0).tolist() == [3.0, 3.0]
    assert calls == [(2.0, "add"), (3.0, "add"), (3.0, "mul")]
    with pytest.raises(TypeError, match="not hashable"):
        f(x, np.ones(2))


def test_grad_mode_and_training_mode_are_guarded():
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
    cm = gg.compile(model)
    x = gg.randn(2, 3)
    model.eval()
    expected = model(x).numpy()
    np.testing.assert_allclose(cm(x).numpy(), expected, rtol=1e-6)
    model.train()
    train_out = cm(x).numpy()
    assert not np.allclose(train_out, expected)
    with gg.no_grad():
        out = cm(x)
    assert not out.requires_grad
    assert cm.cache_info().traces == 3


# -- state bound by reference ----------------------------------------------------------------

def test_parameters_are_bound_by_reference():
    model = nn.Linear(3, 2)
    cm = gg.compile(model)
    x = gg.randn(4, 3)
    with gg.no_grad():
        before = cm(x).numpy()
        model.weight.mul_(2.0)
        model.bias.zero_()
        after = cm(x).numpy()
    np.testing.assert_allclose(after, x.numpy() @ model.weight.numpy().T, rtol=1e-5)
    assert not np.allclose(before, after)
    assert cm.cache_info().traces == 1


def test_closure_tensor_is_bound_by_reference_and_constants_are_folded():
    scale = gg.tensor([1.0, 2.0])

    @gg.compile
    def f(x):
        return x * scale + gg.tensor([10.0, 20.0])

    x = gg.ones(2)
    assert f(x).tolist() == [11.0, 22.0]
    scale.copy_(gg.tensor([3.0, 4.0]))
    assert f(x).tolist() == [13.0, 24.0]
    assert f.cache_info().traces == 1


def test_changing_a_bound_tensor_shape_retraces():
    w = gg.ones(2)

    @gg.compile
    def f(x):
        return x * w

    assert f(gg.ones(3, 2)).shape == (3, 2)
    w._data = np.ones(1, np.float32)   # the bound tensor now has another shape
    assert f(gg.ones(3, 2)).shape == (3, 2)
    info = f.cache_info()
    assert info.traces == 2 and "shape" in info.recompile_reasons[0]


# -- randomness -------------------------------------------------------------------------------

def test_random_ops_draw_at_every_call_and_follow_manual_seed():
    @gg.compile
    def f(x):
        return x + gg.randn(3)

    x = gg.zeros(3)
    gg.manual_seed(1)
    first = [f(x).numpy() for _ in range(3)]
    assert not np.allclose(first[0], first[1])
    gg.manual_seed(1)
    again = [f(x).numpy() for _ in range(3)]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    gg.manual_seed(1)
    eager = (x + gg.randn(3)).numpy()
    np.testing.assert_array_equal(first[0], eager)


# -- TraceError -------------------------------------------------------------------------------

def _branchy(x):
    if x.sum() > 0:
        return x
    return -x


def _uses_item(x):
    return x * x.sum().item()


def _uses_numpy(x):
    return gg.tensor(np.asarray(x) * 2)


def _uses_float(x):
    return x * float(x.mean())


def _prints(x):
    print(x)
    return x


@pytest.mark.parametrize("fn, needle, what", [
    (_branchy, "if x.sum() > 0", "bool(tensor)"),
    (_uses_item, "x.sum().item()", "Tensor.item()"),
    (_uses_numpy, "np.asarray(x)", "np.asarray"),
    (_uses_float, "float(x.mean())", "float(tensor)"),
    (_prints, "print(x)", "printing"),
])
def test_data_dependent_python_raises_trace_error_with_user_line(fn, needle, what):
    model = nn.Linear(3, 3)
    before = model.weight.numpy().copy()
    compiled = gg.compile(fn)
    with pytest.raises(gg.TraceError) as info:
        compiled(gg.ones(3))
    message = str(info.value)
    assert what in message
    assert f"{os.path.basename(__file__)}:{_line_of(fn, needle)}" in message
    assert "gg.where" in message
    assert compiled.cache_info().entries == 0
    np.testing.assert_array_equal(model.weight.numpy(), before)


def test_trace_error_leaves_state_and_cache_unchanged():
    model = nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    w = model.weight.numpy().copy()

    @gg.compile
    def step(x):
        opt.zero_grad()
        loss = model(x).sum()
        loss.backward()
        opt.step()
        if loss > 0:      # fails after the update was traced
            return loss
        return -loss

    with pytest.raises(gg.TraceError):
        step(gg.ones(4, 3))
    np.testing.assert_array_equal(model.weight.numpy(), w)
    assert model.weight.grad is None
    assert not model.weight.is_traced
    assert step.cache_info().entries == 0


def test_shape_error_while_tracing_names_the_user_line():
    @gg.compile
    def f(x, w):
        return x @ w

    with pytest.raises(gg.ShapeError) as info:
        f(gg.ones(2, 3), gg.ones(4, 5))
    assert "matmul" in str(info.value) and "(2, 3) @ (4, 5)" in str(info.value)
    assert os.path.basename(__file__) in str(info.value)


# -- outputs ----------------------------------------------------------------------------------

def test_outputs_never_alias_each_other_inputs_or_previous_results():
    @gg.compile
    def f(x):
        y = x * 2.0
        return y, y, x

    x = gg.ones(3)
    a, b, c = f(x)
    a2, _, c2 = f(x)
    assert c is x and c2 is x              # a returned argument is that tensor, as in torch
    arrays = [a.numpy(), b.numpy(), a2.numpy(), x.numpy()]
    for i in range(len(arrays)):
        for j in range(i + 1, len(arrays)):
            assert not np.shares_memory(arrays[i], arrays[j])


def test_nested_structures_and_python_values_in_outputs():
    @gg.compile
    def f(batch):
        x, extra = batch["x"], batch["extra"]
        return {"sum": x.sum(), "pair": (x * 2.0, extra + 1.0), "label": "ok", "n": x.shape[0]}

    out = f({"x": gg.ones(2), "extra": gg.zeros(1)})
    assert out["label"] == "ok" and out["n"] == 2
    assert out["sum"].item() == 2.0 and out["pair"][1].tolist() == [1.0]


# -- in-place inside compiled functions --------------------------------------------------------

def _inplace_program(x):
    y = x * 1.0
    y += 1.0
    y[0] = 5.0
    y.mul_(2.0)
    y[1:, 0] = gg.tensor([7.0, 8.0])
    return y


def test_inplace_ops_are_functionalized_when_traced():
    x = gg.randn(3, 2)
    eager = _inplace_program(x).numpy()
    compiled = gg.compile(_inplace_program)(x).numpy()
    np.testing.assert_array_equal(compiled, eager)


def test_inplace_on_an_argument_mutates_the_callers_tensor():
    @gg.compile
    def f(x):
        x.add_(1.0)
        return x.sum()

    x = gg.zeros(3)
    f(x)
    f(x)
    assert x.tolist() == [2.0, 2.0, 2.0]


# -- AOT: compiled forward, eager backward ------------------------------------------------------

def test_compiled_module_backward_matches_eager():
    gg.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3))
    x = gg.randn(6, 5)
    y = gg.tensor(np.arange(6) % 3)
    F.cross_entropy(model(x), y).backward()
    eager = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    cm = gg.compile(model)
    loss = F.cross_entropy(cm(x), y)
    assert loss.grad_fn is not None
    loss.backward()
    for g, p in zip(eager, model.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), g, rtol=1e-5, atol=1e-7)
    backward = str(cm.graph(x, which="backward"))
    assert "matmul" in backward and "tanh" not in backward


def test_aot_backward_reaches_eager_inputs_and_refuses_a_second_pass():
    lin = nn.Linear(3, 2)
    cm = gg.compile(lin)
    a = gg.randn(4, 3, requires_grad=True)
    h = a * 3.0                                   # eager op before the compiled module
    out = cm(h).sum()
    out.backward(retain_graph=True)
    np.testing.assert_allclose(a.grad.numpy(), 3.0 * np.tile(lin.weight.numpy().sum(0), (4, 1)),
                               rtol=1e-5)
    out.backward()
    np.testing.assert_allclose(a.grad.numpy(),
                               6.0 * np.tile(lin.weight.numpy().sum(0), (4, 1)), rtol=1e-5)
    with pytest.raises(gg.AutogradError, match="retain_graph"):
        out.backward()


# -- whole training step ----------------------------------------------------------------------

def _mlp_step():
    gg.manual_seed(0)
    model = small_mlp()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return model, opt, training_step(model, opt)


def test_whole_step_graph_views_list_ordinary_ops():
    model, opt, step = _mlp_step()
    cstep = gg.compile(step)
    x, y = gg.randn(16, 4), gg.tensor(np.arange(16) % 3)
    backward = str(cstep.graph(x, y, which="backward"))
    assert "matmul" in backward and "# backward" in backward
    forward = str(cstep.graph(x, y, which="forward"))
    assert "matmul" in forward and "# backward" not in forward
    update = str(cstep.graph(x, y, which="update"))
    assert "sub(" in update
    whole = cstep.graph(x, y, which="step")
    whole.verify()
    assert whole.output_kinds.count("data") == 4 + 4   # parameters + momentum buffers


def test_step_without_zero_grad_accumulates_like_eager():
    results = {}
    for mode in ("eager", "compiled"):
        gg.manual_seed(0)
        model = nn.Linear(3, 2)
        opt = optim.SGD(model.parameters(), lr=0.1)

        def step(x):
            loss = (model(x) ** 2).mean()
            loss.backward()       # gradients pile up: no zero_grad
            opt.step()
            return loss

        fn = gg.compile(step) if mode == "compiled" else step
        x = gg.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3))
        results[mode] = ([fn(x).item() for _ in range(4)], model.weight.grad.numpy())
        if mode == "compiled":
            assert fn.cache_info().traces == 2   # .grad is None on the first call only
    np.testing.assert_allclose(results["compiled"][0], results["eager"][0], rtol=1e-6)
    np.testing.assert_allclose(results["compiled"][1], results["eager"][1], rtol=1e-6)


def test_backward_inside_compile_writes_argument_grads():
    @gg.compile
    def f(x):
        (x * x).sum().backward()
        return x.grad * 1.0

    x = gg.tensor([1.0, 2.0], requires_grad=True)
    assert f(x).tolist() == [2.0, 4.0]
    assert x.grad.tolist() == [2.0, 4.0]
    f(x)
    assert x.grad.tolist() == [4.0, 8.0]    # accumulates, as eager backward does


def test_python_side_effects_run_only_while_tracing():
    log = []

    @gg.compile
    def f(x):
        log.append("traced")
        return x + 1.0

    for _ in range(5):
        f(gg.ones(2))
    assert log == ["traced"]


def test_nested_compiled_functions_are_inlined():
    inner = gg.compile(lambda x: x * 3.0)

    @gg.compile
    def outer(x):
        return inner(x) + 1.0

    assert outer(gg.ones(2)).tolist() == [4.0, 4.0]
    assert inner.cache_info().traces == 0


def test_modes_eager_and_debug():
    model, opt, step = _mlp_step()
    x, y = gg.randn(16, 4), gg.tensor(np.arange(16) % 3)
    eager_fn = gg.compile(step, mode="eager")
    eager_fn(x, y)
    assert eager_fn.cache_info().traces == 0
    debug_fn = gg.compile(step, mode="debug")
    losses = [debug_fn(x, y).item() for _ in range(3)]
    assert losses[2] < losses[0]


def test_passes_can_be_chosen():
    model, opt, step = _mlp_step()
    x, y = gg.randn(16, 4), gg.tensor(np.arange(16) % 3)
    raw = gg.compile(step, passes=[])
    assert raw.graph(x, y, which="step") is raw.entry_for(x, y).graph("optimized")
    optimized = gg.compile(step).graph(x, y, which="optimized")
    unoptimized = raw.graph(x, y, which="optimized")
    assert "fused" not in unoptimized.op_counts() and "fused" in optimized.op_counts()
    assert len(optimized.nodes) < len(unoptimized.nodes)
    only_dce = gg.compile(step, passes=[gg.passes.dce]).entry_for(x, y)
    assert [r.name for r in only_dce.records["forward"]] == ["dce"]


# -- gg.grad / gg.value_and_grad / gg.trace ----------------------------------------------------

@pytest.mark.parametrize("name, f, d1, d2", [
    ("tanh", gg.tanh, lambda x: 1 - np.tanh(x) ** 2,
     lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    ("exp", gg.exp, np.exp, np.exp),
    ("sin", gg.sin, np.cos, lambda x: -np.sin(x)),
    ("sin*exp", lambda x: gg.sin(x) * gg.exp(x), lambda x: (np.sin(x) + np.cos(x)) * np.exp(x),
     lambda x: 2 * np.cos(x) * np.exp(x)),
    ("x^3", lambda x: x ** 3, lambda x: 3 * x ** 2, lambda x: 6 * x),
    ("sigmoid", gg.sigmoid, lambda x: (s := 1 / (1 + np.exp(-x))) * (1 - s),
     lambda x: (s := 1 / (1 + np.exp(-x))) * (1 - s) * (1 - 2 * s)),
])
def test_grad_and_grad_of_grad_match_analytic_derivatives(name, f, d1, d2):
    x = gg.tensor(np.linspace(-1.5, 1.2, 7))
    scalar = lambda t: f(t).sum()
    first = gg.grad(scalar)
    second = gg.grad(lambda t: first(t).sum())
    np.testing.assert_allclose(first(x).numpy(), d1(x.numpy()), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(second(x).numpy(), d2(x.numpy()), rtol=1e-10, atol=1e-12)


def test_value_and_grad_with_several_argnums_and_unused_inputs():
    def f(a, b, c):
        return (a * b).sum() + a.sum()

    vg = gg.value_and_grad(f, argnums=(0, 1, 2))
    a, b, c = gg.tensor([1.0, 2.0]), gg.tensor([3.0, 4.0]), gg.tensor([5.0])
    value, (ga, gb, gc) = vg(a, b, c)
    assert value.item() == 14.0
    assert ga.tolist() == [4.0, 5.0] and gb.tolist() == [1.0, 2.0] and gc.tolist() == [0.0]
    with pytest.raises(gg.ShapeError, match="scalar"):
        gg.grad(lambda t: t * 2.0)(a)


def test_grad_of_grad_through_matmul_is_a_hessian_vector_product():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 4))
    A = A + A.T
    v = gg.tensor(rng.standard_normal(4))
    quad = lambda x: (x @ gg.tensor(A) @ x) * 0.5
    hvp = gg.grad(lambda x: (gg.grad(quad)(x) * v).sum())
    np.testing.assert_allclose(hvp(gg.tensor(rng.standard_normal(4))).numpy(), A @ v.numpy(),
                               rtol=1e-10)


def test_trace_returns_the_graph():
    g = gg.trace(lambda x, w: gg.relu(x @ w).sum(), gg.ones(2, 3), gg.ones(3, 4))
    g.verify()
    ops = [n.op.name for n in g.nodes]
    assert ops == ["matmul", "relu", "sum"]
    text = str(g)
    assert "%x: f32[2,3]" in text and "matmul(%x, %w)" in text


def test_whole_step_updates_parameters_in_place_and_bumps_versions():
    model, opt, step = _mlp_step()
    cstep = gg.compile(step)
    x, y = gg.randn(16, 4), gg.tensor(np.arange(16) % 3)
    cstep(x, y)
    weight = model[0].weight
    weight._version_cell()                      # as autograd does when it saves a tensor
    array, version = weight._data, weight._version
    before = array.copy()
    cstep(x, y)
    assert weight._data is array                 # written into the same array
    assert not np.array_equal(array, before)
    assert weight._version == version + 1


def test_backward_after_an_in_place_parameter_update_is_refused():
    model = nn.Linear(3, 2)
    cmodel = gg.compile(model)
    opt = optim.SGD(model.parameters(), lr=0.1)
    update = gg.compile(lambda: opt.step())
    out = cmodel(gg.randn(4, 3)).sum()
    model.weight.grad, model.bias.grad = gg.ones(2, 3), gg.ones(2)
    assert update() is None
    with pytest.raises(gg.AutogradError, match="modified in place before backward"):
        out.backward()


def test_a_value_returned_twice_gets_both_gradients():
    x = gg.tensor([0.5, -1.5], requires_grad=True)
    f = gg.compile(lambda t: (lambda a: (a, a.reshape(2)))(gg.abs(t)))
    a, b = f(x)
    (a * 2.0 + b * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, -5.0])


def test_fast_path_misses_fall_back_and_keep_results_right():
    w = gg.ones(3)
    f = gg.compile(lambda x, k: x * w * k)
    assert f(gg.ones(3), 2.0).tolist() == [2.0] * 3
    assert f(gg.ones(3), 2.0).tolist() == [2.0] * 3       # fast path
    assert f(gg.ones(3), 3.0).tolist() == [3.0] * 3       # static argument changed
    assert f(gg.ones(4, 3), 3.0).shape == (4, 3)          # shape changed
    w._data = np.full(3, 5.0, np.float32)                  # a bound tensor rebound
    assert f(gg.ones(3), 3.0).tolist() == [15.0] * 3
    with gg.no_grad():
        assert f(gg.ones(3), 3.0).tolist() == [15.0] * 3
    assert f.cache_info().traces == 4


SCALE = 2.0


def _scaled(x):
    return x * SCALE


def test_changed_python_globals_closures_and_module_attributes_retrace():
    global SCALE
    f = gg.compile(_scaled)
    assert f(gg.ones(2)).tolist() == [2.0, 2.0]
    SCALE = 3.0
    try:
        assert f(gg.ones(2)).tolist() == [3.0, 3.0]          # never the stale 2.0
    finally:
        SCALE = 2.0
    assert "global SCALE: now 3.0, before 2.0" in f.cache_info().recompile_reasons

    offset = 1.0
    g = gg.compile(lambda x: x + offset)
    assert g(gg.ones(1)).tolist() == [2.0]
    offset = 5.0
    assert g(gg.ones(1)).tolist() == [6.0]

    drop = nn.Dropout(0.5)
    cd = gg.compile(drop)
    drop.eval()
    cd(gg.ones(3))
    drop.p = 0.1
    drop.train()
    gg.manual_seed(0)
    out = cd(gg.ones(1000)).numpy()
    assert abs((out == 0).mean() - 0.1) < 0.05                # uses p = 0.1, not 0.5


def test_detect_anomaly_names_the_first_op_that_made_a_nan():
    x = gg.tensor([1.0, -1.0])
    with gg.detect_anomaly():
        with pytest.raises(gg.AnomalyError, match=r"sqrt produced NaN .*\(2,\) float32"):
            gg.sqrt(x)
        f = gg.compile(lambda t: (gg.log(t) * 2.0).sum())
        with pytest.raises(gg.AnomalyError, match=r"log \(compiled.*test_compile.py:\d+"):
            f(x)
        z = gg.tensor([0.0], requires_grad=True)
        with pytest.raises(gg.AnomalyError, match="in the gradient of sqrt"):
            (gg.sqrt(z) * 0.0).sum().backward()
        nan = gg.tensor([float("nan")])
        assert np.isnan((nan + 1.0).numpy()).all()        # NaN in, NaN out: not an anomaly
    assert np.isnan(gg.sqrt(x).numpy()[1])                # off again: no check


def test_attribute_names_are_not_mistaken_for_globals():
    global step
    model, opt, train_step = _mlp_step()
    cstep = gg.compile(train_step)          # calls opt.step(): `step` is an attribute there
    x, y = gg.randn(16, 4), gg.tensor(np.arange(16) % 3)
    for step in range(5):                   # a global named `step` changes every call
        cstep(x, y)
    assert cstep.cache_info().traces == 1


def test_recompile_reason_names_the_failed_guard_of_the_matching_entry():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.1))
    cm = gg.compile(model)
    cm(gg.ones(16, 4))
    cm(gg.ones(32, 4))
    model.eval()
    cm(gg.ones(16, 4))
    assert cm.cache_info().recompile_reasons[-1].startswith("Sequential.training: now False")
