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

from graphgrad.ir.codegen import call_expr
from graphgrad.ir.graph import Graph, Node
from graphgrad.ir.op import Op, register
from graphgrad.ir.types import TensorType

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
        self._variants = {}
        # kernel(out, *scratch, *inputs): the memory planner provides the scratch arrays
        self.kernel, self.scratch_types, self.source = self.variant(None)
        root = graph.nodes[-1]
        # the root alone writes `out`, after reading its inputs: safe in place if its op is.
        # A kernel that starts with a matmul is better off writing the product straight into
        # a fresh `out` than into scratch (which sharing `out` with an input would force)
        self.inplace = root.op.inplace and graph.nodes[0].op.name != "matmul"

    def variant(self, alias):
        """(kernel, scratch types, source) for an `out` array that may be the memory of input
        number `alias` (None: of no input)."""
        if alias not in self._variants:
            steps, scratch_types = self.steps(alias)
            params = ["out"] + [f"t{k}" for k in range(len(scratch_types))] + \
                [f"a{j}" for j in range(len(self.graph.inputs))]
            env = {}
            lines = [f"def kernel({', '.join(params)}):"]
            lines += ["    " + line for line in self.lines(steps, {}, env, "")]
            lines.append("    return out")
            source = "\n".join(lines) + "\n"
            exec(compile(source, "<graphgrad:fused>", "exec"), env)
            self._variants[alias] = (env["kernel"], scratch_types, source)
        return self._variants[alias]

    def lines(self, steps, rename, env, key):
        """Source lines running `steps`; `rename` maps the program's local names (out, t0,
        a0, ...) to the caller's expressions, so the runtime can inline the kernel."""
        out = []
        for i, (node, target, args) in enumerate(steps):
            args = [rename.get(a, a) for a in args]
            target = rename.get(target, target)
            out.append(call_expr(node.op, node.attrs, tuple(v.type for v in node.inputs), args,
                                 target, env, f"{key}_{i}"))
        return out

    def steps(self, alias):
        """([(node, target location, argument locations)], scratch types): the kernel's plan.
        Locations are "out", scratch "t<k>" and inputs "a<j>"."""
        return self._generate(alias)

    def _generate(self, alias):
        g = self.graph
        names = {v: f"a{i}" for i, v in enumerate(g.inputs)}
        last = {}
        for i, n in enumerate(g.nodes):
            for v in n.inputs:
                last[v] = i
        for n in reversed(g.nodes):          # a broadcast is its input under another name
            if n.op.name == "broadcast_to" and n.out in last:
                last[n.inputs[0]] = max(last[n.inputs[0]], last[n.out])
        out_key = (self.out_type.shape, self.out_type.dtype.str)
        scratch = {"out": out_key}   # location -> (shape, dtype); "out" is the result array
        free = {}                    # (shape, dtype) -> locations free for reuse
        root = len(g.nodes) - 1
        # `out` may be the array of input `alias` (the memory planner writes in place): an
        # intermediate may live in `out` only once that input is not read any more, and only
        # if the root can read its operand from the array it writes
        shared = {g.inputs[alias]} if alias is not None else set()
        shared_reads = [i for i, n in enumerate(g.nodes) if shared & set(n.inputs)]
        last_external = max(shared_reads, default=-1)
        out_ok = g.nodes[root].op.inplace
        if out_ok:
            free[out_key] = ["out"]
        steps = []
        for i, n in enumerate(g.nodes):
            args = [names[v] for v in n.inputs]
            if n.op.name == "broadcast_to":
                names[n.out] = args[0]       # ufuncs broadcast by themselves
                continue
            if i == root:
                target = "out"
            else:
                key = (n.out.shape, n.out.dtype.str)
                may_use_out = i > last_external or (i == last_external and n.op.inplace)
                target = None
                if n.op.inplace:             # overwrite an operand that dies here
                    for v in n.inputs:
                        name = names[v]
                        if name in scratch and scratch[name] == key and last[v] == i and \
                                args.count(name) == 1 and (name != "out" or may_use_out):
                            target = name
                            break
                candidates = [t for t in free.get(key, []) if t != "out" or may_use_out]
                if target is None and candidates:
                    target = "out" if "out" in candidates else candidates[-1]
                    free[key].remove(target)
                if target is None:
                    target = f"t{len(scratch) - 1}"
                    scratch[target] = key
            steps.append((n, target, args))
            names[n.out] = target
            for v in set(n.inputs):          # a location whose value died here is free again
                name = names[v]
                if last[v] == i and name in scratch and name != target and \
                        (name != "out" or out_ok):
                    free.setdefault(scratch[name], []).append(name)
        scratch_types = [TensorType(shape, np.dtype(dtype))
                         for name, (shape, dtype) in scratch.items() if name != "out"]
        return steps, scratch_types

    def run(self, *arrays):
        out = np.empty(self.out_type.shape, self.out_type.dtype)
        scratch = [np.empty(t.shape, t.dtype) for t in self.scratch_types]
        return self.kernel(out, *scratch, *arrays)

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
    scratch = [np.empty(t.shape, t.dtype) for t in program.scratch_types]
    return program.kernel(out, *scratch, *arrays)


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
