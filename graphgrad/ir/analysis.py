"""Graph analyses over the IR's node list, each linear in the graph's size (or n log n), so that
compiling a graph of many thousand ops stays fast; and a NetworkX view of the IR for users and
diagrams.

The view has one NetworkX node per IR value (keyed by the `Value` object) and an edge from each
input value of an IR node to its output value.
"""
import heapq

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
    """The IR nodes in a topological order, stable (ties broken by list position); nodes for
    which `early(node)` is true run as soon as their inputs exist, those for which `late(node)`
    is true as late as the others allow. Kahn's algorithm with a heap: O(E + V log V)."""
    n_nodes = len(graph.nodes)
    producer = graph.producers()
    keys = []
    waiting = []                # per node: how many distinct produced inputs it still waits for
    consumers = {}
    for i, n in enumerate(graph.nodes):
        if early is not None and early(n):
            position = -1
        elif late is not None and late(n):
            position = n_nodes + i
        else:
            position = i
        keys.append((position, n.out.id, i))
        pending = {v for v in n.inputs if v in producer}
        waiting.append(len(pending))
        for v in pending:
            consumers.setdefault(v, []).append(i)
    ready = [keys[i] for i in range(n_nodes) if not waiting[i]]
    heapq.heapify(ready)
    order = []
    while ready:
        i = heapq.heappop(ready)[2]
        n = graph.nodes[i]
        order.append(n)
        for j in consumers.get(n.out, ()):
            waiting[j] -= 1
            if not waiting[j]:
                heapq.heappush(ready, keys[j])
    if len(order) != n_nodes:
        raise ValueError(f"{graph.name}: the graph has a cycle")
    return order


def ancestors(graph, values):
    """All values that `values` depend on, including themselves: one walk for all of them, each
    node visited at most once."""
    producer = graph.producers()
    out = set(values)
    stack = list(out)
    while stack:
        node = producer.get(stack.pop())
        if node is None:
            continue
        for v in node.inputs:
            if v not in out:
                out.add(v)
                stack.append(v)
    return out


def descendants(graph, values):
    """All values computed from `values`, including themselves (one walk for all of them)."""
    consumers = {}
    for n in graph.nodes:
        for v in n.inputs:
            consumers.setdefault(v, []).append(n.out)
    out = set(values)
    stack = list(out)
    while stack:
        for v in consumers.get(stack.pop(), ()):
            if v not in out:
                out.add(v)
                stack.append(v)
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
