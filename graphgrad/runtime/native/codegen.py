"""Schedule -> numba source: the instructions that have native kernels are grouped into
segments, each one `@njit` function; an instruction without one runs its NumPy kernel between
segments. A Python driver `run(a0, a1, ...)` (same contract as the NumPy backend's generated
function) calls the segments and the NumPy kernels in schedule order.

A segment takes the values it reads from outside (schedule inputs, constants, results of
earlier segments or NumPy kernels) and the memory plan's arenas, in which it lays out the
planned buffers as views; it returns the values needed later. 0-d values are scalars inside a
segment and 0-d arrays between segments.
"""
import numpy as np

from graphgrad.ir.types import TensorType
from graphgrad.runtime.native.kernels import emit
from graphgrad.runtime.native.writer import SegmentWriter, Unsupported

NJIT = '@njit(cache=True, error_model="numpy", nogil=True)'
# loop kernels are not cached on their own: the cached segments that call them hold their code,
# so no other process compiles them, and writing each to the cache cost about 20 ms
KERNEL_NJIT = '@njit(error_model="numpy", nogil=True)'


class Layout:
    """What the kernels need to know about a schedule: the type of every slot, the constants,
    the state updates written in place, and where each planned buffer lives."""

    def __init__(self, schedule):
        self.n_inputs = schedule.n_inputs
        self.kernels = {}                  # code (after the name) -> (name, ops): see writer
        self.types = {i: v.type for i, v in enumerate(schedule.graph.inputs)}
        self.constants = schedule.constants
        for slot, value in self.constants.items():
            self.types[slot] = TensorType(np.shape(value), np.asarray(value).dtype)
        self.checked = {}                  # check_index result -> the slot it checked
        self.reshaped = {}                 # reshape result -> the slot it reshapes (first)
        for ins in schedule.instructions:
            self.types[ins.output] = ins.node.out.type
            if ins.node.op.name == "check_index":
                self.checked[ins.output] = ins.inputs[0]
            elif ins.node.op.name == "reshape":
                source = ins.inputs[0]
                self.reshaped[ins.output] = self.reshaped.get(source, source)
        memory = schedule.memory
        self.into = dict(memory.write_into) if memory is not None else {}
        # slot -> (arena index, byte offset): from the plan, not from addresses, so that the
        # source (and the name of its cached module) is the same in every process
        self.arenas = memory.arenas if memory is not None else []
        self.buffers = {slot: memory.placement[slot]
                        for slot, buf in (memory.buffers.items() if memory is not None else ())
                        if isinstance(slot, int) and buf.ndim > 0}   # scratch: loops need none


class Segment:
    def __init__(self, writer, first):
        self.writer = writer
        self.instructions = []             # indices into the schedule
        self.first = first
        self.exports = []                  # slots returned to the driver
        self.name = None


def split(schedule, layout):
    """[Segment | instruction index running its NumPy kernel] in schedule order, and the
    reasons instructions fell back."""
    items = []
    fallbacks = []
    current = None
    in_buffer = set()      # slots earlier segments computed into their planned buffers (which
                           # lifetimes keep: see SegmentWriter.same_array)
    for i, ins in enumerate(schedule.instructions):
        if current is None:
            current = Segment(SegmentWriter(layout), i)
            current.writer.in_buffer |= in_buffer
        state = current.writer.checkpoint()
        current.writer.line("# " + ins.label.split("  [")[0])
        try:
            emit(current.writer, ins)
        except Unsupported as e:
            current.writer.rollback(state)
            if current.instructions:
                items.append(current)
                in_buffer |= current.writer.in_buffer
            current = None
            items.append(i)
            fallbacks.append((ins, str(e)))
            continue
        current.instructions.append(i)
    if current is not None and current.instructions:
        items.append(current)
    _exports(schedule, layout, items)
    return items, fallbacks


def _exports(schedule, layout, items):
    """A segment returns what later items or the schedule's outputs read of its values."""
    needed_after = set(schedule.outputs)
    for item in reversed(items):
        if isinstance(item, Segment):
            defined = item.writer.defined
            item.exports = sorted(s for s in defined
                                  if s in needed_after and s not in layout.into)
            needed_after |= {slot for kind, slot in item.writer.params.values()
                             if kind in ("slot", "zero_d")}
        else:
            needed_after |= set(schedule.instructions[item].inputs)


def module_source(schedule, layout, items, header):
    """The Python module holding the elementwise kernels and every segment's @njit function."""
    lines = [f'"""{header}"""', "import math", "", "import numpy as np", "from numba import njit",
             "", "from graphgrad.runtime.native.conv_loops import conv2d, conv2d_input_grad, "
             "conv2d_weight_grad",
             "from graphgrad.runtime.native.float32_math import erf32, exp32, log32, "
             "log_softmax_rows, row_sums, softmax_rows, sum_in_any_order, tanh32",
             "from graphgrad.runtime.native.support import CheckFailed, column_sums, gemm, "
             "matmul_loops",
             "from graphgrad.runtime.native.views import buffer, copy_into, flat, flat_out, "
             "loop_arg, new_array, permuted, reshaped, reshaped_view, store"]
    for source, (name, ops) in layout.kernels.items():
        lines += ["", "", f"# {ops}", KERNEL_NJIT, f"def {name}{source.rstrip()}"]
    k = 0
    for item in items:
        if not isinstance(item, Segment):
            continue
        item.name = f"segment{k}"
        k += 1
        w = item.writer
        first, last = item.instructions[0], item.instructions[-1]
        lines += ["", "", NJIT, f"def {item.name}({', '.join(w.params)}):",
                  f"    # instructions {first}..{last} of {schedule.graph.name}"]
        lines += w.prologue + w.body
        returns = "".join(f"v{s}, " for s in item.exports)
        lines.append(f"    return ({returns})")
    return "\n".join(lines) + "\n"


def driver_source(schedule, layout, items):
    """Python source of `run(a0, a1, ...)` calling the segments, and the globals it needs
    (segment functions are bound later as `_<name>`)."""
    n = schedule.n_inputs
    env = {"_asarray": np.asarray, "_copy": np.array, "_copyto": np.copyto,
           "_errstate": np.errstate}

    def name(slot):
        if slot in layout.into:
            return name(layout.into[slot])
        if slot < n:
            return f"a{slot}"
        if slot in layout.constants:
            env[f"c{slot}"] = layout.constants[slot]
            return f"c{slot}"
        return f"v{slot}"

    lines = [f"def run({', '.join(f'a{i}' for i in range(n))}):"]
    numpy_items = [i for i in items if not isinstance(i, Segment)]
    indent = "    "
    if numpy_items:   # NumPy kernels: log(0), 0/0 give inf/nan without warnings
        lines.append("  with _errstate(divide='ignore', invalid='ignore', over='ignore'):")
    line_to_instruction = {}
    for item in items:
        first = len(lines) + 1
        if isinstance(item, Segment):
            lines += _segment_call(item, layout, name, env, schedule, indent)
            index = item.first
        else:
            ins = schedule.instructions[item]
            out = ins.output
            args = ", ".join(name(s) for s in ins.inputs)
            env[f"k{item}"] = ins.kernel
            call = f"k{item}({args})"
            if out in layout.buffers and out not in layout.into and ins.fused is None:
                # its planned buffer, as in the NumPy backend: a fresh array of this size
                # costs page faults on every call (a convolution's output: 20-40% slower).
                # Not a fused group's: its buffer may be an input's, which the NumPy backend's
                # inlined steps take into account and `fused.run_into` does not
                env[f"o{item}"], env[f"b{out}"] = ins.out_kernel, schedule.memory.buffers[out]
                lines.append(f"{indent}v{out} = o{item}(b{out}, {args})")
            elif out in layout.into:
                lines.append(f"{indent}_copyto({name(out)}, {call})")
            elif layout.types[out].ndim == 0:
                env[f"_dt{out}"] = layout.types[out].dtype
                lines.append(f"{indent}v{out} = _asarray({call}, _dt{out})")
            else:
                lines.append(f"{indent}v{out} = {call}")
            index = item
        for line in range(first, len(lines) + 1):
            line_to_instruction[line] = index
    outs, seen = [], set()
    for slot in schedule.outputs:
        expr = name(slot)
        if slot < n or slot in layout.constants or slot in seen:
            expr = f"_copy({expr})"          # outputs never alias inputs, constants or each other
        seen.add(slot)
        outs.append(expr)
    lines.append(f"{indent}return (" + "".join(o + ", " for o in outs) + ")")
    return "\n".join(lines) + "\n", env, line_to_instruction


def _segment_call(segment, layout, name, env, schedule, indent):
    args = []
    for param, (kind, ref) in segment.writer.params.items():
        if kind == "arena":
            env[f"_ar{ref}"] = layout.arenas[ref]
            args.append(f"_ar{ref}")
        else:
            args.append(name(ref))
    call = f"_{segment.name}({', '.join(args)})"
    exports = segment.exports
    if exports:
        call = "".join(f"v{s}, " for s in exports) + "= " + call
    # checks of the schedule's inputs (others register an `on_failure` check instead)
    checks = [i for i in segment.instructions if schedule.instructions[i].node.op.check
              and all(s < schedule.n_inputs for s in schedule.instructions[i].inputs)]
    failures = segment.writer.on_failure
    if not checks and not failures:
        lines = [indent + call]
    else:
        # a failed check is raised again by its NumPy kernel (or a function that checks the
        # same values), whose message names the value
        lines = [f"{indent}try:", f"{indent}    {call}", f"{indent}except _CheckFailed:"]
        for i in checks:
            ins = schedule.instructions[i]
            env[f"k{i}"] = ins.kernel
            lines.append(f"{indent}    k{i}({', '.join(name(s) for s in ins.inputs)})")
        for k, (check, slots) in enumerate(failures):
            env[f"_{segment.name}_check{k}"] = check
            lines.append(f"{indent}    _{segment.name}_check{k}("
                         f"{', '.join(name(s) for s in slots)})")
        lines.append(f"{indent}    raise")
    for s in exports:
        if layout.types[s].ndim == 0:
            env[f"_dt{s}"] = layout.types[s].dtype
            lines.append(f"{indent}v{s} = _asarray(v{s}, _dt{s})")
    return lines
