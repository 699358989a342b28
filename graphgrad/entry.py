"""A compiled entry: the graphs, schedules, input sources, writebacks and guards of one call
signature, how it runs (the general path; see fastpath.py for the fast one), and the eager
autograd node through which a compiled forward's backward schedule runs."""
import itertools
import os

import numpy as np

from graphgrad import autograd, pytree
from graphgrad.config import config
from graphgrad.dispatch import MODE
from graphgrad.ir.dot import write_files
from graphgrad.passes import autodiff, dce, partition, run_passes
from graphgrad.runtime import Executable, Schedule, interpret
from graphgrad.tensor import Tensor
from graphgrad.tracing import ArgGradSource, ArgSource, GradSource, ScalarSource, TensorSource

_TENSOR = object()   # marks where a result tensor goes in the output structure


class Entry:
    """One compiled signature: its graphs, schedules, input sources, writebacks and guards."""

    def __init__(self, name, trace, graph, out_leaves, out_tree, out_values, sinks, resets):
        self.name = name
        self.traced = graph                  # as traced (whole step: forward+backward+update)
        self.sources = trace.sources
        self.guards = trace.guards
        self.sinks = [s for s, _ in sinks]
        self.resets = resets
        self.out_tree = out_tree
        self.out_template = [_TENSOR if isinstance(x, Tensor) else x for x in out_leaves]
        self.n_outputs = sum(1 for v in out_values if v is not None)
        self.whole_step = trace.backward_called
        self.graphs = {}
        self.records = {}
        self.backward_exe = None
        self.signature = None
        self.reason = None
        self.fast = None
        self._getters = [_getter(s) for s in self.sources]

    # -- compilation --------------------------------------------------------------------------
    def build_single(self, passes):
        graph, records = run_passes(self.traced, passes, dump_dir=_pass_dump_dir(self.name))
        self.graphs["forward"] = graph
        self.graphs["unfused"] = _before_fusion(self.traced, records)
        self.records["forward"] = records
        self.forward_exe = Executable(Schedule(graph, write_into=self._write_into()))
        self.n_saved = 0

    def _write_into(self):
        """State updates computed straight into the state's current array: output position ->
        input position (a parameter's new value overwrites its old array, like torch's
        in-place optimizer step)."""
        inputs = {}
        for i, source in enumerate(self.sources):
            if isinstance(source, TensorSource):
                inputs[id(source.tensor)] = i
            elif isinstance(source, ArgSource):
                inputs[("arg", source.index)] = i
        into = {}
        for k, sink in enumerate(self.sinks):
            if sink.attr != "data":
                continue
            key = ("arg", sink.target) if isinstance(sink.target, int) else id(sink.target)
            if key in inputs:
                into[self.n_outputs + k] = inputs[key]
        return into

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
        self.forward_exe = Executable(Schedule(forward, write_into=self._write_into()))
        self.backward_exe = Executable(Schedule(backward))
        self.n_saved = n_saved
        inputs = self.traced.inputs
        self.wrt_sources = [inputs.index(v) for v in wrt]
        self.grad_positions = [None if i is None else i - n_fwd for i in grad_map]
        self.diff_outputs = list(diff_outputs)
        self.diff_types = [(self.traced.outputs[p].shape, self.traced.outputs[p].dtype)
                           for p in diff_outputs]

    # -- running ------------------------------------------------------------------------------
    def guards_pass(self):
        for g in self.guards:
            if g.check() is not None:
                return False
        return True

    def run(self, leaves):
        inputs = [get(leaves) for get in self._getters]
        if MODE.detect_anomaly:       # op by op, checking each result
            outs = interpret(self.forward_exe.schedule, inputs, check_nan=True)
        else:
            outs = self.forward_exe(*inputs)
        n_out = self.n_outputs
        n_sinks = len(self.sinks)
        for sink, arr in zip(self.sinks, outs[n_out:n_out + n_sinks]):
            _write(sink, arr, leaves)
        for target in self.resets:
            t = leaves[target] if isinstance(target, int) else target
            t._grad = None
        results = [Tensor._wrap(a) for a in outs[:n_out]]
        if self.backward_exe is not None:
            self._attach_backward(results, inputs, outs[n_out + n_sinks:], leaves)
        return self.finish(results)

    def finish(self, results):
        """The function's result structure with `results` (tensors, in order) filled in."""
        it = iter(results)
        flat = [next(it) if x is _TENSOR else x for x in self.out_template]
        return pytree.unflatten(self.out_tree, flat)

    def _attach_backward(self, results, inputs, saved, leaves):
        parents = []
        for i in self.wrt_sources:
            source = self.sources[i]
            t = leaves[source.index] if isinstance(source, ArgSource) else source.tensor
            parents.append(autograd.edge_of(t))
        node = CompiledBackward(self, parents, tuple(saved))
        # compiled optimizer steps update state arrays in place: refuse a stale backward
        cells = [s.tensor._version_cell() for s in self.sources if isinstance(s, TensorSource)]
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
        if which == "joint":
            return self.graphs.get("joint", self.graphs["forward"])
        if self.whole_step and which in ("forward", "backward", "update"):
            from graphgrad.ir.subgraph import phase_subgraph
            return phase_subgraph(self.graphs["unfused"], which)
        if which == "optimized":
            return self.graphs.get("joint", self.graphs["forward"])
        if which not in self.graphs:
            raise ValueError(f"graph(which={which!r}): this entry has "
                             f"{sorted(self.graphs) + ['step']}; a backward graph exists when "
                             "outputs require grad or the function calls backward()")
        return self.graphs[which]

    def dump(self, folder):
        os.makedirs(folder, exist_ok=True)
        for which, g in [("traced", self.traced)] + sorted(self.graphs.items()):
            write_files(g, os.path.join(folder, f"{self.name}.{id(self):x}.{which}"))


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


def _getter(source):
    if isinstance(source, ArgSource):
        i = source.index
        return lambda leaves: leaves[i]._data
    if isinstance(source, TensorSource):
        t = source.tensor
        return lambda leaves: t._data
    if isinstance(source, GradSource):
        t = source.tensor
        return lambda leaves: t._grad._data
    if isinstance(source, ArgGradSource):
        i = source.index
        return lambda leaves: leaves[i]._grad._data
    if isinstance(source, ScalarSource):
        get, dtype = source.getter, source.dtype
        return lambda leaves: np.asarray(get(), dtype)
    raise TypeError(f"unknown source {source!r}")


def _write(sink, array, leaves):
    t = leaves[sink.target] if isinstance(sink.target, int) else sink.target
    if sink.attr == "data":
        t._data = array
        if t._vc is not None:
            t._vc[0] += 1
    else:
        g = t._grad
        if g is None:
            t._grad = Tensor._wrap(array)
        else:
            g._data = array


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
        from graphgrad.errors import AutogradError
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
        if MODE.detect_anomaly:
            outs = interpret(self.entry.backward_exe.schedule, [*self.saved, *seeds],
                             check_nan=True)
        else:
            outs = self.entry.backward_exe(*self.saved, *seeds)
        return [None if p is None else outs[p] for p in self.entry.grad_positions]

    def release(self):
        self.saved = None
