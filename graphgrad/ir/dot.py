"""Graph diagrams through pydot (imported lazily). SVG/PNG/PDF need Graphviz's `dot` program."""
import os
import shutil

from graphgrad.ir.printer import format_attrs, value_names
from graphgrad.ir.types import short_dtype

_INPUT_STYLE = {
    "arg": dict(shape="ellipse", style="filled", fillcolor="#cfe8ff"),
    "param": dict(shape="box", style="filled,rounded", fillcolor="#ffe3a8"),
    "buffer": dict(shape="box", style="filled,rounded", fillcolor="#f3e0c0"),
    "state": dict(shape="box", style="filled,rounded", fillcolor="#f3e0c0"),
    "grad": dict(shape="box", style="filled,rounded", fillcolor="#f6c8c8"),
    "scalar": dict(shape="diamond", style="filled", fillcolor="#e6e6e6"),
    "seed": dict(shape="ellipse", style="filled", fillcolor="#f6c8c8"),
    "saved": dict(shape="ellipse", style="filled", fillcolor="#e0d4f5"),
}
_PHASE_COLOR = {"forward": "#ffffff", "backward": "#fde9e9", "update": "#e9f7e9"}
_CONSTANT_OPS = {"constant", "full", "iota"}


def _pydot():
    try:
        import pydot
    except ImportError:
        raise ImportError("graph diagrams need pydot: pip install pydot") from None
    return pydot


def _label(*lines):
    return "\n".join(lines)


def to_dot(graph, rankdir="TB"):
    """A pydot.Dot of the graph: op, shape and dtype on every node; roles drawn differently."""
    pydot = _pydot()
    names = value_names(graph)
    dot = pydot.Dot(graph_name=_safe(graph.name), graph_type="digraph", rankdir=rankdir)
    dot.set_node_defaults(fontname="Helvetica", fontsize="10")
    for v, kind in zip(graph.inputs, graph.input_kinds):
        style = _INPUT_STYLE.get(kind, _INPUT_STYLE["arg"])
        dot.add_node(pydot.Node(_id(v), label=_quote(_label(f"%{names[v]}", kind, str(v.type))),
                                **style))
    for n in graph.nodes:
        inner = n.subgraphs()
        if inner:
            _add_cluster(pydot, dot, n, next(iter(inner.values())), names)
            continue
        dot.add_node(_node(pydot, n, f"%{names[n.out]} = {n.op.name}"))
        for v in n.inputs:
            dot.add_edge(pydot.Edge(_id(v), _id(n.out)))
    for i, (v, kind) in enumerate(zip(graph.outputs, graph.output_kinds)):
        out_id = f"output_{i}"
        dot.add_node(pydot.Node(out_id, label=_quote(f"output {i}\n{kind}"), shape="doubleoctagon",
                                style="filled", fillcolor="#c8f0c8"))
        dot.add_edge(pydot.Edge(_id(v), out_id))
    return dot


def _node(pydot, n, title):
    attrs = format_attrs({k: v for k, v in n.attrs.items() if k not in n.subgraphs()})
    label = _label(title, *([attrs[:60]] if attrs else []),
                   f"{short_dtype(n.out.dtype)}{list(n.out.shape)}")
    phase = n.meta.get("phase", "forward")
    style = dict(shape="box", style="filled", fillcolor=_PHASE_COLOR.get(phase, "#ffffff"))
    if n.op.name in _CONSTANT_OPS:
        style = dict(shape="note", style="filled", fillcolor="#eeeeee")
    return pydot.Node(_id(n.out), label=_quote(label), **style)


def _add_cluster(pydot, dot, node, graph, names):
    """A node holding an inner graph (fused) as a cluster of the ops inside it; the inner
    graph's last op computes the node's value."""
    phase = node.meta.get("phase", "forward")
    cluster = pydot.Cluster(f"{node.op.name}_{node.out.id}",
                            label=_quote(f"%{names[node.out]}: {node.op.name}"),
                            style="dashed,rounded", color="#7a5cc4",
                            bgcolor="#f6f2ff" if phase == "forward" else "#fbeff6")
    dot.add_subgraph(cluster)
    for inner in graph.nodes:
        title = inner.op.name if inner is not graph.nodes[-1] else \
            f"%{names[node.out]} = {inner.op.name}"
        drawn = _node(pydot, inner, title)
        drawn.set("fillcolor", "#e9e1ff")
        cluster.add_node(drawn)
        for v in inner.inputs:
            dot.add_edge(pydot.Edge(_id(v), _id(inner.out)))


def _id(value):
    return f"v{value.id}"


def _safe(name):
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "graph"


def _quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dot_available():
    return shutil.which("dot") is not None


def _missing_dot(fmt):
    return RuntimeError(
        f"rendering a graph as .{fmt} needs Graphviz's `dot` program, which is not on PATH. "
        "Install it (Debian/Ubuntu: apt-get install -y graphviz; macOS: brew install graphviz; "
        "conda: conda install graphviz) or save as .dot, which always works.")


def save(graph, path, **kwargs):
    """Write the diagram; the format comes from the suffix (.dot, .svg, .png, .pdf)."""
    path = os.fspath(path)
    fmt = os.path.splitext(path)[1].lstrip(".").lower()
    if fmt not in ("dot", "gv", "svg", "png", "pdf"):
        raise ValueError(f"graph.save: unknown format {fmt!r}; use .dot, .svg, .png or .pdf")
    dot = to_dot(graph, **kwargs)
    if fmt in ("dot", "gv"):
        with open(path, "w") as f:
            f.write(dot.to_string())
        return path
    if not dot_available():
        raise _missing_dot(fmt)
    data = dot.create(format=fmt)
    with open(path, "wb") as f:
        f.write(data)
    return path


def repr_svg(graph):
    if not dot_available():
        return None
    return to_dot(graph).create(format="svg").decode("utf-8")


def write_files(graph, stem, svg=False):
    """`stem.txt` (the printed graph) and `stem.dot` (when pydot is installed), plus
    `stem.svg` when asked and Graphviz's `dot` exists. Returns the paths written."""
    written = [stem + ".txt"]
    with open(stem + ".txt", "w") as f:
        f.write(str(graph) + "\n")
    try:
        written.append(save(graph, stem + ".dot"))
    except ImportError:
        return written
    if svg and dot_available():
        written.append(save(graph, stem + ".svg"))
    return written
