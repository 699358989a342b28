"""RuntimeScalar: a Python number that a compiled graph reads at every call.

While a function is traced, reading a number from an optimizer's `param_groups` (a learning
rate a scheduler changes) or its per-parameter `state` (a step count) gives a RuntimeScalar
instead of the number: it carries the value and a 0-d graph input read at every call.
Arithmetic on it (`-lr`, `lr / (1 - beta1 ** step)`) is recorded on that tensor, and tensor ops
take it as a weakly typed scalar, so the graph never bakes the number in. Where Python needs
the number itself (`if lr > 0`, `float(lr)`, `math.sqrt(lr)`, `range(n)`), the graph is
specialized to the value it has now, with a guard: when it changes, the function is traced
again. Eagerly nothing of this exists: the same reads give plain numbers.
"""
import operator

from graphgrad.modes import active_recorder


class RuntimeScalar:
    __slots__ = ("value", "tensor", "getter", "name")

    def __init__(self, value, tensor, getter, name):
        self.value = value          # the number now (an int or a float)
        self.tensor = tensor        # a 0-d float64 tracer computing it in the graph
        self.getter = getter        # () -> the number at a later call
        self.name = name

    # -- arithmetic: recorded on the tensor ----------------------------------------------------
    def _combine(self, other, op, name, reflected=False):
        if isinstance(other, RuntimeScalar):
            o_value, o_tensor, o_getter, o_name = other.value, other.tensor, other.getter, \
                other.name
        elif isinstance(other, (int, float)) and not isinstance(other, bool):
            o_value, o_tensor, o_getter, o_name = other, other, (lambda v=other: v), repr(other)
        else:
            return NotImplemented
        a, b = (o_value, self.value) if reflected else (self.value, o_value)
        ta, tb = (o_tensor, self.tensor) if reflected else (self.tensor, o_tensor)
        ga, gb = (o_getter, self.getter) if reflected else (self.getter, o_getter)
        na, nb = (o_name, self.name) if reflected else (self.name, o_name)
        tensor = op(ta, tb)          # at least one is a tensor: a tensor op
        return RuntimeScalar(op(a, b), tensor, lambda: op(ga(), gb()), f"({na} {name} {nb})")

    def __add__(self, o):
        return self._combine(o, operator.add, "+")

    def __radd__(self, o):
        return self._combine(o, operator.add, "+", True)

    def __sub__(self, o):
        return self._combine(o, operator.sub, "-")

    def __rsub__(self, o):
        return self._combine(o, operator.sub, "-", True)

    def __mul__(self, o):
        return self._combine(o, operator.mul, "*")

    def __rmul__(self, o):
        return self._combine(o, operator.mul, "*", True)

    def __truediv__(self, o):
        return self._combine(o, operator.truediv, "/")

    def __rtruediv__(self, o):
        return self._combine(o, operator.truediv, "/", True)

    def __pow__(self, o):
        return self._combine(o, operator.pow, "**")

    def __rpow__(self, o):
        return self._combine(o, operator.pow, "**", True)

    def __neg__(self):
        return RuntimeScalar(-self.value, -self.tensor, lambda: -self.getter(), f"-{self.name}")

    def __pos__(self):
        return self

    def __abs__(self):
        from graphgrad.ops.elementwise import abs as tensor_abs
        return RuntimeScalar(abs(self.value), tensor_abs(self.tensor),
                             lambda: abs(self.getter()), f"abs({self.name})")

    # -- using the number itself: specializes the graph to it, with a guard ------------------
    def _specialize(self, what, fn, other=None):
        """fn(value[, other value]), guarded to stay what it is now."""
        if isinstance(other, RuntimeScalar):
            result = fn(self.value, other.value)
            getter = lambda: fn(self.getter(), other.getter())   # noqa: E731
        elif other is not None:
            result = fn(self.value, other)
            getter = lambda: fn(self.getter(), other)             # noqa: E731
        else:
            result = fn(self.value)
            getter = lambda: fn(self.getter())                    # noqa: E731
        recorder = active_recorder()
        if recorder is not None and hasattr(recorder, "guard_value"):
            # the value now is `result`: the getter is for later calls (while tracing, the
            # dicts it reads may hold runtime scalars themselves)
            recorder.guard_value(f"{what} (a runtime hyperparameter used as a Python value)",
                                 getter, result)
        return result

    def __eq__(self, o):
        return self._specialize(f"{self.name} == {o!r}", operator.eq, o)

    def __ne__(self, o):
        return self._specialize(f"{self.name} != {o!r}", operator.ne, o)

    def __lt__(self, o):
        return self._specialize(f"{self.name} < {o!r}", operator.lt, o)

    def __le__(self, o):
        return self._specialize(f"{self.name} <= {o!r}", operator.le, o)

    def __gt__(self, o):
        return self._specialize(f"{self.name} > {o!r}", operator.gt, o)

    def __ge__(self, o):
        return self._specialize(f"{self.name} >= {o!r}", operator.ge, o)

    def __bool__(self):
        return self._specialize(f"bool({self.name})", bool)

    def __float__(self):
        return self._specialize(f"float({self.name})", float)

    def __int__(self):
        return self._specialize(f"int({self.name})", int)

    def __index__(self):
        return self._specialize(f"int({self.name})", operator.index)

    def __round__(self, ndigits=None):
        return self._specialize(f"round({self.name})", lambda v: round(v, ndigits))

    __hash__ = None

    def __repr__(self):
        return repr(self.value)

    def __format__(self, spec):
        return format(self.value, spec)
