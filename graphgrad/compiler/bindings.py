"""Where a compiled graph's inputs come from and where its state updates go, at every call.

Each binding is written once and serves both call paths: `read`/`write` run on the general
path (`Entry.run`), `emit_read`/`emit_write` return the same rule as Python source for the
generated fast path (`compiler/fastpath.py`), with the objects it needs held as constants.

Inputs: `ArgInput` (a tensor argument), `ArgGradInput` (its existing `.grad`), `StateInput` (a
tensor reached from a closure, module or optimizer: read by reference), `GradInput` (such a
tensor's `.grad`), `ScalarInput` (a Python number such as a learning rate).
Writebacks: `DataSink` (a new value for a tensor: an in-place update), `GradSink` (a new
`.grad`), `GradReset` (`.grad` set to None).
A target is either a flat argument position (int) or the tensor itself.
"""
import numpy as np

from graphgrad.tensor import Tensor


def resolve(target, leaves):
    """The tensor a target names at this call."""
    return leaves[target] if isinstance(target, int) else target


def emit_target(fp, target):
    return f"x{target}" if isinstance(target, int) else fp.const(target, "W")


def target_key(target):
    """Identifies a state tensor across inputs and sinks."""
    return ("arg", target) if isinstance(target, int) else id(target)


# -- inputs -----------------------------------------------------------------------------------

class ArgInput:
    kind = "arg"

    def __init__(self, index, name):
        self.index = index
        self.name = name
        self.key = ("arg", index)

    def read(self, leaves):
        return leaves[self.index]._data

    def emit_read(self, fp):
        return f"d{self.index}"          # the argument check has read it already


class ArgGradInput:
    """The existing `.grad` of a tensor argument (backward accumulates into it)."""
    kind = "grad"
    key = None

    def __init__(self, index, name):
        self.index = index
        self.name = name

    def read(self, leaves):
        return leaves[self.index]._grad._data

    def emit_read(self, fp):
        return f"x{self.index}._grad._data"


class StateInput:
    """A tensor reached from a closure, a module or an optimizer, bound by reference."""

    def __init__(self, tensor, kind, name):
        self.tensor = tensor
        self.kind = kind
        self.name = name
        self.key = id(tensor)

    def read(self, leaves):
        return self.tensor._data

    def emit_read(self, fp):
        local = fp.known.get(id(self.tensor))     # read by its guard just before
        return local or f"{fp.const(self.tensor, 'T')}._data"


class GradInput:
    """An outside tensor's `.grad`, read before the function assigned it."""
    kind = "grad"
    key = None

    def __init__(self, tensor, name):
        self.tensor = tensor
        self.name = name

    def read(self, leaves):
        return self.tensor._grad._data

    def emit_read(self, fp):
        return f"{fp.const(self.tensor, 'T')}._grad._data"


class ScalarInput:
    """A Python number read at each call (e.g. `param_group['lr']`): changing it does not
    retrace."""
    kind = "scalar"
    key = None

    def __init__(self, getter, dtype, name):
        self.getter = getter
        self.dtype = np.dtype(dtype)
        self.name = name

    def read(self, leaves):
        return np.asarray(self.getter(), self.dtype)

    def emit_read(self, fp):
        fp.env["_asarray"] = np.asarray
        return f"_asarray({fp.const(self.getter, 'S')}(), {fp.const(self.dtype, 'DT')})"


# -- writebacks -------------------------------------------------------------------------------

class DataSink:
    """The new value is stored in the tensor's own memory (views and NumPy arrays sharing it
    see it) and its version counter is bumped, as an in-place update would. When the runtime
    computed the value straight into the tensor's array there is nothing to copy."""
    attr = "data"

    def __init__(self, target):
        self.target = target
        self.key = target_key(target)

    def write(self, leaves, array):
        resolve(self.target, leaves)._write(array)

    def check_writable(self, leaves):
        """Raise before the call runs if the tensor's memory is read-only (eagerly, the
        in-place update would raise too): nothing has been written yet."""
        t = resolve(self.target, leaves)
        if not t._data.flags.writeable:
            raise read_only_error(t)

    def emit_check(self, fp):
        fp.env["_read_only_error"] = read_only_error
        t = emit_target(fp, self.target)
        return [f"if not {t}._data.flags.writeable: raise _read_only_error({t})"]

    def emit_write(self, fp, expr, in_place):
        t = emit_target(fp, self.target)
        if not in_place:
            return [f"{t}._write({expr})"]
        return [f"vc = {t}._vc", "if vc is not None: vc[0] += 1"]


def read_only_error(t):
    return ValueError(f"the compiled function updates a tensor of shape {t.shape} in place, but "
                      "its memory is read-only (a read-only NumPy array, e.g. memory-mapped); "
                      "nothing was changed: pass a writeable copy")


class GradSink:
    attr = "grad"
    key = None

    def __init__(self, target, new_tensor=False):
        self.target = target
        self.new_tensor = new_tensor    # a new .grad Tensor at every call, as eagerly

    def write(self, leaves, array):
        t = resolve(self.target, leaves)
        if t._grad is None or self.new_tensor:
            t._grad = Tensor._wrap(array)
        else:
            t._grad._data = array

    def emit_write(self, fp, expr, in_place):
        fp.env["_wrap"] = Tensor._wrap
        t = emit_target(fp, self.target)
        if self.new_tensor:
            return [f"{t}._grad = _wrap({expr})"]
        return [f"g = {t}._grad",
                f"if g is None: {t}._grad = _wrap({expr})",
                f"else: g._data = {expr}"]


class ScalarSink:
    """A number written into an optimizer's state dict (`state["step"] = step + 1`): the
    graph computes it, and it is stored back as a Python number after every call."""
    attr = "scalar"
    key = None

    def __init__(self, d, key, kind):
        self.d = d
        self.entry = key
        self.kind = kind            # int or float, as the eager step stores it

    def write(self, leaves, array):
        dict.__setitem__(self.d, self.entry, self.kind(array))

    def emit_write(self, fp, expr, in_place):
        d, k, kind = fp.const(self.d, "DI"), fp.const(self.entry, "K"), fp.const(self.kind, "C")
        return [f"_dict_set({d}, {k}, {kind}({expr}))"]


class DictWrite:
    """An entry an optimizer's step put into its state (a new state tensor, a constant), put
    there again after every call, as the eager step would (no graph output)."""

    def __init__(self, d, key, value):
        self.d = d
        self.entry = key
        self.value = value

    def write(self, leaves):
        dict.__setitem__(self.d, self.entry, self.value)

    def emit_write(self, fp):
        d, k, v = fp.const(self.d, "DI"), fp.const(self.entry, "K"), fp.const(self.value, "V")
        return [f"_dict_set({d}, {k}, {v})"]


class GradReset:
    """`.grad` ends up None whatever it was (`opt.zero_grad()` with nothing after it)."""

    def __init__(self, target):
        self.target = target

    def write(self, leaves):
        resolve(self.target, leaves)._grad = None

    def emit_write(self, fp):
        return [f"{emit_target(fp, self.target)}._grad = None"]
