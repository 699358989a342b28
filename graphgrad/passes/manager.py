"""Runs a list of passes, recording node counts and time per pass; optional verify and dumps."""
import os
import time

from graphgrad.config import config
from graphgrad.ir.graph import verify as verify_graph


class PassRecord:
    def __init__(self, name, nodes_before, nodes_after, seconds, graph=None):
        self.graph = graph          # the graph after this pass
        self.name = name
        self.nodes_before = nodes_before
        self.nodes_after = nodes_after
        self.seconds = seconds

    def __repr__(self):
        return (f"{self.name}: {self.nodes_before} -> {self.nodes_after} nodes "
                f"({self.seconds * 1e3:.2f} ms)")


def run_passes(graph, passes, verify=None, dump_dir=None):
    """Apply `passes` (functions Graph -> Graph) in order; returns (graph, [PassRecord])."""
    verify = config.verify_passes if verify is None else verify
    records = []
    if dump_dir:
        os.makedirs(dump_dir, exist_ok=True)
        _dump(graph, dump_dir, 0, "input")
    for i, p in enumerate(passes, 1):
        name = getattr(p, "__name__", type(p).__name__)
        before = len(graph.nodes)
        start = time.perf_counter()
        graph = p(graph)
        records.append(PassRecord(name, before, len(graph.nodes), time.perf_counter() - start,
                                  graph))
        if verify:
            verify_graph(graph)
        if dump_dir:
            _dump(graph, dump_dir, i, name)
    return graph, records


def _dump(graph, folder, index, name):
    from graphgrad.ir.dot import write_files
    write_files(graph, os.path.join(folder, f"{graph.name}.{index:02d}.{name}"))
