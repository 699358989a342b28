"""A compiled entry: the graphs, schedules, input bindings, writebacks and guards of one call
signature; how it runs (the general path; `compiler/fastpath.py` generates the fast one from
the same bindings); and the eager-autograd node through which a compiled forward's backward
schedule runs."""
import itertools
import os
import threading
import warnings

from graphgrad import autograd, pytree
from graphgrad.compiler.bindings import StateInput
from graphgrad.compiler.trace import GRAPH, ArgResult, ObjectResult
from graphgrad.config import config
from graphgrad.errors import AutogradError
from graphgrad.ir.subgraph import phase_subgraph
from graphgrad.modes import anomaly_enabled
from graphgrad.passes import autodiff, dce, partition, run_passes
from graphgrad.runtime import Schedule, interpret
from graphgrad.runtime.native import make_executable
from graphgrad.runtime.commit import deferred_interrupts
from graphgrad.tensor import Tensor


class Entry:
    """One compiled signature: its graphs, schedules, input bindings, writebacks and guards."""

    def __init__(self, name, traced):
        self.name = name
        self.traced = traced.graph           # as traced (whole step: forward+backward+update)
        self.inputs = traced.trace.inputs
        self.guards = traced.trace.guards
        self.sinks = traced.sinks
        self.actions = traced.actions
        self.out_tree = traced.out_tree
        self.results = traced.results
        self.n_outputs = len(traced.out_values)
        self.whole_step = traced.trace.backward_called
        self.graphs = {}
        self.records = {}
        self.backward_exe = None
        self.signature = None
        self.reason = None
        self.fast = None
        self.compile_seconds = 0.0
        self.backward_lock = threading.Lock()     # its schedule's buffers serve one call
        self.eager_reason = getattr(traced, "eager_reason", None)   # runs `fn` eagerly if set
        self.fn = None
        self.warned = False
        self.backend = "numpy"                    # the runtime its schedules are built for

    # -- compilation --------------------------------------------------------------------------
    def build_single(self, passes):
        graph, records = run_passes(self.traced, passes, dump_dir=_pass_dump_dir(self.name))
        self.graphs["forward"] = graph
        self.graphs["unfused"] = _before_fusion(self.traced, records)
        self.records["forward"] = records
        self.forward_exe = make_executable(Schedule(graph, write_into=self._write_into()),
                                           self.backend)
        self.n_saved = 0

    def _write_into(self):
        """State updates computed straight into the state's current array: output position ->
        input position (a parameter's new value overwrites its old array, like torch's
        in-place optimizer step)."""
        inputs = {b.key: i for i, b in enumerate(self.inputs) if b.key is not None}
        return {self.n_outputs + k: inputs[sink.key] for k, sink in enumerate(self.sinks)
                if sink.attr == "data" and sink.key in inputs}

    def build_aot(self, passes, diff_outputs):
        """`diff_outputs`: positions of the results that require grad (one value may be
        returned twice: its gradients add up)."""
        wrt = [v for v in self.traced.inputs if v.requires_grad]
        values = []
        for pos in diff_outputs:
            v = self.traced.outputs[pos]
            if v not in values:
                values.append(v)
        self.seed_of = [values.index(self.traced.outputs[pos]) for pos in diff_outputs]
        joint = autodiff(self.traced, wrt=wrt, of=values)
        grad_map = joint.meta["grad_outputs"]
        n_fwd = len(self.traced.outputs)
        joint, records = run_passes(joint, passes, dump_dir=_pass_dump_dir(self.name))
        forward, backward, n_saved = partition(joint, n_fwd)
        forward, backward = dce(forward), dce(backward)
        self.graphs.update(joint=joint, forward=forward, backward=backward)
        self.records["joint"] = records
        self.forward_exe = make_executable(Schedule(forward, write_into=self._write_into()),
                                           self.backend)
        self.backward_exe = make_executable(Schedule(backward), self.backend)
        self.n_saved = n_saved
        inputs = self.traced.inputs
        self.wrt_inputs = [inputs.index(v) for v in wrt]
        self.grad_positions = [None if i is None else i - n_fwd for i in grad_map]
        self.diff_outputs = list(diff_outputs)
        self.diff_types = [(self.traced.outputs[p].shape, self.traced.outputs[p].dtype)
                           for p in diff_outputs]

    # -- running (the general path) -----------------------------------------------------------
    def guards_pass(self, leaves):
        return self.failed_guard(leaves) is None

    def failed_guard(self, leaves):
        """The reason the first failing guard gives, or None when they all hold."""
        for g in self.guards:
            reason = g.check_leaves(leaves) if hasattr(g, "check_leaves") else g.check()
            if reason is not None:
                return reason
        return None

    def run(self, leaves):
        """All or nothing: inputs to be written are checked first, and a Ctrl-C during the
        call is raised once all of its writes are done (see runtime/commit.py)."""
        if self.eager_reason is not None:
            return self._run_eagerly(leaves)
        for sink in self.sinks:
            if sink.attr == "data":
                sink.check_writable(leaves)
        with deferred_interrupts():
            outs = self._compute_and_commit(leaves)
        n_out = self.n_outputs
        results = [Tensor._wrap(a) for a in outs[:n_out]]
        if self.backward_exe is not None:
            self._attach_backward(results, outs[n_out + len(self.sinks):], leaves)
        return self.finish(results, leaves)

    def _run_eagerly(self, leaves):
        if not self.warned:
            self.warned = True
            warnings.warn(f"graphgrad: {self.name} runs eagerly for these arguments: "
                          f"{self.eager_reason}", stacklevel=4)
        args, kwargs = pytree.unflatten(self.signature.structure, list(leaves))
        return self.fn(*args, **kwargs)

    def _compute_and_commit(self, leaves):
        arrays = [b.read(leaves) for b in self.inputs]
        if anomaly_enabled():       # op by op, checking each result
            outs = interpret(self.forward_exe.schedule, arrays, check_nan=True)
        else:
            outs = self.forward_exe(*arrays)
        n_out = self.n_outputs
        for sink, array in zip(self.sinks, outs[n_out:n_out + len(self.sinks)]):
            sink.write(leaves, array)
        for action in self.actions:
            action.write(leaves)
        return outs

    def finish(self, results, leaves):
        """The function's result structure with the graph's `results` (tensors, in order),
        returned arguments and outside tensors filled in."""
        it = iter(results)
        flat = []
        for r in self.results:
            if r is GRAPH:
                flat.append(next(it))
            elif isinstance(r, ArgResult):
                next(it)
                flat.append(leaves[r.index])
            elif isinstance(r, ObjectResult):
                next(it)
                flat.append(r.tensor)
            else:
                flat.append(r)
        return pytree.unflatten(self.out_tree, flat)

    def _attach_backward(self, results, saved, leaves):
        parents = []
        for i in self.wrt_inputs:
            binding = self.inputs[i]
            t = binding.tensor if isinstance(binding, StateInput) else leaves[binding.index]
            parents.append(autograd.edge_of(t))
        node = CompiledBackward(self, parents, tuple(saved))
        # compiled optimizer steps update state arrays in place: refuse a stale backward
        cells = [b.tensor._version_cell() for b in self.inputs if isinstance(b, StateInput)]
        node.versions = tuple((c, c[0]) for c in cells)
        for k, pos in enumerate(self.diff_outputs):
            r = results[pos]
            r._requires_grad = True
            r._grad_fn = node
            r._out_index = k

    # -- views --------------------------------------------------------------------------------
    def graph(self, which):
        if which in ("step", "traced"):
            return self.traced
        if which in ("joint", "optimized"):
            return self.graphs.get("joint", self.graphs["forward"])
        if self.whole_step and which in ("forward", "backward", "update"):
            return phase_subgraph(self.graphs["unfused"], which)
        if which not in self.graphs:
            raise ValueError(f"graph(which={which!r}): this entry has "
                             f"{sorted(self.graphs) + ['step']}; a backward graph exists when "
                             "outputs require grad or the function calls backward()")
        return self.graphs[which]


_dumps = itertools.count()


def _pass_dump_dir(name):
    """With GRAPHGRAD_DEBUG_DIR set, the graph after every pass goes to <dir>/passes/."""
    if not config.debug_dir:
        return None
    return os.path.join(config.debug_dir, "passes", f"{name}-{next(_dumps)}")


def _before_fusion(traced, records):
    """The optimized graph as it was before fusion (readable op by op)."""
    graph = traced
    for r in records:
        if r.name == "fuse":
            break
        graph = r.graph
    return graph


class CompiledBackward:
    """The eager-autograd node of a compiled forward: runs the compiled backward schedule."""
    __slots__ = ("entry", "parents", "saved", "n_outputs", "out_type", "versions")

    def __init__(self, entry, parents, saved):
        self.entry = entry
        self.parents = tuple(parents)
        self.saved = saved
        self.n_outputs = len(entry.diff_outputs)
        self.out_type = entry.diff_types

    @property
    def name(self):
        return f"Compiled{self.entry.name}Backward"

    def apply(self, grads):
        if self.saved is None:
            raise AutogradError(f"{self.name}: trying to backward through the graph a second "
                                "time (its saved values were freed); call "
                                "backward(retain_graph=True) the first time")
        for cell, version in self.versions:
            if cell[0] != version:
                raise AutogradError(
                    f"{self.name}: a parameter or buffer used by this compiled forward was "
                    "modified in place before backward (e.g. by an optimizer step); call "
                    "backward before updating it")
        seeds = [None] * (max(self.entry.seed_of) + 1)
        for k, g in zip(self.entry.seed_of, grads):     # a value returned twice: add up
            seeds[k] = g if seeds[k] is None else seeds[k] + g
        if anomaly_enabled():
            outs = interpret(self.entry.backward_exe.schedule, [*self.saved, *seeds],
                             check_nan=True)
        else:
            with self.entry.backward_lock:
                outs = self.entry.backward_exe(*self.saved, *seeds)
        return [None if p is None else outs[p] for p in self.entry.grad_positions]

    def release(self):
        self.saved = None
