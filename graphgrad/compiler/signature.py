"""The cache key of a compiled call: the argument structure, grad mode, and one `ArgSpec` per
flattened argument (`TensorSpec` for tensors, `StaticSpec` for everything else, whose value is
part of the key). `Signature.diff` says why a call missed the cache; `ArgSpec.emit_check` writes
the same test as fast-path source."""
import dataclasses
import inspect

import numpy as np

from graphgrad import pytree
from graphgrad.compiler.guards import is_simple, show, snapshot
from graphgrad.errors import TraceError
from graphgrad.ir.graph import Value
from graphgrad.tensor import Tensor


@dataclasses.dataclass(frozen=True)
class TensorSpec:
    shape: tuple
    dtype: str              # dtype.str, e.g. '<f4'
    requires_grad: bool
    grad_none: bool         # for tensors that require grad: is `.grad` None (backward adds)

    def diff(self, before, name):
        if not isinstance(before, TensorSpec):
            return [f"arg {name}: now a tensor, before {before.describe()}"]
        out = []
        if self.shape != before.shape:
            out.append(f"arg {name}: shape now {self.shape}, before {before.shape}")
        if self.dtype != before.dtype:
            out.append(f"arg {name}: dtype now {np.dtype(self.dtype)}, before "
                       f"{np.dtype(before.dtype)}")
        if self.requires_grad != before.requires_grad:
            out.append(f"arg {name}: requires_grad now {self.requires_grad}, before "
                       f"{before.requires_grad}")
        elif self.grad_none != before.grad_none:
            out.append(f"arg {name}: .grad is None now {self.grad_none}, before "
                       f"{before.grad_none}")
        return out

    def describe(self):
        text = f"a {np.dtype(self.dtype)} tensor of shape {self.shape}"
        if self.requires_grad:
            text += ", requires grad" + ("" if self.grad_none else ", .grad set")
        return text

    def emit_check(self, i, fp):
        dtype = fp.const(np.dtype(self.dtype), "D")
        lines = [f"if not isinstance(x{i}, _Tensor): return _MISS",
                 f"d{i} = x{i}._data",
                 f"if d{i}.__class__ is not _ndarray or d{i}.shape != {self.shape!r} or "
                 f"(d{i}.dtype is not {dtype} and d{i}.dtype != {dtype}) or "
                 f"x{i}._requires_grad is not {self.requires_grad}: return _MISS"]
        if self.requires_grad:
            lines.append(f"if (x{i}._grad is None) is not {self.grad_none}: return _MISS")
        return lines


@dataclasses.dataclass(frozen=True)
class StaticSpec:
    type: type              # 1 and True are different keys
    value: object = dataclasses.field(compare=False)
    snap: object = None     # what is compared: the value, or for a config object its data

    def diff(self, before, name):
        if self.value is before.value:
            return [f"arg {name}: its data now {show(self.snap)}, before {show(before.snap)}"]
        return [f"arg {name}: now {self.describe()}, before {before.describe()}"]

    def describe(self):
        text = repr(self.value)
        return text if len(text) < 60 else text[:57] + "..."

    def emit_check(self, i, fp):
        kind = fp.const(self.type, "C")
        if is_simple(self.value) and self.value == self.value:
            value = fp.const(self.value, "V")
            return [f"if x{i}.__class__ is not {kind} or x{i} != {value}: return _MISS"]
        fp.env["_snapshot"] = snapshot
        return [f"if x{i}.__class__ is not {kind} or _snapshot(x{i}) != "
                f"{fp.const(self.snap, 'V')}: return _MISS"]


def arg_spec(x):
    if isinstance(x, Tensor):
        d = x._data
        if type(d) is Value:
            raise TraceError("a traced tensor from a finished compiled call was passed to a "
                             "compiled function")
        return TensorSpec(d.shape, d.dtype.str, x._requires_grad,
                          x._requires_grad and x._grad is None)
    try:
        hash(x)
    except TypeError:
        raise TypeError(f"compile: the argument {x!r} of type {type(x).__name__} is not "
                        "hashable; non-tensor arguments are static (part of the cache key) "
                        "and must be hashable") from None
    # a config object is compared by its data (its attributes can change between calls)
    return StaticSpec(type(x), x, snapshot(x))


@dataclasses.dataclass(frozen=True)
class Signature:
    structure: object       # the pytree definition of (args, kwargs)
    grad_enabled: bool
    args: tuple             # one ArgSpec per flattened argument
    aliases: tuple          # see `alias_pattern`

    @classmethod
    def of(cls, leaves, treedef, grad_enabled):
        return cls(treedef, grad_enabled, tuple(arg_spec(x) for x in leaves),
                   alias_pattern(leaves))

    def diff(self, before, names):
        """Why a call with this signature differs from one with `before`."""
        if self.structure != before.structure:
            return f"argument structure now {self.structure}, before {before.structure}"
        if self.grad_enabled != before.grad_enabled:
            return f"grad mode now {self.grad_enabled}, before {before.grad_enabled}"
        if self.aliases != before.aliases:
            return f"arguments sharing memory now {_show_aliases(self.aliases, names)}, " \
                f"before {_show_aliases(before.aliases, names)}"
        diffs = []
        for name, new, old in zip(names, self.args, before.args):
            if new != old:
                diffs += new.diff(old, name)
        return "; ".join(diffs) or "signature changed"


def storage_root(array):
    """The array that owns `array`'s memory (NumPy collapses chains of views onto it)."""
    base = array.base
    return array if base is None else base


def alias_pattern(leaves):
    """Per argument: None, ("same", j) when it is the very tensor passed as argument j, or
    ("memory", j) when it shares memory with argument j (a view of it, or from_numpy of the
    same array). Part of the cache key: aliasing changes what in-place updates mean."""
    objects, roots, out = {}, {}, []
    for i, x in enumerate(leaves):
        if not isinstance(x, Tensor) or type(x._data) is not np.ndarray:
            out.append(None)
            continue
        j = objects.get(id(x))
        if j is not None:
            out.append(("same", j))
            continue
        objects[id(x)] = i
        root = storage_root(x._data)
        j = roots.get(id(root))
        if j is not None and np.may_share_memory(x._data, leaves[j]._data):
            out.append(("memory", j))
        else:
            roots.setdefault(id(root), i)
            out.append(None)
    return tuple(out)


def _show_aliases(aliases, names):
    pairs = [f"{names[i]} {a[0]} as {names[a[1]]}" for i, a in enumerate(aliases) if a]
    return ", ".join(pairs) or "none"


def leaf_names(fn, args, kwargs):
    """Readable names for the flattened arguments: 'x', 'batch[0]', ..."""
    n_leaves = len(pytree.flatten((args, kwargs))[0])
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
        positional = list(bound.arguments.items())[:len(args)]
    except (TypeError, ValueError):
        positional = [(f"arg{i}", a) for i, a in enumerate(args)]
    names = []
    for name, value in positional:
        names.extend(name + p for p in pytree.leaf_paths(value))
    for name, value in kwargs.items():
        names.extend(name + p for p in pytree.leaf_paths(value))
    if len(names) != n_leaves:
        names = [f"arg{i}" for i in range(n_leaves)]
    return names
