"""Diagrams (pydot/Graphviz), explain(), GRAPHGRAD_DEBUG_DIR and `python -m graphgrad dump`."""
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

import graphgrad as gg
from helpers import class_batch, small_mlp, training_step
from graphgrad import optim

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot program is not installed")


def _step():
    model = small_mlp()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return training_step(model, opt, compiled=True), class_batch()


@needs_dot
def test_svg_of_a_forward_and_backward_graph_has_the_node_labels(tmp_path):
    step, args = _step()
    path = step.graph(*args, which="step").save(tmp_path / "step.svg")
    svg = open(path).read()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for label in ("matmul", "log_softmax", "f32[16, 8]", "param", "scalar", "grad", "data"):
        assert label in svg, label
    assert "#fde9e9" in svg          # backward nodes are drawn in their own colour
    optimized = step.graph(*args, which="optimized").save(tmp_path / "optimized.svg")
    text = open(optimized).read()
    assert "fused" in text and "cluster" in text


@needs_dot
def test_png_pdf_and_jupyter_svg(tmp_path):
    g = gg.trace(lambda x: gg.tanh(x).sum(), gg.ones(3))
    for suffix in ("png", "pdf"):
        path = g.save(tmp_path / f"g.{suffix}")
        assert os.path.getsize(path) > 100
    assert "<svg" in g._repr_svg_()


def test_fused_nodes_are_clusters_of_their_ops():
    step, args = _step()
    dot = step.graph(*args, which="optimized").to_dot().to_string()
    assert dot.count("subgraph cluster_fused") >= 3
    assert "matmul" in dot and "relu" in dot


def test_explain_reports_key_passes_fusion_and_memory():
    step, args = _step()
    step(*args)
    text = step.explain(*args)
    for needle in ("cache key", "guards", "whole training step", "pass simplify", "pass fuse",
                   "fused: matmul->add->relu", "planned vs", "KiB unplanned", "compile time"):
        assert needle in text, needle


def test_debug_dir_receives_every_compiled_graph(tmp_path):
    gg.config.debug_dir = str(tmp_path)
    try:
        f = gg.compile(lambda x: gg.exp(x) * 2.0)
        f(gg.ones(3))
        f(gg.ones(4))
    finally:
        gg.config.debug_dir = None
    files = sorted(os.listdir(tmp_path))
    assert sum(name.endswith(".traced.txt") for name in files) == 2
    assert any(name.endswith(".forward.dot") for name in files)
    assert "exp" in open(tmp_path / [n for n in files if n.endswith(".traced.txt")][0]).read()


def test_dump_command_writes_forward_backward_and_optimized_graphs(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent("""
        import graphgrad as gg
        import graphgrad.nn.functional as F
        from graphgrad import nn, optim
        model = nn.Linear(4, 3)
        opt = optim.SGD(model.parameters(), lr=0.1)

        @gg.compile
        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss

        def example():
            return step, (gg.randn(8, 4), gg.randint(0, 3, (8,)))
    """))
    out = tmp_path / "graphs"
    result = subprocess.run([sys.executable, "-m", "graphgrad", "dump", f"{script}:example",
                             "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    names = set(os.listdir(out))
    for which in ("traced", "forward", "backward", "optimized"):
        assert f"step.0.{which}.dot" in names and f"step.0.{which}.txt" in names
    assert "matmul" in (out / "step.0.backward.txt").read_text()
    bad = subprocess.run([sys.executable, "-m", "graphgrad", "dump", f"{script}:nope"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "has no attribute 'nope'" in bad.stderr
