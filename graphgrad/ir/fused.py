"""The `fused` op: one node standing for a whole inner graph (its `graph` attribute), made by
the fusion pass. Its shape rule is the inner graph's output type; its reference kernel runs the
inner graph with the interpreter. The runtime generates a real kernel for it
(`graphgrad/runtime/fusion.py`)."""
from graphgrad.ir.interpret import interpret
from graphgrad.ir.op import Op, register


def _fused_infer(*inputs, graph):
    return graph.outputs[0].type


def _fused_impl(*arrays, graph):
    return interpret(graph, arrays)[0]


FUSED = register(Op("fused", _fused_infer, _fused_impl, internal=True,
                    doc="a group of elementwise ops (possibly after a matmul) run as one kernel"))


def inner_graph(node):
    """The inner graph of a fused node, or None."""
    return node.attrs.get("graph") if node.op is FUSED else None
