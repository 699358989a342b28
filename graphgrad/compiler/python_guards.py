"""Guards on the Python state a traced function read: the globals, global attributes and
closure variables of every function that ran while tracing (the compiled function, module
forwards, helpers, at any depth), so that changing one retraces instead of reusing a stale
value or a stale object.

`FunctionLog` records, with a profile hook active only while tracing, which functions ran
(their code objects and globals). Their bytecode says which globals they read (`LOAD_GLOBAL`,
and `G.attr` / `G["key"]` right after it); closure variables are guarded the same way, with
`c.attr` / `c["key"]` right after `LOAD_DEREF`. Closure cells need the function object itself:
it is looked for among the functions reachable from the compiled function, the classes of the
modules it called and the globals it read. A closure that cannot be found this way cannot be
guarded: tracing refuses it with a message rather than freezing its values.
"""
import functools
import os
import sys
import sysconfig
import types

from graphgrad.compiler.bytecode import global_names, lookups, nested_codes
from graphgrad.compiler.guards import IdentityGuard, PythonValueGuard, plain_object, snapshot
from graphgrad.diagnostics import outside_graphgrad
from graphgrad.errors import TraceError


class FunctionLog:
    """`with FunctionLog() as log:` records the user functions that run inside the block."""

    def __init__(self):
        self.codes = {}          # code -> the globals dict it ran with
        self.free = {}           # code -> {free variable: value at its first call}
        self.args = {}           # code -> {parameter: {id: dict, list or config object}}
        self._outside = {}       # filename -> outside graphgrad?
        self.complete = True     # False: another profiler was active; see `python_guards`

    def __enter__(self):
        # a profiler already running (cProfile) cannot be saved and restored: then the
        # functions are not recorded, and every reachable one counts as having run
        self.complete = sys.getprofile() is None
        if self.complete:
            sys.setprofile(self._hook)
        return self

    def __exit__(self, *exc):
        if self.complete:
            sys.setprofile(None)
        return False

    def _hook(self, frame, event, arg):
        if event != "call":
            return
        code = frame.f_code
        if code in self.codes:
            self._note_arguments(code, frame)
            return
        filename = code.co_filename
        if filename[:1] == "<":                  # generated code: see `is_generated_user_code`
            outside = is_generated_user_code(filename, frame.f_globals)
        else:
            outside = self._outside.get(filename)
            if outside is None:
                outside = self._outside[filename] = is_user_code(filename)
        if outside:
            self.codes[code] = frame.f_globals
            if code.co_freevars:
                values = frame.f_locals
                self.free[code] = {n: values.get(n, _UNSET) for n in code.co_freevars}
            self._note_arguments(code, frame)

    def _note_arguments(self, code, frame):
        """Containers and config objects passed to a user function: what it reads from them
        (`cfg["k"]`, `opts.scale`) is guarded like a global's items."""
        n = code.co_argcount + code.co_kwonlyargcount
        if not n:
            return
        values = frame.f_locals
        for name in code.co_varnames[:n]:
            v = values.get(name)
            if type(v) in (dict, list) or plain_object(v):
                self.args.setdefault(code, {}).setdefault(name, {})[id(v)] = v


_UNSET = object()

# installed libraries and the standard library are not user code: their state is not guarded
_LIBRARIES = tuple(sorted({os.path.abspath(p) + os.sep for key in ("stdlib", "platstdlib",
                                                                   "purelib", "platlib")
                           if (p := sysconfig.get_paths().get(key))}))


def is_generated_user_code(filename, namespace):
    """Code without a file: typed at a prompt, run by `python -c` or `exec` in a script, or a
    notebook cell is the user's; code that libraries generate (namedtuple's `__new__`,
    NetworkX's argument maps) is not."""
    if filename == "<stdin>" or filename.startswith(("<ipython-input", "<doctest")):
        return True
    return filename == "<string>" and namespace.get("__name__") == "__main__"


def is_user_code(filename):
    return outside_graphgrad(filename) and not filename.startswith("<frozen") and \
        not os.path.abspath(filename).startswith(_LIBRARIES)


def python_guards(fn, log, modules):
    """Guards for what the functions in `log` read (see the module docstring)."""
    guards, seen = [], set()
    functions = _reachable_functions(fn, modules, log)
    if not log.complete:
        for fs in functions.values():
            for f in fs:
                if is_user_code(f.__code__.co_filename):
                    log.codes.setdefault(f.__code__, f.__globals__)
                    if f.__code__.co_freevars:
                        log.free[f.__code__] = {n: _contents(c) for n, c in
                                                zip(f.__code__.co_freevars, f.__closure__)}

    def add(key, guard):
        if key not in seen:
            seen.add(key)
            guards.append(guard)

    nested = nested_codes(log.codes)
    for code, namespace in log.codes.items():
        for name in global_names(code):
            if name in namespace:
                add((id(namespace), name), _guard_for(f"global {name}",
                                                      _item(namespace, name)))
        for name, path in lookups(code):
            if name in namespace:
                _add_path_guards(add, "global", name, "", _item(namespace, name), path,
                                 id(namespace))
    for code, params in log.args.items():
        for name, path in lookups(code, ("LOAD_FAST",)):
            for obj in params.get(name, {}).values():
                _add_path_guards(add, "argument", name, f" of {code.co_name}", _constant(obj),
                                 path, id(obj))
    for code, free in log.free.items():
        if code in nested:
            continue                         # made while tracing: its cells are the trace's
        owner = _owner(functions.get(code, ()), free)
        if owner is None:
            raise TraceError(
                f"compile: {code.co_name} ({code.co_filename}:{code.co_firstlineno}) ran while "
                f"tracing and reads the closure variables {list(code.co_freevars)}, but it "
                "cannot be found to guard them, so a later change of them would go unseen; "
                "pass those values as arguments, or define the function where the compiled "
                "function, a module's class or a global can reach it")
        cells = dict(zip(code.co_freevars, owner.__closure__))
        for name, cell in cells.items():
            add(id(cell), _guard_for(f"closure variable {name} of {code.co_name}",
                                     _cell(cell)))
        # `cfg["k"]`, `self.state`: what the closure variable held when it was read
        for name, path in lookups(code, ("LOAD_DEREF",)):
            if name in cells:
                _add_path_guards(add, "closure variable", name, f" of {code.co_name}",
                                 _cell(cells[name]), path, id(cells[name]))
    return guards


def _add_path_guards(add, what, name, suffix, root, path, key):
    """Guards on `name.a["b"].c` and each shorter prefix of it (`root()` reads `name`)."""
    getter, where = root, name
    for i, (kind, item) in enumerate(path):
        base = getter
        if kind == "attr" and _function_of_a_module(_safe(base), item):
            return                      # `np.zeros`: the module object itself is guarded
        getter = _step(base, kind, item)
        where += f".{item}" if kind == "attr" else f"[{item!r}]"
        try:
            getter()
        except Exception:
            return
        add((key, name, path[:i + 1]), _guard_for(f"{what} {where}{suffix}", getter))


def _step(base, kind, item):
    if kind == "attr":
        return lambda: getattr(base(), item)
    return lambda: base()[item]


def _safe(getter):
    try:
        return getter()
    except Exception:
        return None


def _function_of_a_module(obj, item):
    """`np.zeros`, `F.relu`: the functions of imported modules are not guarded one by one (the
    module object itself is)."""
    if not isinstance(obj, types.ModuleType):
        return False
    return callable(getattr(obj, item, None))


def _guard_for(description, getter):
    value = getter()
    snap = snapshot(value, containers=False)
    if type(snap).__name__ == "Identity":
        return IdentityGuard(description, getter, value)
    return PythonValueGuard(description, getter, snap)


def _item(namespace, name):
    return lambda: namespace[name]


def _constant(obj):
    return lambda: obj


def _cell(cell):
    return lambda: cell.cell_contents


def _contents(cell):
    try:
        return cell.cell_contents
    except ValueError:
        return _UNSET


def _owner(candidates, free):
    """The function whose closure holds the values the code saw when it ran."""
    for f in candidates:
        cells = f.__closure__ or ()
        ok = True
        for cell, name in zip(cells, f.__code__.co_freevars):
            try:
                value = cell.cell_contents
            except ValueError:
                value = _UNSET
            if value is not free.get(name, _UNSET):
                ok = False
                break
        if ok:
            return f
    return None


def _reachable_functions(fn, modules, log):
    """code -> functions found from the compiled function, the modules' classes, the globals
    the traced code read, and what their closures, attributes and containers hold (a few
    levels deep)."""
    found = {}
    stack = [(fn, 0)]
    for m in modules:
        for cls in type(m).__mro__:
            stack.extend((v, 1) for v in cls.__dict__.values())
        # functions a module holds itself (minGPT's `self.mlpf = lambda x: ...`)
        stack.extend((v, 1) for k, v in vars(m).items() if not k.startswith("_"))
    for code, namespace in log.codes.items():        # the globals the traced code read
        stack.extend((namespace[n], 1) for n in global_names(code) if n in namespace)
    visited = set()
    while stack and len(visited) < _MAX_VISITED:
        obj, depth = stack.pop()
        if id(obj) in visited or depth > _MAX_DEPTH:
            continue
        visited.add(id(obj))
        for child in _children(obj, found):
            stack.append((child, depth + 1))
    return found


_MAX_VISITED = 20000
_MAX_DEPTH = 6


def _children(obj, found):
    """What to look into next from `obj` (recording functions in `found`)."""
    if isinstance(obj, (staticmethod, classmethod, types.MethodType)):
        return [obj.__func__, getattr(obj, "__self__", None)]
    if isinstance(obj, property):
        return [f for f in (obj.fget, obj.fset) if f is not None]
    if isinstance(obj, types.FunctionType):
        found.setdefault(obj.__code__, []).append(obj)
        out = [getattr(obj, "__wrapped__", None)]
        for cell in obj.__closure__ or ():
            try:
                out.append(cell.cell_contents)
            except ValueError:
                pass
        return out
    if isinstance(obj, (list, tuple, set, frozenset)):
        return list(obj)
    if isinstance(obj, dict):
        return list(obj.values())
    if isinstance(obj, functools.partial):
        return [obj.func, *obj.args, *obj.keywords.values()]
    if isinstance(obj, (types.ModuleType, type)) or obj is None:
        return []
    attributes = getattr(obj, "__dict__", None)
    out = list(attributes.values()) if isinstance(attributes, dict) else []
    for cls in type(obj).__mro__:                 # objects with __slots__
        for name in cls.__dict__.get("__slots__", ()):
            if isinstance(name, str) and name not in ("__dict__", "__weakref__"):
                out.append(getattr(obj, name, None))
    return out
