"""`gg.backends.cudnn`: the flags torch programs set (`benchmark`, `deterministic`, `enabled`,
`allow_tf32`) are plain attributes here; no cuDNN exists."""
import contextlib

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available():
    return False


def version():
    return None


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, deterministic=False, allow_tf32=True):
    """Set the flags inside a `with` block, as torch.backends.cudnn.flags does."""
    names = ("enabled", "benchmark", "deterministic", "allow_tf32")
    saved = {n: globals()[n] for n in names}
    globals().update(enabled=enabled, benchmark=benchmark, deterministic=deterministic,
                     allow_tf32=allow_tf32)
    try:
        yield
    finally:
        globals().update(saved)
