"""nn.Module: parameters, buffers and submodules registered by attribute assignment."""
from collections import OrderedDict

import numpy as np

from graphgrad import devices
from graphgrad.capture import module_called
from graphgrad.modes import no_grad
from graphgrad.errors import ShapeError
from graphgrad.nn.parameter import Parameter
from graphgrad.tensor import Tensor


# Bumped by every change to any module's attributes, members or training flag: a compiled
# call's fast path checks its modules again only when this moved since it last did.
STRUCTURE = [0]


class Members(OrderedDict):
    """A module's parameters, buffers or submodules (an OrderedDict that bumps STRUCTURE on
    every change, also when code edits it directly: `del m._parameters["weight"]`). The count
    moves after the change: a check that saw the new count saw the change too."""
    __slots__ = ()

    def __setitem__(self, key, value):
        OrderedDict.__setitem__(self, key, value)
        STRUCTURE[0] += 1

    def __delitem__(self, key):
        OrderedDict.__delitem__(self, key)
        STRUCTURE[0] += 1

    def pop(self, *args):
        try:
            return OrderedDict.pop(self, *args)
        finally:
            STRUCTURE[0] += 1

    def popitem(self, last=True):
        try:
            return OrderedDict.popitem(self, last)
        finally:
            STRUCTURE[0] += 1

    def setdefault(self, key, default=None):
        try:
            return OrderedDict.setdefault(self, key, default)
        finally:
            STRUCTURE[0] += 1

    def update(self, *args, **kwargs):
        OrderedDict.update(self, *args, **kwargs)
        STRUCTURE[0] += 1

    def clear(self):
        OrderedDict.clear(self)
        STRUCTURE[0] += 1

    def move_to_end(self, key, last=True):
        OrderedDict.move_to_end(self, key, last)
        STRUCTURE[0] += 1

    def __ior__(self, other):
        self.update(other)
        return self


def _assign(self, name, value):
    """Module attribute assignment (see Module.__setattr__)."""
    if "_parameters" not in self.__dict__:
        raise AttributeError(f"cannot assign {name!r} before Module.__init__() is called "
                             f"(call super().__init__() first in {type(self).__name__})")
    if isinstance(value, Parameter):
        target = self._parameters
    elif isinstance(value, Module):
        target = self._modules
    elif name in self.__dict__.get("_buffer_names", ()) and isinstance(value, Tensor):
        target = self._buffers
    else:
        target = None
        if name in ("_parameters", "_buffers", "_modules") and type(value) is not Members:
            value = Members(value)      # a replaced table counts its edits too
    for store in (self._parameters, self._buffers, self._modules):
        if store is not target:
            store.pop(name, None)   # a reassigned entry keeps its place, as in torch
    if target is None:
        object.__setattr__(self, name, value)
        return
    target[name] = value
    self.__dict__.pop(name, None)


class Module:
    training = True

    def __init__(self):
        object.__setattr__(self, "_parameters", Members())
        object.__setattr__(self, "_buffers", Members())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", Members())
        object.__setattr__(self, "training", True)

    # -- registration -------------------------------------------------------------------------
    def __setattr__(self, name, value):
        try:
            _assign(self, name, value)
        finally:
            STRUCTURE[0] += 1

    def __getattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        try:
            for store in (self._parameters, self._buffers, self._modules):
                if name in store:
                    del store[name]
                    return
            object.__delattr__(self, name)
        finally:
            STRUCTURE[0] += 1

    def register_parameter(self, name, param):
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter or None")
        if param is None:
            self._parameters.pop(name, None)
            setattr(self, name, None)
        else:
            setattr(self, name, param)

    def register_buffer(self, name, tensor, persistent=True):
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: {name!r} must be a Tensor or None, got "
                            f"{type(tensor).__name__}")
        self.__dict__.pop(name, None)
        self._buffers[name] = tensor
        if tensor is not None:
            tensor._kind = "buffer"
        if not persistent:
            self._non_persistent.add(name)
        self.__dict__.setdefault("_buffer_names", set()).add(name)

    def register_module(self, name, module):
        setattr(self, name, module)

    add_module = register_module

    # -- calling ------------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        module_called(self)
        return self.forward(*args, **kwargs)

    # -- traversal ----------------------------------------------------------------------------
    def named_modules(self, prefix="", memo=None):
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        return ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self):
        return (m for _, m in self.named_children())

    def _named_members(self, store, prefix, recurse):
        seen = set()
        mods = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_prefix, m in mods:
            for name, t in getattr(m, store).items():
                if t is None or id(t) in seen:
                    continue
                seen.add(id(t))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), t

    def named_parameters(self, prefix="", recurse=True):
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix="", recurse=True):
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse=True):
        return (b for _, b in self.named_buffers(recurse=recurse))

    def apply(self, fn):
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # -- modes --------------------------------------------------------------------------------
    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise TypeError(f"train: mode must be a bool, got {type(mode).__name__}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        STRUCTURE[0] += 1
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    def to(self, *args, **kwargs):
        """torch's overloads: `to(device)`, `to(dtype)`, `to(device, dtype)`, `to(tensor)`.
        Moving is a no-op on the CPU (another device raises); floating-point parameters and
        buffers are cast in place. A non-floating dtype is refused, as in torch."""
        kwargs.pop("copy", None)
        _, dtype, _ = devices.to_args(args, kwargs, "Module.to", Tensor)
        if dtype is None:
            return self
        if dtype.kind != "f":
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired "
                            f"dtype={dtype}")
        return self._cast(dtype)

    def cpu(self):
        return self

    def cuda(self, device=None):
        raise devices.unavailable("cuda", f"{type(self).__name__}.cuda()")

    def _cast(self, dtype):
        for t in list(self.parameters()) + list(self.buffers()):
            if t._data.dtype.kind == "f" and t._data.dtype != dtype:
                t._data = t._data.astype(dtype)
                if t._grad is not None:
                    t._grad._data = t._grad._data.astype(dtype)
        return self

    def float(self):
        return self._cast(np.dtype(np.float32))

    def double(self):
        return self._cast(np.dtype(np.float64))

    # -- state --------------------------------------------------------------------------------
    def state_dict(self, prefix=""):
        """name -> tensor for every parameter and persistent buffer. These are copies (torch's
        alias the live parameters): compiled steps update parameters in place, and a copy keeps
        a checkpoint or a "best weights" snapshot from changing under you."""
        out = OrderedDict()
        for mod_prefix, m in self.named_modules(prefix):
            def key(name, p=mod_prefix):
                return f"{p}.{name}" if p else name
            for name, p in m._parameters.items():
                if p is not None:
                    out[key(name)] = Tensor._wrap(p._data.copy())
            for name, b in m._buffers.items():
                if b is not None and name not in m._non_persistent:
                    out[key(name)] = Tensor._wrap(b._data.copy())
        return out

    def _state_targets(self):
        out = OrderedDict()
        for mod_prefix, m in self.named_modules():
            for name, p in m._parameters.items():
                if p is not None:
                    out[f"{mod_prefix}.{name}" if mod_prefix else name] = p
            for name, b in m._buffers.items():
                if b is not None and name not in m._non_persistent:
                    out[f"{mod_prefix}.{name}" if mod_prefix else name] = b
        return out

    def load_state_dict(self, state_dict, strict=True):
        """Copy values in after checking every key and shape; one error lists all problems and
        nothing is copied when there is any."""
        if not hasattr(state_dict, "items"):
            raise TypeError(f"load_state_dict: expects a dict, got {type(state_dict).__name__}")
        targets = self._state_targets()
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        problems = []
        arrays = {}
        for k, t in targets.items():
            if k not in state_dict:
                continue
            v = state_dict[k]
            arr = v._concrete("load_state_dict") if isinstance(v, Tensor) else np.asarray(v)
            if arr.dtype.kind not in "fiub":
                problems.append(f"{k}: not numeric data ({arr.dtype})")
            elif tuple(arr.shape) != t.shape:
                problems.append(f"{k}: shape {tuple(arr.shape)} in the checkpoint, {t.shape} in "
                                "the model")
            else:
                arrays[k] = arr
        if strict:
            problems = ([f"missing key: {k}" for k in missing]
                        + [f"unexpected key: {k}" for k in unexpected] + problems)
        if problems:
            raise ShapeError(f"load_state_dict for {type(self).__name__} failed, nothing was "
                             "loaded:\n  " + "\n  ".join(problems))
        with no_grad():
            for k, arr in arrays.items():
                t = targets[k]
                t._write(np.array(arr, dtype=t._data.dtype, copy=True))
        return _IncompatibleKeys(missing, unexpected)

    # -- printing -----------------------------------------------------------------------------
    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        children = list(self._modules.items())
        if not children:
            return lines[0] + ")"
        for name, m in children:
            body = repr(m).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + "\n)"

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))


class _IncompatibleKeys(tuple):
    def __new__(cls, missing, unexpected):
        return super().__new__(cls, (missing, unexpected))

    @property
    def missing_keys(self):
        return self[0]

    @property
    def unexpected_keys(self):
        return self[1]
