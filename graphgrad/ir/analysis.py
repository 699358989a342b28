"""Graph analyses on a NetworkX view of the IR (the IR list stays the storage).

The view has one NetworkX node per IR value (keyed by the `Value` object) and an edge from each
input value of an IR node to its output value. Every analysis is one traversal, linear in the
graph's size (or n log n), so that compiling a graph of many thousand ops stays fast: reachability
from many values is one multi-source breadth-first search.
"""
import contextlib
import threading
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
    g = _view(graph)
    if not nx.is_directed_acyclic_graph(g):
        cycle = nx.find_cycle(g)
        raise ValueError(f"{graph.name}: cycle through {[str(a) for a, _ in cycle]}")


def _view(graph):
    """A bare NetworkX view for the analyses: the edges only, no attributes. Built straight into
    the DiGraph's documented dict-of-dicts storage (three times faster than `add_edges_from`,
    which checks and copies every edge). Inside `views_shared()`, analyses of one graph share
    one view (graphs are immutable)."""
    shared = getattr(_SHARED, "views", None)
    if shared is None:
        return _build_view(graph)
    key = (id(graph), len(graph.inputs), len(graph.nodes))
    found = shared.get(key)
    if found is None or found[0] is not graph:
        found = shared[key] = (graph, _build_view(graph))
    return found[1]


_SHARED = threading.local()


@contextlib.contextmanager
def views_shared():
    """Analyses in the block build each graph's view once. The views are dropped at the end:
    a big graph's view is hundreds of thousands of dicts, which kept alive would cost memory
    and slow every later garbage collection."""
    outer = getattr(_SHARED, "views", None)
    if outer is None:
        _SHARED.views = {}
    try:
        yield
    finally:
        if outer is None:
            _SHARED.views = None


def _build_view(graph):
    succ = {}
    pred = {}
    for v in graph.inputs:
        succ[v] = {}
        pred[v] = {}
    for n in graph.nodes:
        succ[n.out] = {}
        pred[n.out] = {}
    for n in graph.nodes:
        out = n.out
        into = pred[out]
        for v in n.inputs:
            if v not in succ:           # read but never defined (verify reports it)
                succ[v] = {}
                pred[v] = {}
            into[v] = succ[v][out] = {}     # one attribute dict per edge, shared both ways
    g = nx.DiGraph()
    g._node = {v: {} for v in succ}
    g._adj = succ
    g._succ = succ          # the same descriptor as _adj in NetworkX 3.6; its own dict before
    g._pred = pred
    return g


def _reach(graph, values, forward):
    """`values` and every value reachable from them (along the edges when `forward`, else
    against them): one multi-source NetworkX breadth-first search (a search per value would
    make the analyses quadratic in the graph's size)."""
    view = _view(graph)
    if not forward:
        view = nx.reverse_view(view)
    reached = set(values)
    for layer in nx.bfs_layers(view, [v for v in reached if v in view]):
        reached.update(layer)
    return reached


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


def ancestors(graph, values):
    """All values that `values` depend on, including themselves: one traversal for all."""
    return _reach(graph, values, forward=False)


def descendants(graph, values):
    """All values computed from `values`, including themselves: one traversal for all."""
    return _reach(graph, values, forward=True)


def between(graph, sources, sinks):
    """The values on a path from `sources` to `sinks` (ends included): one view for both
    traversals."""
    with views_shared():
        return _reach(graph, sources, forward=True) & _reach(graph, sinks, forward=False)


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
