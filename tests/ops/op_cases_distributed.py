"""Op-table entries for the collectives (all_reduce, and sync_grad whose gradient is one), in
a world of one process (where they are the identity); the multi-process behaviour is tested
in tests/distributed/. Only when mpi4py is installed (otherwise graphgrad.distributed is not
imported and the ops are not registered)."""
import importlib.util

import numpy as np
from helpers import OpCase

CASES = []
if importlib.util.find_spec("mpi4py") is not None:
    import graphgrad.distributed as dist
    from graphgrad.dispatch import bind

    dist.init()
    RNG = np.random.default_rng(7)
    CASES = [
        OpCase("all_reduce-sum", "all_reduce",
               lambda x: bind(dist.ALL_REDUCE, x, reduce="sum") * 2.0,
               [RNG.uniform(-2, 2, (3, 4))], lambda x: x * 2.0),
        OpCase("all_reduce-mean", "all_reduce",
               lambda x: bind(dist.ALL_REDUCE, x, reduce="mean"),
               [RNG.uniform(-2, 2, (5,))], lambda x: x),
        OpCase("sync_grad", "sync_grad", lambda x: bind(dist.SYNC_GRAD, x) * 3.0,
               [RNG.uniform(-2, 2, (2, 3))], lambda x: x * 3.0),
    ]
