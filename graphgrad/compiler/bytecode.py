"""What a function's bytecode reads: the global names it loads, and the chains of attribute
reads and constant subscripts that follow a global, a closure variable or a local assigned
from one (`G.a["b"]`, `cfg["k"]`). `python_guards` guards what these find."""
import collections
import dis
import functools
import types


def nested_codes(codes):
    """Codes defined inside the logged ones (lambdas, inner functions, comprehensions)."""
    nested = set()
    stack = list(codes)
    while stack:
        for const in stack.pop().co_consts:
            if isinstance(const, types.CodeType) and const not in nested:
                nested.add(const)
                stack.append(const)
    return nested


@functools.lru_cache(maxsize=4096)
def global_names(code):
    """The global names `code` loads (not attribute names)."""
    return {ins.argval for ins in dis.get_instructions(code)
            if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME")}


_MAX_PATH = 4


@functools.lru_cache(maxsize=4096)
def lookups(code, loads=("LOAD_GLOBAL", "LOAD_NAME")):
    """(name, path) for each chain of attribute reads and constant subscripts that follows
    loading a global (`G.a["b"].c`), or with `loads=("LOAD_DEREF",)` a closure variable; the
    path is (("attr" | "item", attribute or key), ...), at most _MAX_PATH long. A local
    assigned once from such a chain (`d = CFG["opt"]`) is followed too: `d["lr"]` is read as
    `CFG["opt"]["lr"]`."""
    found = set()
    ins = list(dis.get_instructions(code))
    stores = collections.Counter(x.argval for x in ins if x.opname == "STORE_FAST")
    aliases = {}
    for i, a in enumerate(ins):
        if a.opname not in loads:
            continue
        path, j, method = _path_after(ins, i + 1)
        if path:
            found.add((a.argval, path))
        nxt = ins[j] if j < len(ins) else None
        if nxt is not None and nxt.opname == "STORE_FAST" and not method and \
                stores[nxt.argval] == 1:
            aliases[nxt.argval] = (a.argval, path)
    for i, a in enumerate(ins):
        if a.opname in ("LOAD_FAST", "LOAD_FAST_CHECK") and a.argval in aliases:
            name, prefix = aliases[a.argval]
            path = _path_after(ins, i + 1)[0]
            if path:
                found.add((name, (prefix + path)[:_MAX_PATH]))
    return found


def _path_after(ins, j):
    """The attribute / constant-subscript chain starting at instruction j: (path, the index
    after it, whether it ended with a method lookup)."""
    path = []
    while j < len(ins) and len(path) < _MAX_PATH:
        b = ins[j]
        if b.opname in ("LOAD_ATTR", "LOAD_METHOD"):
            path.append(("attr", b.argval))
            j += 1
            if b.opname == "LOAD_METHOD":
                return tuple(path), j, True
        elif b.opname == "LOAD_CONST" and j + 1 < len(ins) and \
                ins[j + 1].opname == "BINARY_SUBSCR" and _hashable(b.argval):
            path.append(("item", b.argval))
            j += 2
        else:
            break
    return tuple(path), j, False


def _hashable(value):
    try:
        hash(value)
        return True
    except TypeError:
        return False
