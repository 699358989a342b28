"""The part of a `Trace` that handles autograd inside the graph: which tensors are leaves,
reading and writing `.grad` of outside tensors (graph inputs and writebacks), and
`backward()` emitting the symbolic backward of the recorded forward. A mixin of `Trace`.
"""
import numpy as np

from graphgrad.compiler.bindings import GradInput
from graphgrad.compiler.state_guards import GradNoneGuard, GradStateGuard
from graphgrad.compiler.trace_hook import hook_paused, own_rules
from graphgrad.diagnostics import user_location
from graphgrad.errors import AutogradError, ShapeError
from graphgrad.ir.graph import Value
from graphgrad.ir.types import TensorType
from graphgrad.tensor import Tensor


class GradTracking:
    def _is_outside(self, t):
        key = id(t)
        if type(t._data) is not Value:
            return True
        return key in self.data_log and key not in self.arg_tracers

    def mark_leaf(self, t):
        self.leaves[id(t)] = t

    def is_leaf(self, t):
        """Tracers have no autograd history: leaves are the tensors the trace marked as such."""
        return id(t) in self.leaves or type(t._data) is not Value

    def read_grad(self, t):
        key = id(t)
        if key in self.grad_log or not self._is_outside(t):
            return t._grad   # assigned while tracing, or a tensor of the trace (incl. args)
        if key in self.lifted_grads:
            return self.lifted_grads[key]
        outside = t._grad
        label = self.names.get(key) or getattr(t, "_name", None) or "tensor"
        self.guards.append(GradNoneGuard(t, label))
        if outside is None:
            self.lifted_grads[key] = None
            return None
        v = self.bind_input(GradInput(t, f"{label}.grad"),
                            TensorType(outside.shape, outside.dtype))
        self.guards.append(GradStateGuard(t, label))
        tracer = Tensor._tracer(v, False)
        self.lifted_grads[key] = tracer
        self.grad_inputs[key] = v
        # from now on `t.grad` is this tracer: in-place updates of it are written back
        self.grad_log[key] = (t, outside)
        t._grad = tracer
        return tracer

    def write_grad(self, t, value, accumulate=False):
        key = id(t)
        if key not in self.grad_log:
            # overwriting does not depend on the old value: no guard on it
            self.grad_log[key] = (t, t._grad)
        # eagerly, backward accumulates into the .grad tensor there is (the same object) and
        # makes a new one where there is none; an assignment puts a new object there: every
        # call must do the same (a grad set to None and made again is a new tensor)
        if value is None or not accumulate:
            self.new_grads.discard(key)
        if value is not None and (not accumulate or t._grad is None):
            self.new_grads.add(key)
        t._grad = value

    def backward(self, root, gradient=None):
        from graphgrad.ops.creation import ones
        from graphgrad.passes.autodiff import emit_backward
        if not root._requires_grad:
            raise AutogradError("backward: the tensor does not require grad and has no grad_fn "
                                "(no input of the computation had requires_grad=True)")
        if gradient is None:
            if int(np.prod(root.shape)) != 1:
                raise AutogradError(f"backward: grad can be implicitly created only for scalar "
                                    f"outputs; this one has shape {root.shape}: pass `gradient`")
            seed = ones(root.shape, dtype=root.dtype)
        else:
            if gradient.shape != root.shape:
                raise ShapeError(f"backward: gradient has shape {gradient.shape}, the tensor "
                                 f"has {root.shape}")
            seed = gradient.astype(root.dtype)
        leaves = [t for t in self.leaves.values() if t._requires_grad]
        wrt = [t._data if type(t._data) is Value else self.lifted.get(id(t)) for t in leaves]
        pairs = [(t, v) for t, v in zip(leaves, wrt) if v is not None]
        prev = self.phase
        self.phase = "backward"
        try:
            own = all(map(own_rules, {n.op for n in self.builder.nodes}))
            # the VJP rules are graphgrad code: every node they add has the user's line of
            # this backward() call, and the function log has nothing to see (trace_hook.py)
            with hook_paused(self.profile_hook if own else None):
                self.source = user_location() if own else None
                try:
                    grads = emit_backward([self.value_of(root)], [self.value_of(seed)],
                                          [v for _, v in pairs])
                finally:
                    self.source = None
            for (t, _), g in zip(pairs, grads):
                if g is None:
                    continue
                g = Tensor._tracer(g, g.requires_grad)
                old = self.read_grad(t)
                self.write_grad(t, g if old is None else old + g, accumulate=True)
        finally:
            self.phase = "update" if prev == "forward" else prev
        self.backward_called = True
