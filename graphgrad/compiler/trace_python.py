"""The part of a `Trace` that handles Python values: runtime scalars read at every call,
numbers and entries of optimizers' `param_groups` and `state` dicts (graphgrad.optim.state),
and guarded values. A mixin of `Trace`; the fields it uses are set in `Trace.__init__`.
"""
import numpy as np

from graphgrad.compiler.bindings import ScalarInput
from graphgrad.compiler.guards import Guard, snapshot
from graphgrad.compiler.state_guards import OptimizerGuard
from graphgrad.ir.graph import Value
from graphgrad.ir.types import TensorType
from graphgrad.scalar import RuntimeScalar
from graphgrad.tensor import Tensor

ABSENT = object()      # a dict entry that was not there


class PythonValues:
    def scalar_input(self, key, getter, dtype, name):
        """A 0-d input read from Python at every call (once per `key` within a trace)."""
        key = (key, np.dtype(dtype).str)
        tracer = self.scalars.get(key)
        if tracer is None:
            v = self.bind_input(ScalarInput(getter, dtype, name), TensorType((), np.dtype(dtype)))
            tracer = self.scalars[key] = Tensor._tracer(v, False)
        return tracer

    def python_value(self, d, key, value, name):
        """A value read from an optimizer's group or state dict: numbers become runtime
        scalars, tensors and lists are returned as they are, anything else is guarded."""
        def getter():
            return dict.__getitem__(d, key)
        if (id(d), key) in self.dict_log:
            return value              # written earlier in this call: known here
        if _is_number(value):
            return self._runtime_number((id(d), key), value, getter, name)
        if isinstance(value, tuple) and value and all(_is_number(v) for v in value):
            return tuple(self._runtime_number((id(d), key, i), v,
                                              lambda i=i: getter()[i], f"{name}[{i}]")
                         for i, v in enumerate(value))
        if isinstance(value, (Tensor, RuntimeScalar, list, dict)):
            return value
        self.guard_value(name, getter)
        return value

    def _runtime_number(self, key, value, getter, name):
        tensor = self.scalar_input(key, getter, np.float64, name)
        return RuntimeScalar(value, tensor, getter, name)

    def note_optimizer(self, optimizer):
        if id(optimizer) not in self.optimizers:
            self.optimizers[id(optimizer)] = optimizer
            self.guards.append(OptimizerGuard(optimizer))

    def dict_set(self, d, key, value):
        """`d[key] = value` while tracing: undone when tracing ends, written back after every
        call. A traced tensor stored this way becomes persistent state (its final value is
        written into it after every call)."""
        log_key = (id(d), key)
        if log_key not in self.dict_log:
            self.dict_log[log_key] = (d, key, dict.get(d, key, ABSENT))
        if isinstance(value, Tensor) and type(value._data) is Value and \
                id(value) not in self.data_log:
            placeholder = np.zeros(value.shape, value.dtype)
            self.data_log[id(value)] = (value, placeholder, None, False)
        dict.__setitem__(d, key, value)

    def guard_value(self, description, getter, value=ABSENT):
        """A guard that `getter()` stays `value` (by default, what it returns now)."""
        value = getter() if value is ABSENT else value
        self.guards.append(Guard(description, getter, expected=snapshot(value)))
        return value


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)
