"""`python -m graphgrad demo`: train a classifier with a compiled training step on real data
(scikit-learn's bundled 8x8 digits), write its graph diagrams, and compare eager and compiled
step times.

Without scikit-learn the demo falls back to the generated 3-class spiral problem and says so.
BLAS is limited to one thread while it runs (through threadpoolctl, which scikit-learn
installs): small matrices are faster on one thread, and the timings are steadier.
"""
import contextlib
import os
import time

BENCH_WORKLOADS = ("tiny", "small", "mnist")
TEST_FRACTION = 0.2


def load_data(seed=0):
    """(name, x_train, y_train, x_test, y_test, note), NumPy arrays split 80/20 by class: the
    digits as (N, 1, 8, 8) images in [0, 1] when scikit-learn is installed, else the generated
    spiral problem's (N, 2) points."""
    from graphgrad import datasets
    try:
        x, y = datasets.digits(as_images=True)
        name, note = "scikit-learn digits (1,797 8x8 images, 10 classes)", None
    except ImportError:
        x, y = datasets.spiral(n=200, classes=3, seed=seed)
        name = "generated 3-class spiral (600 points)"
        note = ("scikit-learn is not installed, so the demo trains on the generated spiral "
                "problem instead of the digits; pip install -e \".[examples]\" for the digits")
    (x_train, y_train), (x_test, y_test) = datasets.stratified_split(
        x.numpy(), y.numpy(), test_size=TEST_FRACTION, seed=seed)
    return name, x_train, y_train, x_test, y_test, note


def make_model(x_train, classes):
    """(model, description): a small CNN for images, an MLP for points."""
    from graphgrad import nn
    from graphgrad.tools import models
    if x_train.ndim == 4:
        model = models.SmallCNN(x_train.shape[1], classes, x_train.shape[2], (16, 32))
        return model, "CNN (conv-BatchNorm-ReLU-maxpool x2, linear)"
    features = x_train.shape[1]
    model = nn.Sequential(nn.Linear(features, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                          nn.Linear(64, classes))
    return model, f"MLP {features}-64-64-{classes}"


def _one_blas_thread():
    try:
        import threadpoolctl
    except ImportError:
        return contextlib.nullcontext(), "BLAS threads: library default (threadpoolctl missing)"
    return threadpoolctl.threadpool_limits(1), "BLAS threads: 1 (threadpoolctl)"


def train(model, x_train, y_train, steps, batch_size=64, seed=0, out=print):
    """Train `model` with a compiled whole training step (AdamW, cosine learning rate).
    Returns (compiled step, last batch, last loss, seconds)."""
    import graphgrad as gg
    import graphgrad.nn.functional as F
    from graphgrad import optim
    from graphgrad.utils.data import DataLoader, TensorDataset

    if steps < 1:
        raise ValueError(f"demo: steps must be at least 1, got {steps}")
    opt = optim.AdamW(model.parameters(), lr=1e-2, weight_decay=1e-2)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    batch_size = min(batch_size, len(y_train))
    loader = DataLoader(TensorDataset(gg.tensor(x_train), gg.tensor(y_train)),
                        batch_size=batch_size, shuffle=True, drop_last=True, seed=seed)

    @gg.compile
    def train_step(xb, yb):
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    done, start = 0, time.perf_counter()
    while done < steps:
        for xb, yb in loader:
            loss = train_step(xb, yb)
            sched.step()          # the learning rate is a runtime input: no retrace
            done += 1
            if done % max(steps // 4, 1) == 0:
                out(f"  step {done:4d}  loss {loss.item():.4f}  lr {sched.get_last_lr()[0]:.2e}")
            if done == steps:
                break
    return train_step, (xb, yb), loss.item(), time.perf_counter() - start


def write_graphs(train_step, example, out_dir):
    """Forward, backward and whole-step diagrams (SVG with Graphviz, else .dot) and a listing."""
    from graphgrad.ir.dot import dot_available
    os.makedirs(out_dir, exist_ok=True)
    fmt = "svg" if dot_available() else "dot"
    written = []
    for which in ("forward", "backward", "step"):
        path = os.path.join(out_dir, f"train_step_{which}.{fmt}")
        written.append(train_step.graph(*example, which=which).save(path))
    listing = os.path.join(out_dir, "train_step.txt")
    with open(listing, "w") as f:
        f.write(str(train_step.graph(*example, which="optimized")) + "\n")
    written.append(listing)
    return written, fmt


def run_demo(out_dir="graphgrad-demo", steps=600, out=print, bench_workloads=BENCH_WORKLOADS,
             bench_repeat=100):
    """Train, report test accuracy, write the graphs, print the benchmark table.
    Returns a dict: dataset, accuracy, seconds, files."""
    import graphgrad as gg
    from graphgrad.tools import bench

    name, x_train, y_train, x_test, y_test, note = load_data()
    # after the data: its loaders bring BLAS libraries of their own (scikit-learn's SciPy and
    # OpenMP), and a limit covers only the libraries already loaded
    limit, threads = _one_blas_thread()
    with limit:
        gg.manual_seed(0)
        model, described = make_model(x_train, int(y_train.max()) + 1)
        out(f"graphgrad {gg.__version__} demo: {name}; {described}; AdamW with a cosine "
            "learning-rate schedule; the whole training step compiled")
        if note:
            out(f"  note: {note}")
        out(f"  {len(y_train)} training / {len(y_test)} test examples; {threads}")
        train_step, example, loss, seconds = train(model, x_train, y_train, steps, out=out)
        model.eval()
        with gg.no_grad():
            predicted = model(gg.tensor(x_test)).argmax(1).numpy()
        accuracy = float((predicted == y_test).mean())
        info = train_step.cache_info()
        out(f"  test accuracy {accuracy:.1%} ({int((predicted == y_test).sum())}/{len(y_test)}); "
            f"final training loss {loss:.4f}; {steps} steps in {seconds:.2f} s; traced "
            f"{info.traces} time(s), {info.hits} cached calls")

        model.train()               # the graphs of the training step as it was compiled
        files, fmt = write_graphs(train_step, example, out_dir)
        out(f"  graphs written to {os.path.abspath(out_dir)}/: "
            + ", ".join(os.path.basename(f) for f in files)
            + ("" if fmt == "svg" else " (install Graphviz's `dot` for SVG)"))
        out("")
        out(f"eager vs compiled ({threads}; `python -m graphgrad bench` for all workloads)")
        bench.main(tuple(bench_workloads), repeat=bench_repeat, warmup=5, out=out)
    return {"dataset": name, "accuracy": accuracy, "seconds": seconds, "files": files}
