"""The NetworkX view the analyses run on: built straight into NetworkX's storage, it must be
the graph NetworkX's own API builds, and the analyses must answer as NetworkX does."""
import networkx as nx
import numpy as np

import graphgrad as gg
from graphgrad.ir import Graph, Node, TensorType, Value, get_op
from graphgrad.ir import analysis


def _reference(graph):
    g = nx.DiGraph()
    g.add_nodes_from(graph.inputs)
    g.add_nodes_from(n.out for n in graph.nodes)
    g.add_edges_from((v, n.out) for n in graph.nodes for v in n.inputs)
    return g


def _diamond():
    def f(x, w):
        a = x * 2.0
        b = a.tanh() + a.exp()          # a read twice: one edge per reader
        (w * w).sum()                   # dead: no output reads it
        return (b * b).sum(), w.sum() + x.sum()
    return gg.trace(f, gg.ones(3), gg.ones(3))


def test_the_view_is_the_graph_networkx_builds():
    g = _diamond()
    view = analysis._build_view(g)
    assert nx.utils.graphs_equal(view, _reference(g))
    assert list(view.nodes) == list(_reference(g).nodes)
    assert all(view.edges[e] == {} for e in view.edges)
    assert nx.is_directed_acyclic_graph(view) and view.succ is not None
    # an edge dict is shared both ways, as add_edge makes it
    u, v = next(iter(view.edges))
    assert view.succ[u][v] is view.pred[v][u]


def test_a_node_reading_its_input_twice_and_an_undefined_value():
    f32 = TensorType((2,), np.dtype(np.float32))
    a, b, undefined = Value(f32), Value(f32), Value(f32)
    add = get_op("add")
    g = Graph([a], [Node(add, (a, a), {}, b), Node(add, (b, undefined), {}, Value(f32))], [b])
    view = analysis._build_view(g)
    assert nx.utils.graphs_equal(view, _reference(g))
    assert view.number_of_edges() == 3 and undefined in view


def test_analyses_agree_with_networkx_on_each_value():
    g = _diamond()
    ref = _reference(g)
    values = list(ref.nodes)
    for v in values:
        assert analysis.ancestors(g, [v]) == nx.ancestors(ref, v) | {v}
        assert analysis.descendants(g, [v]) == nx.descendants(ref, v) | {v}
    some = values[::3]
    assert analysis.ancestors(g, some) == set().union(*(nx.ancestors(ref, v) | {v}
                                                         for v in some))
    assert analysis.ancestors(g, []) == set()
    x = g.inputs[0]
    out = g.outputs[0]
    assert analysis.between(g, [x], [out]) == (nx.descendants(ref, x) | {x}) & \
        (nx.ancestors(ref, out) | {out})
    live = analysis.live_nodes(g)
    needed = set().union(*(nx.ancestors(ref, v) | {v} for v in g.outputs))
    assert live == [n for n in g.nodes if n.out in needed] and len(live) == len(g.nodes) - 2


def test_views_are_shared_inside_views_shared_only(monkeypatch):
    g = _diamond()
    built = []
    build = analysis._build_view
    monkeypatch.setattr(analysis, "_build_view", lambda graph: built.append(graph) or
                        build(graph))
    with analysis.views_shared():
        analysis.ancestors(g, g.outputs)
        analysis.descendants(g, g.inputs)
        with analysis.views_shared():           # nested: the outer scope's views
            analysis.between(g, g.inputs, g.outputs)
        analysis.topological_nodes(g)
        other = _diamond()
        analysis.ancestors(other, other.outputs)
    assert built == [g, other]
    # outside, nothing is kept: a big graph's view would hold memory and slow the collector
    analysis.ancestors(g, g.outputs)
    analysis.ancestors(g, g.outputs)
    assert built == [g, other, g, g]
    analysis.between(g, g.inputs, g.outputs)     # both of its searches on one view
    assert built == [g, other, g, g, g]


def test_partition_asks_three_questions_of_one_view(monkeypatch):
    from graphgrad.passes import autodiff, partition

    def f(x, w):
        return (x @ w).tanh().sum()
    g = gg.trace(f, gg.ones(2, 3, requires_grad=True), gg.ones(3, 4, requires_grad=True))
    joint = autodiff(g)
    built = []
    build = analysis._build_view
    monkeypatch.setattr(analysis, "_build_view", lambda graph: built.append(graph) or
                        build(graph))
    forward, backward, n_saved = partition(joint, 1)
    assert built == [joint] and n_saved > 0
