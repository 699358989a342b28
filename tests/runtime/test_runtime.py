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
