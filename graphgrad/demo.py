"""`python -m graphgrad demo`: train a classifier with a compiled training step, write its graph
diagrams, and compare eager and compiled step times."""
import os
import time

import numpy as np


def run_demo(out_dir="graphgrad-demo", steps=600, out=print):
    import graphgrad as gg
    import graphgrad.nn.functional as F
    from graphgrad import bench, datasets, nn, optim
    from graphgrad.ir.dot import dot_available

    gg.manual_seed(0)
    x, y = datasets.spiral(n=200, classes=3, seed=0)
    n_train = 480
    x_train, y_train, x_test, y_test = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                          nn.Linear(64, 3))
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.StepLR(opt, step_size=200, gamma=0.5)

    @gg.compile
    def train_step(xb, yb):
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    out(f"graphgrad {gg.__version__} demo: 3-class spiral, MLP 2-64-64-3, Adam, "
        f"compiled training step")
    start = time.perf_counter()
    for i in range(steps):
        loss = train_step(x_train, y_train)
        sched.step()
        if (i + 1) % (steps // 4) == 0:
            out(f"  step {i + 1:4d}  loss {loss.item():.4f}  lr {sched.get_last_lr()[0]:.4g}")
    elapsed = time.perf_counter() - start
    with gg.no_grad():
        accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    info = train_step.cache_info()
    out(f"  test accuracy {accuracy:.1%} on {len(y_test)} held-out points; {steps} steps in "
        f"{elapsed:.2f} s; traced {info.traces} time(s)")

    os.makedirs(out_dir, exist_ok=True)
    fmt = "svg" if dot_available() else "dot"
    written = []
    for which in ("forward", "backward", "step"):
        path = os.path.join(out_dir, f"train_step_{which}.{fmt}")
        train_step.graph(x_train, y_train, which=which).save(path)
        written.append(path)
    with open(os.path.join(out_dir, "train_step.txt"), "w") as f:
        f.write(str(train_step.graph(x_train, y_train, which="step")) + "\n")
    out(f"  graphs written to {os.path.abspath(out_dir)}/ ({', '.join(map(os.path.basename, written))}"
        + ("" if fmt == "svg" else "; install Graphviz for SVG") + ")")

    out("")
    bench.main(("tiny", "small", "mnist"), repeat=60, warmup=10, out=out)
    return accuracy
