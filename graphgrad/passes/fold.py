"""Constant folding: a node whose inputs are all constants is evaluated now (through the op's
own kernel) and becomes a constant. Random ops and nodes whose kernel fails are left alone."""
import math

import numpy as np

from graphgrad.ir.graph import Node
from graphgrad.ir.op import get_op

# folding must not turn a cheap broadcast of a scalar into a huge constant array
MAX_FOLDED_ELEMENTS = 1 << 16


def fold(graph):
    constant = get_op("constant")
    values = {}
    nodes = []
    producers = graph.producers()    # folded nodes read their inputs' values lazily from here
    changed = False
    for node in graph.nodes:
        op = node.op
        if op.nullary and not op.random:
            values[node.out] = None         # computed lazily below, only if needed
            nodes.append(node)
            continue
        if op.random or not node.inputs or op.broadcast or \
                any(v not in values for v in node.inputs):
            # broadcasts stay symbolic: a scalar is cheaper than a materialised array
            nodes.append(node)
            continue
        if math.prod(node.out.shape) > MAX_FOLDED_ELEMENTS:
            nodes.append(node)
            continue
        try:
            arrays = [_value(v, values, producers) for v in node.inputs]
            with np.errstate(all="ignore"):
                result = np.asarray(op.impl(*arrays, **node.attrs))
        except Exception:       # e.g. check_index on a bad constant: keep it for run time
            nodes.append(node)
            continue
        result = np.array(result, dtype=node.out.dtype)
        folded = Node(constant, (), {"value": result}, node.out, dict(node.meta))
        values[node.out] = result
        nodes.append(folded)
        changed = True
    if not changed:
        return graph
    from graphgrad.ir.analysis import dead_free
    return dead_free(graph.copy(nodes=nodes))


def _value(v, values, producers):
    if values[v] is None:
        node = producers[v]
        values[v] = np.asarray(node.op.impl(**node.attrs))
    return values[v]
