"""Guards: facts about outside state that a compiled graph assumed. An entry is reused only
while all of its guards hold; otherwise the call retraces and the failing guards say why.

Each guard is written once: `check()` (general path: None, or the reason it fails) and
`emit(fp)` (the same test as fast-path source lines that return _MISS on failure).

What a guard compares is a `snapshot` of a Python value: plain data (numbers, strings, NumPy
scalars, small arrays, containers of them, and the plain attributes of simple objects such as
a config object) by value, with NaN equal to NaN; everything else (tensors, modules,
functions, optimizers) by identity.
"""
import types

import numpy as np

_NAN = type("NaN", (), {"__repr__": lambda self: "nan"})()     # NaN == NaN in snapshots
_SIMPLE = (bool, int, float, complex, str, bytes, type(None))
SMALL_ARRAY = 4096          # arrays up to this many elements are compared by value
MAX_DEPTH = 3


def is_simple(value):
    """A plain Python value that can be compared and baked into a graph."""
    if isinstance(value, _SIMPLE):
        return True
    return isinstance(value, (tuple, frozenset)) and all(is_simple(v) for v in value)


class Identity:
    """A snapshot entry for an object compared by identity (it stays referenced, so its id
    cannot be reused while the entry lives)."""
    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __eq__(self, other):
        return type(other) is Identity and other.obj is self.obj

    def __hash__(self):
        return id(self.obj)

    def __repr__(self):
        return f"<{type(self.obj).__name__} object>"


def snapshot(value, depth=0, containers=True):
    """A comparable image of `value` (see the module docstring). `containers=False` compares
    lists, dicts and sets by identity: a function may append to a list it reads (a log), and
    that must not retrace it at every call."""
    kind = type(value)
    if kind is float:
        return _NAN if value != value else value
    if kind in _SIMPLE:
        return (kind, value)         # 1, 1.0 and True are different settings
    if isinstance(value, np.generic):
        return ("np", value.dtype.str, snapshot(value.item()))
    if kind is types.MethodType:             # a new object at every attribute access
        return ("method", Identity(value.__self__), Identity(value.__func__))
    if kind is types.BuiltinMethodType and not isinstance(value.__self__, types.ModuleType):
        return ("method", Identity(value.__self__), value.__name__)
    if depth >= MAX_DEPTH or (not containers and kind in (list, dict, set)):
        return Identity(value)
    if kind in (tuple, list, set, frozenset):
        items = sorted(value, key=repr) if kind in (set, frozenset) else value
        return (kind.__name__, tuple(snapshot(v, depth + 1, containers) for v in items))
    if kind is dict:
        return ("dict", tuple((snapshot(k, depth + 1, containers),
                               snapshot(v, depth + 1, containers)) for k, v in value.items()))
    if kind is np.ndarray and value.size <= SMALL_ARRAY and value.dtype.kind in "biufc":
        return ("ndarray", value.shape, value.dtype.str, value.tobytes())
    if _plain_object(value):
        return ("object", Identity(value),
                tuple((k, snapshot(v, depth + 1, containers))
                      for k, v in public_attributes(value).items()))
    return Identity(value)


def _plain_object(value):
    """An instance of a user class that only holds data (a config object, a namespace)."""
    if not hasattr(value, "__dict__") or callable(value) or isinstance(value, type):
        return False
    # modules, optimizers and tensors (also user subclasses of them) have guards of their own
    return not any((getattr(c, "__module__", "") or "").startswith(("graphgrad", "numpy",
                                                                     "builtins"))
                   for c in type(value).__mro__[:-1])


def public_attributes(obj):
    return {k: v for k, v in vars(obj).items() if not k.startswith("_")}


class Guard:
    """`getter()`'s snapshot must still equal the snapshot taken when tracing."""
    containers = True

    def __init__(self, description, getter, value=None, expected=None):
        self.description = description
        self.getter = getter
        self.expected = snapshot(getter() if value is None else value) \
            if expected is None else expected

    def actual(self):
        return snapshot(self.getter(), containers=self.containers)

    def check(self):
        try:
            actual = self.actual()
        except Exception as e:       # the thing it read is gone
            return f"{self.description}: {type(e).__name__}: {e}"
        if actual != self.expected:
            return f"{self.description}: now {_show(actual)}, before {_show(self.expected)}"
        return None

    def emit(self, fp):
        g = fp.const(self, "G")
        return emit_compare(fp, f"{g}.getter()", self.expected, f"{g}.expected",
                            self.containers)


class IdentityGuard(Guard):
    """`getter()` must still return the very same object."""

    def __init__(self, description, getter, obj):
        self.description = description
        self.getter = getter
        self.expected = Identity(obj)

    def actual(self):
        return Identity(self.getter())

    def emit(self, fp):
        g, obj = fp.const(self, "G"), fp.const(self.expected.obj, "O")
        return [f"if {g}.getter() is not {obj}: return _MISS"]


class PythonValueGuard(Guard):
    """A global or closure value: mutable containers are compared by identity."""
    containers = False

    def __init__(self, description, getter, expected):
        super().__init__(description, getter, expected=expected)


def emit_compare(fp, expr, snap, snap_name, containers=True):
    """Source lines returning _MISS unless `expr`'s snapshot equals `snap` (held in the
    global `snap_name`): plain numbers and strings are compared directly, being the common
    case."""
    plain = snap[1] if type(snap) is tuple and len(snap) == 2 and type(snap[0]) is type \
        else snap if type(snap) is float else _MISSING
    if plain is not _MISSING and not isinstance(plain, (complex, bytes)):
        kind = fp.const(type(plain), "C")
        return [f"v = {expr}",
                f"if v.__class__ is not {kind} or v != {fp.const(plain, 'V')}: return _MISS"]
    fp.env["_snapshot"] = snapshot
    flag = "" if containers else ", containers=False"
    return [f"if _snapshot({expr}{flag}) != {snap_name}: return _MISS"]


_MISSING = object()


def _show(snap):
    if type(snap) is tuple and len(snap) == 2 and type(snap[0]) is type:
        return repr(snap[1])
    text = repr(snap)
    return text if len(text) < 80 else text[:77] + "..."


def tensor_state(t):
    data = t._data
    # writeable: compiled updates may write into the array in place
    return (tuple(data.shape), data.dtype.str, t._requires_grad, data.flags.writeable)


class TensorGuard(Guard):
    """An outside tensor keeps its shape, dtype, requires_grad and writeability."""

    def __init__(self, tensor, label):
        self.description = f"{label}: (shape, dtype, requires_grad, writeable)"
        self.getter = lambda: tensor_state(tensor)
        self.expected = tensor_state(tensor)
        self.tensor = tensor

    def actual(self):
        return self.getter()

    def emit(self, fp):
        # the array object is the same as last time: its shape and dtype are too. The local
        # holding it is reused by the input that reads this tensor
        g, t = fp.const(self, "G"), fp.const(self.tensor, "O")
        last = fp.const([None], "L")
        local = fp.local("s")
        fp.known[id(self.tensor)] = local
        return [f"{local} = {t}._data",
                f"if {local} is not {last}[0]:",
                f"    if {g}.getter() != {g}.expected: return _MISS",
                f"    {last}[0] = {local}",
                f"elif {t}._requires_grad is not {self.expected[2]}: return _MISS"]


class ModuleGuard(Guard):
    """A module the function called: its training flag, its settings (every public attribute,
    snapshotted) and the identity of its parameters, buffers and submodules. Like
    OptimizerGuard, it is taken again once tracing ends (`refresh`): what the next call must
    find is the state after this one."""

    def __init__(self, module, label):
        self.module = module
        self.label = label
        self.description = f"{label} (training flag, settings, parameters, submodules)"
        self.getter = lambda: module_state(module)
        self.expected = module_state(module)

    def actual(self):
        return self.getter()

    def refresh(self):
        self.expected = self.getter()

    def check(self):
        now, before = self.actual(), self.expected
        if now == before:
            return None
        reasons = []
        if now[0] != before[0]:
            reasons.append(f"{self.label}.training: now {now[0]}, before {before[0]}")
        settings_now, settings_before = dict(now[1]), dict(before[1])
        for k in sorted(set(settings_now) | set(settings_before)):
            a, b = settings_now.get(k, "<unset>"), settings_before.get(k, "<unset>")
            if a != b:
                reasons.append(f"{self.label}.{k}: now {_show(a)}, before {_show(b)}")
        for (table, members_now), (_, members_before) in zip(now[2:], before[2:]):
            a, b = dict(members_now), dict(members_before)
            for k in sorted(set(a) | set(b)):
                if a.get(k) != b.get(k):
                    what = "removed" if k not in a else "added" if k not in b else \
                        "replaced by another object"
                    reasons.append(f"{self.label}.{k} ({table[1:-1]}): {what}")
        return "; ".join(reasons) or self.description

    def emit(self, fp):
        m = fp.const(self.module, "M")
        d = fp.local("d")
        lines = [f"if {m}.training is not {self.module.training}: return _MISS",
                 f"{d} = {m}.__dict__"]
        for name, snap in self.expected[1]:
            lines += emit_compare(fp, f"{d}.get({name!r}, _MISS)", snap, fp.const(snap, "A"))
        for table, entries in self.expected[2:]:
            for name, ident in entries:
                lines.append(f"if {m}.{table}.get({name!r}) is not "
                             f"{fp.const(ident.obj, 'O')}: return _MISS")
        return lines


def module_state(m):
    settings = tuple((k, snapshot(v)) for k, v in sorted(m.__dict__.items())
                     if not k.startswith("_") and k != "training")
    members = tuple((table, tuple((k, Identity(v)) for k, v in getattr(m, table).items()))
                    for table in ("_parameters", "_buffers", "_modules"))
    return (m.training, settings) + members


class GradNoneGuard(Guard):
    """Whether an outside tensor's `.grad` is None (the graph reads it or not)."""

    def __init__(self, tensor, label):
        self.description = f"{label}.grad is None"
        self.getter = lambda: tensor._grad is None
        self.expected = tensor._grad is None
        self.tensor = tensor

    def actual(self):
        return self.getter()

    def emit(self, fp):
        return [f"if ({fp.const(self.tensor, 'O')}._grad is None) is not {self.expected}: "
                "return _MISS"]


def grad_state(t):
    g = t._grad
    return None if g is None else (tuple(g._data.shape), g._data.dtype.str)


class GradStateGuard(Guard):
    def __init__(self, tensor, label):
        self.description = f"{label}.grad: (shape, dtype)"
        self.getter = lambda: grad_state(tensor)
        self.expected = grad_state(tensor)
        self.tensor = tensor

    def actual(self):
        return self.getter()

    def emit(self, fp):
        g = fp.const(self, "G")
        return [f"if {g}.getter() != {g}.expected: return _MISS"]


class OptimizerGuard(Guard):
    """An optimizer the function stepped: its parameter groups and their parameters (by
    identity), and for each parameter the identity of its state dict, the keys it holds and
    the identity of its state tensors. `opt.add_param_group`, `opt.state.clear()` or a
    `load_state_dict` that replaces state retrace, where a stale graph would update old
    tensors."""

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.description = f"{type(optimizer).__name__} (param groups, state)"
        self.getter = lambda: optimizer_state(optimizer)
        self.expected = optimizer_state(optimizer)

    def actual(self):
        return self.getter()

    def refresh(self):
        self.expected = self.getter()

    def emit(self, fp):
        g = fp.const(self, "G")
        return [f"if {g}.getter() != {g}.expected: return _MISS"]


def optimizer_state(opt):
    groups = tuple(tuple(map(Identity, dict.__getitem__(g, "params"))) for g in opt.param_groups)
    state = opt.state
    entries = []
    for params in groups:
        for p in params:
            s = dict.get(state, p.obj)
            if s is None:
                entries.append(None)
            else:
                entries.append((Identity(s), tuple(sorted((str(k), Identity(v))
                                                          for k, v in dict.items(s)
                                                          if hasattr(v, "_data")))))
    return groups, tuple(entries)


class ArgsApartFromState(Guard):
    """The tensor arguments are not, and do not share memory with, the outside tensors the
    graph reads (a parameter passed in as an argument too needs a different treatment)."""

    def __init__(self, leaves, inputs):
        self.positions = [i for i, x in enumerate(leaves) if hasattr(x, "_data")]
        state = [b.tensor for b in inputs if hasattr(b, "tensor")]
        self.ids = frozenset(id(t) for t in state)
        self.roots = frozenset(id(_root(t._data)) for t in state)
        self.description = "arguments apart from the state the function reads"
        self.getter = self.actual
        self.expected = True
        self._leaves = None

    def holds_for(self, leaves):
        for i in self.positions:
            x = leaves[i]
            if id(x) in self.ids or id(_root(x._data)) in self.roots:
                return False
        return True

    def actual(self):
        return True         # checked by the call paths with the leaves (see emit, check_call)

    def check_leaves(self, leaves):
        return None if self.holds_for(leaves) else \
            "an argument is (or shares memory with) a tensor the function reads from outside"

    def emit(self, fp):
        ids, roots = fp.const(self.ids, "SIDS"), fp.const(self.roots, "SROOTS")
        fp.env["_root"] = _root
        return [f"if id(x{i}) in {ids} or id(_root(d{i})) in {roots}: return _MISS"
                for i in self.positions]


def _root(array):
    base = getattr(array, "base", None)
    return array if base is None else base
