"""What generated native modules import from graphgrad (kept tiny: they are cached on disk
and loaded in other processes)."""


class CheckFailed(Exception):
    """Raised by a native data check (e.g. class indices in range); the driver then runs the
    op's NumPy kernel, which raises the error that names the bad value."""
