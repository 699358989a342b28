"""Trace mode: the active `Trace` records every op called on tracer tensors as a graph node.

Tensors from outside the function (parameters, buffers, optimizer state, ...) are lifted to graph
inputs bound *by reference* to the live objects (their `Source`). In-place writes to them and
`.grad` assignments are logged, undone when tracing ends, and become `Sink`s: writebacks the
compiled schedule performs after every call. Guards record what the graph assumed about that
outside state (shapes, dtypes, `.grad` being None, module training flags, hyperparameters).
"""
import os
import sys

import numpy as np

from graphgrad.dispatch import MODE
from graphgrad.errors import AutogradError, ShapeError, TraceError
from graphgrad.ir.graph import GraphBuilder, Value
from graphgrad.ir.types import TensorType
from graphgrad.tensor import Tensor

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_location():
    """'file.py:12' of the innermost frame outside graphgrad, or '<unknown>'."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR) and \
                not filename.startswith("<graphgrad"):
            return f"{filename}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"


def location_in(tb):
    """'file.py:12' of the innermost traceback frame outside graphgrad."""
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR) and \
                not filename.startswith("<graphgrad"):
            found = f"{filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found


def with_location(error, name, call_site=None):
    """The same kind of error, its message extended with the user's line (while tracing): the
    innermost frame outside graphgrad, else the line that called the compiled function."""
    location = location_in(error.__traceback__) or call_site
    if location is None or location in str(error) or "(at " in str(error):
        return error
    try:
        new = type(error)(f"{error} (while tracing {name}, at {location})")
    except TypeError:
        return error
    return new.with_traceback(error.__traceback__)


def data_dependent_error(what):
    return TraceError(
        f"{what} needs the tensor's value, which is only known when the compiled graph runs "
        f"(at {user_location()}). Use gg.where(cond, a, b) for a data-dependent choice, pass "
        "the value as a static (non-tensor) argument, or move this code out of the compiled "
        "function.")


# -- where graph inputs come from, where outputs go -------------------------------------------

class ArgSource:
    kind = "arg"

    def __init__(self, index, name):
        self.index = index
        self.name = name


class TensorSource:
    """A tensor reached from a closure, a module or an optimizer: read `t._data` at each call."""

    def __init__(self, tensor, kind, name):
        self.tensor = tensor
        self.kind = kind
        self.name = name


class GradSource:
    """`t.grad` read before the function assigned it: read `t._grad._data` at each call."""
    kind = "grad"

    def __init__(self, tensor, name):
        self.tensor = tensor
        self.name = name


class ArgGradSource:
    """The existing `.grad` of a user argument."""
    kind = "grad"

    def __init__(self, index, name):
        self.index = index
        self.name = name


class ScalarSource:
    """A Python number read at each call (e.g. `param_group['lr']`), so changing it does not
    retrace."""
    kind = "scalar"

    def __init__(self, getter, dtype, name):
        self.getter = getter
        self.dtype = dtype
        self.name = name


class Sink:
    """Writeback after each call. `attr` is "data" or "grad"; `target` a tensor or an arg index."""

    def __init__(self, attr, target):
        self.attr = attr
        self.target = target


class Guard:
    """A fact about outside state the graph assumed; `check()` returns None or a reason."""

    def __init__(self, description, getter, expected, kind="value", obj=None):
        self.description = description
        self.getter = getter
        self.expected = expected
        self.kind = kind          # "tensor", "training", "grad_none", "grad_state" or "value"
        self.obj = obj            # the tensor or module it is about (for the fast path)

    def check(self):
        actual = self.getter()
        if actual != self.expected:
            return f"{self.description}: now {actual!r}, before {self.expected!r}"
        return None


def _tensor_state(t):
    data = t._data
    # writeable: compiled updates may write into the array in place
    return (tuple(data.shape), data.dtype.str, t._requires_grad, data.flags.writeable)


# -- the trace --------------------------------------------------------------------------------

class Trace:
    def __init__(self, name="graph"):
        self.builder = GraphBuilder(name)
        self.sources = []            # parallel to builder.inputs
        self.known = set()           # values of this trace
        self.lifted = {}             # id(tensor) -> Value
        self.lifted_grads = {}       # id(tensor) -> tracer of its outside .grad
        self.known_grad_inputs = {}  # id(tensor) -> the graph input that tracer started as
        self.data_log = {}           # id(tensor) -> (tensor, original _data, grad_fn, rg)
        self.grad_log = {}           # id(tensor) -> (tensor, original _grad)
        self.leaves = {}             # id(tensor) -> tensor: leaves that require grad
        self.arg_tracers = {}        # id(tracer) -> flat arg index
        self.guards = []
        self.guarded = set()
        self.names = {}              # id(tensor) -> display name (parameters, buffers)
        self.phase = "forward"
        self.backward_called = False
        self.modules = {}
        self.scalars = {}
        self.undo = []               # callables that undo Python-side effects if tracing fails

    # -- inputs ---------------------------------------------------------------------------------
    def add_arg(self, index, tensor, name):
        v = self.builder.add_input(TensorType(tensor.shape, tensor.dtype), "arg", name,
                                   requires_grad=tensor.requires_grad)
        self.sources.append(ArgSource(index, name))
        self.known.add(v)
        tracer = Tensor._tracer(v, tensor.requires_grad)
        self.arg_tracers[id(tracer)] = (index, tracer)
        if tensor.requires_grad:
            self.leaves[id(tracer)] = tracer
            if tensor._grad is not None:
                # the argument's existing .grad is an input too (backward accumulates into it)
                g = tensor._grad
                gv = self.builder.add_input(TensorType(g.shape, g.dtype), "grad", f"{name}.grad")
                self.sources.append(ArgGradSource(index, f"{name}.grad"))
                self.known.add(gv)
                tracer._grad = Tensor._tracer(gv, False)
        return tracer

    def lift(self, t):
        """Bind an outside tensor as a graph input (once per tensor object)."""
        key = id(t)
        v = self.lifted.get(key)
        if v is not None:
            return v
        from graphgrad.nn.parameter import Parameter
        kind = "param" if isinstance(t, Parameter) else getattr(t, "_kind", "state")
        name = self.names.get(key) or getattr(t, "_name", None)
        v = self.builder.add_input(TensorType(t.shape, t.dtype), kind, name,
                                   requires_grad=t._requires_grad)
        self.sources.append(TensorSource(t, kind, name))
        self.known.add(v)
        self.lifted[key] = v
        self._guard_tensor(t, name or kind)
        if t._requires_grad and t._grad_fn is None:
            self.leaves[key] = t
        return v

    def _guard_tensor(self, t, label):
        if ("data", id(t)) in self.guarded:
            return
        self.guarded.add(("data", id(t)))
        self.guards.append(Guard(f"{label}: (shape, dtype, requires_grad)",
                                 lambda t=t: _tensor_state(t), _tensor_state(t), "tensor", t))

    def scalar_input(self, key, getter, dtype, name):
        """A 0-d input read from Python at every call (once per `key` within a trace)."""
        key = (key, np.dtype(dtype).str)
        tracer = self.scalars.get(key)
        if tracer is None:
            v = self.builder.add_input(TensorType((), np.dtype(dtype)), "scalar", name)
            self.sources.append(ScalarSource(getter, np.dtype(dtype), name))
            self.known.add(v)
            tracer = self.scalars[key] = Tensor._tracer(v, False)
        return tracer

    def guard_value(self, description, getter):
        value = getter()
        self.guards.append(Guard(description, getter, value))
        return value

    def value_of(self, t):
        data = t._data
        if type(data) is Value:
            if data not in self.known:
                raise TraceError("a traced tensor from another (finished) compiled call is used "
                                 f"here (at {user_location()}); return it from that function")
            return data
        return self.lift(t)

    # -- ops ------------------------------------------------------------------------------------
    def record(self, op, inputs, attrs):
        values = [self.value_of(t) for t in inputs]
        rg = MODE.grad_enabled and op.vjp is not None and any(t._requires_grad for t in inputs)
        meta = {"phase": self.phase, "source": user_location()}
        out = self.builder.add_node(op, values, attrs, requires_grad=rg, meta=meta)
        self.known.add(out)
        return Tensor._tracer(out, rg)

    # -- state ----------------------------------------------------------------------------------
    def assign(self, t, new):
        """In-place update: `t` now stands for `new`'s value (functionalization)."""
        new_value = self.value_of(new)
        key = id(t)
        if key not in self.data_log:
            if type(t._data) is not Value:
                # an outside tensor: bind it (the update may read it) and remember the original
                self.lift(t)
                self.data_log[key] = (t, t._data, t._grad_fn, t._requires_grad)
            elif key in self.arg_tracers:
                self.data_log[key] = (t, t._data, t._grad_fn, t._requires_grad)
        t._data = new_value
        if new._requires_grad:
            t._requires_grad = True

    def _is_outside(self, t):
        key = id(t)
        if type(t._data) is not Value:
            return True
        return key in self.data_log and key not in self.arg_tracers

    def mark_leaf(self, t):
        self.leaves[id(t)] = t

    def is_leaf(self, t):
        """Tracers have no autograd history: leaves are the tensors the trace marked as such."""
        return id(t) in self.leaves or type(t._data) is not Value

    def read_grad(self, t):
        key = id(t)
        if key in self.grad_log or not self._is_outside(t):
            return t._grad   # assigned while tracing, or a tensor of the trace (incl. args)
        if key in self.lifted_grads:
            return self.lifted_grads[key]
        outside = t._grad
        label = self.names.get(key) or getattr(t, "_name", None) or "tensor"
        self.guards.append(Guard(f"{label}.grad is None", lambda t=t: t._grad is None,
                                 outside is None, "grad_none", t))
        if outside is None:
            self.lifted_grads[key] = None
            return None
        v = self.builder.add_input(TensorType(outside.shape, outside.dtype), "grad",
                                   f"{label}.grad")
        self.sources.append(GradSource(t, f"{label}.grad"))
        self.known.add(v)
        self.guards.append(Guard(f"{label}.grad: (shape, dtype)",
                                 lambda t=t: _grad_state(t), _grad_state(t), "grad_state", t))
        tracer = Tensor._tracer(v, False)
        self.lifted_grads[key] = tracer
        self.known_grad_inputs[key] = v
        # from now on `t.grad` is this tracer: in-place updates of it are written back
        self.grad_log[key] = (t, outside)
        t._grad = tracer
        return tracer

    def write_grad(self, t, value):
        key = id(t)
        if key not in self.grad_log:
            # overwriting does not depend on the old value: no guard on it
            self.grad_log[key] = (t, t._grad)
        t._grad = value

    def register_module(self, module, prefix=""):
        if id(module) in self.modules:
            return
        for name, m in module.named_modules(prefix):
            if id(m) not in self.modules:
                self.modules[id(m)] = m
                self.guards.append(Guard(f"{name or type(m).__name__}.training",
                                         lambda m=m: m.training, m.training, "training", m))
                # hyperparameters kept as plain attributes (Dropout.p, eps, ...) shape the graph
                snapshot = _simple_attributes(m)
                if snapshot:
                    self.guards.append(Guard(f"{name or type(m).__name__} attributes",
                                             lambda m=m: _simple_attributes(m), snapshot,
                                             "attributes", m))
        for name, t in list(module.named_parameters(prefix)) + list(module.named_buffers(prefix)):
            self.names.setdefault(id(t), name)

    # -- autograd inside the graph --------------------------------------------------------------
    def backward(self, root, gradient=None):
        from graphgrad.passes.autodiff import emit_backward
        if not root._requires_grad:
            raise AutogradError("backward: the tensor does not require grad and has no grad_fn "
                                "(no input of the computation had requires_grad=True)")
        if gradient is None:
            if int(np.prod(root.shape)) != 1:
                raise AutogradError(f"backward: grad can be implicitly created only for scalar "
                                    f"outputs; this one has shape {root.shape}: pass `gradient`")
            from graphgrad.ops.creation import ones
            seed = ones(root.shape, dtype=root.dtype)
        else:
            if gradient.shape != root.shape:
                raise ShapeError(f"backward: gradient has shape {gradient.shape}, the tensor "
                                 f"has {root.shape}")
            seed = gradient.astype(root.dtype)
        leaves = [t for t in self.leaves.values() if t._requires_grad]
        wrt = [t._data if type(t._data) is Value else self.lifted.get(id(t)) for t in leaves]
        pairs = [(t, v) for t, v in zip(leaves, wrt) if v is not None]
        prev = self.phase
        self.phase = "backward"
        try:
            grads = emit_backward([self.value_of(root)], [self.value_of(seed)],
                                  [v for _, v in pairs])
            for (t, _), g in zip(pairs, grads):
                if g is None:
                    continue
                g = Tensor._tracer(g, g.requires_grad)
                old = self.read_grad(t)
                self.write_grad(t, g if old is None else old + g)
        finally:
            self.phase = "update" if prev == "forward" else prev
        self.backward_called = True

    # -- finishing ------------------------------------------------------------------------------
    def sinks(self):
        """The writebacks: (Sink, Value) for changed data/grad, plus grads reset to None."""
        out = []
        reset = []
        for key, (t, original, grad_fn, rg) in self.data_log.items():
            if t._data is not original:
                target = self.arg_tracers[key][0] if key in self.arg_tracers else t
                out.append((Sink("data", target), self.value_of(t)))
        for key, (t, original) in self.grad_log.items():
            current = t._grad
            target = self.arg_tracers[key][0] if key in self.arg_tracers else t
            if current is None:
                reset.append(target)   # whatever .grad is at call time, it ends up None
                continue
            if current is original:
                continue
            lifted = self.lifted_grads.get(key)
            if current is lifted and current._data is self.known_grad_inputs.get(key):
                continue            # read, never changed
            out.append((Sink("grad", target), self.value_of(current)))
        return out, reset

    def rollback(self):
        """Tracing failed: also undo the Python-side effects registered with `undo`."""
        while self.undo:
            self.undo.pop()()

    def restore(self):
        """Undo every change made to outside objects while tracing."""
        for t, original, grad_fn, rg in self.data_log.values():
            t._data = original
            t._grad_fn = grad_fn
            t._requires_grad = rg
        for t, original in self.grad_log.values():
            t._grad = original


_SIMPLE = (bool, int, float, complex, str, bytes, type(None))


def _is_simple(value):
    if isinstance(value, _SIMPLE):
        return True
    return isinstance(value, (tuple, frozenset)) and all(_is_simple(v) for v in value)


def _simple_attributes(module):
    """The plain-valued public attributes of a module (its Python-level hyperparameters)."""
    return tuple((k, v) for k, v in module.__dict__.items()
                 if not k.startswith("_") and k != "training" and _is_simple(v))


def python_value_guards(fn):
    """Guards on the plain Python values (numbers, strings, ...) that `fn` reads from globals
    and closures, so that changing one retraces instead of reusing a stale constant. Follows
    nested functions and the plain functions `fn` refers to (one level)."""
    import types
    guards = []
    seen = set()

    def visit(func, depth):
        owner = getattr(func, "__self__", None)
        func = getattr(func, "__func__", func)          # bound methods
        if id(func) in seen:
            return
        seen.add(id(func))
        forward = getattr(owner, "forward", None)
        if owner is not None and callable(forward) and getattr(forward, "__func__", None) \
                is not func:
            visit(forward, depth)                       # a compiled module: its forward
        code = getattr(func, "__code__", None)
        if code is None or _in_graphgrad(code):
            return
        namespace = getattr(func, "__globals__", {})
        for name, kind, item in _lookups(code):
            # CONFIG.scale / TABLE["scale"]: a plain value reached through a global object
            if name not in namespace or kind is None:
                continue
            getter = _lookup_getter(namespace, name, kind, item)
            try:
                value = getter()
            except Exception:
                continue
            if _is_simple(value):
                where = f"{name}.{item}" if kind == "attr" else f"{name}[{item!r}]"
                guards.append(Guard(f"global {where}", getter, value))
        for name in _names(code):
            if name in namespace:
                value = namespace[name]
                if _is_simple(value):
                    guards.append(Guard(f"global {name}", lambda d=namespace, n=name: d.get(n),
                                        value))
                elif depth < 1 and isinstance(value, types.FunctionType):
                    visit(value, depth + 1)
        for name, cell in zip(code.co_freevars, func.__closure__ or ()):
            try:
                value = cell.cell_contents
            except ValueError:                          # not yet assigned
                continue
            if _is_simple(value):
                guards.append(Guard(f"closure variable {name}",
                                    lambda c=cell: c.cell_contents, value))
            elif depth < 1 and isinstance(value, types.FunctionType):
                visit(value, depth + 1)

    visit(fn, 0)
    return guards


def _names(code):
    """The global names `code` (and the code nested in it) loads: not attribute names."""
    import dis
    names = set()
    for ins in dis.get_instructions(code):
        if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
            names.add(ins.argval)
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            names |= _names(const)
    return names


def _lookups(code):
    """(global name, "attr" | "item", attribute or constant key) read right after loading a
    global (`G.x`, `G["x"]`), in `code` and the code nested in it."""
    import dis
    found = set()
    ins = list(dis.get_instructions(code))
    for a, b, c in zip(ins, ins[1:], ins[2:] + [None]):
        if a.opname not in ("LOAD_GLOBAL", "LOAD_NAME"):
            continue
        if b.opname in ("LOAD_ATTR", "LOAD_METHOD"):
            found.add((a.argval, "attr", b.argval))
        elif b.opname == "LOAD_CONST" and c is not None and c.opname == "BINARY_SUBSCR":
            try:
                hash(b.argval)
            except TypeError:
                continue
            found.add((a.argval, "item", b.argval))
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            found |= _lookups(const)
    return found


def _lookup_getter(namespace, name, kind, item):
    if kind == "attr":
        return lambda: getattr(namespace[name], item)
    return lambda: namespace[name][item]


def _in_graphgrad(code):
    return os.path.abspath(code.co_filename).startswith(_PACKAGE_DIR)


def _grad_state(t):
    g = t._grad
    return None if g is None else (tuple(g._data.shape), g._data.dtype.str)


class tracing:
    """`with tracing(trace):` makes `trace` the active one (and restores outside state after)."""

    def __init__(self, trace):
        self.trace = trace

    def __enter__(self):
        if MODE.trace is not None:
            raise TraceError("internal: nested traces")
        MODE.trace = self.trace
        return self.trace

    def __exit__(self, *exc):
        MODE.trace = None
        return False
