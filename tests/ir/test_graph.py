"""The IR: printing, verification, the NetworkX view, subgraphs and diagrams."""
import networkx as nx
import numpy as np
import pytest

import graphgrad as gg
from graphgrad.ir import Graph, GraphBuilder, Node, TensorType, Value, get_op
from graphgrad.ir.analysis import descendants, last_uses, live_nodes, topological_nodes
from graphgrad.ir.subgraph import subgraph


def _example():
    def f(x, w):
        return gg.relu(x @ w + 1.0).sum(1)
    return gg.trace(f, gg.ones(2, 3), gg.ones(3, 4))


def test_printed_graph_is_stable_and_readable():
    expected = "\n".join([
        "f(%x: f32[2,3], %w: f32[3,4]) {",
        "  %0: f32[2,4] = matmul(%x, %w)",
        "  %1: f32[] = constant(value=1.)",
        "  %2: f32[2,4] = add(%0, %1)",
        "  %3: f32[2,4] = relu(%2)",
        "  %4: f32[2] = sum(%3; dims=(1,), keepdim=False)",
        "  return (%4)",
        "}",
    ])
    assert str(_example()) == expected
    assert str(_example()) == expected          # ids differ between traces, the text does not


def test_print_tabular_lists_every_value(capsys):
    _example().print_tabular()
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["name", "op", "inputs", "attrs", "shape", "dtype"]
    assert len(out) == 2 + 2 + 5 + 1            # header, rule, inputs, nodes, output
    assert out[4].split()[:3] == ["%0", "matmul", "%x,"]


def test_verify_accepts_traced_graphs_and_rejects_broken_ones():
    g = _example()
    g.verify()
    add = get_op("add")
    a = Value(TensorType((2,), np.dtype(np.float32)))
    b = Value(TensorType((2,), np.dtype(np.float32)))
    out = Value(TensorType((2,), np.dtype(np.float32)))
    with pytest.raises(ValueError, match="before it is defined"):
        Graph([a], [Node(add, (a, b), {}, out)], [out]).verify()
    wrong = Value(TensorType((3,), np.dtype(np.float32)))
    with pytest.raises(ValueError, match="its rule says"):
        Graph([a, b], [Node(add, (a, b), {}, wrong)], [wrong]).verify()
    with pytest.raises(ValueError, match="never computed"):
        Graph([a], [], [out]).verify()
    with pytest.raises(ValueError, match="fails its shape rule"):
        c = Value(TensorType((3,), np.dtype(np.float32)))
        Graph([a, c], [Node(add, (a, c), {}, out)], [out]).verify()


def test_verify_detects_cycles_with_networkx():
    neg = get_op("neg")
    a = Value(TensorType((2,), np.dtype(np.float32)))
    b = Value(TensorType((2,), np.dtype(np.float32)))
    g = Graph([], [Node(neg, (b,), {}, a), Node(neg, (a,), {}, b)], [b])
    with pytest.raises(ValueError):
        g.verify()
    assert not nx.is_directed_acyclic_graph(g.to_networkx())


def test_networkx_view_and_analyses():
    g = _example()
    view = g.to_networkx()
    assert view.number_of_nodes() == 2 + 5
    assert view.number_of_edges() == 6
    assert nx.is_directed_acyclic_graph(view)
    assert [n.op.name for n in topological_nodes(g)] == [n.op.name for n in g.nodes]
    x = g.inputs[0]
    assert len(descendants(g, [x])) == 1 + 4     # x, matmul, add, relu, sum; not the constant
    last = last_uses(g)
    assert last[x] == 0 and last[g.outputs[0]] == len(g.nodes)


def test_live_nodes_drop_unused_values():
    b = GraphBuilder("dead")
    x = b.add_input(TensorType((3,), np.dtype(np.float32)))
    used = b.add_node(get_op("exp"), [x], {})
    b.add_node(get_op("log"), [x], {})
    g = b.finish([used])
    assert [n.op.name for n in live_nodes(g)] == ["exp"]
    assert [n.op.name for n in gg.passes.dce(g).nodes] == ["exp"]
    assert len(g.nodes) == 2                    # the pass did not touch its input


def test_subgraph_cuts_inputs_and_outputs():
    g = _example()
    middle = subgraph(g, g.nodes[2:4], "middle")
    middle.verify()
    assert [n.op.name for n in middle.nodes] == ["add", "relu"]
    assert len(middle.inputs) == 2 and len(middle.outputs) == 1


def test_dot_diagram_labels_and_dot_file(tmp_path):
    g = _example()
    dot = g.to_dot()
    text = dot.to_string()
    assert "matmul" in text and "f32[2, 4]" in text and "param" not in text
    path = g.save(tmp_path / "g.dot")
    assert "digraph" in open(path).read()


def test_rendering_without_graphviz_names_the_program(tmp_path, monkeypatch):
    import graphgrad.ir.dot as dot
    monkeypatch.setattr(dot, "dot_available", lambda: False)
    with pytest.raises(RuntimeError, match="Graphviz's `dot`.*apt-get install -y graphviz"):
        _example().save(tmp_path / "g.svg")
    _example().save(tmp_path / "g.dot")
