"""A data-parallel run with a checkpoint every 5 steps (launched by test_distributed.py):
`python resume_worker.py DIR KILL_AT` kills rank 1 at step KILL_AT (0: never); a run finding
DIR/ckpt.gg resumes from it. Rank 0 writes the final loss to DIR/final.txt."""
import os
import sys


import graphgrad as gg
import graphgrad.distributed as dist
from dp_worker import batches, make

STEPS, EVERY, PER_RANK = 30, 5, 4


def main(folder, kill_at):
    dist.init()
    rank, size = dist.rank(), dist.world_size()
    model, opt = make("adamw")
    path = os.path.join(folder, "ckpt.gg")
    start = 0
    if os.path.exists(path):
        ckpt = gg.load(path)
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["opt"])
        start = ckpt["step"]
    dist.broadcast_parameters(model)

    @gg.compile
    def step(x, y):
        opt.zero_grad()
        loss = gg.nn.functional.mse_loss(model(x), y)
        loss.backward()
        dist.all_reduce_gradients(model)
        opt.step()
        return loss
    data = batches(STEPS, PER_RANK * 2)
    per = PER_RANK * 2 // size            # the same global batch on any world size
    shard = slice(rank * per, (rank + 1) * per)
    loss = None
    for i in range(start, STEPS):
        if rank == 1 and kill_at and i == kill_at:
            os.kill(os.getpid(), 9)
        x, y = data[i]
        loss = step(gg.tensor(x[shard]), gg.tensor(y[shard]))
        loss = float(dist.all_reduce(loss.detach().clone(), op="mean"))
        if (i + 1) % EVERY == 0:
            dist.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": i + 1},
                      path)
    if rank == 0:
        with open(os.path.join(folder, "final.txt"), "w") as f:
            f.write(repr(float(loss)))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
