"""Common-subexpression elimination: nodes with the same op, inputs and attributes are merged.
Random ops are never merged (two draws are two different tensors)."""
import numpy as np


def _attr_key(value):
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, (list, tuple)):
        return tuple(_attr_key(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _attr_key(v)) for k, v in value.items()))
    if isinstance(value, float) and value != value:
        return ("nan",)
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return (type(value).__name__, value)


def node_key(node):
    attrs = node.attrs
    return (node.op.name, tuple([v.id for v in node.inputs]),
            tuple(sorted([(k, _attr_key(v)) for k, v in attrs.items()])) if attrs else ())


def cse(graph):
    from graphgrad.ir.graph import Node
    seen = {}
    replaced = {}
    nodes = []
    for node in graph.nodes:
        inputs = tuple(replaced.get(v, v) for v in node.inputs)
        if inputs != node.inputs:
            node = Node(node.op, inputs, node.attrs, node.out, node.meta)
        if not node.op.random:
            key = node_key(node)
            first = seen.get(key)
            if first is not None and first.out.type == node.out.type:
                replaced[node.out] = first.out
                continue
            seen[key] = node
        nodes.append(node)
    if not replaced:
        return graph
    return graph.copy(nodes=nodes, outputs=[replaced.get(v, v) for v in graph.outputs])
