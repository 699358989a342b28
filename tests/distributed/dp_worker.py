"""One rank of a data-parallel run (launched by test_distributed.py with mpiexec): trains a
small MLP on its shard of each batch and has rank 0 save the losses and final weights."""
import sys

import numpy as np

import graphgrad as gg
import graphgrad.distributed as dist
import graphgrad.nn.functional as F
from graphgrad import nn, optim


def make(optimizer, dtype="float64"):
    gg.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 3)).to(getattr(gg, dtype))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9) if optimizer == "sgd" else \
        optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.1)
    return model, opt


def batches(steps, batch, dtype="float64"):
    rng = np.random.default_rng(1)
    return [(rng.standard_normal((batch, 5)).astype(dtype),
             rng.standard_normal((batch, 3)).astype(dtype)) for _ in range(steps)]


def train(model, opt, data, compiled, shard=None, distributed=False):
    def step(x, y):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        if distributed is True:
            dist.all_reduce_gradients(model)
        opt.step()
        return loss
    fn = gg.compile(step) if compiled else step
    losses = []
    for x, y in data:
        if shard is not None:
            x, y = x[shard], y[shard]
        loss = fn(gg.tensor(x), gg.tensor(y))
        if distributed:
            loss = dist.all_reduce(loss.detach().clone(), op="mean")
        losses.append(float(loss))
    return np.array(losses), [p.numpy().copy() for p in model.parameters()]


def main(mode, optimizer, out, how="explicit", dtype="float64", steps=50, per_rank=4):
    dist.init()
    rank, size = dist.rank(), dist.world_size()
    if size != 2:
        raise SystemExit(f"expected 2 ranks, got {size}: mpiexec and mpi4py use different MPIs")
    model, opt = make(optimizer, dtype)
    if rank != 0:                     # different weights: broadcast must make them equal
        for p in model.parameters():
            p.data.add_(1.0)
    data = batches(steps, per_rank * size, dtype)
    shard = slice(rank * per_rank, (rank + 1) * per_rank)
    if how == "ddp":                  # backward() itself averages the gradients
        ddp = dist.DistributedDataParallel(model)
        losses, _ = train(ddp, opt, data, mode == "compiled", shard, distributed="loss")
        weights = [p.numpy().copy() for p in model.parameters()]
    else:
        dist.broadcast_parameters(model)
        losses, weights = train(model, opt, data, mode == "compiled", shard, distributed=True)
    if rank == 0:
        np.savez(out, losses=losses, *weights)


if __name__ == "__main__":
    main(*sys.argv[1:6])
