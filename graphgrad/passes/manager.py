"""Runs a list of passes, recording node counts and time per pass; optional verify and dumps."""
import contextlib
import gc
import os
import threading
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


_collector = threading.Lock()
_pauses = [0, False]        # compilations under way, whether the collector was on before them


@contextlib.contextmanager
def collector_paused():
    """Python's cyclic garbage collector is off while a graph is traced and optimized. A big
    graph is hundreds of thousands of live objects, and every full collection walks them all
    (a quarter of a 10,000-op compile); the IR holds no reference cycles, so its garbage is
    freed as usual meanwhile. Compilations in several threads: on again when the last ends."""
    with _collector:
        if _pauses[0] == 0:
            _pauses[1] = gc.isenabled()
            gc.disable()
        _pauses[0] += 1
    try:
        yield
    finally:
        with _collector:
            _pauses[0] -= 1
            if _pauses[0] == 0 and _pauses[1]:
                gc.enable()


def run_passes(graph, passes, verify=None, dump_dir=None):
    """Apply `passes` (functions Graph -> Graph) in order; returns (graph, [PassRecord])."""
    with collector_paused():
        return _run(graph, passes, verify, dump_dir)


def _run(graph, passes, verify, dump_dir):
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
