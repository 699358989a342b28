"""Write examples/quickstart.ipynb: graphgrad's quick tour as a Jupyter notebook.

    python examples/make_notebook.py              # run the cells and store their outputs
    python examples/make_notebook.py --no-run     # cells only, no outputs

The notebook is plain JSON (nbformat 4), written with the json module only. With --run (the
default) the cells are executed here, in order, in one namespace, and their printed output and
the value of each cell's last expression are stored as the cell's outputs, with the inline SVG
Jupyter would show for graphs (when Graphviz's `dot` is installed), so the graphs are visible
without running the notebook.
"""
import argparse
import ast
import contextlib
import io
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NOTEBOOK = os.path.join(HERE, "quickstart.ipynb")

CELLS = [
    ("markdown", """\
# graphgrad quickstart

graphgrad is a PyTorch-style deep-learning framework on NumPy whose heart is a static-graph
compiler. This notebook trains a small model eagerly, compiles its training step with
`@gg.compile`, and looks at the compiled graphs, which Jupyter draws inline.

Set-up: `pip install -e ".[examples]" jupyter` from the repository root. Inline diagrams need
Graphviz's `dot` program (`apt-get install graphviz`, `brew install graphviz` or
`conda install graphviz`); without it graphs show as text."""),
    ("code", """\
import time

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad import datasets, nn, optim

gg.__version__"""),
    ("markdown", """\
## Eager mode

Tensors and autograd work like PyTorch's: every op runs immediately on NumPy."""),
    ("code", """\
x = gg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
loss = (x * x).sum()
loss.backward()
x.grad"""),
    ("markdown", """\
## A model trained eagerly

The generated three-arm spiral, a small MLP, Adam, and a training step written as in
PyTorch."""),
    ("code", """\
gg.manual_seed(0)
x, y = datasets.spiral(n=100, classes=3)
model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 3))
opt = optim.Adam(model.parameters(), lr=0.02)

def train_step(xb, yb):
    opt.zero_grad()
    loss = F.cross_entropy(model(xb), yb)
    loss.backward()
    opt.step()
    return loss

for i in range(100):
    loss = train_step(x, y)
print(f"eager: loss {loss.item():.4f}")"""),
    ("markdown", """\
## Compiled

`gg.compile` traces the function once per input signature: the forward pass, the backward
pass (derived symbolically) and the optimizer update become one graph, which the compiler
simplifies, fuses and runs as a generated tape of NumPy calls."""),
    ("code", """\
compiled_step = gg.compile(train_step)

for name, step in (("eager", train_step), ("compiled", compiled_step)):
    step(x, y)                                  # warm-up; the compiled one traces here
    start = time.perf_counter()
    for i in range(100):
        loss = step(x, y)
    print(f"{name:8s} loss {loss.item():.4f}  "
          f"{(time.perf_counter() - start) / 100 * 1e6:6.0f} µs per step")
compiled_step.cache_info()"""),
    ("markdown", """\
## The graph, inline

A graph displays itself as a diagram (inputs are ellipses, parameters and optimizer state
rounded boxes, the learning rate and momentum diamonds, backward nodes pink, fused kernels
dashed clusters, outputs octagons). This is the whole training step after the compiler's
passes:"""),
    ("code", """\
compiled_step.graph(x, y, which="optimized")"""),
    ("markdown", """\
`print(graph)` gives the same graph as text, one node per line. The backward phase of the
step, before fusion:"""),
    ("code", """\
print(compiled_step.graph(x, y, which="backward"))"""),
    ("markdown", """\
## A function with gradients

Compiling a function whose output requires grad splits it into a forward graph and a backward
graph; the forward one saves what the backward one needs."""),
    ("code", """\
def f(x, w, b):
    return gg.tanh(x @ w + b).sum()

xs = gg.randn(4, 3)
w = gg.randn(3, 2, requires_grad=True)
b = gg.zeros(2, requires_grad=True)
cf = gg.compile(f)
cf.graph(xs, w, b, which="backward")"""),
    ("code", """\
report = cf.explain(xs, w, b)          # cache key, passes, fused groups, memory plan"""),
    ("markdown", """\
## Eager vs compiled

The built-in benchmark times one full training step in each mode (here with few repeats;
`python -m graphgrad bench` from a shell runs every workload with BLAS on one thread)."""),
    ("code", """\
from graphgrad.tools import bench

rows = bench.main(["tiny", "small"], repeat=20, warmup=5)"""),
    ("markdown", """\
## Next

- `python -m graphgrad demo`: a CNN trained compiled on the bundled digits, with its diagrams.
- The documentation in `docs/` (`mkdocs serve`): the tutorial, how the compiler works, the API
  reference."""),
]


def _lines(text):
    return text.splitlines(keepends=True)


def _one_blas_thread():
    """Timings in the stored outputs are taken with BLAS on one thread (threadpoolctl, which
    scikit-learn installs, when it is there)."""
    try:
        import threadpoolctl
    except ImportError:
        return contextlib.nullcontext()
    return threadpoolctl.threadpool_limits(1)


def run_cell(code, namespace):
    """Execute a cell as Jupyter would: (stdout text, value of the last expression or None)."""
    tree = ast.parse(code)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(tree, "<cell>", "exec"), namespace)
        value = eval(compile(last, "<cell>", "eval"), namespace) if last is not None else None
    return buffer.getvalue(), value


def _outputs(stdout, value, count):
    outputs = []
    if stdout:
        outputs.append({"output_type": "stream", "name": "stdout", "text": _lines(stdout)})
    if value is not None:
        data = {"text/plain": _lines(repr(value))}
        svg = getattr(value, "_repr_svg_", None)
        svg = svg() if callable(svg) else None
        if svg:
            data["image/svg+xml"] = _lines(svg)
        outputs.append({"output_type": "execute_result", "execution_count": count,
                        "data": data, "metadata": {}})
    return outputs


def build(run=True):
    """The notebook as a dict."""
    namespace = {"__name__": "__main__"}
    cells = []
    count = 0
    for i, (kind, source) in enumerate(CELLS):
        cell = {"cell_type": kind, "id": f"cell-{i:02d}", "metadata": {},
                "source": _lines(source)}
        if kind == "code":
            count += 1
            cell["execution_count"] = count if run else None
            if run:
                with _one_blas_thread():
                    cell["outputs"] = _outputs(*run_cell(source, namespace), count)
            else:
                cell["outputs"] = []
        cells.append(cell)
    return {"cells": cells,
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                        "name": "python3"},
                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-run", action="store_true", help="write the cells without outputs")
    parser.add_argument("--out", default=NOTEBOOK)
    args = parser.parse_args(argv)
    notebook = build(run=not args.no_run)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(notebook, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
