"""Executing schedules.

`Executable` generates one Python function per schedule (as torch.fx does): each instruction is
one line `v7 = k7(v3, v5)` calling a pre-bound kernel held in the function's globals, with `del`
lines at last use. No dict lookups, shape checks or Python-level dispatch remain in the hot path.
`interpret` is the slow, simple reference loop over slots that the tests compare against.
"""
import sys

import numpy as np

from graphgrad.dispatch import _EXTOBJ, quiet_extobj
from graphgrad.errors import GraphgradError, RuntimeExecutionError
from graphgrad.ir.interpret import interpret as interpret_graph
from graphgrad.runtime.codegen import call_expr



def _var(slot, n_inputs):
    return f"a{slot}" if slot < n_inputs else f"v{slot}"


def generate_source(schedule):
    """Python source of `run(a0, a1, ...)` and the globals it needs."""
    n = schedule.n_inputs
    env = {"_asarray": np.asarray, "_copy": np.array, "_quiet": quiet_extobj,
           "_set_errors": _EXTOBJ.set, "_reset_errors": _EXTOBJ.reset}
    args = ", ".join(_var(i, n) for i in range(n))
    # log(0), 0/0 give inf/nan as in PyTorch, without NumPy's warnings (np.errstate's state,
    # set directly: entering np.errstate costs more than a small kernel)
    lines = [f"def run({args}):",
             "  _errors = _set_errors(_quiet())",
             "  try:"]
    line_to_instruction = {}
    for slot, value in schedule.constants.items():
        env[f"c{slot}"] = value
    names = {slot: f"c{slot}" for slot in schedule.constants}
    buffers = schedule.memory.buffers if schedule.memory is not None else {}
    into = schedule.memory.write_into if schedule.memory is not None else {}
    for i, ins in enumerate(schedule.instructions):
        args = [names.get(s, _var(s, n)) for s in ins.inputs]
        var = _var(ins.output, n)
        target = None
        if ins.output in into:          # a state update written over the state's old array
            target = _var(into[ins.output], n)
        elif ins.output in buffers:     # write into the planned buffer
            target = f"b{ins.output}"
            env[target] = buffers[ins.output]
        node = ins.node
        fused = ins.fused
        first = len(lines) + 1
        if fused is not None and target is not None:
            # a fused kernel, inlined: its steps write into the planned scratch and target
            steps, scratch_types = fused.steps(schedule.memory.fused_alias.get(ins.output))
            rename = {"out": target}
            for j, a in enumerate(args):
                rename[f"a{j}"] = a
            for k in range(len(scratch_types)):
                rename[f"t{k}"] = f"s{ins.output}_{k}"
                env[f"s{ins.output}_{k}"] = buffers[("scratch", ins.output, k)]
            lines += ["    " + line for line in fused.lines(steps, rename, env, str(i))]
            lines.append(f"    {var} = {target}")
        elif fused is not None:             # not planned: the kernel allocates its result
            env[f"k{i}"] = ins.kernel
            lines.append(f"    {var} = k{i}({', '.join(args)})")
        else:
            call = call_expr(node.op, node.attrs, tuple(v.type for v in node.inputs), args,
                             target, env, str(i))
            lines.append(f"    {var} = {call}")
        for line in range(first, len(lines) + 1):
            line_to_instruction[line] = i
        if schedule.release_after[i]:
            lines.append("    del " + ", ".join(_var(s, n) for s in schedule.release_after[i]))
    if not schedule.instructions:
        lines.append("    pass")
    lines += ["  finally:", "    _reset_errors(_errors)"]
    outs = []
    seen = set()
    out_values = schedule.graph.outputs
    for slot, value in zip(schedule.outputs, out_values):
        expr = names.get(slot, _var(slot, n))
        if slot < n or slot in schedule.constants or slot in seen:
            expr = f"_copy({expr})"          # outputs never alias inputs, constants or each other
        elif value.ndim == 0:
            expr = f"_asarray({expr})"       # NumPy returns scalars for 0-d results
        seen.add(slot)
        outs.append(expr)
    lines.append("  return (" + "".join(o + ", " for o in outs) + ")")
    return "\n".join(lines) + "\n", env, line_to_instruction


def _run_checked(ins, args, check):
    """One instruction, op by op (fused kernels too), each result checked for a new NaN."""
    label = ins.label.split("  [")[0]
    if ins.fused is None:
        out = np.asarray(ins.kernel(*args))
        check(f"{ins.node.op.name} (compiled: {label})", out, [np.asarray(a) for a in args],
              ins.node.meta.get("source"))
        return out

    def check_inner(node, out, inputs):
        check(f"{node.op.name} (compiled: inside {label})", out,
              [np.asarray(a) for a in inputs], node.meta.get("source"))
    return interpret_graph(ins.fused.graph, args, check_inner)[0]


class Executable:
    """A schedule turned into a Python function; errors name the failing instruction."""

    def __init__(self, schedule):
        self.schedule = schedule
        self.source, env, self._lines = generate_source(schedule)
        # one file name per graph name: compiled code names are interned by CPython, so names
        # that grew with every retrace would never be freed
        filename = f"<graphgrad:{schedule.graph.name}>"
        code = compile(self.source, filename, "exec")
        exec(code, env)
        self.run = env["run"]

    def __call__(self, *inputs):
        try:
            return self.run(*inputs)
        except Exception as e:   # re-raised with the instruction that failed
            raise self._explain(e) from e

    def _explain(self, error):
        tb = sys.exc_info()[2]
        index = None
        while tb is not None:
            if tb.tb_frame.f_code is self.run.__code__:
                index = self._lines.get(tb.tb_lineno)
            tb = tb.tb_next
        if index is None:
            return RuntimeExecutionError(f"{self.schedule.graph.name}: {error}")
        label = self.schedule.instructions[index].label
        cls = type(error) if isinstance(error, GraphgradError) else RuntimeExecutionError
        try:
            return cls(f"{error}\n  while executing {label}")
        except TypeError:
            return RuntimeExecutionError(f"{error}\n  while executing {label}")


def interpret(schedule, inputs, check_nan=False):
    """Reference executor: a plain loop over the instructions, releasing slots at last use.
    With `check_nan`, the first instruction turning NaN-free inputs into a NaN raises."""
    from graphgrad.diagnostics import check_nan as check
    slots = [None] * schedule.n_slots
    slots[:schedule.n_inputs] = inputs
    for slot, value in schedule.constants.items():
        slots[slot] = value
    for ins, release in zip(schedule.instructions, schedule.release_after):
        args = [slots[s] for s in ins.inputs]
        try:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                if check_nan:
                    slots[ins.output] = _run_checked(ins, args, check)
                else:
                    slots[ins.output] = ins.kernel(*args)
        except Exception as e:
            if type(e).__name__ == "AnomalyError":
                raise
            cls = type(e) if isinstance(e, GraphgradError) else RuntimeExecutionError
            raise cls(f"{e}\n  while executing {ins.label}") from e
        for s in release:
            slots[s] = None
    return tuple(np.array(slots[s]) for s in schedule.outputs)
