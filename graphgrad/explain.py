"""`compiled.explain(*args)`: what was compiled for these arguments, and why."""


def explain(compiled, entry):
    lines = [f"compiled function: {compiled.name}"]
    sig = entry.signature
    if sig is not None:
        lines.append(f"  cache key: structure {sig[0]}, grad mode {sig[1]}")
        for i, part in enumerate(sig[2:]):
            lines.append(f"    leaf {i}: {part}")
    lines.append(f"  guards: {len(entry.guards)}")
    for g in entry.guards:
        lines.append(f"    {g.description} == {g.expected!r}")
    lines.append(f"  compile time: {entry.compile_seconds * 1e3:.1f} ms")
    lines.append(f"  traced graph: {len(entry.traced.nodes)} nodes"
                 + (" (whole training step)" if entry.whole_step else ""))
    for which, records in entry.records.items():
        for r in records:
            lines.append(f"  pass {r.name} on {which}: {r.nodes_before} -> {r.nodes_after} nodes "
                         f"({r.seconds * 1e3:.2f} ms)")
    for which, g in sorted(entry.graphs.items()):
        lines.append(f"  {which} graph: {len(g.nodes)} nodes, {len(g.inputs)} inputs, "
                     f"{len(g.outputs)} outputs")
    info = compiled.cache_info()
    lines.append(f"  cache: {info.entries} entries (limit {info.limit}), {info.hits} hits, "
                 f"{info.misses} misses")
    for r in info.recompile_reasons:
        lines.append(f"  recompiled because: {r}")
    text = "\n".join(lines)
    print(text)
    return text
