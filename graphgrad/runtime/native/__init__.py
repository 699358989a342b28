"""The numba backend: a whole schedule as `@njit` functions (see codegen.py), with the same
memory plan and the same calling contract as the NumPy backend's generated function, so the
compiled call's guards, argument handling and fast path are unchanged.

`make_executable(schedule, backend)` is the runtime's one entry point for both backends.
"""
import functools
import hashlib
import os
import time
import warnings

import numpy as np

from graphgrad.runtime.executor import Executable

BACKENDS = ("numpy", "numba")
INSTALL_HINT = "pip install 'graphgrad[fast]' (numba and scipy)"


def check_backend(backend):
    """Raise a clear error for an unknown backend, or numba when it is not installed."""
    if backend not in BACKENDS:
        raise ValueError(f"compile: unknown backend {backend!r}; use 'numpy' or 'numba'")
    if backend == "numba":
        try:
            import numba  # noqa: F401
        except ImportError:
            raise ImportError(f"compile(backend='numba') needs numba: {INSTALL_HINT}") from None


@functools.cache
def _helpers_digest():
    """A digest of the helper modules that generated code inlines or calls: numba's cache of a
    generated module only sees that module's own file, so a changed helper must change the
    module's source (and so its file) to be compiled again."""
    digest = hashlib.sha256()
    folder = os.path.dirname(__file__)
    for name in ("conv_loops.py", "float32_math.py", "llvm_level.py", "support.py", "views.py",
                 os.path.join("..", "..", "ops", "erf_kernels.py")):
        with open(os.path.join(folder, name), "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()[:12]


def make_executable(schedule, backend="numpy"):
    if backend == "numba":
        return NumbaExecutable.build(schedule)
    return Executable(schedule)


class NumbaExecutable(Executable):
    """A schedule run by generated numba segments and, for ops without a native kernel, their
    NumPy kernels in between. `source` holds the driver and the native module; `fallbacks`
    the instructions that run on NumPy, with the reason."""
    backend = "numba"

    @classmethod
    def build(cls, schedule):
        """The native executable, or the NumPy one (with a warning) if numba fails on it."""
        try:
            return cls(schedule)
        except Exception as e:           # a backend limitation must never fail a compile
            warnings.warn(f"graphgrad: the numba backend could not compile "
                          f"{schedule.graph.name} ({type(e).__name__}: {e}); it runs on the "
                          "NumPy backend", stacklevel=2)
            exe = Executable(schedule)
            exe.native_error = f"{type(e).__name__}: {e}"
            return exe

    def __init__(self, schedule):
        from graphgrad.runtime.native.scipy_blas import blas_loaded_alone
        start = time.perf_counter()
        with blas_loaded_alone():
            self._build(schedule)
        self.build_seconds = time.perf_counter() - start

    def _build(self, schedule):
        import numba
        from graphgrad.runtime.native import cache, codegen, llvm_level, support
        from graphgrad.runtime.native.support import CheckFailed
        llvm_level.install()
        self.schedule = schedule
        layout = codegen.Layout(schedule)
        items, self.fallbacks = codegen.split(schedule, layout)
        self.segments = [i for i in items if isinstance(i, codegen.Segment)]
        header = (f"graphgrad native kernels of {schedule.graph.name} (generated; numba "
                  f"{numba.__version__}, numpy {np.__version__}, helpers {_helpers_digest()}, "
                  f"vectors {llvm_level.VECTOR_WIDTH} bits, "
                  f"BLAS {'numpy' if support.NUMPY_CBLAS else 'scipy'})")
        self.module_source = codegen.module_source(schedule, layout, items, header)
        driver, env, self._lines = codegen.driver_source(schedule, layout, items)
        module = cache.load_module(self.module_source) if self.segments else None
        env["_CheckFailed"] = CheckFailed
        for seg in self.segments:
            env[f"_{seg.name}"] = getattr(module, seg.name)
        self.driver_source = driver
        self.source = driver + "\n# native segments\n" + self.module_source
        exec(compile(driver, f"<graphgrad:numba:{schedule.graph.name}>", "exec"), env)
        self.run = env["run"]
        self.module = module
        self._warm_up(layout)

    def _warm_up(self, layout):
        """Compile (or load from numba's cache) every segment now, on zeros of the expected
        types, rather than in the middle of the first call."""
        from graphgrad.runtime.native.support import CheckFailed
        for seg in self.segments:
            args = []
            for kind, ref in seg.writer.params.values():
                if kind == "arena":
                    args.append(layout.arenas[ref])
                elif kind == "const":
                    args.append(layout.constants[ref])
                else:
                    t = layout.types[ref]
                    args.append(np.zeros(t.shape, t.dtype))
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")     # numba's performance hints
                    getattr(self.module, seg.name)(*args)
            except CheckFailed:
                pass

    def describe(self):
        """Lines for `explain`: segments and the ops that run on NumPy."""
        n = len(self.schedule.instructions)
        native = sum(len(s.instructions) for s in self.segments)
        lines = [f"    backend numba: {native}/{n} instructions native in "
                 f"{len(self.segments)} segment(s)"]
        if self.fallbacks:
            ops = sorted({ins.node.op.name for ins, _ in self.fallbacks})
            lines.append(f"    on NumPy (no native kernel): {', '.join(ops)}")
            for ins, reason in self.fallbacks:
                lines.append(f"      {ins.label.split('  [')[0]}: {reason}")
        return lines
