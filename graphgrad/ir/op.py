"""The op registry: every primitive is one `Op` record, defined once in `graphgrad.ops`.

- `infer(*inputs, **attrs) -> TensorType`: the shape/dtype rule. Inputs are anything with `.shape`
  and `.dtype` (NumPy arrays in eager mode, IR values while tracing), so the checks, and the
  errors, are the same in both modes.
- `impl(*arrays, **attrs) -> ndarray`: the NumPy kernel. A NumPy ufunc, or a function that
  stands for one (`impl.ufunc`, see `Op.ufunc`), is called inline by compiled schedules.
- `vjp(g, *inputs, out, **attrs) -> tuple`: the gradient rule, written with graphgrad op
  functions only, so it computes numbers eagerly and emits graph nodes while tracing. One entry
  per input, None where there is no gradient.
- `kernel(in_types, **attrs) -> callable(*arrays)`: optional; a specialised kernel for the
  compiled runtime (e.g. a bound `np.reshape`), or None for these types. Defaults to `impl`
  with the attrs bound.
- `out_impl(out, *arrays, **attrs) -> out`: optional; the kernel writing into a preallocated
  array, which lets the runtime plan memory. `defop` derives it for NumPy ufuncs.
- `out_kernel(in_types, **attrs) -> callable(out, *arrays)`: optional; `out_impl` specialised
  to the static input types (choices made once per schedule, not per call), or None.
- `expr(args, out, in_types, **attrs) -> str`: optional; a Python expression template for the
  generated code (e.g. `x.reshape(shape)`), so the runtime calls NumPy without a wrapper frame.
- `view_put(base, new, *rest, **attrs) -> Tensor or None`: optional, for ops whose result may
  be a view of input 0 (reshape, permute, basic indexing, detach): the base's value once the
  view has been overwritten by `new` (written with op functions, like a VJP). None: the result
  is not a view for these attrs. In-place updates of views go through it while tracing.
Flags: `inplace` (out_impl may write over an input of the output's shape), `alias` (the result
may be a view of input 0: reshape, permute, ...), `internal` (made by compiler passes, never
called from user code), `vjp_needs` (the VJP rule takes `needs`, one bool per input, and skips
gradients nobody needs), `check` (the kernel validates data, e.g. class indices in range: the
runtime runs it as early as possible, before any state is written), `broadcast` (a broadcast
view, which NumPy ufuncs perform by themselves: fused kernels skip it, folding keeps it
symbolic), `fusion_head` (may head a fused group whose elementwise ops post-process its result,
as matmul + bias + activation).
"""
from dataclasses import dataclass
from functools import partial
from typing import Callable, Optional

import numpy as np

REGISTRY = {}


@dataclass(frozen=True, eq=False)
class Op:
    name: str
    infer: Callable
    impl: Callable
    vjp: Optional[Callable] = None
    kernel: Optional[Callable] = None
    elementwise: bool = False      # same-shape-as-broadcast output, candidates for fusion
    random: bool = False           # draws from the generator: never merged, never folded
    nullary: bool = False          # no tensor inputs (constants, factories, random)
    out_impl: Optional[Callable] = None
    out_kernel: Optional[Callable] = None
    expr: Optional[Callable] = None
    view_put: Optional[Callable] = None
    inplace: bool = False
    alias: bool = False
    internal: bool = False
    vjp_needs: bool = False
    check: bool = False
    broadcast: bool = False
    fusion_head: bool = False
    doc: str = ""

    @property
    def differentiable(self):
        return self.vjp is not None

    @property
    def ufunc(self):
        """The NumPy ufunc `impl` is, or stands for, else None: compiled schedules call it
        inline. An eager kernel that only takes a faster route for some shapes (the kernel
        factories give compiled code its own) names its ufunc as `impl.ufunc`."""
        impl = self.impl
        return impl if isinstance(impl, np.ufunc) else getattr(impl, "ufunc", None)

    def make_kernel(self, in_types, attrs):
        """A callable(*arrays) for the runtime with the attributes already bound."""
        if self.kernel is not None:
            kernel = self.kernel(in_types, **attrs)
            if kernel is not None:          # None: nothing better than impl for these types
                return kernel
        if attrs:
            return partial(self.impl, **attrs)
        return self.impl

    def make_out_kernel(self, attrs, in_types=None):
        """A callable(out, *arrays) with the attributes bound, or None."""
        if self.out_impl is None:
            return None
        if self.out_kernel is not None and in_types is not None:
            kernel = self.out_kernel(in_types, **attrs)
            if kernel is not None:
                return kernel
        if attrs:
            return partial(self.out_impl, **attrs)
        return self.out_impl

    def __repr__(self):
        return f"Op({self.name})"


def register(op):
    if op.name in REGISTRY:
        raise ValueError(f"op {op.name!r} registered twice")
    REGISTRY[op.name] = op
    return op


def get_op(name):
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown op {name!r}; registered: {sorted(REGISTRY)}") from None
