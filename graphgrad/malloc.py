"""glibc's malloc, set up for eager tensors.

Every eager op returns a new NumPy array. By default glibc serves an allocation above
128 KiB with a fresh `mmap` and gives it back to the system when it is freed, and it trims
the heap when more than 128 KiB at its top are free. Its heuristic raises both limits as
large blocks are freed, yet an eager training step keeps freeing and reallocating blocks of
many sizes, and memory that went back to the system costs a page fault per 4 KiB when it is
used again. An eager step of the benchmark's transformer workload took 1,680 page faults
and 1.7-2.4 ms of system time (of 11-14 ms) this way; PyTorch's eager step of the same model
takes about one. Compiled steps allocate their buffers once and are not affected.

`tune()` starts glibc at the limits its heuristic grows to on 64-bit systems: allocations up
to 32 MiB come from the heap, and up to 64 MiB of free memory stays there to be reused, so
a process may hold up to 64 MiB more than it otherwise would. `GRAPHGRAD_MALLOC=system`
keeps glibc's defaults, and so do glibc's own settings when they are given
(`MALLOC_MMAP_THRESHOLD_`, `MALLOC_TRIM_THRESHOLD_`, malloc entries of `GLIBC_TUNABLES`).
"""
import ctypes
import os

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3           # mallopt's parameter numbers (malloc.h)
MMAP_THRESHOLD = 32 << 20      # glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit systems
TRIM_THRESHOLD = 64 << 20      # twice the mmap threshold, as glibc's heuristic sets it


def tune(setting="tuned", environ=os.environ):
    """Set glibc's mmap and trim thresholds unless `setting` is "system", glibc's own
    settings are given, or the C library is not glibc. True when they were set."""
    if setting == "system" or glibc_settings_given(environ):
        return False
    if setting != "tuned":
        raise ValueError(f"GRAPHGRAD_MALLOC must be 'tuned' or 'system', got {setting!r}")
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return False
        mallopt = ctypes.CDLL(None).mallopt
    except (ValueError, OSError, AttributeError):     # not glibc, or no confstr name for it
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))


def glibc_settings_given(environ):
    return ("MALLOC_MMAP_THRESHOLD_" in environ or "MALLOC_TRIM_THRESHOLD_" in environ
            or "glibc.malloc." in environ.get("GLIBC_TUNABLES", ""))
