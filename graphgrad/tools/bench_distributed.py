"""Data-parallel throughput: one bench workload's compiled training step (SGD with momentum,
`DistributedDataParallel`), the global batch split over the MPI ranks.

    python -m graphgrad.tools.bench_distributed --workload wide                 # 1 process
    mpiexec -n 2 python -m graphgrad.tools.bench_distributed --workload wide    # 2 ranks

Rank 0 prints the median step time, samples per second, the bytes each rank all-reduces per
step, the number of all-reduce calls in the compiled step (after bucketing) and the time of
that all-reduce alone, so the figures
can be plugged into the cost model of docs/distributed.md.
"""
import argparse
import time

import numpy as np


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workload", default="wide")
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--threads", type=int, default=1, help="BLAS threads per rank")
    args = p.parse_args()
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(args.threads)
    except ImportError:
        pass
    import graphgrad as gg
    import graphgrad.distributed as dist
    import graphgrad.nn.functional as F
    from graphgrad import optim
    from graphgrad.tools.bench import build_model, make_data

    dist.init()
    rank, size = dist.rank(), dist.world_size()
    model = build_model(args.workload)
    ddp = dist.DistributedDataParallel(model)
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    @gg.compile
    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(ddp(x), y)
        loss.backward()
        opt.step()
        return loss
    x, y = make_data(args.workload)
    if len(x) % size:
        raise SystemExit(f"the batch of {len(x)} does not split over {size} ranks")
    per = len(x) // size
    xb, yb = gg.tensor(x[rank * per:(rank + 1) * per]), gg.tensor(y[rank * per:(rank + 1) * per])
    for _ in range(5):
        step(xb, yb)
    times = []
    for _ in range(args.steps):
        dist.barrier()
        t0 = time.perf_counter()
        step(xb, yb)
        times.append(time.perf_counter() - t0)
    median = float(np.median(times))
    median = dist.all_reduce(gg.tensor([median], dtype=gg.float64), op="mean").item()
    grad_bytes = sum(int(np.prod(p.shape)) * p.dtype.itemsize for p in model.parameters())
    buffer, reduce_times = gg.zeros(grad_bytes // 4), []
    for _ in range(args.steps):                   # the all-reduce alone, same size
        dist.barrier()
        t0 = time.perf_counter()
        dist.all_reduce(buffer)
        reduce_times.append(time.perf_counter() - t0)
    reduce_time = float(np.median(reduce_times))
    if rank == 0:
        calls = [n.op.name for n in step.graph(xb, yb, which="joint").nodes].count("all_reduce")
        print(f"{args.workload}: {size} rank(s), global batch {len(x)}, step "
              f"{median * 1e3:.2f} ms (median of {args.steps}), {len(x) / median:,.0f} "
              f"samples/s, {grad_bytes / 2 ** 20:.2f} MiB all-reduced per step in {calls} "
              f"call(s); that all-reduce alone {reduce_time * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
