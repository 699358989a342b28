"""`gg.cuda`: torch.cuda's questions, answered for a library that runs on the CPU. Queries say
there is no CUDA device, seeding and cache calls do nothing (as in a CPU-only torch), and calls
that need a device raise a DeviceError (a RuntimeError)."""
from graphgrad.devices import unavailable

__all__ = ["is_available", "device_count", "is_initialized", "manual_seed", "manual_seed_all",
           "seed", "seed_all", "empty_cache", "synchronize", "current_device", "set_device",
           "get_device_name"]


def is_available():
    return False


def device_count():
    return 0


def is_initialized():
    return False


def manual_seed(seed):
    """Nothing to seed: there is no CUDA generator (graphgrad's one generator is seeded by
    gg.manual_seed)."""


def manual_seed_all(seed):
    """Nothing to seed, as manual_seed."""


def seed():
    """Nothing to seed."""


def seed_all():
    """Nothing to seed."""


def empty_cache():
    """No device memory to release."""


def synchronize(device=None):
    raise unavailable("cuda", "gg.cuda.synchronize()")


def current_device():
    raise unavailable("cuda", "gg.cuda.current_device()")


def set_device(device):
    raise unavailable(str(device), "gg.cuda.set_device()")


def get_device_name(device=None):
    raise unavailable("cuda", "gg.cuda.get_device_name()")
