"""Looking inside compiled functions: `mode="debug"` (run compiled and eager, check they agree,
keep the eager result), `compiled.explain(*args)`, and the graph files written to
GRAPHGRAD_DEBUG_DIR."""
import os

import numpy as np

from graphgrad import pytree, rng
from graphgrad.compiler.bindings import GradInput, StateInput, resolve
from graphgrad.ir.dot import write_files
from graphgrad.passes.fuse import fused_groups
from graphgrad.tensor import Tensor
from graphgrad.testing import assert_close

# -- mode="debug" -----------------------------------------------------------------------------

def _state_of(entry, leaves):
    """The outside tensors a compiled entry reads or writes."""
    tensors = {}
    for b in entry.inputs:
        if isinstance(b, (StateInput, GradInput)):
            tensors[id(b.tensor)] = b.tensor
    for sink in entry.sinks:
        t = resolve(sink.target, leaves)
        tensors[id(t)] = t
    return list(tensors.values())


def _snapshot(tensors):
    # copies: compiled steps update state arrays in place
    return [(t, t._data.copy(), t._grad, None if t._grad is None else t._grad._data.copy())
            for t in tensors]


def _restore(snapshot):
    for t, data, grad, grad_data in snapshot:
        t._data = data
        t._grad = grad
        if grad is not None:
            grad._data = grad_data


def run_debug(compiled, args, kwargs):
    leaves, treedef = pytree.flatten((args, kwargs))
    entry = compiled.entry_for_leaves(args, kwargs, leaves, treedef)
    tensors = _state_of(entry, leaves)
    before = _snapshot(tensors)
    rng_state = rng.get_state()
    compiled_out = entry.run(leaves)
    compiled_state = _snapshot(tensors)
    _restore(before)
    rng.set_state(rng_state)
    eager_out = compiled.fn(*args, **kwargs)
    c_leaves = pytree.flatten(compiled_out)[0]
    e_leaves = pytree.flatten(eager_out)[0]
    if len(c_leaves) != len(e_leaves):
        raise AssertionError(f"debug mode: compiled returned {len(c_leaves)} values, eager "
                             f"{len(e_leaves)}")
    for i, (c, e) in enumerate(zip(c_leaves, e_leaves)):
        if isinstance(c, Tensor):
            assert_close(c, e, rtol=1e-4, atol=1e-5, msg=f"debug mode, output {i}: ")
    for (t, data, grad, grad_data) in compiled_state:
        assert_close(data, t._data, rtol=1e-4, atol=1e-5,
                     msg=f"debug mode, state tensor {t.shape}: ")
        if grad_data is not None and t._grad is not None:
            assert_close(grad_data, np.asarray(t._grad._data), rtol=1e-4, atol=1e-5,
                         msg=f"debug mode, grad of {t.shape}: ")
    return eager_out


# -- explain ----------------------------------------------------------------------------------

def _memory_line(label, exe):
    plan = exe.schedule.memory
    if plan is None:
        return f"  {label} memory: not planned"
    ratio = plan.peak_bytes / plan.unplanned_bytes if plan.unplanned_bytes else 1.0
    return (f"  {label} memory: peak {plan.peak_bytes / 1024:.1f} KiB planned vs "
            f"{plan.unplanned_bytes / 1024:.1f} KiB unplanned ({ratio:.0%}); "
            f"{len(plan.buffers)} values in {len(plan.arena_sizes)} buffers, "
            f"{plan.inplace} in place, {len(plan.write_into)} state updates in place")


def explain(compiled, entry, out=print):
    lines = [f"compiled function {compiled.name}"]
    sig = entry.signature
    lines.append(f"  cache key: structure {sig.structure}, grad mode {sig.grad_enabled}")
    for i, spec in enumerate(sig.args):
        lines.append(f"    argument leaf {i}: {spec.describe()}")
    if entry.eager_reason is not None:
        lines.append(f"  runs eagerly: {entry.eager_reason}")
    lines.append(f"  guards ({len(entry.guards)}):")
    for g in entry.guards:
        lines.append(f"    {g.description} == {g.expected!r}")
    if entry.eager_reason is not None:
        text = "\n".join(lines)
        if out is not None:
            out(text)
        return text
    kind = ("whole training step" if entry.whole_step else
            "forward + compiled backward" if entry.backward_exe is not None else "forward only")
    lines.append(f"  traced graph: {len(entry.traced.nodes)} nodes ({kind}); compile time "
                 f"{entry.compile_seconds * 1e3:.1f} ms")
    for which, records in entry.records.items():
        for r in records:
            lines.append(f"    pass {r.name:9s} on {which}: {r.nodes_before:4d} -> "
                         f"{r.nodes_after:4d} nodes ({r.seconds * 1e3:.2f} ms)")
    for which in ("forward", "backward"):
        g = entry.graphs.get(which)
        if g is None:
            continue
        groups = fused_groups(g)
        lines.append(f"  {which} graph: {len(g.nodes)} nodes, {len(g.inputs)} inputs, "
                     f"{len(g.outputs)} outputs, {len(groups)} fused groups")
        for inner in groups:
            lines.append(f"    fused: {'->'.join(n.op.name for n in inner.nodes)}")
    lines.append(_memory_line("forward", entry.forward_exe))
    if hasattr(entry.forward_exe, "describe"):         # the numba backend's segments
        lines += entry.forward_exe.describe()
    if entry.backward_exe is not None:
        lines.append(_memory_line("backward", entry.backward_exe))
    info = compiled.cache_info()
    lines.append(f"  cache: {info.entries} entries (limit {info.limit}), {info.hits} hits, "
                 f"{info.misses} misses")
    for r in info.recompile_reasons:
        lines.append(f"  recompiled because: {r}")
    text = "\n".join(lines)
    if out is not None:
        out(text)
    return text


# -- GRAPHGRAD_DEBUG_DIR ----------------------------------------------------------------------

def dump_entry(entry, folder):
    """Every graph of an entry, as text and .dot."""
    os.makedirs(folder, exist_ok=True)
    for which, g in [("traced", entry.traced)] + sorted(entry.graphs.items()):
        write_files(g, os.path.join(folder, f"{entry.name}.{id(entry):x}.{which}"))
