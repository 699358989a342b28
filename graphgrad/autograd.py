"""Eager reverse-mode autograd: a tape of nodes linked by edges, replayed by `backward`.

Each op output that requires grad carries an `OpNode` that saved the op's input and output arrays
(and their version counters, checked when a rule reads the data). `backward` walks the nodes in
dependency order and calls the op's registered `vjp` under `no_grad`, the same rule that the
symbolic backward pass traces.
An edge is None (no gradient), a leaf Tensor (gradient accumulates into `.grad`), or
`(node, output_index)`.
"""
import numpy as np

from graphgrad.errors import AnomalyError, AutogradError, ShapeError
from graphgrad.tensor import Tensor


def edge_of(t):
    if not t._requires_grad:
        return None
    if t._grad_fn is None:
        return t
    return (t._grad_fn, t._out_index)


class OpNode:
    """Backward of one registry op."""
    __slots__ = ("op", "attrs", "parents", "saved", "versions", "out_type")
    n_outputs = 1

    def __init__(self, op, attrs, inputs, out):
        self.op = op
        self.attrs = attrs
        self.parents = tuple(edge_of(t) for t in inputs)
        self.saved = (tuple(t._data for t in inputs), out._data)
        cells = [t._version_cell() for t in inputs]
        cells.append(out._version_cell())
        self.versions = tuple((c, c[0]) for c in cells)
        self.out_type = [(out._data.shape, out._data.dtype)]

    @property
    def name(self):
        return f"{self.op.name}_backward"

    def apply(self, grads):
        from graphgrad.modes import no_grad
        if self.saved is None:
            raise AutogradError(
                f"{self.name}: trying to backward through the graph a second time (its saved "
                "values were freed); call backward(retain_graph=True) the first time")
        inputs, out = self.saved
        saved = [SavedTensor(self, i, a) for i, a in enumerate(inputs + (out,))]
        attrs = self.attrs
        if self.op.vjp_needs:   # the rule can skip gradients nobody needs
            attrs = dict(attrs, needs=tuple(p is not None for p in self.parents))
        try:
            with no_grad():
                res = self.op.vjp(Tensor._wrap(grads[0]), *saved[:-1], out=saved[-1], **attrs)
        except AnomalyError as e:
            raise AnomalyError(f"in the gradient of {self.op.name}: {e}") from None
        return [None if r is None else r._data for r in res]

    def release(self):
        self.saved = None


class SavedTensor(Tensor):
    """A value saved for backward, as a VJP rule sees it: its shape and dtype can always be read,
    its data only while the tensor it was saved from is unmodified. As in PyTorch, mutating a
    value that the gradient rule does not read (`h = x * 2; h += 1`) is fine."""
    __slots__ = ()

    def __init__(self, node, index, array):
        self._requires_grad = False
        self._grad = None
        self._grad_fn = None
        self._out_index = 0
        self._vc = None
        self._view = None
        self.__dict__["saved"] = (node, index, array)

    @property
    def _data(self):
        node, index, array = self.__dict__["saved"]
        cell, version = node.versions[index]
        if cell[0] != version:
            which = "output" if index == len(node.versions) - 1 else f"input {index}"
            raise AutogradError(
                f"{node.name}: one of the tensors needed for gradient computation ({which} of "
                f"{node.op.name}) has been modified by an in-place operation: version "
                f"{cell[0]}, expected {version}")
        return array

    @property
    def shape(self):
        return tuple(self.__dict__["saved"][2].shape)

    @property
    def dtype(self):
        return self.__dict__["saved"][2].dtype

    @property
    def ndim(self):
        return self.__dict__["saved"][2].ndim


def backward(root, gradient=None, retain_graph=False):
    """`root.backward(gradient)`: accumulate gradients into the leaves' `.grad`."""
    if not root._requires_grad:
        raise AutogradError("backward: the tensor does not require grad and has no grad_fn "
                            "(no input of the computation had requires_grad=True)")
    if gradient is None:
        if root._data.size != 1:
            raise AutogradError(f"backward: grad can be implicitly created only for scalar "
                                f"outputs; this one has shape {root.shape}: pass `gradient`")
        seed = np.ones_like(root._data)
    else:
        if not isinstance(gradient, Tensor):
            raise TypeError(f"backward: gradient must be a Tensor, got {type(gradient).__name__}")
        if gradient.shape != root.shape:
            raise ShapeError(f"backward: gradient has shape {gradient.shape}, the tensor has "
                             f"{root.shape}")
        seed = gradient._data.astype(root.dtype, copy=False)
    run_backward([(edge_of(root), seed)], retain_graph)


def run_backward(roots, retain_graph=False):
    """roots: [(edge, gradient array)]. Nodes run only after all their consumers have.

    Nothing is changed unless the whole pass succeeds: leaf gradients are collected and
    accumulated into `.grad` at the end, and saved values are freed only then."""
    deps = {}
    stack = [e[0] for e, _ in roots if type(e) is tuple]
    seen = set(id(n) for n in stack)
    while stack:
        node = stack.pop()
        for edge in node.parents:
            if type(edge) is tuple:
                parent = edge[0]
                deps[parent] = deps.get(parent, 0) + 1
                if id(parent) not in seen:
                    seen.add(id(parent))
                    stack.append(parent)
    pending = {}
    leaves = {}
    ready = []
    done = []
    for edge, grad in roots:
        _send(edge, grad, pending, leaves, deps, ready, count=False)
    for edge, _ in roots:
        if type(edge) is tuple and deps.get(edge[0], 0) == 0 and edge[0] not in ready:
            ready.append(edge[0])
    while ready:
        node = ready.pop()
        grads = pending.pop(node, None) or [None] * node.n_outputs
        if all(g is None for g in grads):
            in_grads = [None] * len(node.parents)
        else:
            grads = [np.zeros(s, d) if g is None else g
                     for g, (s, d) in zip(grads, node.out_type)]
            in_grads = node.apply(grads)
        done.append(node)
        for edge, g in zip(node.parents, in_grads):
            if edge is not None:
                _send(edge, g, pending, leaves, deps, ready)
    for leaf, grad in leaves.values():
        if leaf._grad is None:
            leaf._grad = Tensor._wrap(grad)
        else:
            leaf._grad._data = leaf._grad._data + grad
    if not retain_graph:
        for node in done:
            node.release()


def _send(edge, grad, pending, leaves, deps, ready, count=True):
    if type(edge) is tuple:
        node, index = edge
        if grad is not None:
            slots = pending.get(node)
            if slots is None:
                slots = pending[node] = [None] * node.n_outputs
            slots[index] = grad if slots[index] is None else slots[index] + grad
        if count:
            deps[node] -= 1
            if deps[node] == 0:
                ready.append(node)
    elif edge is not None and grad is not None:
        leaf = edge
        if grad.shape != leaf._data.shape:
            raise AutogradError(f"internal: gradient of shape {grad.shape} for a leaf of shape "
                                f"{leaf._data.shape}")
        entry = leaves.get(id(leaf))
        if entry is None:
            # a copy: the array may be the caller's `gradient` or shared with another leaf
            leaves[id(leaf)] = [leaf, grad.copy()]
        else:
            entry[1] = entry[1] + grad
