"""Dead-code elimination: keep only nodes the outputs depend on (NetworkX reachability)."""
from graphgrad.ir.analysis import dead_free


def dce(graph):
    return dead_free(graph)
