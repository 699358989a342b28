"""Fusion: chains of elementwise ops (optionally headed by the matmul they post-process, as in
matmul + bias + activation) become one `fused` node.

A group grows backwards from a root: a producer joins when it is fusible and every reader of
its value is already in the group (so the group has one output). The fused node keeps its inner
graph for printing and drawing; its kernel is generated Python that calls each op's `out=`
kernel: intermediates live in preallocated scratch arrays reused in place along the chain, the
root writes straight into the output array, and no intermediate array is allocated per call.
"""
import itertools

import numpy as np

from graphgrad.ir.graph import Graph, Node
from graphgrad.ir.op import Op, register

_programs = itertools.count()


def _fusible(node):
    op = node.op
    return (op.elementwise and op.out_impl is not None and not op.random) or \
        op.name == "broadcast_to"


class FusedProgram:
    """The inner graph of a fused node and its generated kernel `kernel(out, *inputs)`."""

    def __init__(self, graph):
        self.graph = graph
        self.id = next(_programs)
        self.out_type = graph.outputs[0].type
        self.source, env = self._generate()
        exec(compile(self.source, f"<graphgrad:fused{self.id}>", "exec"), env)
        self.kernel = env["kernel"]
        root = graph.nodes[-1]
        # the root alone writes `out`, after reading its inputs: safe in place if its op is
        self.inplace = root.op.inplace

    def _generate(self):
        g = self.graph
        names = {v: f"a{i}" for i, v in enumerate(g.inputs)}
        last = {}
        for i, n in enumerate(g.nodes):
            for v in n.inputs:
                last[v] = i
        for n in reversed(g.nodes):          # a broadcast is its input under another name
            if n.op.name == "broadcast_to" and n.out in last:
                last[n.inputs[0]] = max(last[n.inputs[0]], last[n.out])
        env = {}
        free = {}                    # (shape, dtype) -> scratch names free for reuse
        scratch = {}
        lines = [f"def kernel(out, {', '.join(names[v] for v in g.inputs)}):"]
        root = len(g.nodes) - 1
        for i, n in enumerate(g.nodes):
            args = [names[v] for v in n.inputs]
            if n.op.name == "broadcast_to":
                names[n.out] = args[0]       # ufuncs broadcast by themselves
                continue
            if i == root:
                target = "out"
            else:
                target = None
                key = (n.out.shape, n.out.dtype.str)
                if n.op.inplace:
                    for v in n.inputs:
                        name = names[v]
                        if name in scratch and scratch[name] == key and last[v] == i and \
                                args.count(name) == 1:
                            target = name
                            break
                if target is None and free.get(key):
                    target = free[key].pop()
                if target is None:
                    target = f"t{len(scratch)}"
                    scratch[target] = key
                    env[target] = np.empty(n.out.shape, n.out.dtype)
            env[f"k{i}"] = n.op.make_out_kernel(n.attrs)
            lines.append(f"    k{i}({', '.join([target] + args)})")
            names[n.out] = target
            for v in set(n.inputs):          # scratch whose value died here is free again
                name = names[v]
                if last[v] == i and name in scratch and name != target:
                    free.setdefault(scratch[name], []).append(name)
        lines.append("    return out")
        return "\n".join(lines) + "\n", env

    def run(self, *arrays):
        out = np.empty(self.out_type.shape, self.out_type.dtype)
        return self.kernel(out, *arrays)

    @property
    def ops(self):
        return [n.op.name for n in self.graph.nodes]

    def __repr__(self):
        return "<" + "->".join(self.ops) + ">"


def _fused_infer(*inputs, program):
    return program.out_type


def _fused_impl(*arrays, program):
    return program.run(*arrays)


def _fused_out(out, *arrays, program):
    return program.kernel(out, *arrays)


FUSED = register(Op("fused", _fused_infer, _fused_impl, out_impl=_fused_out, internal=True,
                    doc="a group of elementwise ops (possibly after a matmul) run as one kernel"))


def _groups(graph):
    """Lists of nodes (in graph order) to fuse; each group's last node is its root."""
    producers = graph.producers()
    users = graph.users()
    outputs = set(graph.outputs)
    claimed = {}
    groups = []
    for root in reversed(graph.nodes):
        if root.out in claimed or not _fusible(root) or root.op.name == "broadcast_to":
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
            head = (p.op.name == "matmul" and not has_matmul and p.out.type == root.out.type)
            if not (_fusible(p) or head):
                continue
            has_matmul = has_matmul or head
            members[v] = p
            claimed[v] = gid
            if not head:
                stack.extend(p.inputs)
        computing = [n for n in members.values() if n.op.name != "broadcast_to"]
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
        inputs = []
        for n in nodes:
            for v in n.inputs:
                if v not in inside and v not in inputs:
                    inputs.append(v)
        root = nodes[-1]
        inner = Graph(inputs, nodes, [root.out], name=f"fused_{root.op.name}")
        program = FusedProgram(inner)
        meta = dict(root.meta)
        meta["fused"] = program.ops
        replace[root.out] = Node(FUSED, tuple(inputs), {"program": program}, root.out, meta)
        skip |= inside - {root.out}
    nodes = [replace.get(n.out, n) for n in graph.nodes if n.out not in skip]
    return graph.copy(nodes=nodes)


def fused_groups(graph):
    """The programs of a graph's fused nodes."""
    return [n.attrs["program"] for n in graph.nodes if n.op is FUSED]
