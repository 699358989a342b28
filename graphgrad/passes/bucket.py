"""Bucket all-reduces: the per-parameter gradient all-reduces of a data-parallel step (see
graphgrad.distributed) become a few all-reduces of flat buffers, as torch's DDP does with its
25 MiB buckets: one MPI call per bucket instead of one per parameter, which is what makes the
latency term of a step small.

All-reduces of the backward phase that are independent of each other (none reaches another
through the graph) and share a dtype and reduction are grouped in graph order, at most
`BUCKET_BYTES` per group; each group becomes reshape -> cat -> all_reduce -> slice -> reshape.
Every rank compiles the same graph, so every rank makes the same calls in the same order."""
import numpy as np

from graphgrad.ir.analysis import topological_nodes
from graphgrad.ir.graph import Node, Value
from graphgrad.ir.op import get_op
from graphgrad.ir.types import TensorType

BUCKET_BYTES = 25 * 2 ** 20


def bucket_all_reduce(graph, bucket_bytes=None):
    bucket_bytes = BUCKET_BYTES if bucket_bytes is None else bucket_bytes
    # gradients only: a bucket must not span the forward and backward schedules
    reduces = [n for n in graph.nodes if n.op.name == "all_reduce"
               and n.meta.get("phase") == "backward"]
    if len(reduces) < 2:
        return graph
    groups = _groups(graph, reduces, bucket_bytes)
    if all(len(g) == 1 for g in groups):
        return graph
    replaced, new_nodes, dropped = {}, [], set()
    for group in groups:
        if len(group) > 1:
            new_nodes += _bucket(group, replaced)
            dropped.update(id(n) for n in group)
    nodes = []
    for n in graph.nodes:
        if id(n) in dropped:
            continue
        inputs = tuple(replaced.get(v, v) for v in n.inputs)
        nodes.append(n if inputs == n.inputs else Node(n.op, inputs, n.attrs, n.out, n.meta))
    out = graph.copy(nodes=nodes + new_nodes,
                     outputs=[replaced.get(v, v) for v in graph.outputs])
    return out.copy(nodes=topological_nodes(out))


def _groups(graph, reduces, bucket_bytes):
    """All-reduces by wave (1 + the waves of the all-reduces they depend on), then by dtype and
    reduction, in graph order, cut at `bucket_bytes`."""
    level, wave = {}, {}
    for n in graph.nodes:
        depth = max((level.get(v, 0) for v in n.inputs), default=0)
        if n.op.name == "all_reduce":
            depth += 1
            wave[id(n)] = depth
        level[n.out] = depth
    groups, open_groups = [], {}
    for n in reduces:
        key = (wave[id(n)], n.out.type.dtype.str, n.attrs.get("reduce"))
        nbytes = int(np.prod(n.out.type.shape)) * n.out.type.dtype.itemsize
        current = open_groups.get(key)
        if current is None or current[1] + nbytes > bucket_bytes:
            current = open_groups[key] = [[], 0]
            groups.append(current[0])
        current[0].append(n)
        current[1] += nbytes
    return groups


def _node(nodes, op_name, inputs, **attrs):
    op = get_op(op_name)
    t = op.infer(*(v.type for v in inputs), **attrs)
    out = Value(TensorType(tuple(t.shape), np.dtype(t.dtype)))
    nodes.append(Node(op, inputs, attrs, out, {"phase": "backward"}))
    return out


def _bucket(group, replaced):
    nodes = []
    sizes = [int(np.prod(n.out.type.shape)) for n in group]
    flat = [_node(nodes, "reshape", (n.inputs[0],), shape=(size,))
            for n, size in zip(group, sizes)]
    joined = _node(nodes, "cat", tuple(flat), dim=0)
    reduced = _node(nodes, "all_reduce", (joined,), **group[0].attrs)
    start = 0
    for n, size in zip(group, sizes):
        piece = _node(nodes, "getitem", (reduced,), spec=(("s", start, start + size, None),))
        replaced[n.out] = _node(nodes, "reshape", (piece,), shape=tuple(n.out.type.shape))
        start += size
    return nodes
