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
from graphgrad.modes import _GRAD
from graphgrad.tensor import Tensor

_new = object.__new__
_GRAD_SET, _GRAD_RESET = _GRAD.set, _GRAD.reset


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
        parents = []
        arrays = []
        versions = []
        for t in inputs:        # edge_of, data and version cell of each input, in one loop
            if not t._requires_grad:
                parents.append(None)
            else:
                parents.append(t if t._grad_fn is None else (t._grad_fn, t._out_index))
            arrays.append(t._data)
            cell = t._vc
            if cell is None:
                cell = t._vc = [0]
            versions.append((cell, cell[0]))
        cell = out._vc
        if cell is None:
            cell = out._vc = [0]
        versions.append((cell, cell[0]))
        data = out._data
        self.parents = tuple(parents)
        self.saved = (tuple(arrays), data)
        self.versions = tuple(versions)
        self.out_type = [(data.shape, data.dtype)]

    @property
    def name(self):
        return f"{self.op.name}_backward"

    def apply(self, grads):
        saved = self.saved
        if saved is None:
            raise AutogradError(
                f"{self.name}: trying to backward through the graph a second time (its saved "
                "values were freed); call backward(retain_graph=True) the first time")
        inputs, out = saved
        args = [_saved_tensor(self, i, a) for i, a in enumerate(inputs)]
        op = self.op
        attrs = self.attrs
        if op.vjp_needs:        # the rule can skip gradients nobody needs
            attrs = dict(attrs, needs=tuple([p is not None for p in self.parents]))
        g = _new(Tensor)        # Tensor._wrap, inlined
        g._data = grads[0]
        g._requires_grad = False
        g._grad = None
        g._grad_fn = None
        g._out_index = 0
        g._vc = None
        g._view = None
        token = _GRAD_SET(False)        # no_grad, without a context manager per node
        try:
            res = op.vjp(g, *args, out=_saved_tensor(self, len(inputs), out), **attrs)
        except AnomalyError as e:
            raise AnomalyError(f"in the gradient of {op.name}: {e}") from None
        finally:
            _GRAD_RESET(token)
        return [None if r is None else r._data for r in res]

    def release(self):
        self.saved = None


class SavedTensor(Tensor):
    """A value saved for backward, as a VJP rule sees it: its shape and dtype can always be read,
    its data only while the tensor it was saved from is unmodified. As in PyTorch, mutating a
    value that the gradient rule does not read (`h = x * 2; h += 1`) is fine."""
    __slots__ = ("_saved",)

    def __init__(self, node, index, array):
        self._requires_grad = False
        self._grad = None
        self._grad_fn = None
        self._out_index = 0
        self._vc = None
        self._view = None
        self._saved = (node, index, array)

    @property
    def _data(self):
        node, index, array = self._saved
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
        return tuple(self._saved[2].shape)

    @property
    def dtype(self):
        return self._saved[2].dtype

    @property
    def ndim(self):
        return self._saved[2].ndim

    def numel(self):
        return self._saved[2].size


def _saved_tensor(node, index, array):
    """SavedTensor(node, index, array) without the call to __init__ (one per VJP argument)."""
    t = _new(SavedTensor)
    t._requires_grad = False
    t._grad = None
    t._grad_fn = None
    t._out_index = 0
    t._vc = None
    t._view = None
    t._saved = (node, index, array)
    return t


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
    deps = {}           # consumers of each node below the roots; a node is walked when first met
    stack = [e[0] for e, _ in roots if type(e) is tuple]
    seen = set(stack)
    while stack:
        for edge in stack.pop().parents:
            if type(edge) is tuple:
                parent = edge[0]
                count = deps.get(parent)
                if count is None:
                    deps[parent] = 1
                    if parent not in seen:
                        stack.append(parent)
                else:
                    deps[parent] = count + 1
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
        grads = pending.pop(node, None)
        if grads is None or (grads[0] is None if len(grads) == 1 else
                             all(g is None for g in grads)):
            in_grads = (None,) * len(node.parents)
        else:
            if len(grads) > 1:
                grads = [np.zeros(s, d) if g is None else g
                         for g, (s, d) in zip(grads, node.out_type)]
            in_grads = node.apply(grads)
        done.append(node)
        for edge, g in zip(node.parents, in_grads):
            if type(edge) is tuple:         # _send to a node, inlined: the common case
                parent, index = edge
                if g is not None:
                    slots = pending.get(parent)
                    if slots is None:
                        slots = pending[parent] = [None] * parent.n_outputs
                    slots[index] = g if slots[index] is None else slots[index] + g
                left = deps[parent] - 1
                deps[parent] = left
                if not left:
                    ready.append(parent)
            elif edge is not None:
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
