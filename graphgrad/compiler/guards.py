"""Guards: facts about outside state that a compiled graph assumed. An entry is reused only
while all of its guards hold; otherwise the call retraces and the failing guards say why.

Each guard is written once: `check()` (general path: None, or the reason it fails) and
`emit(fp)` (the same test as fast-path source lines that return _MISS on failure).
"""


class Guard:
    """`getter()` must still equal `expected` (a plain Python value)."""

    def __init__(self, description, getter, expected):
        self.description = description
        self.getter = getter
        self.expected = expected

    def actual(self):
        return self.getter()

    def check(self):
        actual = self.actual()
        if actual != self.expected:
            return f"{self.description}: now {actual!r}, before {self.expected!r}"
        return None

    def emit(self, fp):
        g = fp.const(self, "G")
        return [f"if {g}.getter() != {g}.expected: return _MISS"]


def tensor_state(t):
    data = t._data
    # writeable: compiled updates may write into the array in place
    return (tuple(data.shape), data.dtype.str, t._requires_grad, data.flags.writeable)


class TensorGuard(Guard):
    """An outside tensor keeps its shape, dtype, requires_grad and writeability."""

    def __init__(self, tensor, label):
        super().__init__(f"{label}: (shape, dtype, requires_grad)", lambda: tensor_state(tensor),
                         tensor_state(tensor))
        self.tensor = tensor

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


class TrainingGuard(Guard):
    def __init__(self, module, label):
        super().__init__(f"{label}.training", lambda: module.training, module.training)
        self.module = module

    def emit(self, fp):
        return [f"if {fp.const(self.module, 'M')}.training is not {self.expected}: "
                "return _MISS"]


_SIMPLE = (bool, int, float, complex, str, bytes, type(None))


def is_simple(value):
    """A plain Python value that can be compared and baked into a graph."""
    if isinstance(value, _SIMPLE):
        return True
    return isinstance(value, (tuple, frozenset)) and all(is_simple(v) for v in value)


def simple_attributes(module):
    """The plain-valued public attributes of a module (its Python-level hyperparameters)."""
    return tuple((k, v) for k, v in module.__dict__.items()
                 if not k.startswith("_") and k != "training" and is_simple(v))


class AttributesGuard(Guard):
    """A module's plain hyperparameters (Dropout.p, eps, ...) shape the graph."""

    def __init__(self, module, label):
        super().__init__(f"{label} attributes", lambda: simple_attributes(module),
                         simple_attributes(module))
        self.module = module

    def emit(self, fp):
        m = fp.const(self.module, "M")
        lines = []
        for name, value in self.expected:
            lines.append(f"if {m}.__dict__.get({name!r}, _MISS) != {fp.const(value, 'A')}: "
                         "return _MISS")
        return lines


class GradNoneGuard(Guard):
    """Whether an outside tensor's `.grad` is None (the graph reads it or not)."""

    def __init__(self, tensor, label):
        super().__init__(f"{label}.grad is None", lambda: tensor._grad is None,
                         tensor._grad is None)
        self.tensor = tensor

    def emit(self, fp):
        return [f"if ({fp.const(self.tensor, 'O')}._grad is None) is not {self.expected}: "
                "return _MISS"]


def grad_state(t):
    g = t._grad
    return None if g is None else (tuple(g._data.shape), g._data.dtype.str)


class GradStateGuard(Guard):
    def __init__(self, tensor, label):
        super().__init__(f"{label}.grad: (shape, dtype)", lambda: grad_state(tensor),
                         grad_state(tensor))
        self.tensor = tensor


def all_hold(guards):
    for g in guards:
        if g.check() is not None:
            return False
    return True
