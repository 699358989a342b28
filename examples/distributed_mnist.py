"""Data-parallel Fashion-MNIST training over MPI: an MLP (784-512-256-10) or a small CNN,
each rank training on its own shard of every batch, gradients averaged by
`DistributedDataParallel` inside the compiled step, rank 0 writing checkpoints.

    mpiexec -n 2 python examples/distributed_mnist.py            # MLP, compiled
    mpiexec -n 2 python examples/distributed_mnist.py --model cnn
    mpiexec -n 4 python examples/distributed_mnist.py --resume ckpt.gg   # continue a run

Reads the real Fashion-MNIST from the files of Debian's `dataset-fashion-mnist` package (or
--root). The global batch (--batch-size) is split evenly over the ranks, so N ranks follow the
same trajectory as one process with the whole batch. Needs `pip install "graphgrad[distributed]"`.
"""
import argparse
import os
import time

import numpy as np

import graphgrad as gg
import graphgrad.distributed as dist
import graphgrad.nn.functional as F
from graphgrad import datasets, nn, optim
from graphgrad.utils.data import DistributedSampler


def model_for(kind):
    if kind == "mlp":
        return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                             nn.Linear(256, 10))
    return nn.Sequential(nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, 16, 3, padding=1),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 7 * 7, 10))


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=256, help="global batch (all ranks)")
    p.add_argument("--limit", type=int, default=None, help="use only N training samples")
    p.add_argument("--root", default=None, help="folder of the IDX files (default: Debian's)")
    p.add_argument("--checkpoint", default="distributed_mnist.gg")
    p.add_argument("--resume", default=None, help="a checkpoint to continue from")
    p.add_argument("--eager", action="store_true")
    args = p.parse_args()

    dist.init()
    rank, size = dist.rank(), dist.world_size()
    if args.batch_size % size:
        raise SystemExit(f"--batch-size {args.batch_size} is not a multiple of {size} ranks")
    try:
        x, y = datasets.fashion_mnist(args.root, train=True)
        x_test, y_test = datasets.fashion_mnist(args.root, train=False)
    except FileNotFoundError as e:
        raise SystemExit(f"{e}\n(apt-get install dataset-fashion-mnist, or pass --root)")
    x, y, x_test, y_test = (t.numpy() for t in (x, y, x_test, y_test))
    if args.limit:
        x, y = x[:args.limit], y[:args.limit]

    gg.manual_seed(0)
    model = model_for(args.model)
    opt = optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    start_epoch = 0
    if args.resume:
        ckpt = gg.load(args.resume)
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["opt"])
        start_epoch = ckpt["epoch"]
    ddp = dist.DistributedDataParallel(model)          # rank 0's weights everywhere

    def train_step(xb, yb):
        opt.zero_grad()
        loss = F.cross_entropy(ddp(xb), yb)
        loss.backward()                               # the mean gradient over all ranks
        opt.step()
        return loss
    step = train_step if args.eager else gg.compile(train_step)

    sampler = DistributedSampler(np.arange(len(x)), size, rank, shuffle=True, seed=0,
                                 drop_last=True)
    per_rank = args.batch_size // size
    for epoch in range(start_epoch, args.epochs):
        sampler.set_epoch(epoch)
        order = np.fromiter(sampler, dtype=np.int64)
        t0, losses = time.perf_counter(), []
        for i in range(0, len(order) - per_rank + 1, per_rank):
            idx = order[i:i + per_rank]
            losses.append(float(step(gg.tensor(x[idx]), gg.tensor(y[idx]))))
        seconds = time.perf_counter() - t0
        loss = dist.all_reduce(gg.tensor(np.mean(losses)), op="mean").item()
        dist.save({"model": model.state_dict(), "opt": opt.state_dict(), "epoch": epoch + 1},
                  args.checkpoint)
        if rank == 0:
            model.eval()
            with gg.no_grad():
                pred = model(gg.tensor(x_test)).argmax(1).numpy()
            model.train()
            samples = len(order) // per_rank * args.batch_size
            print(f"epoch {epoch + 1}: loss {loss:.4f}, test accuracy "
                  f"{(pred == y_test).mean():.2%}, {samples / seconds:,.0f} samples/s on "
                  f"{size} rank(s)", flush=True)
    if rank == 0 and os.path.exists(args.checkpoint):
        print(f"checkpoint: {args.checkpoint}")


if __name__ == "__main__":
    main()
