"""Guards on the plain Python values a compiled function reads from its globals and closures,
found by reading its bytecode, so that changing one retraces instead of reusing a stale
constant."""
import dis
import types

from graphgrad.compiler.guards import Guard, is_simple
from graphgrad.diagnostics import outside_graphgrad


def python_value_guards(fn):
    """Guards on the plain Python values (numbers, strings, ...) that `fn` reads from globals
    and closures, so that changing one retraces instead of reusing a stale constant. Follows
    nested functions and the plain functions `fn` refers to (one level)."""
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
            if is_simple(value):
                where = f"{name}.{item}" if kind == "attr" else f"{name}[{item!r}]"
                guards.append(Guard(f"global {where}", getter, value))
        for name in _names(code):
            if name in namespace:
                value = namespace[name]
                if is_simple(value):
                    guards.append(Guard(f"global {name}", lambda d=namespace, n=name: d.get(n),
                                        value))
                elif depth < 1 and isinstance(value, types.FunctionType):
                    visit(value, depth + 1)
        for name, cell in zip(code.co_freevars, func.__closure__ or ()):
            try:
                value = cell.cell_contents
            except ValueError:                          # not yet assigned
                continue
            if is_simple(value):
                guards.append(Guard(f"closure variable {name}",
                                    lambda c=cell: c.cell_contents, value))
            elif depth < 1 and isinstance(value, types.FunctionType):
                visit(value, depth + 1)

    visit(fn, 0)
    return guards


def _names(code):
    """The global names `code` (and the code nested in it) loads: not attribute names."""
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
    return not outside_graphgrad(code.co_filename)
