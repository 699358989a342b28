"""Data-parallel training over MPI (the engine under Horovod and torch.distributed's MPI
backend): `mpi4py` with an MPI from PyPI (`pip install graphgrad[distributed]`), launched with
`mpiexec -n N python train.py` on one machine, a hostfile, or Slurm.

    import graphgrad.distributed as dist
    dist.init()
    dist.broadcast_parameters(model)            # every rank starts from rank 0's weights
    ...
    loss.backward()
    dist.all_reduce_gradients(model)            # the mean gradient over all ranks
    opt.step()

`all_reduce` is a graph op: inside `gg.compile` the gradient all-reduce is part of the whole
step's graph, between the backward and the update, and the diagrams show it.
"""
from graphgrad.distributed.collectives import (ALL_REDUCE, all_reduce,  # noqa: F401
                                               all_reduce_gradients, broadcast_optimizer_state,
                                               broadcast_parameters, save)
from graphgrad.distributed.parallel import SYNC_GRAD, DistributedDataParallel  # noqa: F401
from graphgrad.distributed.world import (DistributedError, barrier, get_rank,  # noqa: F401
                                         get_world_size, init, is_initialized,
                                         manual_seed, rank, world_size)

__all__ = ["init", "is_initialized", "rank", "world_size", "get_rank", "get_world_size",
           "barrier", "all_reduce", "DistributedError", "save", "DistributedDataParallel",
           "manual_seed",
           "all_reduce_gradients", "broadcast_parameters", "broadcast_optimizer_state"]
