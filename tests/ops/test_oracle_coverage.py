"""Every public op has a row in the torch-oracle table.

The public surface is every function exported by `graphgrad` (gg.*) and by
`graphgrad.nn.functional` (F.*), and every public Tensor method, property and operator. A row
covers a name when its function uses it directly: each row runs once, eagerly, with `m` standing
for graphgrad and recording the names read from it (`m.cumsum`, `m.nn.functional.pad`), while
the Tensor class records the methods and operators called from the row files themselves (calls
made inside graphgrad do not count).

Names that are not ops, and names of ops still arriving, are allowed below, each with a reason.
"""
import contextlib
import functools
import inspect
import os
import sys
import types
import warnings

import numpy as np
from oracle_pending import PENDING
from test_torch_oracle import CASES

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad.tensor import Tensor

# Public names that are not ops compared value by value, with the reason.
NOT_OPS = {
    # the compiler, transforms, autograd and global state
    "gg.compile": "compiler", "gg.grad": "transform", "gg.value_and_grad": "transform",
    "gg.trace": "returns a graph", "gg.is_grad_enabled": "grad mode",
    "gg.set_detect_anomaly": "anomaly mode", "gg.manual_seed": "random state",
    "gg.save": "serialization", "gg.load": "serialization",
    # helpers for writing ops, exported with the op functions; not torch API
    "gg.as_tensor_like": "op helper", "gg.unbroadcast": "op helper",
    # random factories: values cannot be compared with torch's
    "gg.rand": "random", "gg.randn": "random", "gg.randint": "random", "gg.randperm": "random",
    "gg.rand_like": "random", "gg.randn_like": "random",
    "F.gumbel_softmax": "random (tested by its distribution in tests/nn/test_layers_extra.py)",
    # autograd state and Python-side views of a tensor
    "Tensor.backward": "autograd", "Tensor.requires_grad_": "autograd",
    "Tensor.requires_grad": "autograd", "Tensor.grad": "autograd", "Tensor.grad_fn": "autograd",
    "Tensor.is_leaf": "autograd", "Tensor.detach_": "autograd", "Tensor.is_traced": "tracing",
    "Tensor.numpy": "leaves graphgrad", "Tensor.dtype": "metadata",
    "Tensor.__init__": "constructor (gg.tensor has rows)", "Tensor.__repr__": "printing",
    "Tensor.__str__": "printing", "Tensor.__format__": "printing",
    "Tensor.__hash__": "identity", "Tensor.__reduce_ex__": "refuses pickling",
    "Tensor.__array__": "leaves graphgrad",
}

_NOT_ATTRIBUTES = {"__dict__", "__doc__", "__module__", "__slots__", "__weakref__",
                   "__array_priority__"}


def _functions(module, prefix):
    return {f"{prefix}.{name}" for name, value in vars(module).items()
            if not name.startswith("_") and callable(value) and not inspect.isclass(value)
            and not isinstance(value, types.ModuleType)}


def _tensor_names():
    names = set()
    for name in dir(Tensor):
        if name.startswith("_") and not (name.startswith("__") and name in vars(Tensor)):
            continue
        if name in _NOT_ATTRIBUTES:
            continue
        names.add(f"Tensor.{name}")
    return names


def public_surface():
    return _functions(gg, "gg") | _functions(F, "F") | _tensor_names()


# -- recording which names the rows use -------------------------------------------------------


class _Spy:
    """Stands for a module in a row and records the names read from it."""

    def __init__(self, module, prefix, used, children=None):
        self._module, self._prefix, self._used = module, prefix, used
        self._children = children or {}

    def __getattr__(self, name):
        if name in self._children:
            return self._children[name]
        self._used.add(f"{self._prefix}.{name}")
        return getattr(self._module, name)


def _from_a_row(frame):
    name = os.path.basename(frame.f_code.co_filename)
    return name.startswith("torch_cases_") or name == "oracle_rows.py"


def _recording(fn, name, used):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _from_a_row(sys._getframe(1)):
            used.add(name)
        return fn(*args, **kwargs)
    return wrapper


@contextlib.contextmanager
def _tensor_use_recorded(used):
    originals = {}
    for qualified in _tensor_names():
        name = qualified.split(".", 1)[1]
        attr = inspect.getattr_static(Tensor, name)
        if isinstance(attr, property):
            wrapped = property(_recording(attr.fget, qualified, used), attr.fset)
        elif inspect.isfunction(attr):
            wrapped = _recording(attr, qualified, used)
        else:
            continue
        originals[name] = vars(Tensor).get(name)
        setattr(Tensor, name, wrapped)
    try:
        yield
    finally:
        for name, attr in originals.items():
            if attr is None:
                delattr(Tensor, name)
            else:
                setattr(Tensor, name, attr)


def names_used_by_rows():
    used = set()
    functional = _Spy(F, "F", used)
    module = _Spy(gg, "gg", used, {"nn": _Spy(gg.nn, "gg.nn", used,
                                               {"functional": functional})})
    with _tensor_use_recorded(used), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for case in CASES:
            arrays = case.arrays(case.dtypes[-1])
            case.fn(module, *[gg.tensor(a) for a in arrays])
    return used


def test_every_public_op_has_an_oracle_row():
    missing = public_surface() - names_used_by_rows() - set(NOT_OPS) - PENDING
    assert not missing, (f"{len(missing)} public ops have no row in tests/ops/torch_cases_*.py "
                         f"(add one, or list the name in NOT_OPS with a reason): "
                         f"{sorted(missing)}")


def test_allowed_names_exist():
    """NOT_OPS lists only names that are public today (a stale entry hides nothing)."""
    stale = set(NOT_OPS) - public_surface()
    assert not stale, f"not public any more, remove from NOT_OPS: {sorted(stale)}"


def test_recording_sees_methods_operators_and_functions():
    """The recorder itself: names used in a row count, names used inside graphgrad do not."""
    used = set()
    module = _Spy(gg, "gg", used)
    with _tensor_use_recorded(used):
        x = gg.tensor(np.ones((2, 2)))
        F.layer_norm(x, (2,))                 # calls ops inside graphgrad: not recorded
        _call_from_row_file(module, x)
    assert {"gg.exp", "Tensor.__add__", "Tensor.sum", "Tensor.T", "Tensor.__setitem__"} <= used
    assert "Tensor.__sub__" not in used and "gg.mean" not in used


def _call_from_row_file(m, x):
    """Runs `code` as if it were written in a row file."""
    code = compile("y = m.exp(x) + x.sum() + x.T\ny[0] = 1.0\n", "torch_cases_probe.py", "exec")
    exec(code, {"m": m, "x": x})
