"""The LLVM optimization level of generated segments: -O2, where numba uses -O3.

numba optimizes each function's final module at `NUMBA_OPT` (default 3) after linking in the
code of everything the function calls: for a segment, its loop kernels and helpers, which were
already optimized at -O3 on their own. At -O2 a segment's module compiles in a fraction of the
time (the CNN step's segment: full optimization 12.5 s -> 2.2 s, machine code 5.0 -> 1.5 s;
the whole first call 24 -> 16.5 s) and runs as fast (each step interleaved with its -O3 build
in one process, median time ratio 0.99-1.00 on tiny, deep-narrow, mnist, cnn and transformer).
Kernels and helpers keep numba's level: the CNN ran 30% slower with everything at -O2.

numba has no per-function level, so `install` wraps its final-module optimization and lowers
the level while a segment's module is optimized (numba holds its compiler lock throughout). A
lower `NUMBA_OPT`, or `NUMBA_OPT=max`, is left as the user set it; with a numba that lacks the
method, nothing changes.
"""
SEGMENT_LEVEL = 2


def install():
    from numba.core import codegen, config
    library = getattr(codegen, "CPUCodeLibrary", None)
    optimize = getattr(library, "_optimize_final_module", None)
    if optimize is None or getattr(optimize, "graphgrad_segment_level", False):
        return

    def optimize_final_module(self):
        level = config.OPT
        if getattr(level, "is_opt_max", False) or int(level) <= SEGMENT_LEVEL or \
                not _is_segment(self):
            return optimize(self)
        config.OPT = type(level)(SEGMENT_LEVEL)
        try:
            return optimize(self)
        finally:
            config.OPT = level

    optimize_final_module.graphgrad_segment_level = True
    library._optimize_final_module = optimize_final_module


def _is_segment(library):
    """Is this numba library a generated segment (`segment<k>` of a `graphgrad_native_...`
    module, whose name is in the mangled names of its functions)?"""
    if not library.name.startswith("segment"):
        return False
    return any("graphgrad_native_" in f.name and library.name in f.name
               for f in library._final_module.functions)
