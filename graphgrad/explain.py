"""`compiled.explain(*args)`: what was compiled for these arguments, and why."""
from graphgrad.passes.fuse import fused_groups


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
    if sig is not None:
        lines.append(f"  cache key: structure {sig[0]}, grad mode {sig[1]}")
        for i, part in enumerate(sig[2:]):
            lines.append(f"    argument leaf {i}: {part}")
    lines.append(f"  guards ({len(entry.guards)}):")
    for g in entry.guards:
        lines.append(f"    {g.description} == {g.expected!r}")
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
        for p in groups:
            lines.append(f"    fused: {'->'.join(p.ops)}")
    lines.append(_memory_line("forward", entry.forward_exe))
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
