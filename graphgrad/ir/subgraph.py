"""Cutting a set of nodes out of a graph as a graph of its own (for views and partitions)."""
from graphgrad.ir.graph import Graph


def subgraph(graph, nodes, name):
    """`nodes` (a subset, in graph order) as a graph: values they read from outside become
    inputs; values used outside (or outputs of `graph`) become outputs."""
    produced = {n.out for n in nodes}
    kinds = dict(zip(graph.inputs, graph.input_kinds))
    inputs, seen = [], set()
    for n in nodes:
        for v in n.inputs:
            if v not in produced and v not in seen:
                seen.add(v)
                inputs.append(v)
    inside = set(id(n) for n in nodes)
    used_outside = {v for n in graph.nodes if id(n) not in inside for v in n.inputs}
    out_kind = {}
    for v, k in zip(graph.outputs, graph.output_kinds):
        out_kind.setdefault(v, k)
    outputs = [n.out for n in nodes if n.out in used_outside or n.out in out_kind]
    return Graph(inputs, nodes, outputs, [kinds.get(v, "saved") for v in inputs],
                 [out_kind.get(v, "saved") for v in outputs], name=name)


def phase_subgraph(graph, phase):
    """The nodes of one phase ("forward", "backward", "update") of a whole-step graph."""
    nodes = [n for n in graph.nodes if n.meta.get("phase", "forward") == phase]
    return subgraph(graph, nodes, f"{graph.name}_{phase}")
