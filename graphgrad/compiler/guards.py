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
_MISSING = object()


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
    if plain_object(value):
        return ("object", Identity(value),
                tuple((k, snapshot(v, depth + 1, containers))
                      for k, v in public_attributes(value).items()))
    return Identity(value)


def plain_object(value):
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
            return f"{self.description}: now {show(actual)}, before {show(self.expected)}"
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


def show(snap):
    if type(snap) is tuple and len(snap) == 2 and type(snap[0]) is type:
        return repr(snap[1])
    text = repr(snap)
    return text if len(text) < 80 else text[:77] + "..."
