"""Graph -> Schedule: a flat tape of instructions over integer buffer slots.

Slots 0..n-1 hold the inputs; every node writes one slot. Constant nodes (nullary, not random)
are evaluated once when the schedule is built. After each instruction, the slots it was the last
reader of are released.
"""
from graphgrad.ir.fused import inner_graph
from graphgrad.ir.printer import value_names
from graphgrad.runtime.fusion import FusedKernel


class Instruction:
    __slots__ = ("kernel", "out_kernel", "inputs", "output", "node", "label", "fused")

    def __init__(self, kernel, inputs, output, node, label, out_kernel=None, fused=None):
        self.kernel = kernel        # callable(*arrays) -> array, attributes already bound
        self.out_kernel = out_kernel  # callable(out, *arrays) -> out, or None
        self.inputs = inputs        # tuple of slot numbers
        self.output = output        # slot number
        self.node = node
        self.label = label          # "%12 = matmul(%3, %7)" for error messages
        self.fused = fused          # the FusedKernel of a fused node, else None

    def __repr__(self):
        return self.label


def _order(graph, write_into):
    """Graph order, except that checks of data (e.g. class indices in range) run as early as
    their inputs allow, and the state updates computed into the state's own arrays (and what
    depends on them) run last: a call that fails raises before any state is written."""
    tail = set()
    if write_into:
        from graphgrad.ir.analysis import descendants
        written = [graph.outputs[pos] for pos in write_into]
        tail = descendants(graph, written) - set(graph.inputs)
    if not tail and not any(n.op.check for n in graph.nodes):
        return graph.nodes
    from graphgrad.ir.analysis import topological_nodes
    return topological_nodes(graph, early=lambda n: n.op.check, late=lambda n: n.out in tail)


class Schedule:
    def __init__(self, graph, plan=True, write_into=None):
        self.graph = graph
        names = value_names(graph)
        slot = {}
        for v in graph.inputs:
            slot[v] = len(slot)
        self.n_inputs = len(graph.inputs)
        self.constants = {}          # slot -> precomputed array
        self.instructions = []
        for n in _order(graph, write_into):
            slot[n.out] = len(slot)
            inner = inner_graph(n)
            fused = FusedKernel(inner) if inner is not None else None
            if fused is not None:
                kernel, out_kernel = fused.run, fused.run_into
            else:
                in_types = tuple(v.type for v in n.inputs)
                kernel = n.op.make_kernel(in_types, n.attrs)
                out_kernel = n.op.make_out_kernel(n.attrs, in_types)
            if n.op.nullary and not n.op.random:
                self.constants[slot[n.out]] = kernel()
                continue
            label = (f"%{names[n.out]} = {n.op.name}("
                     + ", ".join(f"%{names[v]}" for v in n.inputs) + ")")
            source = n.meta.get("source")
            if source:
                label += f"  [{source}]"
            self.instructions.append(Instruction(kernel, tuple(slot[v] for v in n.inputs),
                                                 slot[n.out], n, label, out_kernel, fused))
        self.n_slots = len(slot)
        self.outputs = tuple(slot[v] for v in graph.outputs)
        self.memory = None
        self.release_after = self._liveness()
        if plan:
            from graphgrad.runtime.memory import plan_memory
            self.memory = plan_memory(self, write_into)
            self.release_after = self._liveness()

    def _liveness(self):
        """For each instruction, the slots to release after it (their last reader)."""
        last = {}
        into = self.memory.write_into if self.memory is not None else {}
        for i, ins in enumerate(self.instructions):
            for s in ins.inputs:
                last[s] = i
            if ins.output in into:
                last[into[ins.output]] = i      # its array is written here
        keep = set(self.outputs) | set(self.constants)
        release = [[] for _ in self.instructions]
        for s, i in last.items():
            if s not in keep:
                release[i].append(s)
        return [tuple(sorted(r)) for r in release]

    def __len__(self):
        return len(self.instructions)

    def __str__(self):
        lines = [f"schedule of {self.graph.name}: {self.n_inputs} inputs, "
                 f"{len(self.constants)} constants, {len(self.instructions)} instructions"]
        for ins, rel in zip(self.instructions, self.release_after):
            free = f"   free {list(rel)}" if rel else ""
            lines.append(f"  [{ins.output}] <- {ins.label.split(' = ', 1)[1]}"
                         f" {list(ins.inputs)}{free}")
        lines.append(f"  outputs {list(self.outputs)}")
        return "\n".join(lines)
