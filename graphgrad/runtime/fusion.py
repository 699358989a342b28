"""Kernels for fused nodes: the inner graph of a `fused` node becomes generated Python that
calls each op's `out=` kernel. Intermediates live in preallocated scratch arrays reused in place
along the chain, the root writes straight into the output array, and no intermediate array is
allocated per call. The schedule inlines these steps into its own generated function; the
memory planner provides the scratch arrays.
"""
import numpy as np

from graphgrad.runtime.codegen import call_expr
from graphgrad.ir.types import TensorType


class FusedKernel:
    """The generated kernel of a fused node's inner graph: `kernel(out, *scratch, *inputs)`."""

    def __init__(self, graph):
        self.graph = graph
        self.out_type = graph.outputs[0].type
        self._plans = {}
        self._variants = {}
        self.scratch_types = self.steps(None)[1]
        root = graph.nodes[-1]
        # the root alone writes `out`, after reading its inputs: safe in place if its op is.
        # A kernel that starts with a matmul is better off writing the product straight into
        # a fresh `out` than into scratch (which sharing `out` with an input would force)
        self.inplace = root.op.inplace and not graph.nodes[0].op.fusion_head

    @property
    def kernel(self):
        """kernel(out, *scratch, *inputs), compiled on first use: the schedule's generated
        function inlines the steps instead, so most fused kernels are never compiled alone."""
        return self.variant(None)[0]

    @property
    def source(self):
        return self.variant(None)[2]

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
        if alias not in self._plans:
            self._plans[alias] = self._generate(alias)
        return self._plans[alias]

    def _generate(self, alias):
        g = self.graph
        names = {v: f"a{i}" for i, v in enumerate(g.inputs)}
        last = {}
        for i, n in enumerate(g.nodes):
            for v in n.inputs:
                last[v] = i
        for n in reversed(g.nodes):          # a broadcast is its input under another name
            if n.op.broadcast and n.out in last:
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
            if n.op.broadcast:
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
        return self.run_into(out, *arrays)

    def run_into(self, out, *arrays):
        scratch = [np.empty(t.shape, t.dtype) for t in self.scratch_types]
        return self.kernel(out, *scratch, *arrays)

    @property
    def ops(self):
        return [n.op.name for n in self.graph.nodes]

    def __repr__(self):
        return "<" + "->".join(self.ops) + ">"
