"""Dead-code elimination: keep only nodes the outputs depend on (NetworkX reachability)."""
from graphgrad.ir.analysis import live_nodes


def dce(graph):
    live = live_nodes(graph)
    if len(live) == len(graph.nodes):
        return graph
    return graph.copy(nodes=live)
