"""`bind`: the one entry point of every op. Eager mode runs the kernel now (and records the eager
autograd tape); while a recorder is active (tracing, deriving a backward graph) the op becomes a
graph node. Both run the op's `infer` rule first, so a bad call fails the same way in both
modes.

`Recorder` is the node recorder: it turns op applications on tracer tensors (tensors whose data
is an IR `Value`) into nodes of the graph it builds. The compiler's trace extends it with
inputs bound to outside state; the autodiff pass uses it as it is.
"""
import numpy as np

from graphgrad.diagnostics import check_nan, user_location
from graphgrad.errors import GraphgradError, OutOfRangeError, ShapeError, TraceError
from graphgrad.ir.graph import GraphBuilder, Value
from graphgrad.ir.op import get_op
from graphgrad.modes import _ANOMALY, _GRAD, _RECORDER

def bind(op, *inputs, **attrs):
    """Apply primitive `op` to Tensors `inputs` (eagerly, or by recording a graph node)."""
    recorder = _RECORDER_GET()
    if recorder is not None:
        return recorder.record(op, inputs, attrs)
    # eager: the op runs now (one function, no call per step: this is every eager op's path).
    # One and two inputs, the common cases, build their shape-rule key without a loop
    n = len(inputs)
    if n == 2:
        a = inputs[0]._data
        b = inputs[1]._data
        if type(a) is Value or type(b) is Value:
            _escaped(op)
        arrays = (a, b)
        key = (op, a.shape, a.dtype, b.shape, b.dtype)
    elif n == 1:
        a = inputs[0]._data
        if type(a) is Value:
            _escaped(op)
        arrays = (a,)
        key = (op, a.shape, a.dtype)
    elif n == 3:
        a = inputs[0]._data
        b = inputs[1]._data
        c = inputs[2]._data
        if type(a) is Value or type(b) is Value or type(c) is Value:
            _escaped(op)
        arrays = (a, b, c)
        key = (op, a.shape, a.dtype, b.shape, b.dtype, c.shape, c.dtype)
    else:
        arrays = [t._data for t in inputs]
        for data in arrays:
            if type(data) is Value:
                _escaped(op)
        key = (op, *[(a.shape, a.dtype) for a in arrays])
    if attrs:
        # the attrs' types too: 1, 1.0 and True are equal keys but may infer differently
        key = (key, *attrs.items(), *map(type, attrs.values()))
        try:
            checked = key in _CHECKED
        except TypeError:               # an unhashable attr (a list, an array): just check
            op.infer(*arrays, **attrs)
            checked = True
    else:
        checked = key in _CHECKED
    if not checked:
        op.infer(*arrays, **attrs)      # raises for a bad call; only passing keys are stored
        if len(_CHECKED) >= _CHECKED_MAX:
            _CHECKED.clear()
        _CHECKED[key] = True
    current = _EXTOBJ_GET()
    quiet = _quiet
    token = _EXTOBJ_SET(quiet[1] if quiet[0] is current else quiet_extobj())
    try:
        out = op.impl(*arrays, **attrs)
    except GraphgradError:
        raise                          # the kernel's own message, already naming the op
    except (ValueError, IndexError, TypeError) as e:
        shapes = ", ".join(f"{a.shape} {a.dtype}" for a in arrays)
        kind = OutOfRangeError if isinstance(e, IndexError) else ShapeError
        raise kind(f"{op.name}: {e} (inputs {shapes})") from e
    finally:
        _EXTOBJ_RESET(token)
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    if _ANOMALY_GET():
        check_nan(op.name, out, arrays)
    result = _new(Tensor)              # Tensor._wrap, inlined
    result._data = out
    result._requires_grad = False
    result._grad = None
    result._grad_fn = None
    result._out_index = 0
    result._vc = None
    result._view = None
    if op.view_put is not None and np.may_share_memory(out, arrays[0]):
        # a view shares its base's memory and, as in torch, its version counter
        result._vc = inputs[0]._version_cell()
        result._view = (inputs[0], op, inputs[1:], attrs)
    if op.vjp is not None and _GRAD_GET():
        for t in inputs:
            if t._requires_grad:
                result._requires_grad = True
                result._grad_fn = OpNode(op, attrs, inputs, result)
                break
    return result


def _escaped(op):
    raise TraceError(f"{op.name}: a traced tensor escaped its compiled function and is used "
                     "outside it; return it from the function instead")


# -- the op's shape rule, once per signature --------------------------------------------------
# An op's `infer` sees only shapes, dtypes and attrs, so a signature that passed once passes
# again: eager calls look it up instead of re-running the rule (failures are never stored).
_CHECKED = {}
_CHECKED_MAX = 8192


# -- NumPy's error state for kernels ------------------------------------------------------------
# log(0), 0/0, inf-inf give inf/nan as in PyTorch, without NumPy's warnings. `np.errstate` costs
# more than a small kernel, so the quiet state derived from the caller's is cached and set
# directly on NumPy's context variable when NumPy has one.
QUIET = dict(divide="ignore", invalid="ignore", over="ignore")
try:
    from numpy._core._ufunc_config import _extobj_contextvar as _EXTOBJ
except ImportError:                      # pragma: no cover  (NumPy 1.x: no context variable)
    class _ErrstateVar:
        def get(self):
            return None

        def set(self, _):
            state = np.errstate(**QUIET)
            state.__enter__()
            return state

        def reset(self, state):
            state.__exit__(None, None, None)
    _EXTOBJ = _ErrstateVar()
_quiet = (object(), None)
# bound methods, looked up once: every eager op calls them
_EXTOBJ_SET, _EXTOBJ_GET, _EXTOBJ_RESET = _EXTOBJ.set, _EXTOBJ.get, _EXTOBJ.reset
_GRAD_GET, _ANOMALY_GET, _RECORDER_GET = _GRAD.get, _ANOMALY.get, _RECORDER.get


def quiet_extobj():
    """NumPy's error state of the caller with divide, invalid and over ignored."""
    global _quiet
    current = _EXTOBJ.get()
    cached = _quiet
    if cached[0] is current:
        return cached[1]
    with np.errstate(**QUIET):
        quiet = _EXTOBJ.get()
    _quiet = (current, quiet)
    return quiet


class Recorder:
    """Records ops on tracer tensors as nodes of `builder`'s graph (every node carries its
    phase and the user's source line). Concrete tensors met along the way become constants;
    the compiler's trace binds them as inputs instead."""

    def __init__(self, builder=None, phase="forward"):
        self.builder = builder if builder is not None else GraphBuilder()
        self.known = set(self.builder.inputs) | {n.out for n in self.builder.nodes}
        self.phase = phase
        self.source = None          # the user's line of every node recorded, when known

    def record(self, op, inputs, attrs):
        known = self.known
        values = []
        needs_grad = False
        for t in inputs:
            data = t._data
            # a value of this graph (the common case), else value_of lifts or refuses it
            values.append(data if type(data) is Value and data in known else self.value_of(t))
            if t._requires_grad:
                needs_grad = True
        rg = needs_grad and op.vjp is not None and _GRAD_GET()
        meta = {"phase": self.phase, "source": self.source or user_location()}
        out = self.builder.add_node(op, values, attrs, requires_grad=rg, meta=meta)
        known.add(out)
        result = Tensor._tracer(out, rg)
        if op.view_put is not None:
            result._view = (inputs[0], op, tuple(inputs[1:]), attrs)
            self.note_view(result)
        return result

    def note_view(self, view):
        """A view was made (see `Op.view_put`); the compiler's trace keeps views in step with
        in-place updates of their base."""

    def add_input(self, type, kind, name=None, requires_grad=False):
        v = self.builder.add_input(type, kind, name, requires_grad=requires_grad)
        self.known.add(v)
        return v

    def value_of(self, t):
        """The graph value a tensor stands for."""
        data = t._data
        if type(data) is Value:
            if data not in self.known:
                raise TraceError("a traced tensor from another (finished) compiled call is used "
                                 f"here (at {user_location()}); return it from that function")
            return data
        return self.lift(t)

    def lift(self, t):
        """A concrete tensor used by a recorded op: here, a constant of the graph."""
        out = self.builder.add_node(get_op("constant"), (), {"value": t._data},
                                    meta={"phase": self.phase})
        self.known.add(out)
        return out

    # -- what tensors ask of the active recorder (the compiler's trace answers all of them) --
    def is_leaf(self, t):
        return type(t._data) is not Value

    def mark_leaf(self, t):
        pass

    def unsupported(self, what):
        raise TraceError(f"{what} is not supported while deriving a backward graph")

    def read_grad(self, t):
        self.unsupported("reading .grad")

    def write_grad(self, t, value):
        self.unsupported("assigning .grad")

    def assign(self, t, new):
        self.unsupported("an in-place update")

    def backward(self, root, gradient=None):
        self.unsupported("backward()")


from graphgrad.tensor import Tensor  # noqa: E402  (tensor.py needs bind at import)
from graphgrad.autograd import OpNode  # noqa: E402

_new = object.__new__
