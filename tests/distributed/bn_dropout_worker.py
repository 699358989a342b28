"""One rank of a data-parallel run of a model with BatchNorm and dropout (launched by
test_distributed.py): per-rank random streams from one seed, DistributedDataParallel, eager or
compiled. Every rank saves its weights, running statistics and first dropout mask."""
import sys

import numpy as np

import graphgrad as gg
import graphgrad.distributed as dist
import graphgrad.nn.functional as F
from graphgrad import nn, optim


def main(mode, out):
    dist.init()
    rank = dist.rank()
    gg.manual_seed(0)                  # the same initial weights everywhere
    model = nn.Sequential(nn.Linear(5, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(16, 3)).to(gg.float64)
    ddp = dist.DistributedDataParallel(model)
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    dist.manual_seed(1234)             # then one random stream per rank

    def step(x, y):
        opt.zero_grad()
        loss = F.mse_loss(ddp(x), y)
        loss.backward()
        opt.step()
        return loss
    fn = gg.compile(step) if mode == "compiled" else step
    rng = np.random.default_rng(1)
    mask = None
    for i in range(50):
        x, y = rng.standard_normal((8, 5)), rng.standard_normal((8, 3))
        x, y = gg.tensor(x[rank * 4:(rank + 1) * 4]), gg.tensor(y[rank * 4:(rank + 1) * 4])
        fn(x, y)
        if i == 0:
            mask = (nn.Dropout(0.5)(gg.ones(64, dtype=gg.float64)).numpy() > 0)
    np.savez(f"{out}.rank{rank}.npz", mask=mask,
             running_mean=model[1].running_mean.numpy(),
             *[p.numpy() for p in model.parameters()])


if __name__ == "__main__":
    main(*sys.argv[1:3])
