"""The IR: SSA values, single-output nodes and graphs stored as topologically ordered lists.

A `Graph` is treated as immutable: passes build new graphs (usually with `GraphBuilder` or
`Graph.replace`). `Value` and `Node` objects may be shared between graphs.
"""
import itertools

import numpy as np

from graphgrad.errors import ShapeError
from graphgrad.ir.types import TensorType, normalized

_ids = itertools.count()


class Value:
    """One SSA value: a tensor type, an optional name hint and whether gradients flow through it.
    `shape` and `dtype` are the type's, kept as plain attributes (shape rules read them for
    every recorded op)."""
    __slots__ = ("id", "type", "shape", "dtype", "name", "requires_grad", "__weakref__")

    def __init__(self, type, name=None, requires_grad=False):
        self.id = next(_ids)
        self.type = type
        self.shape = type.shape
        self.dtype = type.dtype
        self.name = name
        self.requires_grad = requires_grad

    @property
    def ndim(self):
        return len(self.type.shape)

    def __repr__(self):
        return f"%{self.name or self.id}:{self.type}"


class Node:
    """`out = op(*inputs, **attrs)`. `meta` holds analysis results (phase, source line, ...)."""
    __slots__ = ("op", "inputs", "attrs", "out", "meta")

    def __init__(self, op, inputs, attrs, out, meta=None):
        self.op = op
        self.inputs = tuple(inputs)
        self.attrs = attrs
        self.out = out
        self.meta = meta if meta is not None else {}

    def __repr__(self):
        args = ", ".join(f"%{v.id}" for v in self.inputs)
        return f"%{self.out.id} = {self.op.name}({args})"

    def subgraphs(self):
        """The graph-valued attributes (a fused node's inner graph): name -> Graph."""
        return {k: v for k, v in self.attrs.items() if isinstance(v, Graph)}


class Graph:
    """inputs -> nodes (topological order) -> outputs, with a role ("kind") per input and output.

    Input kinds: "arg" (a user argument), "param", "buffer", "state", "grad", "scalar" (a
    runtime hyperparameter such as the learning rate), "seed" (an incoming gradient), "saved".
    Output kinds: "out", "state", "grad", "saved".
    """

    def __init__(self, inputs, nodes, outputs, input_kinds=None, output_kinds=None, name="graph",
                 meta=None):
        self.inputs = list(inputs)
        self.nodes = list(nodes)
        self.outputs = list(outputs)
        self.input_kinds = list(input_kinds or ["arg"] * len(self.inputs))
        self.output_kinds = list(output_kinds or ["out"] * len(self.outputs))
        self.name = name
        self.meta = dict(meta or {})   # pass results: grad output map, stats, ...

    # -- queries -------------------------------------------------------------------------------
    def producers(self):
        """Value -> the node that computes it (inputs have none)."""
        return {n.out: n for n in self.nodes}

    def users(self):
        """Value -> list of nodes that read it."""
        users = {v: [] for v in self.inputs}
        for n in self.nodes:
            users.setdefault(n.out, [])
            for v in n.inputs:
                users.setdefault(v, []).append(n)
        return users


    def copy(self, **changes):
        fields = dict(inputs=self.inputs, nodes=self.nodes, outputs=self.outputs,
                      input_kinds=self.input_kinds, output_kinds=self.output_kinds, name=self.name,
                      meta=self.meta)
        fields.update(changes)
        return Graph(**fields)

    def __len__(self):
        return len(self.nodes)

    def op_counts(self):
        counts = {}
        for n in self.nodes:
            counts[n.op.name] = counts.get(n.op.name, 0) + 1
        return counts

    # -- views and printing --------------------------------------------------------------------
    def to_networkx(self):
        from graphgrad.ir.analysis import to_networkx
        return to_networkx(self)

    def __str__(self):
        from graphgrad.ir.printer import format_graph
        return format_graph(self)

    def __repr__(self):
        return (f"<Graph {self.name}: {len(self.inputs)} inputs, {len(self.nodes)} nodes, "
                f"{len(self.outputs)} outputs>")

    def print_tabular(self, file=None):
        from graphgrad.ir.printer import format_tabular
        print(format_tabular(self), file=file)

    def verify(self):
        verify(self)
        return self

    def to_dot(self, **kwargs):
        from graphgrad.ir.dot import to_dot
        return to_dot(self, **kwargs)

    def save(self, path, **kwargs):
        from graphgrad.ir.dot import save
        return save(self, path, **kwargs)

    def _repr_svg_(self):
        from graphgrad.ir.dot import repr_svg
        return repr_svg(self)


class GraphBuilder:
    """Builds a graph node by node; every node's type comes from its op's `infer` rule."""

    def __init__(self, name="graph"):
        self.name = name
        self.inputs = []
        self.input_kinds = []
        self.nodes = []

    @classmethod
    def from_graph(cls, graph):
        b = cls(graph.name)
        b.inputs = list(graph.inputs)
        b.input_kinds = list(graph.input_kinds)
        b.nodes = list(graph.nodes)
        return b

    def add_input(self, type, kind="arg", name=None, requires_grad=False):
        v = Value(type, name=name, requires_grad=requires_grad)
        self.inputs.append(v)
        self.input_kinds.append(kind)
        return v

    def add_node(self, op, inputs, attrs, requires_grad=False, meta=None):
        out = Value(normalized(op.infer(*inputs, **attrs)), requires_grad=requires_grad)
        self.nodes.append(Node(op, inputs, attrs, out, meta))
        return out

    def finish(self, outputs, output_kinds=None):
        return Graph(self.inputs, self.nodes, outputs, self.input_kinds, output_kinds, self.name)


def verify(graph):
    """Check that the graph is well formed; raises ValueError describing the first problem."""
    from graphgrad.ir.analysis import check_acyclic
    defined = set()
    for v in graph.inputs:
        if v in defined:
            raise ValueError(f"{graph.name}: input {v} listed twice")
        defined.add(v)
    if len(graph.input_kinds) != len(graph.inputs):
        raise ValueError(f"{graph.name}: {len(graph.input_kinds)} input kinds for "
                         f"{len(graph.inputs)} inputs")
    if len(graph.output_kinds) != len(graph.outputs):
        raise ValueError(f"{graph.name}: {len(graph.output_kinds)} output kinds for "
                         f"{len(graph.outputs)} outputs")
    for i, n in enumerate(graph.nodes):
        for v in n.inputs:
            if v not in defined:
                raise ValueError(f"{graph.name}: node {i} ({n.op.name}) reads {v} before it is "
                                 "defined")
        if n.out in defined:
            raise ValueError(f"{graph.name}: node {i} ({n.op.name}) redefines {n.out}")
        try:
            t = n.op.infer(*n.inputs, **n.attrs)
        except ShapeError as e:
            raise ValueError(f"{graph.name}: node {i} fails its shape rule: {e}") from e
        if tuple(t.shape) != n.out.shape or np.dtype(t.dtype) != n.out.dtype:
            raise ValueError(f"{graph.name}: node {i} ({n.op.name}) has type {n.out.type}, its "
                             f"rule says {TensorType(tuple(t.shape), np.dtype(t.dtype))}")
        defined.add(n.out)
    for v in graph.outputs:
        if v not in defined:
            raise ValueError(f"{graph.name}: output {v} is never computed")
    check_acyclic(graph)
