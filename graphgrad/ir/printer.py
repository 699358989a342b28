"""Stable, readable text forms of a graph (names depend only on position, never on ids)."""
import numpy as np

from graphgrad.ir.types import short_dtype


def value_names(graph):
    """Value -> display name: inputs by their hint (or a0, a1 ...), nodes as %0, %1, ..."""
    names = {}
    taken = set()
    for i, v in enumerate(graph.inputs):
        base = v.name or f"a{i}"
        name = base
        k = 1
        while name in taken:
            name = f"{base}_{k}"
            k += 1
        taken.add(name)
        names[v] = name
    for i, n in enumerate(graph.nodes):
        names[n.out] = str(i)
    return names


def format_attr(value):
    if isinstance(value, np.ndarray):
        if value.size <= 4:
            return np.array2string(value, separator=",", precision=4).replace("\n", "")
        return f"<array {value.shape} {short_dtype(value.dtype)}>"
    if isinstance(value, np.dtype):
        return short_dtype(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, tuple):
        inner = ",".join(format_attr(x) for x in value)
        return "(" + inner + ("," if len(value) == 1 else "") + ")"
    if callable(value) and hasattr(value, "__name__"):
        return value.__name__
    return repr(value)


def format_attrs(attrs):
    return ", ".join(f"{k}={format_attr(v)}" for k, v in sorted(attrs.items()))


def op_chain(graph):
    return "->".join(n.op.name for n in graph.nodes)


def format_node_attrs(node):
    """A node's attributes; graph-valued ones (a fused node's inner graph) as their op chain."""
    inner = node.subgraphs()
    text = format_attrs({k: v for k, v in node.attrs.items() if k not in inner})
    chains = ", ".join(f"{k}={{{op_chain(g)}}}" for k, g in sorted(inner.items()))
    return ", ".join(t for t in (text, chains) if t)


def format_graph(graph):
    names = value_names(graph)
    lines = []
    params = [f"%{names[v]}: {v.type}" + ("" if kind == "arg" else f" [{kind}]")
              for v, kind in zip(graph.inputs, graph.input_kinds)]
    lines.append(f"{graph.name}(" + ", ".join(params) + ") {")
    for n in graph.nodes:
        args = ", ".join(f"%{names[v]}" for v in n.inputs)
        name = n.op.name
        inner = n.subgraphs()
        for g in inner.values():           # e.g. fused: show the ops inside
            name += f"[{op_chain(g)}]"
        attrs = format_attrs({k: v for k, v in n.attrs.items() if k not in inner})
        call = f"{name}({args}" + ("; " + attrs if attrs and args else attrs) + ")"
        phase = n.meta.get("phase")
        tag = f"  # {phase}" if phase and phase != "forward" else ""
        lines.append(f"  %{names[n.out]}: {n.out.type} = {call}{tag}")
    outs = ", ".join(f"%{names[v]}" + ("" if k == "out" else f" [{k}]")
                     for v, k in zip(graph.outputs, graph.output_kinds))
    lines.append(f"  return ({outs})")
    lines.append("}")
    return "\n".join(lines)


def format_tabular(graph):
    names = value_names(graph)
    rows = [("name", "op", "inputs", "attrs", "shape", "dtype")]
    for v, kind in zip(graph.inputs, graph.input_kinds):
        rows.append((f"%{names[v]}", f"input:{kind}", "", "", str(v.shape), short_dtype(v.dtype)))
    for n in graph.nodes:
        rows.append((f"%{names[n.out]}", n.op.name, ", ".join(f"%{names[v]}" for v in n.inputs),
                     format_node_attrs(n), str(n.out.shape), short_dtype(n.out.dtype)))
    for i, (v, k) in enumerate(zip(graph.outputs, graph.output_kinds)):
        rows.append((f"out{i}", f"output:{k}", f"%{names[v]}", "", str(v.shape),
                     short_dtype(v.dtype)))
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
