"""Symbolic reverse mode: the backward graph built from the ops' VJP rules.

The VJP rules are written with graphgrad op functions, so calling them on tracer tensors under
an active recorder emits ordinary graph nodes (matmul, sum, ...). Gradients of values used more
than once are accumulated with `add` nodes; inputs that do not influence the outputs get None.
"""
from graphgrad.dispatch import Recorder
from graphgrad.errors import GraphgradError
from graphgrad.ir.analysis import between
from graphgrad.ir.graph import Graph, GraphBuilder
from graphgrad.modes import active_recorder, enable_grad, recording
from graphgrad.tensor import Tensor


def emit_backward(outputs, seeds, wrt, start=0):
    """Under the active recorder, emit nodes computing sum_i seeds[i] * d outputs[i] / d wrt.

    Only nodes from position `start` on, on a path from `wrt` to `outputs`, that were recorded
    with gradients enabled, are differentiated; the walk stops at `wrt` values.
    Returns one Value (or None) per entry of `wrt`.
    """
    recorder = active_recorder()
    builder = recorder.builder
    nodes = builder.nodes[start:]
    view = Graph(builder.inputs, builder.nodes, outputs)
    relevant = between(view, wrt, outputs)
    wrt_set = set(wrt)
    grads = {}
    with enable_grad():
        for out, seed in zip(outputs, seeds):
            _accumulate(grads, out, Tensor._tracer(seed, seed.requires_grad))
        for node in reversed(nodes):
            v = node.out
            if v not in grads or v in wrt_set or v not in relevant:
                continue
            if node.op.vjp is None or not v.requires_grad:
                continue   # not differentiable, or computed under no_grad / detach
            g = grads.pop(v)
            # values downstream of `wrt` are differentiable, so that the gradient graph can
            # itself be differentiated (grad of grad)
            inputs = [Tensor._tracer(x, x.requires_grad or x in relevant) for x in node.inputs]
            attrs = node.attrs
            if node.op.vjp_needs:       # the rule skips gradients of inputs off the path
                attrs = dict(attrs, needs=tuple(x in relevant for x in node.inputs))
            results = node.op.vjp(g, *inputs, out=Tensor._tracer(v, True), **attrs)
            if len(results) != len(node.inputs):
                raise GraphgradError(f"internal: vjp of {node.op.name} returned {len(results)} "
                                     f"gradients for {len(node.inputs)} inputs")
            for x, r in zip(node.inputs, results):
                if r is None or x not in relevant:
                    continue
                if r.shape != x.shape or r.dtype != x.dtype:
                    raise GraphgradError(f"internal: vjp of {node.op.name} gave a gradient of "
                                         f"{r.shape} {r.dtype} for an input of {x.shape} {x.dtype}")
                _accumulate(grads, x, r)
    result = []
    for w in wrt:
        g = grads.get(w)
        result.append(None if g is None else recorder.value_of(g))
    return result


def _accumulate(grads, value, g):
    prev = grads.get(value)
    grads[value] = g if prev is None else prev + g


def autodiff(graph, wrt=None, of=None):
    """Graph -> joint graph: the original outputs, then d(of)/d(wrt) as outputs of kind "grad".

    `wrt` defaults to the inputs that require grad, `of` to the outputs that require grad; one
    new input of kind "seed" per entry of `of` carries its incoming gradient. The returned
    graph's `meta["grad_outputs"]` maps each `wrt` entry to its output index (None: no
    gradient, the input does not influence `of`).
    """
    wrt = [v for v in graph.inputs if v.requires_grad] if wrt is None else list(wrt)
    of = [v for v in graph.outputs if v.requires_grad] if of is None else list(of)
    recorder = Recorder(GraphBuilder.from_graph(graph), phase="backward")
    with recording(recorder):
        seeds = [recorder.add_input(v.type, "seed", f"grad_out{i}") for i, v in enumerate(of)]
        grads = emit_backward(of, seeds, wrt)
    outputs = list(graph.outputs)
    kinds = list(graph.output_kinds)
    index = []
    for g in grads:
        if g is None:
            index.append(None)
        else:
            index.append(len(outputs))
            outputs.append(g)
            kinds.append("grad")
    joint = recorder.builder.finish(outputs, kinds)
    joint.meta["grad_outputs"] = index
    joint.meta["n_seeds"] = len(seeds)
    return joint
