"""`python -m graphgrad bench`: one full training step (forward, cross-entropy, backward,
optimizer update) per measurement, in every mode, on the same data, in the same run.

Columns: graphgrad eager, graphgrad compiled with `passes=[]`, graphgrad compiled, and for the
MLPs a hand-written NumPy step (the practical floor for a NumPy runtime) and the GEMM-only time
(the step's matrix products alone). `--peers` adds PyTorch eager and `torch.compile` (every
workload), JAX `jit` and PyTensor (the MLPs) when they happen to be installed (optional, never
dependencies; see bench_peers.py). Times are medians over many
repeats after warm-up; ratios come from the same run.
"""
import json
import os
import platform
import statistics
import time
import tracemalloc

import numpy as np

WORKLOADS = {
    "tiny": dict(kind="mlp", sizes=(2, 16, 16, 2), batch=32),
    "small": dict(kind="mlp", sizes=(64, 64, 64, 10), batch=64),
    "mnist": dict(kind="mlp", sizes=(784, 256, 128, 10), batch=128),
    "wide": dict(kind="mlp", sizes=(784, 1024, 1024, 10), batch=512),
    "deep-narrow": dict(kind="mlp", sizes=(32,) + (32,) * 16 + (10,), batch=16),
    "cnn": dict(kind="cnn", batch=32, image=28, channels=(8, 16), classes=10),
    "transformer": dict(kind="transformer", batch=16, context=32, vocab=64, dim=64, heads=4,
                        layers=1),
    "transformer-tanh": dict(kind="transformer", batch=16, context=32, vocab=64, dim=64,
                             heads=4, layers=1, gelu="tanh"),
}
DEFAULT_WORKLOADS = tuple(WORKLOADS)
GG_MODES = ("eager", "unoptimized", "compiled")
# --backend: which compiled columns; "numba" is gg.compile(step, backend="numba")
BACKEND_MODES = {"numpy": ("compiled",), "numba": ("numba",), "both": ("compiled", "numba")}
LR, MOMENTUM = 0.01, 0.9


# -- graphgrad ---------------------------------------------------------------------------------

def build_model(workload, seed=0):
    import graphgrad as gg
    from graphgrad.tools import models
    spec = WORKLOADS[workload]
    gg.manual_seed(seed)
    if spec["kind"] == "mlp":
        return models.mlp(spec["sizes"])
    if spec["kind"] == "cnn":
        return models.SmallCNN(1, spec["classes"], spec["image"], spec["channels"])
    model = models.TransformerLM(spec["vocab"], spec["dim"], spec["heads"], spec["layers"],
                                 spec["context"])
    for block in model.blocks:
        block.mlp[1].approximate = spec.get("gelu", "none")       # nn.GELU's default: exact
    return model


def make_data(workload, seed=0):
    """NumPy inputs and integer targets for one batch."""
    spec = WORKLOADS[workload]
    rng = np.random.default_rng(seed)
    if spec["kind"] == "mlp":
        x = rng.standard_normal((spec["batch"], spec["sizes"][0])).astype(np.float32)
        y = rng.integers(0, spec["sizes"][-1], spec["batch"])
    elif spec["kind"] == "cnn":
        x = rng.standard_normal((spec["batch"], 1, spec["image"], spec["image"]))
        x = x.astype(np.float32)
        y = rng.integers(0, spec["classes"], spec["batch"])
    else:
        x = rng.integers(0, spec["vocab"], (spec["batch"], spec["context"]))
        y = rng.integers(0, spec["vocab"], (spec["batch"], spec["context"]))
    return x, y.astype(np.int64)


def make_step(workload, mode, seed=0):
    """(step function, (x, y)) for graphgrad in `mode`: eager, unoptimized or compiled."""
    import graphgrad as gg
    import graphgrad.nn.functional as F
    from graphgrad import optim
    model = build_model(workload, seed)
    opt = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)

    def step(x, y):
        opt.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        loss.backward()
        opt.step()
        return loss

    if mode == "compiled":
        step = gg.compile(step)
    elif mode == "numba":
        step = gg.compile(step, backend="numba")
    elif mode == "unoptimized":
        step = gg.compile(step, passes=[])
    x, y = make_data(workload, seed)
    return step, (gg.tensor(x), gg.tensor(y))


def make_numpy_step(workload, mode, seed=0):
    from graphgrad.tools.bench_reference import GemmOnly, NumpyMLP
    spec = WORKLOADS[workload]
    x, y = make_data(workload, seed)
    if mode == "gemm":
        return GemmOnly(spec["sizes"], spec["batch"]).step, (x, y)
    model = build_model(workload, seed)
    linears = [m for m in model.modules() if type(m).__name__ == "Linear"]
    ref = NumpyMLP([m.weight.numpy() for m in linears], [m.bias.numpy() for m in linears],
                   LR, MOMENTUM)
    return ref.step, (x, y)


# -- optional peers: graphgrad/tools/bench_peers.py -------------------------------------------

def installed(name):
    import importlib.util
    return importlib.util.find_spec(name) is not None


# -- measuring ---------------------------------------------------------------------------------

def time_calls(fn, args, repeat, warmup, budget=2.0):
    """Per-call seconds after `warmup` calls; at most `repeat` calls or about `budget` s."""
    for _ in range(warmup):
        fn(*args)
    start = time.perf_counter()
    fn(*args)
    one = time.perf_counter() - start
    n = max(5, min(repeat, int(budget / max(one, 1e-9))))
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return times


def peak_memory(fn, args, calls=3):
    """Peak bytes allocated (tracemalloc) during a few calls, after warm-up."""
    tracemalloc.start()
    try:
        for _ in range(calls):
            fn(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure(make, repeat, warmup):
    start = time.perf_counter()
    step, args = make()
    step(*args)
    first = time.perf_counter() - start
    times = time_calls(step, args, repeat, warmup)
    result = dict(median_us=statistics.median(times) * 1e6,
                  p10_us=float(np.percentile(times, 10)) * 1e6,
                  p90_us=float(np.percentile(times, 90)) * 1e6,
                  repeats=len(times), first_call_ms=first * 1e3)
    return step, args, result


def run_workload(workload, repeat=200, warmup=20, peers=False, threads=1, backend="numpy"):
    row = {"workload": workload}
    modes = ("eager", "unoptimized") + BACKEND_MODES[backend]
    for mode in modes:
        step, args, r = measure(lambda: make_step(workload, mode), repeat, warmup)
        r["peak_bytes"] = peak_memory(step, args)
        if mode != "eager":
            r["compile_ms"] = step.entry_for(*args).compile_seconds * 1e3
        row[mode] = r
    if WORKLOADS[workload]["kind"] == "mlp":
        for mode in ("numpy", "gemm"):
            row[mode] = measure(lambda: make_numpy_step(workload, mode), repeat, warmup)[2]
    row["main"] = modes[2]     # the ratios are those of the first compiled column
    if peers:
        add_peers(row, repeat, warmup, threads)
    _ratios(row)
    return row


def add_peers(row, repeat=200, warmup=20, threads=1):
    """Time the optional peers on `row`'s workload into it (and its ratios)."""
    for name, make in _peer_makers(row["workload"], threads):
        try:
            row[name] = measure(make, repeat, warmup)[2]
        except Exception as e:          # a peer failing never fails the benchmark
            row[name] = {"error": f"{type(e).__name__}: {e}"[:200]}
    _ratios(row)


def _ratios(row):
    main = row["main"]
    compiled = row[main]["median_us"]
    row["ratios"] = {"compiled/eager": compiled / row["eager"]["median_us"],
                     "compiled/unoptimized": compiled / row["unoptimized"]["median_us"]}
    for ref in ("numpy", "gemm", "torch"):
        if ref in row and "error" not in row[ref]:
            row["ratios"][f"compiled/{ref}"] = compiled / row[ref]["median_us"]
    if main != "numba" and "numba" in row:
        row["ratios"]["numba/compiled"] = row["numba"]["median_us"] / compiled
        for ref in ("numpy", "gemm"):
            if ref in row:
                row["ratios"][f"numba/{ref}"] = row["numba"]["median_us"] / row[ref]["median_us"]


def _peer_makers(workload, threads):
    import sys
    from graphgrad.tools.bench_peers import peer_makers
    return peer_makers(sys.modules[__name__], workload, threads)


def _cpus():
    """The CPUs the process may run on, when that is fewer than the machine has."""
    if not hasattr(os, "sched_getaffinity"):
        return ""
    cpus = sorted(os.sched_getaffinity(0))
    return f"; on CPU {', '.join(map(str, cpus))}" if len(cpus) < (os.cpu_count() or 0) else ""


def machine_info():
    try:
        import threadpoolctl
        pools = [dict(api=p["internal_api"], library=os.path.basename(p.get("filepath") or ""),
                      threads=p["num_threads"]) for p in threadpoolctl.threadpool_info()]
    except ImportError:
        pools = "threadpoolctl not installed"
    return dict(python=platform.python_version(), numpy=np.__version__,
                machine=platform.machine(), system=platform.system(), cpus=os.cpu_count(),
                threads={k: os.environ.get(k, "unset") for k in
                         ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
                blas_pools=pools)


COLUMNS = [("eager", "eager"), ("unoptimized", "passes=[]"), ("compiled", "compiled"),
           ("numba", "numba"),
           ("numpy", "hand NumPy"), ("gemm", "GEMM only"), ("torch", "torch*"),
           ("torch.compile", "torch.compile*"), ("jax.jit", "jax.jit*"), ("pytensor", "PyTensor*")]


def _cell(row, key):
    r = row.get(key)
    if r is None:
        return "-"
    if "error" in r:
        return "error"
    return f"{r['median_us']:.0f}"


def format_table(rows, markdown=False):
    keys = [k for k, _ in COLUMNS if any(k in r for r in rows)]
    header = ([ "workload"] + [title + " µs" for k, title in COLUMNS if k in keys]
              + ["c/eager", "c/numpy", "c/gemm", "c/torch", "compile ms", "peak eager KiB",
                 "peak compiled KiB"])
    # with --backend both: the numba column against the NumPy backend and the floors
    extra = [k for k in ("compiled", "numpy", "gemm")
             if any(f"numba/{k}" in r["ratios"] for r in rows)]
    header += [f"n/{k[0] if k == 'compiled' else k}" for k in extra]
    lines = []
    for r in rows:
        ratios = r["ratios"]
        lines.append([r["workload"]] + [_cell(r, k) for k in keys] + [
            f"{ratios['compiled/eager']:.2f}",
            f"{ratios['compiled/numpy']:.2f}" if "compiled/numpy" in ratios else "-",
            f"{ratios['compiled/gemm']:.2f}" if "compiled/gemm" in ratios else "-",
            f"{ratios['compiled/torch']:.2f}" if "compiled/torch" in ratios else "-",
            f"{r[r.get('main', 'compiled')]['compile_ms']:.0f}",
            f"{r['eager']['peak_bytes'] / 1024:.0f}",
            f"{r[r.get('main', 'compiled')]['peak_bytes'] / 1024:.0f}"]
            + [f"{ratios[f'numba/{k}']:.2f}" if f"numba/{k}" in ratios else "-" for k in extra])
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(cells) + " |" for cells in lines]
        return "\n".join(out)
    widths = [max(len(h), *(len(c[i]) for c in lines)) for i, h in enumerate(header)]
    out = ["  ".join(h.rjust(w) for h, w in zip(header, widths))]
    out += ["  ".join(c.rjust(w) for c, w in zip(cells, widths)) for cells in lines]
    return "\n".join(out)


def plot(rows, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("--plot needs matplotlib: pip install matplotlib (or the examples "
                          "extra)") from None
    keys = [k for k, _ in COLUMNS if any(k in r and "error" not in r[k] for r in rows)]
    fig, ax = plt.subplots(figsize=(1.6 + 1.4 * len(rows), 4.5))
    width = 0.8 / len(keys)
    for j, key in enumerate(keys):
        values = [r[key]["median_us"] / r["eager"]["median_us"]
                  if key in r and "error" not in r[key] else np.nan for r in rows]
        ax.bar(np.arange(len(rows)) + j * width, values, width, label=dict(COLUMNS)[key])
    ax.set_xticks(np.arange(len(rows)) + 0.4 - width / 2)
    ax.set_xticklabels([r["workload"] for r in rows])
    ax.set_ylabel("step time relative to graphgrad eager")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    ax.set_title("graphgrad training step: median time (lower is better)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main(workloads=DEFAULT_WORKLOADS, repeat=200, warmup=20, json_path=None, markdown=False,
         plot_path=None, peers=False, threads=1, out=print, backend="numpy"):
    start = time.perf_counter()
    rows = [run_workload(w, repeat, warmup, False, threads, backend) for w in workloads]
    if peers:
        # after all of graphgrad's columns: torch.compile and JAX leave threads and compiler
        # workers behind that slowed the columns measured after them (mnist's GEMM-only
        # column: 1545 µs after the peers of the workload before, 1086 µs without)
        for row in rows:
            add_peers(row, repeat, warmup, threads)
    info = machine_info()
    pools = info["blas_pools"]
    threads = (", ".join(f"{p['library'] or p['api']}: {p['threads']}" for p in pools)
               if isinstance(pools, list) and pools else f"environment {info['threads']}")
    out(f"graphgrad bench: one SGD(momentum) training step per measurement; median of up to "
        f"{repeat} calls after {warmup} warm-up; BLAS threads: {threads}{_cpus()}")
    out(format_table(rows, markdown))
    out("c/x: compiled time / x time (same run).  * optional peers, never dependencies.  "
        f"Total {time.perf_counter() - start:.0f} s.")
    if json_path:
        with open(json_path, "w") as f:
            json.dump({"machine": info, "rows": rows}, f, indent=2)
    if plot_path:
        out(f"plot written to {plot(rows, plot_path)}")
    return rows
