"""The MPI world: one communicator for the process, set up by `init()`."""
import os
import sys
import time

from graphgrad.errors import GraphgradError


class DistributedError(GraphgradError, RuntimeError):
    """Distributed training is not set up, or MPI is missing."""


class _World:
    comm = None


def init():
    """Join the MPI world (every rank calls it once, before any collective). Without `mpiexec`
    the process is a world of one."""
    if _World.comm is None:
        try:
            from mpi4py import MPI
        except ImportError:
            raise DistributedError("graphgrad.distributed needs mpi4py and an MPI library: "
                                   "pip install 'graphgrad[distributed]'") from None
        _World.comm = MPI.COMM_WORLD
        if _World.comm.Get_size() > 1:
            _abort_on_uncaught_exceptions()
    return _World.comm


def _abort_on_uncaught_exceptions():
    """A rank that dies of an exception must stop the whole job: the others would otherwise
    wait forever in their next collective. The traceback is printed with the rank, then
    MPI_Abort ends every rank (as `python -m mpi4py` does)."""
    previous = sys.excepthook

    def hook(kind, value, tb):
        sys.stderr.write(f"graphgrad.distributed: rank {_World.comm.Get_rank()} of "
                         f"{_World.comm.Get_size()} failed; stopping all ranks\n")
        previous(kind, value, tb)
        _abort(1)
    sys.excepthook = hook


def is_initialized():
    return _World.comm is not None


def comm():
    if _World.comm is None:
        raise DistributedError("graphgrad.distributed: call dist.init() first (on every rank)")
    return _World.comm


def rank():
    return comm().Get_rank()


def world_size():
    return comm().Get_size()


def barrier():
    comm().Barrier()


get_rank = rank                 # torch.distributed's names
get_world_size = world_size


def manual_seed(seed):
    """Seed every rank's random stream from one seed: each rank gets its own stream (dropout
    masks differ between ranks, as their data does), derived from `seed` and the rank with
    NumPy's SeedSequence, so a run is reproducible for a given world size. Parameters should
    still come from rank 0 (`broadcast_parameters`, or `DistributedDataParallel`)."""
    import numpy as np

    from graphgrad.rng import manual_seed as seed_generator
    world = comm()
    child = np.random.SeedSequence(seed).spawn(world.Get_size())[world.Get_rank()]
    seed_generator(int(child.generate_state(1, dtype=np.uint64)[0] >> 1))


def timeout_seconds():
    """How long a collective may wait for the other ranks (GRAPHGRAD_DIST_TIMEOUT, default 600
    s) before the job is stopped: a rank that hangs must not keep the others waiting forever."""
    return float(os.environ.get("GRAPHGRAD_DIST_TIMEOUT", "600"))


def wait(request, what):
    """Complete a non-blocking MPI request, or abort the job once the timeout has passed."""
    if request.Test():
        return
    start = time.monotonic()
    spin_until, deadline = start + 0.05, start + timeout_seconds()
    while time.monotonic() < spin_until:      # most waits end here: no sleep latency
        if request.Test():
            return
    pause = 1e-5
    while not request.Test():
        if time.monotonic() > deadline:
            sys.stderr.write(f"graphgrad.distributed: rank {_World.comm.Get_rank()} waited "
                             f"{timeout_seconds():.0f} s in {what} for the other ranks (one of "
                             "them hangs or died); stopping all ranks\n")
            _abort(2)
        time.sleep(pause)
        pause = min(pause * 2, 1e-3)


def _abort(code):
    """MPI_Abort once the message is out: the launcher forwards a rank's output asynchronously,
    and an abort right after writing can lose it."""
    sys.stdout.flush()
    sys.stderr.flush()
    time.sleep(0.5)
    _World.comm.Abort(code)
