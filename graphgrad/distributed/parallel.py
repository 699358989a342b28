"""`DistributedDataParallel(model)`: the model's gradients are averaged over all ranks by
`loss.backward()` itself, eagerly and compiled, with no call to add to the training step.

Each forward uses every parameter through `sync_grad`, an op that is the identity forward
and whose gradient is the all-reduce (mean) of the incoming gradient. So the all-reduce is
part of the autograd graph: eager backward runs it, and a compiled step's symbolic backward
contains it between the gradients and the update (the `bucket_all_reduce` pass then merges the
per-parameter all-reduces into a few flat buckets)."""
import contextlib

from graphgrad.dispatch import bind
from graphgrad.distributed.collectives import ALL_REDUCE, broadcast_parameters
from graphgrad.distributed.world import comm
from graphgrad.ir.types import TensorType
from graphgrad.modes import grad_enabled
from graphgrad.nn.module import Module
from graphgrad.ops._core import defop


def _vjp(g, x, *, out):
    return (bind(ALL_REDUCE, g, reduce="mean"),)


SYNC_GRAD = defop("sync_grad", lambda x: TensorType(tuple(x.shape), x.dtype), lambda x: x,
                  _vjp, alias=True,
                  doc="identity; its gradient is the mean of the gradients of all ranks")


class DistributedDataParallel(Module):
    """Wraps `module` (whose parameters are broadcast from rank 0 here): call it as the module;
    `backward()` leaves every rank with the mean gradient over all ranks. Every rank must use
    the same parameters in each forward (torch's `find_unused_parameters=False`)."""

    def __init__(self, module, broadcast=True):
        super().__init__()
        comm()
        self.module = module
        if broadcast:
            broadcast_parameters(module)

    def forward(self, *args, **kwargs):
        if not (grad_enabled() and self.training):
            return self.module(*args, **kwargs)
        with _synced_parameters(self.module):
            return self.module(*args, **kwargs)


@contextlib.contextmanager
def _synced_parameters(module):
    """The module's parameters replaced by their `sync_grad` images for one forward."""
    synced, saved = {}, []
    for m in module.modules():
        for name, p in list(m._parameters.items()):
            if p is None or not p.requires_grad:
                continue
            if id(p) not in synced:
                synced[id(p)] = bind(SYNC_GRAD, p)
            saved.append((m, name, p))
            m._parameters[name] = synced[id(p)]
    try:
        yield
    finally:
        for m, name, p in saved:
            m._parameters[name] = p
