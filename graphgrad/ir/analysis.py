"""Graph analyses on a NetworkX view of the IR (the IR list stays the storage).

The view has one NetworkX node per IR value (keyed by the `Value` object) and an edge from each
input value of an IR node to its output value. Every analysis is one traversal, linear in the
graph's size (or n log n), so that compiling a graph of many thousand ops stays fast: reachability
from many values joins them to one virtual node first.
"""
import weakref

import networkx as nx


def to_networkx(graph):
    g = nx.DiGraph()
    for v, kind in zip(graph.inputs, graph.input_kinds):
        g.add_node(v, op="input", kind=kind, type=str(v.type), name=v.name)
    for i, n in enumerate(graph.nodes):
        g.add_node(n.out, op=n.op.name, index=i, type=str(n.out.type), name=n.out.name)
        for v in n.inputs:
            g.add_edge(v, n.out)
    return g


def check_acyclic(graph):
    g = to_networkx(graph)
    if not nx.is_directed_acyclic_graph(g):
        cycle = nx.find_cycle(g)
        raise ValueError(f"{graph.name}: cycle through {[str(a) for a, _ in cycle]}")


def _view(graph, extra_edges=()):
    """A bare NetworkX view for the analyses: the edges only (no attributes to format), plus
    `extra_edges` linking a virtual source or sink to a set of values."""
    g = nx.DiGraph()
    g.add_nodes_from(graph.inputs)
    g.add_nodes_from(n.out for n in graph.nodes)
    g.add_edges_from((v, n.out) for n in graph.nodes for v in n.inputs)
    g.add_edges_from(extra_edges)
    return g


def topological_nodes(graph, early=None, late=None):
    """The IR nodes in a NetworkX topological order, stable (ties broken by list position);
    nodes for which `early(node)` is true run as soon as their inputs exist, those for which
    `late(node)` is true as late as the others allow. O(E + V log V)."""
    g = _view(graph)
    producer = graph.producers()
    position = {}
    n_nodes = len(graph.nodes)
    for i, n in enumerate(graph.nodes):
        if early is not None and early(n):
            position[n.out] = -1
        elif late is not None and late(n):
            position[n.out] = n_nodes + i
        else:
            position[n.out] = i
    order = nx.lexicographical_topological_sort(g, key=lambda v: (position.get(v, -2),
                                                                 v.id))
    return [producer[v] for v in order if v in producer]


class _End:
    """The virtual node that joins a set of values, so one NetworkX traversal covers them all
    (a traversal per value would make the analyses quadratic in the graph's size)."""


def ancestors(graph, values):
    """All values that `values` depend on, including themselves: one traversal for all."""
    values = set(values)
    end = _End()
    return (nx.ancestors(_view(graph, ((v, end) for v in values)), end)) | values


def descendants(graph, values):
    """All values computed from `values`, including themselves: one traversal for all."""
    values = set(values)
    start = _End()
    return (nx.descendants(_view(graph, ((start, v) for v in values)), start)) | values


def between(graph, sources, sinks):
    """The values on a path from `sources` to `sinks` (ends included): one view for both
    traversals."""
    sources, sinks = set(sources), set(sinks)
    start, end = _End(), _End()
    g = _view(graph, [*((start, v) for v in sources), *((v, end) for v in sinks)])
    return (nx.descendants(g, start) | sources) & (nx.ancestors(g, end) | sinks)


def live_nodes(graph, roots=None):
    """Nodes on which `roots` (default: the outputs) depend, in graph order."""
    needed = ancestors(graph, roots if roots is not None else graph.outputs)
    return [n for n in graph.nodes if n.out in needed]


_DEAD_FREE = weakref.WeakSet()     # graphs known to have no dead node (graphs are immutable)


def dead_free(graph):
    """`graph` without the nodes its outputs do not depend on (itself when there are none).
    Graphs this returned are remembered, so a later pass asking again costs nothing."""
    if graph in _DEAD_FREE:
        return graph
    live = live_nodes(graph)
    if len(live) != len(graph.nodes):
        graph = graph.copy(nodes=live)
    _DEAD_FREE.add(graph)
    return graph


def last_uses(graph):
    """Value -> index of the last node that reads it (outputs are never released)."""
    last = {}
    for i, n in enumerate(graph.nodes):
        for v in n.inputs:
            last[v] = i
    for v in graph.outputs:
        last[v] = len(graph.nodes)
    return last
