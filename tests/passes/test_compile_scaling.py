"""Compile time grows linearly with the graph: the work (Python calls) of the passes, the
schedule, the memory plan and the code generation is counted on differentiable chains of two
lengths, instead of timing them."""
import importlib
import sys

import numpy as np

import graphgrad as gg

entry = importlib.import_module("graphgrad.compiler.entry")


def _chain(n):
    def f(x):
        y = x
        for _ in range(n):
            y = (y * 1.0001).tanh()
        loss = y.sum()
        loss.backward()
        return loss, x.grad
    return f


def _compile_work(n, monkeypatch):
    """Calls made after tracing (passes, schedule, memory plan, code generation) when a chain of
    `n` steps is compiled."""
    calls = [0]

    def count(frame, event, arg):
        if event == "call" or event == "c_call":
            calls[0] += 1

    def counted(fn):
        def run(*args, **kwargs):
            sys.setprofile(count)
            try:
                return fn(*args, **kwargs)
            finally:
                sys.setprofile(None)
        return run

    for name in ("run_passes", "Schedule", "make_executable"):
        monkeypatch.setattr(entry, name, counted(getattr(entry, name)))
    x = gg.tensor(np.ones(4, np.float32), requires_grad=True)
    loss, grad = gg.compile(_chain(n))(x)
    monkeypatch.undo()
    assert grad.shape == (4,) and np.isfinite(loss.item())
    return calls[0]


def test_compile_work_grows_linearly_with_the_chain(monkeypatch):
    small, large = _compile_work(300, monkeypatch), _compile_work(1200, monkeypatch)
    # 4x the ops: about 4x the work (a quadratic pass would make it ~16x)
    assert large / small < 4.4, (small, large)


def test_garbage_collector_is_paused_only_while_compiling():
    import gc
    seen = []

    def f(x):
        seen.append(gc.isenabled())
        if x.shape[0] == 3:
            raise ValueError("refused while tracing")
        return x * 2.0

    compiled = gg.compile(f)
    assert gc.isenabled()
    compiled(gg.ones(2))
    try:
        compiled(gg.ones(3))
    except ValueError:
        pass
    assert seen == [False, False] and gc.isenabled()     # on again, also after a failure
    gc.disable()
    try:
        gg.compile(f)(gg.ones(4))
        assert not gc.isenabled()                          # a user's choice is kept
    finally:
        gc.enable()


def test_a_traced_backward_computes_no_gradient_for_constants():
    # x * 2.0: the rule's `needs` skips d/d(2.0) (a mul and a sum per use), eagerly and traced
    def f(x):
        loss = (x * 2.0 + 1.0 - 0.5).sum() / 3.0
        loss.backward()
        return loss, x.grad

    compiled = gg.compile(f, passes=[])
    x = gg.tensor(np.arange(4, dtype=np.float32), requires_grad=True)
    loss, grad = compiled(x)
    ops = [n.op.name for n in compiled._last.traced.nodes]
    assert ops.count("mul") == 2 and ops.count("sum") == 1, ops      # forward x*2, backward g*2
    np.testing.assert_allclose(grad.numpy(), np.full(4, 2.0 / 3.0), rtol=1e-6)
    x.grad = None
    f(x)
    np.testing.assert_allclose(x.grad.numpy(), np.full(4, 2.0 / 3.0), rtol=1e-6)


def _hook_calls(fn, x, monkeypatch):
    """How often the function log's profile hook runs while `fn` is traced, and the node count."""
    from graphgrad.compiler import python_guards
    calls = [0]
    hook = python_guards.FunctionLog._hook

    def counted(self, frame, event, arg):
        calls[0] += 1
        return hook(self, frame, event, arg)
    monkeypatch.setattr(python_guards.FunctionLog, "_hook", counted)
    compiled = gg.compile(fn, passes=[])
    compiled(x)
    monkeypatch.undo()
    return calls[0], len(compiled._last.traced.nodes)


def test_recording_graphgrad_ops_runs_without_the_function_log_hook(monkeypatch):
    # the hook sees every Python and C call; recording an op of graphgrad's own (forward or
    # backward) needs none of them seen: 94 calls per node with the hook on throughout, 8 now
    calls, nodes = _hook_calls(_chain(300), gg.tensor(np.ones(4, np.float32),
                                                       requires_grad=True), monkeypatch)
    assert nodes > 2000 and calls / nodes < 12, (calls, nodes)


SCALE = [2]     # read by the shape rule and kernel of the user-defined op below


def _tile_infer(x):
    from graphgrad.ir.types import TensorType
    return TensorType((x.shape[0] * SCALE[0],), x.dtype)


def _tile_impl(x):
    return np.tile(x, SCALE[0])


def test_an_op_with_user_rules_is_recorded_with_the_hook_on():
    """The user's shape rule runs while tracing and reads a global: the function log must see
    it, so that changing the global retraces."""
    from graphgrad.compiler.trace_hook import own_rules
    from graphgrad.dispatch import bind
    from graphgrad.ir.op import REGISTRY, get_op
    from graphgrad.ops._core import _ufunc_out, defop
    tile = defop("test_user_tile", _tile_infer, _tile_impl)
    try:
        assert own_rules(get_op("mul")) and own_rules(get_op("tanh"))
        assert not own_rules(tile)
        # a graphgrad helper closing over a user function is not graphgrad's own code either
        assert not own_rules(defop("test_user_wrapped", _ufunc_out(_tile_impl), _tile_impl))
        compiled = gg.compile(lambda x: bind(tile, x * 1.0))
        x = gg.ones(3)
        assert compiled(x).shape == (6,)
        SCALE[0] = 3
        assert compiled(x).shape == (9,)
        assert compiled.cache_info().misses == 2
    finally:
        SCALE[0] = 2
        REGISTRY.pop("test_user_tile", None)
        REGISTRY.pop("test_user_wrapped", None)


def test_backward_nodes_name_the_users_backward_line():
    import inspect
    compiled = gg.compile(_chain(3), passes=[])
    compiled(gg.tensor(np.ones(4, np.float32), requires_grad=True))
    lines, first = inspect.getsourcelines(_chain)
    line = first + next(i for i, text in enumerate(lines) if "loss.backward()" in text)
    phases = {}
    for n in compiled._last.traced.nodes:
        phases.setdefault(n.meta["phase"], set()).add(n.meta.get("source"))
    assert phases["backward"] == {f"{__file__}:{line}"}, phases
    # the loop's line, the sum's, and backward()'s (its seed is made before the backward phase)
    assert phases["forward"] == {f"{__file__}:{k}" for k in (line - 2, line - 1, line)}
