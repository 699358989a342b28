"""Collectives as graphgrad ops. `all_reduce` is a primitive: its kernel calls MPI Allreduce,
and its gradient is an all-reduce of the incoming gradient (the same sum over ranks), so it
serves eager autograd, tracing and the symbolic backward alike. It is marked so that passes
never merge, fold or drop it: every rank must make the same calls in the same order."""
import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import DTypeError
from graphgrad.ir.types import TensorType
from graphgrad.ops._core import defop, describe
from graphgrad.distributed.world import comm, wait


def _infer(x, *, reduce):
    if x.dtype.kind not in "fiu":
        raise DTypeError(f"all_reduce: expects a numeric tensor, got {describe(x)}")
    return TensorType(tuple(x.shape), x.dtype)


def _kernel(x, *, reduce):
    from mpi4py import MPI
    world = comm()
    out = np.empty(x.shape, x.dtype)       # row-major, as the send buffer is made
    send = np.asarray(x, order="C")        # a copy only when x is not row-major already
    if world.Get_size() == 1:
        out[...] = send
    else:
        wait(world.Iallreduce(send, out, op=MPI.SUM), f"all_reduce of {x.shape} {x.dtype}")
    if reduce == "mean":
        out /= world.Get_size()
    return out


def _vjp(g, x, *, out, reduce):
    return (bind(ALL_REDUCE, g, reduce=reduce),)


# `random=True`: like a random draw, an all-reduce must never be merged with another or
# computed at compile time
ALL_REDUCE = defop("all_reduce", _infer, _kernel, _vjp, random=True,
                   doc="sum or mean of a tensor over all ranks (MPI Allreduce)")


def all_reduce(tensor, op="sum"):
    """Replace `tensor`'s values by their sum (or mean) over all ranks, in place (as
    torch.distributed.all_reduce), and return it."""
    if op not in ("sum", "mean"):
        raise ValueError(f"all_reduce: op must be 'sum' or 'mean', got {op!r}")
    comm()
    reduced = bind(ALL_REDUCE, tensor, reduce=op)
    from graphgrad.modes import no_grad
    with no_grad():
        tensor.copy_(reduced)
    return tensor


def all_reduce_gradients(model_or_params, bucket_bytes=25 * 2 ** 20):
    """Average the `.grad` of every parameter over all ranks, a few flat buckets at a time
    (one all-reduce per bucket of at most `bucket_bytes`, like torch's DDP). Call it after
    `backward()` and before the optimizer step; inside `gg.compile` it becomes part of the
    graph."""
    from graphgrad.modes import no_grad
    from graphgrad.ops import cat, reshape, split
    params = list(model_or_params.parameters()) if hasattr(model_or_params, "parameters") \
        else list(model_or_params)
    with_grad = [p for p in params if p.grad is not None]
    for bucket in _buckets(with_grad, bucket_bytes):
        grads = [p.grad for p in bucket]
        with no_grad():
            flat = cat([reshape(g, (-1,)) for g in grads]) if len(grads) > 1 else \
                reshape(grads[0], (-1,))
            flat = bind(ALL_REDUCE, flat, reduce="mean")
            pieces = split(flat, [int(np.prod(g.shape)) for g in grads]) if len(grads) > 1 \
                else (flat,)
            for p, piece in zip(bucket, pieces):
                p.grad = reshape(piece, p.shape)


def _buckets(params, bucket_bytes):
    """Consecutive parameters of one dtype, at most `bucket_bytes` per bucket."""
    bucket, size, dtype = [], 0, None
    for p in params:
        nbytes = int(np.prod(p.shape)) * p.dtype.itemsize
        if bucket and (size + nbytes > bucket_bytes or p.dtype != dtype):
            yield bucket
            bucket, size = [], 0
        bucket.append(p)
        size += nbytes
        dtype = p.dtype
    if bucket:
        yield bucket


def broadcast_parameters(model, root=0):
    """Every rank gets rank `root`'s parameters and buffers (call once, before training)."""
    for t in list(model.parameters()) + list(model.buffers()):
        _broadcast_into(t, root)


def broadcast_optimizer_state(optimizer, root=0):
    """Every rank gets rank `root`'s optimizer state tensors and hyperparameters."""
    world = comm()
    groups = world.bcast([{k: v for k, v in g.items() if k != "params"}
                          for g in optimizer.param_groups], root=root)
    for mine, theirs in zip(optimizer.param_groups, groups):
        mine.update(theirs)
    for group in optimizer.param_groups:
        for p in group["params"]:
            state = dict.get(optimizer.state, p)
            has = world.bcast(sorted(state) if state else [], root=root)
            for key in has:
                value = dict.get(state, key) if state else None
                if hasattr(value, "_data"):
                    _broadcast_into(value, root)
                else:
                    value = world.bcast(value, root=root)
                    if state is not None:
                        state[key] = value


def _broadcast_into(t, root):
    data = np.array(t._data, order="C")       # a row-major copy that keeps 0-d tensors 0-d
    comm().Bcast(data, root=root)
    t._write(data)


def save(obj, path, root=0):
    """`gg.save` on rank `root` only (atomically, as gg.save writes), then a barrier: when it
    returns on any rank, the checkpoint is complete. Every rank can `gg.load` it, with any
    world size."""
    from graphgrad.serialization import save as save_file
    world = comm()
    error = None
    if world.Get_rank() == root:
        try:
            save_file(obj, path)
        except Exception as e:          # every rank learns of it: no rank waits forever
            error = f"{type(e).__name__}: {e}"
    error = world.bcast(error, root=root)
    if error is not None:
        raise OSError(f"dist.save: rank {root} could not write {path}: {error}")
