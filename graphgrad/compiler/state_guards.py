"""Guards on the state a traced function touched: outside tensors, the modules it called, the
optimizers it stepped, `.grad`s it read, and the arguments staying apart from that state.
Each is a `Guard` (see guards.py): `check()` for the general path, `emit(fp)` for the fast path.
"""
from graphgrad.compiler.guards import _NAN, Guard, Identity, emit_compare, show, snapshot


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
                reasons.append(f"{self.label}.{k}: now {show(a)}, before {show(b)}")
        for (table, members_now), (_, members_before) in zip(now[2:], before[2:]):
            a, b = dict(members_now), dict(members_before)
            for k in sorted(set(a) | set(b)):
                if a.get(k) != b.get(k):
                    what = "removed" if k not in a else "added" if k not in b else \
                        "replaced by another object"
                    reasons.append(f"{self.label}.{k} ({table[1:-1]}): {what}")
        return "; ".join(reasons) or self.description

    def emit(self, fp):
        return self.emit_structure(fp) + self.emit_values(fp)

    def emit_structure(self, fp):
        """What only attribute assignment can change (`nn.module.STRUCTURE` counts those): the
        training flag, settings holding plain immutable values, members by identity."""
        m = fp.const(self.module, "M")
        lines = [f"if {m}.training is not {self.module.training}: return _MISS"]
        lines += self._compare_settings(fp, m, immutable=True)
        for table, entries in self.expected[2:]:
            for name, ident in entries:
                lines.append(f"if {m}.{table}.get({name!r}) is not "
                             f"{fp.const(ident.obj, 'O')}: return _MISS")
        return lines

    def emit_values(self, fp):
        """Settings holding containers, arrays or objects, which change in place: always
        compared."""
        return self._compare_settings(fp, fp.const(self.module, "M"), immutable=False)

    def _compare_settings(self, fp, m, immutable):
        settings = [(name, snap) for name, snap in self.expected[1]
                    if _immutable(snap) == immutable]
        if not settings:
            return []
        d = fp.local("d")
        lines = [f"{d} = {m}.__dict__"]
        for name, snap in settings:
            lines += emit_compare(fp, f"{d}.get({name!r}, _MISS)", snap, fp.const(snap, "A"))
        return lines


def _immutable(snap):
    """A settings snapshot of a value that cannot change in place (numbers, strings, tuples of
    them): see guards.snapshot."""
    if type(snap) is float or snap is _NAN:
        return True
    if type(snap) is not tuple or not snap:
        return False
    if len(snap) == 2 and type(snap[0]) is type:
        return True                               # (kind, plain value)
    if snap[0] in ("tuple", "frozenset"):
        return all(_immutable(item) for item in snap[1])
    if snap[0] == "np":                           # a NumPy scalar
        return True
    return False


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
        quick = self._emit_quick(fp)
        if quick is None:
            return [f"if not {g}.matches(): return _MISS"]
        # the common case as straight-line identity tests; anything else (a state dict that
        # gained a plain value, say) is decided by matches()
        return [f"if {quick}:", f"    if not {g}.matches(): return _MISS"]

    def _emit_quick(self, fp):
        """An expression true when the optimizer may differ from what was traced (its groups,
        parameters, state dicts, their sizes and state tensors), without loops or calls."""
        if not self.matches():
            return None
        opt = fp.const(self.optimizer, "OPT")
        fp.env.update(_dget=dict.get, _dgetitem=dict.__getitem__, _dlen=dict.__len__)
        groups, entries = _flatten(self.expected)
        pg, st = fp.local("pg"), fp.local("st")
        tests = [f"len({pg} := {opt}.param_groups) != {len(groups)}",
                 f"({st} := {opt}.state) is None"]
        k = 0
        for i, params in enumerate(groups):
            members = fp.local("ps")
            tests.append(f"len({members} := _dgetitem({pg}[{i}], 'params')) != {len(params)}")
            for j, p in enumerate(params):
                param = fp.const(p, "P")
                tests.append(f"{members}[{j}] is not {param}")
                if entries[k] is None:
                    tests.append(f"_dget({st}, {param}) is not None")
                else:
                    state = dict.get(self.optimizer.state, p)
                    name = fp.const(state, "S")
                    tests += [f"_dget({st}, {param}) is not {name}",
                              f"_dlen({name}) != {dict.__len__(state)}"]
                    for key, v in dict.items(state):   # tensors by identity, the rest by type
                        got = f"_dget({name}, {fp.const(key, 'K')})"
                        tests.append(f"{got} is not {fp.const(v, 'T')}" if hasattr(v, "_data")
                                     else f"{got}.__class__ is not {fp.const(type(v), 'C')}")
                k += 1
        return " or ".join(tests)

    def matches(self):
        """`actual() == expected` without building the snapshot: plain identity checks on the
        groups, the state dicts and their tensors (a few microseconds; a False here only sends
        the call down the general path, which compares the snapshots themselves)."""
        flat = self._flat
        if flat is None or flat[0] is not self.expected:
            flat = self._flat = (self.expected, _flatten(self.expected))
        groups, entries = flat[1]
        opt_groups = self.optimizer.param_groups
        if len(opt_groups) != len(groups):
            return False
        k = 0
        state = self.optimizer.state
        for g, params in zip(opt_groups, groups):
            actual = dict.__getitem__(g, "params")
            if len(actual) != len(params):
                return False
            for p, q in zip(actual, params):
                if p is not q:
                    return False
                s = dict.get(state, p)
                expected = entries[k]
                k += 1
                if expected is None:
                    if s is not None:
                        return False
                    continue
                if s is not expected[0]:
                    return False
                tensors = expected[1]
                n = 0
                for key, v in dict.items(s):
                    if hasattr(v, "_data"):
                        n += 1
                        if tensors.get(str(key), _ABSENT) is not v:
                            return False
                if n != len(tensors):
                    return False
        return True

    _flat = None


_ABSENT = object()


def _flatten(expected):
    """The objects an `optimizer_state` snapshot holds: (param groups, per parameter None or
    (state dict, {key: tensor})); None entries where keys clash, which never match."""
    groups, entries = expected
    flat = []
    for e in entries:
        if e is None:
            flat.append(None)
            continue
        tensors = {k: v.obj for k, v in e[1]}
        if len(tensors) != len(e[1]):
            tensors = {_ABSENT: None}       # two keys with one name: the fast check fails
        flat.append((e[0].obj, tensors))
    return tuple(tuple(i.obj for i in params) for params in groups), flat


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
