"""Pattern matching and a fixpoint rewrite driver for Graph -> Graph rewrites.

A rule is a pattern (`P`) plus a function that builds the replacement from the matched values.
The driver walks the graph in order, rewrites matching nodes (new nodes are inserted before the
node they replace, so the list stays topologically ordered), and repeats until nothing changes.
"""

from graphgrad.ir.graph import Node, Value
from graphgrad.ir.op import get_op
from graphgrad.ir.types import normalized



class P:
    """Matches a value produced by `op` (a name, a tuple of names, or None for any value) whose
    inputs match `inputs`; binds it under `name`. `const=c` matches a uniform constant equal to
    c; `reads=ops`: one of its inputs is computed by one of `ops`; `where(value, bindings)` is
    an extra predicate."""

    def __init__(self, op=None, *inputs, name=None, const=None, reads=None, where=None):
        self.ops = (op,) if isinstance(op, str) else op
        self.inputs = inputs
        self.name = name
        self.const = const
        self.reads = (reads,) if isinstance(reads, str) else reads
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
            if self.reads is not None and not any(
                    p is not None and p.op.name in self.reads
                    for p in map(producers.get, node.inputs)):
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
        out = Value(normalized(op.infer(*inputs, **attrs)))
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


def rewrite(graph, rules, max_rounds=20, depth=None):
    """Apply `rules` [(P, build(rw, bindings, node) -> Value | None)] to a fixpoint.

    `depth`: how far up from a node (in producer steps) its rules look, patterns and builders
    included; from the second round on, only nodes with something new that close are tried
    again (the others would fail as they did). None: every node is tried in every round.
    Dead nodes are dropped once, at the end (rules look only upstream, so nodes nobody reads
    never change what matches)."""
    by_op = _index(rules)
    fresh = None                # round 1: every node is tried
    result = graph
    for _ in range(max_rounds):
        result, changed, added = _rewrite_once(result, by_op, fresh, depth)
        if not changed:
            break
        if depth is not None:
            fresh = added
    if result is graph:
        return graph
    from graphgrad.ir.analysis import dead_free
    return dead_free(result)


_INDEXES = {}        # the rules' identities -> their _Candidates (it holds the rules alive)


def _index(rules):
    """op name -> the rules whose pattern can match a value of that op, in the rules' order
    (key None: rules for any op), so a node is tried only against rules for its op. Built once
    per rule table, and kept: every compilation runs the same table."""
    key = tuple((id(p), id(b)) for p, b in rules)
    index = _INDEXES.get(key)
    if index is None:
        if len(_INDEXES) > 16:
            _INDEXES.clear()
        index = _INDEXES[key] = _build_index(rules)
    return index


def _build_index(rules):
    names = {name for pattern, _ in rules if pattern.ops for name in pattern.ops}
    generic = [r for r in rules if r[0].ops is None]
    by_op = {None: generic}
    for name in names:
        by_op[name] = [r for r in rules if r[0].ops is None or name in r[0].ops]
    return _Candidates(by_op)


class _Candidates(dict):
    """(op name, the ops producing its inputs) -> the rules whose pattern can match such a
    node, judged on the pattern's first level (arity, input ops, constants), built on demand."""

    def __init__(self, by_op):
        super().__init__()
        self.by_op = by_op

    def __missing__(self, key):
        op_name, input_ops = key
        rules = [r for r in self.by_op.get(op_name, self.by_op[None])
                 if _may_match(r[0], input_ops)]
        self[key] = rules
        return rules


def _may_match(pattern, input_ops):
    if pattern.ops is None:
        return True
    if pattern.reads is not None and not any(op in pattern.reads for op in input_ops):
        return False
    if not pattern.inputs:
        return True
    if len(pattern.inputs) != len(input_ops):
        return False
    for sub, op_name in zip(pattern.inputs, input_ops):
        if sub.ops is not None and op_name not in sub.ops:
            return False
        if sub.const is not None and op_name not in ("full", "constant"):
            return False
    return True


_Producers = dict       # value -> node (tests swap in a mapping that records what rules read)


def _count_uses(graph):
    """value -> how many graph outputs and inputs of live nodes read it (the dead nodes a
    round leaves behind are dropped at the end, so they do not count)."""
    uses = {}
    for v in graph.outputs:
        uses[v] = uses.get(v, 0) + 1
    for n in reversed(graph.nodes):
        if n.out in uses:
            for v in n.inputs:
                uses[v] = uses.get(v, 0) + 1
    return uses


def _rewrite_once(graph, candidates, fresh, depth):
    """One pass over the nodes. `fresh`: the nodes the previous round added (never tried), or
    None to try every node. Returns (graph, changed, the nodes this round added)."""
    replaced = {}
    nodes = []
    producers = _Producers()
    # producer steps from each value to the nearest node new in this round (capped at depth+1)
    near = {}
    far = depth + 1 if depth is not None else None
    added = set()
    changed = False
    counted = []                # readers of each value in this round's input graph, if asked
    current = [None]
    watched = []                # nodes whose rules read the counts: tried again next round

    def uses():
        watched.append(current[0])
        if not counted:
            counted.append(_count_uses(graph))
        return counted[0]
    for node in graph.nodes:
        rebuilt = False
        if replaced:
            inputs = tuple([replaced.get(v, v) for v in node.inputs])
            if inputs != node.inputs:
                node = Node(node.op, inputs, node.attrs, node.out, node.meta)
                rebuilt = True
        producers[node.out] = node
        if fresh is not None:
            if rebuilt:
                near[node.out] = 0
            else:               # one step further than its inputs' nearest new node
                d = far
                for v in node.inputs:
                    k = near.get(v, far)
                    if k < d:
                        d = k
                d = d + 1 if d < far else far
                near[node.out] = d
                if d == far and node not in fresh:
                    nodes.append(node)      # nothing new within reach: the rules fail again
                    continue
        input_ops = tuple([p.op.name if p is not None else None
                           for p in map(producers.get, node.inputs)])
        new = None
        current[0] = node
        for pattern, build in candidates[node.op.name, input_ops]:
            bindings = {"_producers": producers, "_node": node, "_uses": uses}
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
                        near[n.out] = 0
                        added.add(n)
                    break
                del nodes[start:]
                new = None
        if new is None:
            nodes.append(node)
        else:
            replaced[node.out] = new
            changed = True
    if not changed:
        return graph, False, added
    added.update(watched)       # the counts may differ in the new graph
    outputs = [replaced.get(v, v) for v in graph.outputs]
    return graph.copy(nodes=nodes, outputs=outputs), True, added
