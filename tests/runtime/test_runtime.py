"""The tape runtime: schedules, liveness, generated code vs the reference interpreter."""
import numpy as np
import pytest

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad import nn
from graphgrad.runtime import Executable, Schedule, interpret


def _graph():
    def f(x, w, b):
        h = gg.tanh(x @ w + b)
        return (h * h).sum(), h.mean(0)
    rng = np.random.default_rng(0)
    args = [gg.tensor(rng.standard_normal(s).astype(np.float32)) for s in [(5, 4), (4, 3), (3,)]]
    return gg.trace(f, *args), args, f


def test_generated_code_equals_interpreter_and_eager():
    g, args, f = _graph()
    schedule = Schedule(g)
    arrays = [a.numpy() for a in args]
    fast = Executable(schedule)(*arrays)
    slow = interpret(schedule, arrays)
    eager = f(*args)
    for a, b, e in zip(fast, slow, eager):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, e.numpy())


def test_liveness_releases_each_temporary_once_and_never_outputs():
    g, _, _ = _graph()
    schedule = Schedule(g)
    released = [s for r in schedule.release_after for s in r]
    assert len(released) == len(set(released))
    assert not set(released) & set(schedule.outputs)
    for i, rel in enumerate(schedule.release_after):
        for s in rel:       # released right after its last reader
            later = [j for j, ins in enumerate(schedule.instructions) if s in ins.inputs]
            assert max(later) == i


def test_constants_are_precomputed_and_source_has_one_line_per_instruction():
    g, _, _ = _graph()
    g2 = gg.trace(lambda x: x * 2.0 + gg.ones(3), gg.ones(3))
    schedule = Schedule(g2)
    assert len(schedule.constants) == 2 and len(schedule.instructions) == 2
    exe = Executable(Schedule(g))
    assigned = [line for line in exe.source.splitlines() if line.startswith("    v")]
    assert len(assigned) == len(Schedule(g).instructions)   # one result line per instruction
    assert "_u_matmul(" in exe.source                         # ufuncs are called directly
    assert "del " in exe.source


def test_runtime_errors_name_the_failing_instruction():
    model = nn.Linear(3, 4)

    @gg.compile
    def loss(x, y):
        return F.cross_entropy(model(x), y)

    x = gg.ones(2, 3)
    loss(x, gg.tensor([0, 1]))
    with pytest.raises(gg.ShapeError) as info:
        loss(x, gg.tensor([0, 7]))
    message = str(info.value)
    assert "class index 7 out of range [0, 4)" in message
    assert "while executing" in message and "check_index" in message


def test_floating_point_warnings_are_silenced_like_eager():
    import warnings
    f = gg.compile(lambda x: gg.log(x) + 1.0 / x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = f(gg.tensor([0.0, 1.0])).numpy()
        eager = (gg.log(gg.tensor([0.0, 1.0])) + 1.0 / gg.tensor([0.0, 1.0])).numpy()
    assert np.isnan(out[0]) and out[1] == 1.0
    assert np.isnan(eager[0]) and eager[1] == 1.0


def _optimized_graphs():
    """Whole training steps after the default passes: fused nodes, in-place state updates."""
    from helpers import class_batch, small_mlp, training_step
    from graphgrad import optim
    gg.manual_seed(0)
    mlp = small_mlp()
    mlp_step = training_step(mlp, optim.Adam(mlp.parameters(), lr=0.01), compiled=True)
    cnn = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(16, 3))
    cnn_step = training_step(cnn, optim.SGD(cnn.parameters(), lr=0.1, momentum=0.9),
                             compiled=True)
    return [mlp_step.graph(*class_batch(), which="optimized"),
            cnn_step.graph(gg.randn(5, 2, 4, 4), gg.tensor(np.arange(5) % 3),
                           which="optimized")]


@pytest.mark.parametrize("index", [0, 1], ids=["mlp-adam", "cnn-sgd"])
def test_numpy_backend_equals_the_ir_interpreter(index):
    """The generated schedule (fused kernels inlined, memory planned) computes what the ir
    reference interpreter computes, node by node through each op's kernel."""
    graph = _optimized_graphs()[index]
    assert any(n.op is gg.ir.FUSED for n in graph.nodes)
    rng = np.random.default_rng(1)
    arrays = []
    for v, kind in zip(graph.inputs, graph.input_kinds):
        if v.dtype.kind == "f":
            arrays.append(rng.uniform(0.5, 1.5, v.shape).astype(v.dtype))
        else:
            arrays.append(np.arange(int(np.prod(v.shape))).reshape(v.shape).astype(v.dtype) % 3)
    expected = gg.ir.interpret(graph, [a.copy() for a in arrays])
    for call in range(2):       # the second call reuses the planned buffers
        got = Executable(Schedule(graph))(*[a.copy() for a in arrays])
        for k, (g, e) in enumerate(zip(got, expected)):
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6, err_msg=f"call {call}, out {k}")


def test_ir_interpreter_runs_fused_nodes_like_their_ops():
    g, args, _ = _graph()
    fused = gg.passes.fuse(g)
    assert any(n.op is gg.ir.FUSED for n in fused.nodes)
    arrays = [a.numpy() for a in args]
    for a, b in zip(gg.ir.interpret(fused, arrays), gg.ir.interpret(g, arrays)):
        np.testing.assert_allclose(a, b, rtol=1e-6)
