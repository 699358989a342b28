"""Regenerate the diagrams and listings the documentation shows, with graphgrad itself.

    python docs/gen_diagrams.py                 # writes docs/img/*.svg and docs/listings/*
    python docs/gen_diagrams.py --out DIR       # somewhere else (DIR/img, DIR/listings)
    python docs/gen_diagrams.py --no-svg        # listings only (no Graphviz needed)

SVGs need Graphviz's `dot` program. The generated files are committed, so `mkdocs build` needs
neither Graphviz nor this script. Times in the listings (step, compile and pass times) are
whatever this machine measured when the script last ran, with BLAS limited to one thread.
"""
import argparse
import os
import re
import sys
import textwrap

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad import nn, optim, passes
from graphgrad.ir.dot import dot_available

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


class Writer:
    def __init__(self, out, svg):
        self.img = os.path.join(out, "img")
        self.listings = os.path.join(out, "listings")
        self.svg = svg
        self.written = []
        os.makedirs(self.img, exist_ok=True)
        os.makedirs(self.listings, exist_ok=True)

    def text(self, name, text):
        path = os.path.join(self.listings, name)
        text = text.replace(REPO + os.sep, "")        # source locations relative to the repo
        with open(path, "w") as f:
            f.write(text.rstrip() + "\n")
        self.written.append(path)

    def graph(self, name, graph, listing=True):
        """`name`.txt (the printed graph) and, with Graphviz, img/`name`.svg."""
        if listing:
            self.text(name + ".txt", str(graph))
        if self.svg:
            self.written.append(graph.save(os.path.join(self.img, name + ".svg")))


# -- the examples --------------------------------------------------------------------------------

def tour(w):
    """A three-op function: traced, then compiled with gradients (forward/backward split)."""
    gg.manual_seed(0)

    def f(x, w, b):
        return gg.tanh(x @ w + b).sum()

    x = gg.randn(4, 3)
    wt = gg.randn(3, 2, requires_grad=True)
    b = gg.zeros(2, requires_grad=True)
    traced = gg.trace(f, x, wt, b)
    w.graph("tour_traced", traced)
    w.text("tour_tabular.txt", _capture(traced.print_tabular))
    compiled = gg.compile(f)
    for which in ("joint", "forward", "backward"):
        w.graph(f"tour_{which}", compiled.graph(x, wt, b, which=which))


def op_definition(w):
    """The tanh primitive as defined in graphgrad/ops/elementwise.py, and the registry."""
    path = os.path.join(REPO, "graphgrad", "ops", "elementwise.py")
    with open(path) as f:
        source = f.read()
    text = "\n\n".join(_block(source, start) for start in ("def _unary(", "TANH = ",
                                                             "def tanh("))
    w.text("op_tanh.txt", text)
    registry = gg.ir.REGISTRY
    rows = []
    for name in sorted(registry):
        op = registry[name]
        flags = [flag for flag in ("elementwise", "random", "inplace", "alias", "internal")
                 if getattr(op, flag)]
        grad = "vjp" if op.vjp is not None else "no gradient"
        rows.append(f"{name:24s} {grad:12s} {' '.join(flags)}")
    w.text("op_registry.txt", f"{len(registry)} primitives in graphgrad.ir.REGISTRY\n\n"
           + "\n".join(rows))


def pass_examples(w):
    """Each pass on a small function that shows it: the graph before and after."""
    gg.manual_seed(0)
    x, wt, b = gg.randn(3, 4), gg.randn(4, 5), gg.randn(5)

    def simplify_me(x):
        return (gg.neg(gg.neg(x)) * 1.0 + 0.0).T.T.exp().log()

    def cse_me(x):
        return gg.tanh(x) * gg.tanh(x) + gg.tanh(x)

    def fold_me(x):
        return x * (gg.tensor([1.0, 2.0, 3.0, 4.0]) * 2.0 + 1.0)

    def dce_me(x):
        unused = gg.exp(x) * 3.0     # noqa: F841  (traced, never used)
        return x.sum()

    def fuse_me(x, w, b):
        return gg.relu(x @ w + b) * 0.5 + 1.0

    examples = [("simplify", passes.simplify, simplify_me, (x,)),
                ("cse", passes.cse, cse_me, (x,)),
                ("fold", passes.fold, fold_me, (x,)),
                ("dce", passes.dce, dce_me, (x,)),
                ("fuse", passes.fuse, fuse_me, (x, wt, b))]
    for name, p, fn, args in examples:
        before = gg.trace(fn, *args)
        after = p(before)
        w.text(f"pass_{name}.txt",
               f"# before {name}: {len(before.nodes)} nodes\n{before}\n\n"
               f"# after {name}: {len(after.nodes)} nodes\n{after}")
        if name == "fuse":
            w.graph("pass_fuse_before", before, listing=False)
            w.graph("pass_fuse_after", after, listing=False)


def training_step(w):
    """A whole SGD training step of a small MLP: traced, optimized, scheduled, generated."""
    gg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    @gg.compile
    def train_step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    x, y = gg.randn(16, 4), gg.randint(0, 3, (16,))
    train_step(x, y)
    entry = train_step.entry_for(x, y)
    w.graph("step_traced", train_step.graph(x, y, which="step"))
    w.graph("step_optimized", train_step.graph(x, y, which="optimized"))
    for which in ("forward", "backward", "update"):
        w.graph(f"step_{which}", train_step.graph(x, y, which=which))
    rows = ["| pass | nodes before | nodes after | time (ms) |", "|---|---:|---:|---:|"]
    for records in entry.records.values():
        for r in records:
            rows.append(f"| `{r.name}` | {r.nodes_before} | {r.nodes_after} | "
                        f"{r.seconds * 1e3:.2f} |")
    w.text("step_pipeline.md", "\n".join(rows))
    w.text("step_schedule.txt", str(entry.forward_exe.schedule))
    w.text("step_memory.txt", repr(entry.forward_exe.schedule.memory))
    w.text("step_codegen.txt", entry.forward_exe.source)
    w.text("step_explain.txt", _capture(lambda: train_step.explain(x, y)))
    # eval() changes a guarded flag and retraces; so does a new batch size
    model.eval()
    train_step(x, y)
    train_step(gg.randn(32, 4), gg.randint(0, 3, (32,)))
    info = train_step.cache_info()
    w.text("step_recompiles.txt",
           f"{info}\n\n" + "\n".join(f"recompiled because: {r}"
                                     for r in info.recompile_reasons))


def trace_error(w):
    """The error data-dependent Python gets, pointing at the user's line."""
    source = textwrap.dedent("""\
        import graphgrad as gg

        @gg.compile
        def clipped(x):
            if x.sum() > 0:
                return x
            return -x
    """)
    namespace = {}
    exec(compile(source, "model.py", "exec"), namespace)
    try:
        namespace["clipped"](gg.ones(3))
    except gg.TraceError as e:
        message = f"graphgrad.TraceError: {e}"
    else:
        raise AssertionError("expected a TraceError")
    w.text("trace_error.txt", "\n".join(textwrap.wrap(message, 96)))


def python_blocks(markdown_path):
    """The ```python code blocks of a Markdown file, in order."""
    with open(markdown_path, encoding="utf-8") as f:
        text = f.read()
    return re.findall(r"^```python\n(.*?)^```", text, re.DOTALL | re.MULTILINE)


def run_blocks(blocks, folder, svg=True):
    """Run code blocks in order in one namespace, inside `folder`; returns each one's stdout.
    Without Graphviz, diagrams are saved as .dot instead of .svg."""
    import io
    from contextlib import redirect_stdout
    namespace = {"__name__": "__tutorial__"}
    outputs = []
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        for i, code in enumerate(blocks, 1):
            if not svg:
                code = code.replace('.svg")', '.dot")')
            buffer = io.StringIO()
            with redirect_stdout(buffer):
                exec(compile(code, f"<tutorial block {i}>", "exec"), namespace)
            outputs.append(buffer.getvalue())
    finally:
        os.chdir(cwd)
    return outputs


def tutorial(w):
    """The tutorial's code, run block by block: listings/tutorial_<n>.txt is block n's output."""
    import tempfile
    blocks = python_blocks(os.path.join(HERE, "tutorial.md"))
    with tempfile.TemporaryDirectory() as folder:
        outputs = run_blocks(blocks, folder, svg=dot_available())
    for i, text in enumerate(outputs, 1):
        if text.strip():
            w.text(f"tutorial_{i}.txt", text)


def _block(source, start):
    """The top-level statement of `source` whose first line starts with `start`."""
    lines = source.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(start))
    end = first + 1
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " )"):
        end += 1
    return "\n".join(lines[first:end]).rstrip()


def _one_blas_thread():
    """Timings in the listings are taken with BLAS on one thread (threadpoolctl, when there)."""
    try:
        import threadpoolctl
    except ImportError:
        import contextlib
        return contextlib.nullcontext()
    return threadpoolctl.threadpool_limits(1)


def _capture(fn):
    import io
    from contextlib import redirect_stdout
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        fn()
    return buffer.getvalue()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=HERE, help="folder for img/ and listings/")
    parser.add_argument("--no-svg", action="store_true", help="write the listings only")
    args = parser.parse_args(argv)
    svg = not args.no_svg
    if svg and not dot_available():
        print("Graphviz's `dot` is not installed: writing listings only "
              "(apt-get install -y graphviz for the SVGs)", file=sys.stderr)
        svg = False
    w = Writer(args.out, svg)
    with _one_blas_thread():
        for example in (tour, op_definition, pass_examples, training_step, trace_error,
                        tutorial):
            example(w)
    print(f"wrote {len(w.written)} files under {os.path.abspath(args.out)}")
    return w.written


if __name__ == "__main__":
    main()
