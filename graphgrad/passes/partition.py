"""Joint graph -> (forward, backward): which forward values the backward needs (saved).

The backward part is every node that depends on an incoming gradient ("seed" input); the
forward part is what the forward outputs and those backward nodes need. Values crossing from
forward to backward are the saved values: extra outputs of the forward graph (kind "saved"),
inputs of the backward graph.
"""
from graphgrad.ir.analysis import ancestors, descendants, views_shared
from graphgrad.ir.graph import Graph


def partition(joint, n_forward_outputs):
    """Split `joint` (forward outputs first, then gradients) into forward and backward graphs."""
    with views_shared():        # three questions about one graph: one NetworkX view
        return _partition(joint, n_forward_outputs)


def _partition(joint, n_forward_outputs):
    seeds = [v for v, k in zip(joint.inputs, joint.input_kinds) if k == "seed"]
    backward_values = descendants(joint, seeds)
    fwd_outputs = joint.outputs[:n_forward_outputs]
    grad_outputs = joint.outputs[n_forward_outputs:]
    grad_needed = ancestors(joint, grad_outputs)
    bwd_nodes = [n for n in joint.nodes if n.out in backward_values and n.out in grad_needed]
    bwd_set = {n.out for n in bwd_nodes}

    saved = []
    seen = set()
    producers = joint.producers()
    recomputed = []          # constants the backward makes itself instead of saving them

    def need(v):
        if v in backward_values or v in seen:
            return
        seen.add(v)
        p = producers.get(v)
        if p is not None and p.op.nullary and not p.op.random:
            recomputed.append(p)
        else:
            saved.append(v)

    for n in bwd_nodes:
        for v in n.inputs:
            need(v)
    for v in grad_outputs:
        if v not in bwd_set:
            need(v)

    fwd_needed = ancestors(joint, fwd_outputs + saved)
    fwd_nodes = [n for n in joint.nodes if n.out in fwd_needed and n.out not in backward_values]
    fwd_inputs = [(v, k) for v, k in zip(joint.inputs, joint.input_kinds) if k != "seed"]
    forward = Graph([v for v, _ in fwd_inputs], fwd_nodes, fwd_outputs + saved,
                    [k for _, k in fwd_inputs],
                    joint.output_kinds[:n_forward_outputs] + ["saved"] * len(saved),
                    name=f"{joint.name}_forward")
    backward = Graph(saved + seeds, recomputed + bwd_nodes, grad_outputs,
                     ["saved"] * len(saved) + ["seed"] * len(seeds),
                     joint.output_kinds[n_forward_outputs:], name=f"{joint.name}_backward")
    return forward, backward, len(saved)
