"""Tracing a Python function into a graph.

While `fn` runs on tracer tensors, the active `Trace` (a `Recorder` that also knows outside
state) records every op as a node. Tensors from outside the function (parameters, buffers,
optimizer state) become graph inputs bound *by reference* (`StateInput`). In-place writes to
them and `.grad` assignments are logged, undone when tracing ends, and become writebacks
(`DataSink`, `GradSink`, `GradReset`) that the compiled schedule performs after every call.
Guards record what the graph assumed about that outside state.
"""
import numpy as np

from graphgrad import pytree
from graphgrad.compiler.bindings import (ArgGradInput, ArgInput, DataSink, DictWrite,
                                         GradReset, GradSink, ScalarSink, StateInput)
from graphgrad.compiler.guards import IdentityGuard
from graphgrad.compiler.python_guards import FunctionLog, python_guards
from graphgrad.compiler.signature import alias_pattern, storage_root
from graphgrad.compiler.state_guards import ArgsApartFromState, ModuleGuard, TensorGuard
from graphgrad.compiler.trace_grads import GradTracking
from graphgrad.compiler.trace_hook import _getprofile, _setprofile, own_rules
from graphgrad.compiler.trace_python import ABSENT as _ABSENT, PythonValues
from graphgrad.diagnostics import with_location
from graphgrad.dtypes import default_float
from graphgrad.dispatch import Recorder
from graphgrad.errors import GraphgradError, TraceError
from graphgrad.ir.graph import GraphBuilder, Value
from graphgrad.ir.types import TensorType
from graphgrad.modes import active_recorder, recording
from graphgrad.passes.manager import collector_paused
from graphgrad.scalar import RuntimeScalar
from graphgrad.tensor import Tensor


class Trace(PythonValues, GradTracking, Recorder):
    """The recorder of one tracing run (Python values: trace_python.py; grads and backward:
    trace_grads.py)."""

    def __init__(self, name="graph"):
        super().__init__(GraphBuilder(name))
        self.inputs = []             # one binding per graph input
        self.guards = []
        self.lifted = {}             # id(tensor) -> Value
        self.lifted_grads = {}       # id(tensor) -> tracer of its outside .grad
        self.grad_inputs = {}        # id(tensor) -> the graph input that tracer started as
        self.data_log = {}           # id(tensor) -> (tensor, original _data, grad_fn, rg)
        self.grad_log = {}           # id(tensor) -> (tensor, original _grad)
        self.new_grads = set()       # ids of tensors whose .grad ends as a new Tensor object
        self.leaves = {}             # id(tensor) -> tensor: leaves that require grad
        self.arg_tracers = {}        # id(tracer) -> flat argument index
        self.names = {}              # id(tensor) -> display name (parameters, buffers)
        self.modules = {}
        self.scalars = {}
        self.views = {}              # id(base) -> views of it made while tracing
        self.dict_log = {}           # (id(d), key) -> (d, key, original value or _ABSENT)
        self.optimizers = {}
        self.shared_memory = []      # (i, j): arguments i and j share memory
        self.arg_roots = {}          # id(storage root of an argument's array) -> (index, array)
        self.arg_objects = {}        # id(argument tensor) -> its index
        self.derived = set()         # ids of outside views computed from their base
        self.backward_called = False
        self.profile_hook = None     # the function log's hook, paused while recording our ops
        self.undo = []               # callables that undo Python-side effects if tracing fails
        # factories and new parameters follow the default dtype: the graph assumed this one
        self.guards.append(IdentityGuard("default dtype (gg.set_default_dtype)", default_float,
                                         default_float()))

    def record(self, op, inputs, attrs):
        hook = self.profile_hook
        if hook is None or not own_rules(op) or _getprofile() is not hook:
            return Recorder.record(self, op, inputs, attrs)
        _setprofile(None)           # see trace_hook.py: only graphgrad code runs in here
        try:
            return Recorder.record(self, op, inputs, attrs)
        finally:
            _setprofile(hook)

    def bind_input(self, binding, type, requires_grad=False):
        self.inputs.append(binding)
        return self.add_input(type, binding.kind, binding.name, requires_grad)

    # -- inputs ---------------------------------------------------------------------------------
    def add_arg(self, index, tensor, name):
        rg = tensor.requires_grad
        v = self.bind_input(ArgInput(index, name), TensorType(tensor.shape, tensor.dtype), rg)
        tracer = Tensor._tracer(v, rg)
        self.arg_tracers[id(tracer)] = index
        self.arg_objects[id(tensor)] = index
        self.arg_roots[id(storage_root(tensor._data))] = (index, tensor._data)
        if rg:
            self.leaves[id(tracer)] = tracer
            g = tensor._grad
            if g is not None:
                # the argument's existing .grad is an input too (backward accumulates into it)
                gv = self.bind_input(ArgGradInput(index, f"{name}.grad"),
                                     TensorType(g.shape, g.dtype))
                tracer._grad = Tensor._tracer(gv, False)
        return tracer

    def lift(self, t):
        """Bind an outside tensor as a graph input (once per tensor object). A view of another
        tensor is computed from its base instead, so that updates of either are seen by both."""
        key = id(t)
        v = self.lifted.get(key)
        if v is not None:
            return v
        if t._view is not None:
            return self._lift_view(t)
        self._note_state_aliasing(t)
        kind = getattr(t, "_kind", "state")
        name = self.names.get(key) or getattr(t, "_name", None)
        v = self.bind_input(StateInput(t, kind, name), TensorType(t.shape, t.dtype),
                            t._requires_grad)
        self.lifted[key] = v
        self.guards.append(TensorGuard(t, name or kind))
        if t._requires_grad and t._grad_fn is None:
            self.leaves[key] = t
        return v

    def _note_state_aliasing(self, t):
        """An outside tensor that is an argument, or shares its memory (a parameter passed in
        as well): in-place updates of either would be seen by the other."""
        index = self.arg_objects.get(id(t))
        if index is None and type(t._data) is np.ndarray:
            found = self.arg_roots.get(id(storage_root(t._data)))
            if found is not None and np.may_share_memory(found[1], t._data):
                index = found[0]
        if index is not None:
            self.shared_memory.append(("state", index))

    def eager_reason(self, sinks):
        """Why this call must run eagerly: arguments that share memory with each other or
        with outside state, while the function updates tensors in place (the compiled
        schedule reads every input once, before any write)."""
        written = [s.target for s in sinks if s.attr == "data"]
        if not written:
            return None
        written_args = {t for t in written if type(t) is int}
        for i, j in self.shared_memory:
            # arguments that only read shared memory (overlapping slices of one batch) are fine
            if i == "state" or i in written_args or j in written_args:
                return ("arguments share memory with each other or with state the function "
                        "updates in place")
        return None

    def _lift_view(self, t):
        base, op, rest, attrs = t._view
        with recording(self):
            derived = self.record(op, (base,) + tuple(rest), attrs)
        self.views[id(base)][-1] = t                 # t, not the temporary, is base's view
        self.derived.add(id(t))
        self.data_log[id(t)] = (t, t._data, t._grad_fn, t._requires_grad)
        t._data = derived._data
        self.lifted[id(t)] = t._data
        return t._data

    def note_view(self, view):
        self.views.setdefault(id(view._view[0]), []).append(view)

    def register_module(self, module, prefix=""):
        if id(module) in self.modules:
            return
        for name, m in module.named_modules(prefix):
            if id(m) not in self.modules:
                self.modules[id(m)] = m
                self.guards.append(ModuleGuard(m, name or type(m).__name__))
        for name, t in list(module.named_parameters(prefix)) + list(module.named_buffers(prefix)):
            self.names.setdefault(id(t), name)

    # -- state ----------------------------------------------------------------------------------
    def assign(self, t, new):
        """In-place update: `t` now stands for `new`'s value (functionalization). Writing a
        view writes its base (`Op.view_put`); the views of a written tensor are recomputed."""
        view = t._view
        if view is not None:
            base, op, rest, attrs = view
            with recording(self):
                base_new = op.view_put(base, new, *rest, **attrs)
            if base_new is not None:
                self.assign(base, base_new)          # also recomputes t from the new base
                return
        self._assign_value(t, new)
        self._refresh_views(t)

    def _refresh_views(self, base):
        for view in list(self.views.get(id(base), ())):
            _, op, rest, attrs = view._view
            with recording(self):
                fresh = self.record(op, (base,) + tuple(rest), attrs)
            self.views[id(base)].pop()               # `fresh` itself is not a view to keep
            if id(view) not in self.data_log and type(view._data) is not Value:
                self.data_log[id(view)] = (view, view._data, view._grad_fn, view._requires_grad)
            view._data = fresh._data
            self._refresh_views(view)

    def _assign_value(self, t, new):
        new_value = self.value_of(new)
        key = id(t)
        if key not in self.data_log:
            if type(t._data) is not Value:
                # an outside tensor: bind it (the update may read it) and remember the original
                self.lift(t)
                self.data_log[key] = (t, t._data, t._grad_fn, t._requires_grad)
            elif key in self.arg_tracers:
                self.data_log[key] = (t, t._data, t._grad_fn, t._requires_grad)
        if new._requires_grad and not t._requires_grad and key in self.data_log and \
                key not in self.arg_tracers:
            name = self.names.get(key) or getattr(t, "_name", None) or "a tensor"
            raise TraceError(
                f"compile: the function updates {name} of shape {t.shape} (from outside the "
                "function) in place with a value that requires grad; eagerly it would carry "
                "autograd history from call to call, which a compiled graph cannot. Update it "
                "under `with gg.no_grad():` (or with a detached value), or return the value")
        t._data = new_value
        if new._requires_grad:
            t._requires_grad = True

    # -- finishing ------------------------------------------------------------------------------
    def results(self, out_leaves):
        """Where each result leaf comes from, and the graph values among them. Like
        torch.compile, a returned argument or outside tensor is returned as that object."""
        results, values = [], []
        for x in out_leaves:
            if not isinstance(x, Tensor):
                results.append(x)
                continue
            # every tensor result is a graph output (the graph shows what was returned); an
            # argument or outside tensor is then handed back as itself
            values.append(self.value_of(x))
            if id(x) in self.arg_tracers:
                results.append(ArgResult(self.arg_tracers[id(x)]))
            elif self._is_outside(x):
                results.append(ObjectResult(x))
            else:
                results.append(GRAPH)
        return results, values

    def _target(self, key, t):
        return self.arg_tracers[key] if key in self.arg_tracers else t

    def sinks(self):
        """The writebacks: [(sink, Value)] for changed data, grads and optimizer numbers, and the
        actions without a graph output (`.grad`s reset to None, optimizer state entries)."""
        out = []
        actions = []
        for key, (t, original, grad_fn, rg) in self.data_log.items():
            if t._data is not original and key not in self.derived:
                out.append((DataSink(self._target(key, t)), self.value_of(t)))
        for d, key, original in self.dict_log.values():
            final = dict.get(d, key, _ABSENT)
            if final is original:
                continue
            if isinstance(final, RuntimeScalar):
                out.append((ScalarSink(d, key, type(final.value)), self.value_of(final.tensor)))
            else:
                actions.append(DictWrite(d, key, final))
        for key, (t, original) in self.grad_log.items():
            current = t._grad
            if current is None:
                actions.append(GradReset(self._target(key, t)))   # whatever .grad was, now None
                continue
            if current is original:
                continue
            lifted = self.lifted_grads.get(key)
            if current is lifted and current._data is self.grad_inputs.get(key):
                continue            # read, never changed
            out.append((GradSink(self._target(key, t), key in self.new_grads),
                        self.value_of(current)))
        return out, actions

    def rollback(self):
        """Tracing failed: undo the Python-side effects registered with `undo`."""
        while self.undo:
            self.undo.pop()()

    def restore(self):
        """Undo every change made to outside objects while tracing."""
        for d, key, original in reversed(list(self.dict_log.values())):
            if original is _ABSENT:
                dict.pop(d, key, None)
            else:
                dict.__setitem__(d, key, original)
        for t, original, grad_fn, rg in self.data_log.values():
            t._data = original
            t._grad_fn = grad_fn
            t._requires_grad = rg
        for t, original in self.grad_log.values():
            t._grad = original


class ArgResult:
    """A result that is the tensor passed as argument `index` (returned as that object)."""

    def __init__(self, index):
        self.index = index


class ObjectResult:
    """A result that is a tensor from outside the function (returned as that object)."""

    def __init__(self, tensor):
        self.tensor = tensor


GRAPH = object()    # a result computed by the graph (its next tensor output)


class Traced:
    """What tracing a function produced: the trace, the graph (tensor results, then the values
    the sinks write back), the function's result structure and where each leaf of it comes
    from (`results`: GRAPH, an ArgResult, an ObjectResult or a Python value)."""

    def __init__(self, trace, graph, results, out_tree, out_values, sinks, actions):
        self.trace = trace
        self.graph = graph
        self.results = results
        self.out_tree = out_tree
        self.out_values = out_values
        self.sinks = sinks
        self.actions = actions


def trace_function(fn, name, leaves, treedef, names, call_site=None):
    """Run `fn` on tracers. Outside state is restored whether tracing succeeds or not."""
    with collector_paused():
        return _trace(fn, name, leaves, treedef, names, call_site)


def _trace(fn, name, leaves, treedef, names, call_site):
    if active_recorder() is not None:
        raise TraceError("internal: nested traces")
    trace = Trace(name)
    log = FunctionLog()
    traced_leaves = []
    for i, (x, leaf_name, alias) in enumerate(zip(leaves, names, alias_pattern(leaves))):
        if alias is not None and alias[0] == "same":
            traced_leaves.append(traced_leaves[alias[1]])     # one tensor: one tracer
            continue
        if alias is not None:
            trace.shared_memory.append((alias[1], i))
        traced_leaves.append(trace.add_arg(i, x, leaf_name) if isinstance(x, Tensor) else x)
    t_args, t_kwargs = pytree.unflatten(treedef, traced_leaves)
    try:
        with recording(trace), log:
            trace.profile_hook = _getprofile() if log.complete else None
            result = fn(*t_args, **t_kwargs)
            out_leaves, out_tree = pytree.flatten(result)
            results, out_values = trace.results(out_leaves)
            sinks, actions = trace.sinks()
    except (GraphgradError, TypeError, ValueError, IndexError) as e:
        trace.rollback()
        raise with_location(e, name, call_site) from None
    except BaseException:
        trace.rollback()
        raise
    finally:
        trace.restore()
    for guard in trace.guards:
        if hasattr(guard, "refresh"):        # the state the next call must find
            guard.refresh()
    try:
        trace.guards.extend(python_guards(fn, log, list(trace.modules.values())))
    except GraphgradError:
        trace.rollback()
        raise
    graph = trace.builder.finish(out_values + [v for _, v in sinks],
                                 ["out"] * len(out_values) + [s.attr for s, _ in sinks])
    traced = Traced(trace, graph, results, out_tree, out_values, [s for s, _ in sinks], actions)
    traced.eager_reason = trace.eager_reason(traced.sinks)
    if traced.eager_reason is None:
        trace.guards.append(ArgsApartFromState(leaves, trace.inputs))
    return traced
