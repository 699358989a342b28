"""nn.Module's device methods, torch's signatures on a CPU-only library: `to(device)`,
`to(dtype)`, `to(device, dtype)`, `to(tensor)`, `cpu()`, and `cuda()` (which raises). They are
attached to Module when graphgrad.nn is imported."""
from graphgrad import devices
from graphgrad.nn.module import Module

_to_dtype = Module.to           # Module's own in-place cast of floating parameters and buffers


def to(self, *args, **kwargs):
    """Move (a no-op on the CPU) and/or cast the floating-point parameters and buffers in
    place; returns the module. A non-floating dtype is refused, as in torch."""
    kwargs.pop("copy", None)
    _, dtype, _ = devices.to_args(args, kwargs, "Module.to")
    if dtype is not None:
        if dtype.kind != "f":
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired "
                            f"dtype={dtype}")
        _to_dtype(self, dtype)
    return self


def cpu(self):
    return self


def cuda(self, device=None):
    raise devices.unavailable("cuda", f"{type(self).__name__}.cuda()")


Module.to = to
Module.cpu = cpu
Module.cuda = cuda
