"""The source of one native segment (one `@njit` function) being written.

Every value of the schedule is named after its slot: `v<slot>` for arrays and scalars (0-d
values are plain scalars inside a segment), `c<slot>` for array constants, `z<slot>` for a 0-d
array passed in (loaded into `v<slot>` on entry), `ar<k>` for the memory plan's arenas. The
writer records which of these the segment reads from outside: they become its parameters.
"""
import numpy as np

from graphgrad.runtime.native.scalars import FLOAT32_MATH, dtype_name, literal


class Unsupported(Exception):
    """This instruction has no native kernel (for these types or attributes)."""


class SegmentWriter:
    def __init__(self, layout):
        self.layout = layout              # the schedule's static facts (see codegen.Layout)
        self.body = []
        self.prologue = []
        self.params = {}                  # parameter name -> ("slot" | "zero_d" | "const" |
        self.defined = set()              #                    "arena", slot or arena index)
        self.in_buffer = set()            # slots this segment wrote into their planned buffer
        # (function, schedule input slots): when the segment raises CheckFailed, the driver
        # calls each with those inputs' values, and the one that finds the bad value raises
        # the error that names it
        self.on_failure = []
        self.indent = 1

    # -- transactions: an emitter that gives up leaves no trace ---------------------------------
    def checkpoint(self):
        return (len(self.body), len(self.prologue), dict(self.params), set(self.defined),
                set(self.in_buffer), len(self.on_failure))

    def rollback(self, state):
        n_body, n_pro, params, defined, in_buffer, n_failure = state
        del self.body[n_body:]
        del self.prologue[n_pro:]
        del self.on_failure[n_failure:]
        self.params, self.defined, self.in_buffer = params, defined, in_buffer

    def kernel(self, params, body, what):
        """The name of a module-level @njit function with this code (one per distinct code,
        shared by all segments)."""
        source = f"({', '.join(params)}):\n" + "".join(f"    {line}\n" for line in body)
        kernels = self.layout.kernels
        if source not in kernels:
            # a loop of exp/log/tanh/erf is compiled for the CPU's widest vectors (see
            # llvm_level.py): its arithmetic, not memory, is what it waits for
            wide = any(f"{fn}(" in source for fn in FLOAT32_MATH.values())
            kernels[source] = (f"{'wide_' if wide else ''}kernel{len(kernels)}", what)
        return kernels[source][0]

    def line(self, text):
        self.body.append("    " * self.indent + text)

    # -- reading values -------------------------------------------------------------------------
    def is_scalar(self, slot):
        return self.layout.types[slot].ndim == 0

    def ref(self, slot):
        """The array holding `slot` (not 0-d)."""
        if self.is_scalar(slot):
            raise Unsupported("a 0-d value where an array is needed")
        if slot in self.layout.constants:
            name = f"c{slot}"
            self.params[name] = ("const", slot)
            return name
        name = f"v{slot}"
        if slot not in self.defined:
            self.params[name] = ("slot", slot)
        return name

    def scalar(self, slot):
        """The scalar expression of a 0-d `slot`, or of a constant holding one value."""
        t = self.layout.types[slot]
        if slot in self.layout.constants and size(t) == 1:
            return literal(self.layout.constants[slot].reshape(()), t.dtype)
        if t.ndim != 0:
            raise Unsupported("not a scalar")
        name = f"v{slot}"
        if slot not in self.defined and f"z{slot}" not in self.params:
            self.params[f"z{slot}"] = ("zero_d", slot)
            self.prologue.append(f"    {name} = z{slot}[()]")
        return name

    def is_uniform(self, slot):
        """Is `slot` one value broadcast everywhere (a 0-d value or a one-element constant)?"""
        t = self.layout.types[slot]
        return t.ndim == 0 or (slot in self.layout.constants and size(t) == 1)

    def element(self, slot, index, shape):
        """`slot`'s element at loop `index` over `shape` (NumPy broadcasting)."""
        t = self.layout.types[slot]
        if t.ndim == 0 or (slot in self.layout.constants and size(t) == 1):
            return self.scalar(slot)
        name = self.ref(slot)
        lead = len(shape) - t.ndim
        if lead < 0:
            raise Unsupported("operand of higher rank than the result")
        picks = []
        for d, n in enumerate(t.shape):
            if n == shape[lead + d]:
                picks.append(index[lead + d])
            elif n == 1:
                picks.append("0")
            else:
                raise Unsupported("shapes do not broadcast")
        return f"{name}[{', '.join(picks)}]"

    # -- writing values -------------------------------------------------------------------------
    def target(self, slot):
        """An array to write `slot`'s value into: the state array it updates in place, its
        planned buffer, or a new array."""
        t = self.layout.types[slot]
        into = self.layout.into.get(slot)
        if into is not None:
            array = self.ref(into)
            self.line(f"v{slot} = {array}")
        elif slot in self.layout.buffers:
            arena, offset = self.layout.buffers[slot]
            self.params[f"ar{arena}"] = ("arena", arena)
            self.line(f"v{slot} = buffer(ar{arena}, {offset}, {tuple(t.shape)}, "
                      f"{dtype_name(t.dtype)})")
            self.in_buffer.add(slot)
        else:
            self.line(f"v{slot} = new_array({tuple(t.shape)}, {dtype_name(t.dtype)})")
        self.defined.add(slot)
        return f"v{slot}"

    def same_array(self, slot, out):
        """Is `slot` read from the array that `out` is about to be written into, with the same
        shape and dtype: a state updated in place, or a planned buffer its result reuses?"""
        t, to = self.layout.types[slot], self.layout.types[out]
        if tuple(t.shape) != tuple(to.shape) or t.dtype != to.dtype:
            return False
        into = self.layout.into
        while slot in into:
            slot = into[slot]
        while out in into:
            out = into[out]
        if slot == out:
            return True
        # a value computed before, here, into its buffer (elsewhere it may be a fresh array)
        buffers = self.layout.buffers
        return slot in self.in_buffer and out in buffers and buffers[slot] == buffers[out]

    def set_scalar(self, slot, expr):
        """Define 0-d `slot` as `expr`; a 0-d state update is also stored in the state's array."""
        self.line(f"v{slot} = {expr}")
        self.defined.add(slot)
        into = self.layout.into.get(slot)
        if into is not None:
            self.params[f"z{into}"] = ("zero_d", into)
            self.line(f"z{into}[()] = v{slot}")

    def alias(self, slot, expr):
        self.line(f"v{slot} = {expr}")
        self.defined.add(slot)

    def loops(self, shape, prefix="i"):
        """Open nested loops over `shape`; returns the index names (close with `close`)."""
        index = []
        for d, n in enumerate(shape):
            name = f"{prefix}{d}" if prefix != "k" else "k"
            self.line(f"for {name} in range({n}):")
            self.indent += 1
            index.append(name)
        return index

    def close(self, n):
        self.indent -= n


def size(t):
    """Number of elements of a TensorType."""
    return int(np.prod(t.shape, dtype=np.int64))


def acc_dtype(dtype):
    """The accumulator of a sum: float64 for floats (NumPy sums float32 pairwise; a float64
    accumulator is at least as accurate), int64 for integers and bools."""
    dtype = np.dtype(dtype)
    return np.dtype(np.float64) if dtype.kind in "fc" else np.dtype(np.int64)
