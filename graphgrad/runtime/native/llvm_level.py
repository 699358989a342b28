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

Loops of exp/log/tanh/erf (generated `wide_kernel<k>`s, and the softmax rows) also ask LLVM for
512-bit vectors: on CPUs with AVX-512, LLVM's default is 256-bit ones, and these loops ran
1.5-1.75x faster with 512 (131k float32 values: erf 195 -> 112 us, exp 72 -> 48, tanh 112 -> 76;
PyTorch's own kernels use AVX-512 there too). Plain arithmetic keeps the default: wider vectors
made the short loops of small networks slower. On other CPUs the attribute changes nothing;
`GRAPHGRAD_VECTOR_WIDTH=256` turns it off for generated code.
"""
import os

SEGMENT_LEVEL = 2
VECTOR_WIDTH = os.environ.get("GRAPHGRAD_VECTOR_WIDTH", "512")
# in the (mangled) names of graphgrad's functions: generated loops of exp/log/tanh/erf (codegen
# names them so) and the softmax rows' exp loops
WIDE_FUNCTIONS = ("wide_kernel", "softmax_rows")


def install():
    from numba.core import codegen, config
    library = getattr(codegen, "CPUCodeLibrary", None)
    _install_vector_width(library)
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


def _install_vector_width(library):
    add = getattr(library, "add_ir_module", None)
    if add is None or getattr(add, "graphgrad_vector_width", False):
        return
    attribute = f'"prefer-vector-width"="{int(VECTOR_WIDTH)}"'

    def add_ir_module(self, ir_module):
        for fn in ir_module.functions:
            if (not fn.is_declaration and "graphgrad" in fn.name
                    and any(name in fn.name for name in WIDE_FUNCTIONS)):
                # set.add: llvmlite's attribute set accepts only the attributes it knows
                set.add(fn.attributes, attribute)
        return add(self, ir_module)

    add_ir_module.graphgrad_vector_width = True
    library.add_ir_module = add_ir_module


def _is_segment(library):
    """Is this numba library a generated segment (`segment<k>` of a `graphgrad_native_...`
    module, whose name is in the mangled names of its functions)?"""
    if not library.name.startswith("segment"):
        return False
    return any("graphgrad_native_" in f.name and library.name in f.name
               for f in library._final_module.functions)
