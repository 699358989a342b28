"""Eager vs compiled benchmarks: one full training step (forward, cross-entropy, backward, SGD
update) per measurement, medians over many repeats after warm-up, ratios from the same run."""
import json
import os
import platform
import statistics
import time
import tracemalloc

import numpy as np

WORKLOADS = {
    "tiny": dict(sizes=(2, 16, 16, 2), batch=32),
    "small": dict(sizes=(64, 64, 64, 10), batch=64),
    "mnist": dict(sizes=(784, 256, 128, 10), batch=128),
    "wide": dict(sizes=(784, 1024, 1024, 10), batch=512),
    "deep-narrow": dict(sizes=(32,) + (32,) * 16 + (10,), batch=16),
}
DEFAULT_WORKLOADS = ("tiny", "small", "mnist")


def mlp(sizes):
    from graphgrad import nn
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def make_step(workload, mode, seed=0):
    """A fresh model + SGD(momentum) step function for `mode` in eager/compiled/unoptimized."""
    import graphgrad as gg
    import graphgrad.nn.functional as F
    from graphgrad import optim
    spec = WORKLOADS[workload]
    gg.manual_seed(seed)
    model = mlp(spec["sizes"])
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    if mode == "compiled":
        step = gg.compile(step)
    elif mode == "unoptimized":
        step = gg.compile(step, passes=[])
    rng = np.random.default_rng(seed)
    x = gg.tensor(rng.standard_normal((spec["batch"], spec["sizes"][0])).astype(np.float32))
    y = gg.tensor(rng.integers(0, spec["sizes"][-1], spec["batch"]))
    return step, (x, y)


def time_calls(fn, args, repeat, warmup):
    for _ in range(warmup):
        fn(*args)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return times


def peak_memory(fn, args, calls=3):
    tracemalloc.start()
    try:
        for _ in range(calls):
            fn(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run_workload(workload, repeat, warmup, modes=("eager", "unoptimized", "compiled")):
    row = {"workload": workload}
    for mode in modes:
        step, args = make_step(workload, mode)
        start = time.perf_counter()
        step(*args)
        first = time.perf_counter() - start
        times = time_calls(step, args, repeat, warmup)
        row[mode] = dict(median_us=statistics.median(times) * 1e6,
                         p10_us=float(np.percentile(times, 10)) * 1e6,
                         p90_us=float(np.percentile(times, 90)) * 1e6,
                         first_call_ms=first * 1e3,
                         peak_bytes=peak_memory(step, args))
        if mode != "eager":
            row[mode]["compile_ms"] = step.entry_for(*args).compile_seconds * 1e3
    row["speedup"] = row["eager"]["median_us"] / row["compiled"]["median_us"]
    return row


def machine_info():
    return dict(python=platform.python_version(), numpy=np.__version__,
                machine=platform.machine(), processor=platform.processor() or "unknown",
                cpus=os.cpu_count(),
                threads={k: os.environ.get(k, "unset") for k in
                         ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})


def format_table(rows, markdown=False):
    header = ["workload", "eager µs", "passes=[] µs", "compiled µs", "speedup", "compile ms",
              "peak eager KB", "peak compiled KB"]
    lines = []
    for r in rows:
        lines.append([r["workload"], f"{r['eager']['median_us']:.0f}",
                      f"{r['unoptimized']['median_us']:.0f}",
                      f"{r['compiled']['median_us']:.0f}", f"{r['speedup']:.2f}x",
                      f"{r['compiled']['compile_ms']:.1f}",
                      f"{r['eager']['peak_bytes'] / 1024:.0f}",
                      f"{r['compiled']['peak_bytes'] / 1024:.0f}"])
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(cells) + " |" for cells in lines]
        return "\n".join(out)
    widths = [max(len(h), *(len(c[i]) for c in lines)) for i, h in enumerate(header)]
    out = ["  ".join(h.rjust(w) for h, w in zip(header, widths))]
    out += ["  ".join(c.rjust(w) for c, w in zip(cells, widths)) for cells in lines]
    return "\n".join(out)


def main(workloads=DEFAULT_WORKLOADS, repeat=200, warmup=20, json_path=None, markdown=False,
         out=print):
    rows = [run_workload(w, repeat, warmup) for w in workloads]
    info = machine_info()
    out(f"graphgrad bench: one SGD training step per measurement, median of {repeat} after "
        f"{warmup} warm-up; threads {info['threads']}")
    out(format_table(rows, markdown))
    if json_path:
        with open(json_path, "w") as f:
            json.dump({"machine": info, "rows": rows}, f, indent=2)
    return rows
