"""Graph analyses on a NetworkX view of the IR (the IR list stays the storage).

The view has one NetworkX node per IR value (keyed by the `Value` object) and an edge from each
input value of an IR node to its output value.
"""
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


def topological_nodes(graph, early=None, late=None):
    """The IR nodes in a NetworkX topological order, stable (ties broken by list position);
    nodes for which `early(node)` is true run as soon as their inputs exist, those for which
    `late(node)` is true as late as the others allow."""
    g = to_networkx(graph)
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


def ancestors(graph, values, nxgraph=None):
    """All values that `values` depend on, including themselves."""
    g = nxgraph if nxgraph is not None else to_networkx(graph)
    out = set(values)
    for v in values:
        out |= nx.ancestors(g, v)
    return out


def descendants(graph, values, nxgraph=None):
    """All values computed from `values`, including themselves."""
    g = nxgraph if nxgraph is not None else to_networkx(graph)
    out = set(values)
    for v in values:
        if v in g:
            out |= nx.descendants(g, v)
    return out


def live_nodes(graph, roots=None):
    """Nodes on which `roots` (default: the outputs) depend, in graph order."""
    needed = ancestors(graph, roots if roots is not None else graph.outputs)
    return [n for n in graph.nodes if n.out in needed]


def last_uses(graph):
    """Value -> index of the last node that reads it (outputs are never released)."""
    last = {}
    for i, n in enumerate(graph.nodes):
        for v in n.inputs:
            last[v] = i
    for v in graph.outputs:
        last[v] = len(graph.nodes)
    return last
