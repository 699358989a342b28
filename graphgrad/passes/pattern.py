"""Pattern matching and a fixpoint rewrite driver for Graph -> Graph rewrites.

A rule is a pattern (`P`) plus a function that builds the replacement from the matched values.
The driver walks the graph in order, rewrites matching nodes (new nodes are inserted before the
node they replace, so the list stays topologically ordered), and repeats until nothing changes.
"""
import numpy as np

from graphgrad.ir.graph import Node, Value
from graphgrad.ir.op import get_op
from graphgrad.ir.types import TensorType



class P:
    """Matches a value produced by `op` (a name, a tuple of names, or None for any value) whose
    inputs match `inputs`; binds it under `name`. `const=c` matches a uniform constant equal to
    c; `where(value, bindings)` is an extra predicate."""

    def __init__(self, op=None, *inputs, name=None, const=None, where=None):
        self.ops = (op,) if isinstance(op, str) else op
        self.inputs = inputs
        self.name = name
        self.const = const
        self.where = where

    def match(self, value, producers, bindings):
        if self.name is not None and self.name in bindings:
            if bindings[self.name] is not value:     # a repeated name must be the same value
                return False
        node = producers.get(value)
        if self.const is not None:
            c = constant_scalar(value, producers)
            if c is None or c != self.const:
                return False
        if self.ops is not None:
            if node is None or node.op.name not in self.ops:
                return False
            if self.inputs:
                if len(self.inputs) != len(node.inputs):
                    return False
                for pat, v in zip(self.inputs, node.inputs):
                    if not pat.match(v, producers, bindings):
                        return False
        if self.name is not None:
            bindings[self.name] = value
            if node is not None:
                bindings[self.name + "_node"] = node
        if self.where is not None and not self.where(value, bindings):
            return False
        return True


def constant_scalar(value, producers):
    """The single value of a constant whose elements are all equal, else None."""
    node = producers.get(value)
    if node is None:
        return None
    if node.op.name == "full":
        return node.attrs["value"]
    if node.op.name == "constant":
        arr = node.attrs["value"]
        if arr.size == 0:
            return None
        first = arr.flat[0]
        if arr.size == 1 or (arr == first).all():
            return first.item()
    return None


class Rewriter:
    """Collects new nodes while rules build replacements."""

    def __init__(self, nodes, meta):
        self.nodes = nodes
        self.meta = meta

    def emit(self, op_name, inputs, **attrs):
        op = get_op(op_name)
        t = op.infer(*inputs, **attrs)
        out = Value(TensorType(tuple(t.shape), np.dtype(t.dtype)))
        self.nodes.append(Node(op, inputs, attrs, out, dict(self.meta)))
        return out

    def fit(self, value, like):
        """`value` as a replacement for `like`: same dtype required; broadcast if smaller."""
        if value.dtype != like.dtype:
            return None
        if value.shape == like.shape:
            return value
        try:
            return self.emit("broadcast_to", [value], shape=like.shape)
        except ValueError:
            return None

    def zeros(self, like):
        return self.emit("full", [], shape=like.shape, value=0, dtype=like.dtype)


def rewrite(graph, rules, max_rounds=20):
    """Apply `rules` [(P, build(rw, bindings, node) -> Value | None)] to a fixpoint."""
    by_op = _index(rules)
    for _ in range(max_rounds):
        graph, changed = _rewrite_once(graph, by_op)
        if not changed:
            break
    return graph


def _index(rules):
    """op name -> the rules whose pattern can match a value of that op, in the rules' order
    (key None: rules for any op), so a node is tried only against rules for its op."""
    names = {name for pattern, _ in rules if pattern.ops for name in pattern.ops}
    generic = [r for r in rules if r[0].ops is None]
    by_op = {None: generic}
    for name in names:
        by_op[name] = [r for r in rules if r[0].ops is None or name in r[0].ops]
    return by_op


def _rewrite_once(graph, by_op):
    replaced = {}
    nodes = []
    producers = {}
    changed = False
    for node in graph.nodes:
        inputs = tuple(replaced.get(v, v) for v in node.inputs)
        if inputs != node.inputs:
            node = Node(node.op, inputs, node.attrs, node.out, node.meta)
        producers[node.out] = node
        new = None
        for pattern, build in by_op.get(node.op.name, by_op[None]):
            bindings = {"_producers": producers, "_node": node}
            if pattern.match(node.out, producers, bindings):
                start = len(nodes)
                rw = Rewriter(nodes, node.meta)
                new = build(rw, bindings, node)
                if new is not None and new is not node.out:
                    if new.type != node.out.type:     # a rule must keep the value's type
                        raise AssertionError(f"internal: rewriting {node} gave {new.type}, "
                                             f"expected {node.out.type}")
                    for n in nodes[start:]:
                        producers[n.out] = n
                    break
                del nodes[start:]
                new = None
        if new is None:
            nodes.append(node)
        else:
            replaced[node.out] = new
            changed = True
    outputs = [replaced.get(v, v) for v in graph.outputs]
    if not changed:
        return graph, False
    from graphgrad.ir.analysis import live_nodes
    result = graph.copy(nodes=nodes, outputs=outputs)
    return result.copy(nodes=live_nodes(result)), True
