"""Fusion: chains of elementwise ops (optionally headed by the op they post-process, as in
matmul + bias + activation) become one `fused` node holding its inner graph.

A group grows backwards from a root: a producer joins when it is fusible and every reader of
its value is already in the group (so the group has one output). The pass only groups nodes;
the runtime generates the fused kernel (`graphgrad/runtime/fusion.py`).
"""
from graphgrad.ir.fused import FUSED
from graphgrad.ir.graph import Graph, Node


def _fusible(node):
    op = node.op
    return (op.elementwise and op.out_impl is not None and not op.random) or op.broadcast


def _groups(graph):
    """Lists of nodes (in graph order) to fuse; each group's last node is its root."""
    producers = graph.producers()
    users = graph.users()
    outputs = set(graph.outputs)
    claimed = {}
    groups = []
    for root in reversed(graph.nodes):
        if root.out in claimed or not _fusible(root) or root.op.broadcast:
            continue
        gid = len(groups)
        members = {root.out: root}
        claimed[root.out] = gid
        stack = list(root.inputs)
        has_matmul = False
        while stack:
            v = stack.pop()
            p = producers.get(v)
            if p is None or v in claimed or v in outputs:
                continue
            if not all(claimed.get(u.out) == gid for u in users[v]):
                continue
            head = p.op.fusion_head and not has_matmul and p.out.type == root.out.type
            if not (_fusible(p) or head):
                continue
            has_matmul = has_matmul or head
            members[v] = p
            claimed[v] = gid
            if not head:
                stack.extend(p.inputs)
        computing = [n for n in members.values() if not n.op.broadcast]
        if len(computing) < 2:
            for v in members:
                del claimed[v]
            groups.append(None)
            continue
        groups.append(members)
    order = {n.out: i for i, n in enumerate(graph.nodes)}
    return [sorted(g.values(), key=lambda n: order[n.out]) for g in groups if g]


def fuse(graph):
    """Graph -> Graph with every fusible chain replaced by one `fused` node."""
    groups = _groups(graph)
    if not groups:
        return graph
    replace = {}
    skip = set()
    for nodes in groups:
        inside = {n.out for n in nodes}
        inputs = {}             # a dict keeps the inputs' order; membership stays O(1)
        for n in nodes:
            for v in n.inputs:
                if v not in inside:
                    inputs[v] = None
        inputs = list(inputs)
        root = nodes[-1]
        inner = Graph(inputs, nodes, [root.out], name=f"fused_{root.op.name}")
        meta = dict(root.meta)
        meta["fused"] = [n.op.name for n in nodes]
        replace[root.out] = Node(FUSED, tuple(inputs), {"graph": inner}, root.out, meta)
        skip.update(v for v in inside if v is not root.out)
    nodes = [replace.get(n.out, n) for n in graph.nodes if n.out not in skip]
    return graph.copy(nodes=nodes)


def fused_groups(graph):
    """The inner graphs of a graph's fused nodes."""
    return [n.attrs["graph"] for n in graph.nodes if n.op is FUSED]
