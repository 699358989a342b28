"""Eager per-op overhead: median microseconds per call of common ops on tiny tensors (where the
kernel costs next to nothing, so the time is graphgrad's own Python), without and with grad,
and one eager training step of the tiny MLP; PyTorch alongside when it is installed.

    python -m graphgrad.tools.bench_eager [--repeat 31] [--number 2000]
"""
import argparse
import statistics
import time
import timeit

import numpy as np


def _cases(lib, a, b, w, grad):
    add, mul, mm, relu = (lambda: a + b), (lambda: a * b), (lambda: a @ w), (lambda: a.relu())
    cases = {"add": add, "mul": mul, "add scalar": lambda: a + 1.0, "matmul": mm,
             "relu": relu, "sum": lambda: a.sum()}
    if grad:
        cases["mul+sum+backward"] = lambda: (a * b).sum().backward()
    return cases


def _tensors(lib, grad):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in ((4, 4), (4, 4), (4, 4))]
    if lib == "torch":
        import torch
        return [torch.tensor(x, requires_grad=grad) for x in arrays]
    import graphgrad as gg
    return [gg.tensor(x, requires_grad=grad) for x in arrays]


def time_call(fn, repeat, number):
    """Median over `repeat` runs of the per-call time of `fn` in microseconds, and the spread
    (max - min of the middle half, as a fraction of the median)."""
    fn()
    # CPU time of this process: on a shared machine, time spent descheduled is not counted
    runs = sorted(t / number * 1e6 for t in timeit.repeat(fn, repeat=repeat, number=number,
                                                          timer=time.process_time))
    med = statistics.median(runs)
    q = len(runs) // 4
    return med, (runs[-q - 1] - runs[q]) / med


def mlp_step(lib):
    """One eager training step (forward, cross-entropy, backward, SGD) of the tiny MLP."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 2)).astype(np.float32)
    y = rng.integers(0, 2, 32)
    if lib == "torch":
        import torch
        import torch.nn.functional as F
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(),
                                    torch.nn.Linear(16, 16), torch.nn.ReLU(),
                                    torch.nn.Linear(16, 2))
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x, y = torch.tensor(x), torch.tensor(y)
    else:
        import graphgrad as gg
        import graphgrad.nn.functional as F
        from graphgrad.tools import models
        gg.manual_seed(0)
        model = models.mlp((2, 16, 16, 2))
        opt = gg.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x, y = gg.tensor(x), gg.tensor(y)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return step


def run(repeat=31, number=2000, libs=("graphgrad", "torch")):
    rows = {}
    for lib in libs:
        if lib == "torch":
            try:
                import torch
                torch.set_num_threads(1)
            except ImportError:
                continue
        for grad in (False, True):
            a, b, w = _tensors(lib, grad)
            for name, fn in _cases(lib, a, b, w, grad).items():
                key = name + (" (grad)" if grad else "")
                rows.setdefault(key, {})[lib] = time_call(fn, repeat, number)
        rows.setdefault("tiny MLP step", {})[lib] = time_call(mlp_step(lib), repeat,
                                                              max(1, number // 20))
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=31)
    p.add_argument("--number", type=int, default=2000)
    p.add_argument("--libs", nargs="+", default=["graphgrad", "torch"])
    args = p.parse_args(argv)
    rows = run(args.repeat, args.number, tuple(args.libs))
    libs = [lib for lib in args.libs if any(lib in r for r in rows.values())]
    print(f"{'us per call (median, spread)':32}" + "".join(f"{lib:>22}" for lib in libs)
          + ("    ratio" if len(libs) == 2 else ""))
    for name, r in rows.items():
        cells = "".join(f"{r[lib][0]:12.2f} (±{r[lib][1]:4.0%})   " if lib in r else " " * 22
                        for lib in libs)
        ratio = f"{r[libs[0]][0] / r[libs[1]][0]:8.2f}x" if len(libs) == 2 else ""
        print(f"{name:32}{cells}{ratio}")


if __name__ == "__main__":
    main()
