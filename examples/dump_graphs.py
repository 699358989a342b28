"""Write the diagrams of a compiled training step: the traced step, its forward, backward and
parameter-update parts and the optimized graph, as .svg when Graphviz's `dot` is installed
(.dot otherwise), with the text form of each graph beside it.

    python examples/dump_graphs.py                      # a small MLP, into graphs/
    python examples/dump_graphs.py --model cnn --out cnn-graphs

The model is deliberately tiny so that the diagrams stay readable.
"""
import os

import common
import numpy as np

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad import nn, optim
from graphgrad.tools import models
from graphgrad.ir.dot import dot_available

VIEWS = ("step", "forward", "backward", "update", "optimized")


def build(kind):
    """(model, example inputs, example targets) for a tiny MLP or CNN."""
    rng = np.random.default_rng(0)
    if kind == "mlp":
        model = models.mlp([4, 8, 3])
        x = rng.standard_normal((16, 4)).astype(np.float32)
    else:
        model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
        x = rng.standard_normal((8, 1, 8, 8)).astype(np.float32)
    return model, gg.tensor(x), gg.tensor(rng.integers(0, 3, len(x)))


def main():
    p = common.parser(__doc__, epochs=1)
    p.add_argument("--model", choices=("mlp", "cnn"), default="mlp")
    p.add_argument("--out", default="graphs", help="output folder (default: graphs/)")
    p.add_argument("--format", choices=("svg", "png", "pdf", "dot"), default=None,
                   help="diagram format (default: svg when Graphviz is installed, else dot)")
    args = p.parse_args()
    if args.eager:
        p.error("--eager: an eager step has no graph to draw")
    common.start(args, f"graphs of a compiled {args.model.upper()} training step (SGD)")
    model, x, y = build(args.model)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    @gg.compile
    def train_step(xb, yb):
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    for epoch in range(1, args.epochs + 1):
        print(f"step {epoch}  loss {train_step(x, y).item():.4f}")
    fmt = args.format or ("svg" if dot_available() else "dot")
    os.makedirs(args.out, exist_ok=True)
    for which in VIEWS:
        graph = train_step.graph(x, y, which=which)
        stem = os.path.join(args.out, f"train_step_{which}")
        graph.save(f"{stem}.{fmt}")
        with open(f"{stem}.txt", "w") as f:
            f.write(str(graph) + "\n")
        print(f"{which:>9}: {len(graph.nodes):3d} nodes -> {stem}.{fmt} and {stem}.txt")
    if fmt == "dot" and args.format is None:
        print("Graphviz's `dot` is not installed: wrote .dot files (apt-get install graphviz "
              "for SVG)")


if __name__ == "__main__":
    main()
