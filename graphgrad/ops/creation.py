"""Nullary primitives (constants, fills, random draws) and the tensor factory functions.

Inside a compiled function, factories become graph nodes: `full`/`constant` are constants (they
may be folded), while `rand`/`randn`/`randint` draw fresh numbers at every call.
"""
import operator

import numpy as np

from graphgrad import rng
from graphgrad.capture import is_tracing
from graphgrad.devices import check as _check_device
from graphgrad.dispatch import bind
from graphgrad.dtypes import default_float
from graphgrad.errors import DTypeError, ShapeError, TraceError
from graphgrad.ir.types import TensorType, as_dtype
from graphgrad.ops._core import defop
from graphgrad.tensor import Tensor, to_array


def _shape_of(name, size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    try:
        shape = tuple(operator.index(d) for d in size)   # 2.5 is refused, not truncated
    except TypeError:
        raise TypeError(f"{name}: sizes must be ints, got {size!r}") from None
    if any(d < 0 for d in shape):
        raise ShapeError(f"{name}: negative dimension in {shape}")
    return shape


CONSTANT = defop("constant", lambda *, value: TensorType(value.shape, value.dtype),
                 lambda *, value: value, nullary=True)
FULL = defop("full", lambda *, shape, value, dtype: TensorType(shape, dtype),
             lambda *, shape, value, dtype: np.full(shape, value, dtype), nullary=True)


def _rand_infer(*, shape, dtype):
    if dtype.kind != "f":
        raise DTypeError(f"rand: dtype must be floating point, got {dtype}")
    return TensorType(shape, dtype)


RAND = defop("rand", _rand_infer,
             lambda *, shape, dtype: rng.generator().random(shape, dtype=dtype),
             nullary=True, random=True)
RANDN = defop("randn", _rand_infer,
              lambda *, shape, dtype: rng.generator().standard_normal(shape, dtype=dtype),
              nullary=True, random=True)


def _randint_infer(*, low, high, shape):
    if high <= low:
        raise ShapeError(f"randint: high ({high}) must be greater than low ({low})")
    return TensorType(shape, np.dtype(np.int64))


RANDINT = defop("randint", _randint_infer,
                lambda *, low, high, shape: rng.generator().integers(low, high, shape,
                                                                     dtype=np.int64),
                nullary=True, random=True)

RANDPERM = defop("randperm", lambda *, n, dtype: TensorType((n,), dtype),
                 lambda *, n, dtype: rng.generator().permutation(n).astype(dtype),
                 nullary=True, random=True)

# -- factories --------------------------------------------------------------------------------


def _finish(t, requires_grad):
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, dtype=None, requires_grad=False, *, device=None, pin_memory=False):
    """Like torch.tensor: Python floats -> float32, ints -> int64, arrays keep their dtype."""
    _check_device(device, "tensor")
    if not is_tracing():
        return Tensor(data, dtype=dtype, requires_grad=requires_grad)
    if isinstance(data, Tensor):
        from graphgrad.ops.elementwise import cast, clone
        t = clone(data) if dtype is None else cast(data, as_dtype(dtype))
        return _finish(t, requires_grad)
    return _finish(bind(CONSTANT, value=to_array(data, dtype)), requires_grad)


def from_numpy(array):
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expects a NumPy array, got {type(array).__name__}")
    if not is_tracing():
        return Tensor._wrap(to_array(array))    # shares the array's memory, like torch
    return tensor(array)


def full(size, fill_value, dtype=None, requires_grad=False, device=None):
    _check_device(device, "full")
    if isinstance(size, (int, np.integer)):
        size = (size,)
    shape = _shape_of("full", tuple(size))
    if dtype is None:
        if isinstance(fill_value, (bool, np.bool_)):
            dtype = np.bool_
        elif isinstance(fill_value, (int, np.integer)):
            dtype = np.int64
        else:
            dtype = default_float()
    dtype = as_dtype(dtype)
    value = np.asarray(fill_value, dtype).item()
    return _finish(bind(FULL, shape=shape, value=value, dtype=dtype), requires_grad)


def zeros(*size, dtype=None, requires_grad=False, device=None):
    _check_device(device, "zeros")
    return full(_shape_of("zeros", size), 0, dtype or default_float(), requires_grad)


def ones(*size, dtype=None, requires_grad=False, device=None):
    _check_device(device, "ones")
    return full(_shape_of("ones", size), 1, dtype or default_float(), requires_grad)


def empty(*size, dtype=None, requires_grad=False, device=None):
    _check_device(device, "empty")
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def full_like(x, fill_value, dtype=None, requires_grad=False, device=None):
    _check_device(device, "full_like")
    return full(x.shape, fill_value, dtype or x.dtype, requires_grad)


def zeros_like(x, dtype=None, requires_grad=False, device=None):
    _check_device(device, "zeros_like")
    return full(x.shape, 0, dtype or x.dtype, requires_grad)


def ones_like(x, dtype=None, requires_grad=False, device=None):
    _check_device(device, "ones_like")
    return full(x.shape, 1, dtype or x.dtype, requires_grad)


def empty_like(x, dtype=None, requires_grad=False, device=None):
    _check_device(device, "empty_like")
    return zeros_like(x, dtype, requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False, device=None):
    _check_device(device, "eye")
    return tensor(np.eye(n, m, dtype=as_dtype(dtype) or default_float()),
                  requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None):
    """torch.arange: int64 when start, end and step are all ints, else float32."""
    from graphgrad.ops.ranges import arange_values
    _check_device(device, "arange")
    if end is None and type(start) is int and start >= 0 and step == 1 and dtype is None:
        return tensor(np.arange(start, dtype=np.int64), requires_grad=requires_grad)  # arange(n)
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else default_float()
    return tensor(arange_values(start, end, step, as_dtype(dtype)), requires_grad=requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None):
    from graphgrad.ops.ranges import linspace_values
    _check_device(device, "linspace")
    values = linspace_values(start, end, steps, as_dtype(dtype) or default_float())
    return tensor(values, requires_grad=requires_grad)


def logspace(start, end, steps, base=10.0, dtype=None, requires_grad=False, device=None):
    """base ** linspace(start, end, steps), computed as torch.logspace computes it."""
    from graphgrad.ops.ranges import logspace_values
    _check_device(device, "logspace")
    values = logspace_values(start, end, steps, base, as_dtype(dtype) or default_float())
    return tensor(values, requires_grad=requires_grad)


def rand(*size, dtype=None, requires_grad=False, device=None):
    _check_device(device, "rand")
    shape = _shape_of("rand", size)
    return _finish(bind(RAND, shape=shape, dtype=as_dtype(dtype) or default_float()), requires_grad)


def randn(*size, dtype=None, requires_grad=False, device=None):
    _check_device(device, "randn")
    shape = _shape_of("randn", size)
    return _finish(bind(RANDN, shape=shape, dtype=as_dtype(dtype) or default_float()),
                   requires_grad)


def randint(low, high=None, size=(), dtype=None, device=None, requires_grad=False):
    _check_device(device, "randint")
    if requires_grad:
        raise DTypeError("randint: only floating-point tensors can require gradients")
    if high is None:
        low, high = 0, low
    shape = _shape_of("randint", (size,) if isinstance(size, int) else tuple(size))
    t = bind(RANDINT, low=int(low), high=int(high), shape=shape)
    return t if dtype is None else t.astype(dtype)


def rand_like(x, dtype=None, requires_grad=False, device=None):
    _check_device(device, "rand_like")
    return rand(x.shape, dtype=dtype or x.dtype, requires_grad=requires_grad)


def randn_like(x, dtype=None, requires_grad=False, device=None):
    _check_device(device, "randn_like")
    return randn(x.shape, dtype=dtype or x.dtype, requires_grad=requires_grad)


def randperm(n, *, dtype=None, device=None, requires_grad=False, generator=None):
    """A random permutation of 0..n-1 (a new one at every call of a compiled function too).
    With `generator` (a gg.Generator) it is drawn from that generator, eagerly only."""
    _check_device(device, "randperm")
    n = _shape_of("randperm", (n,))[0]
    dtype = as_dtype(dtype) or np.dtype(np.int64)
    if generator is not None:
        if is_tracing():
            raise TraceError("randperm(generator=...) inside a compiled function: the graph "
                             "draws from graphgrad's generator (gg.manual_seed); pass no "
                             "generator, or draw the permutation outside")
        gen = rng.numpy_generator(generator, "randperm")
        return tensor(gen.permutation(n).astype(dtype), requires_grad=requires_grad)
    return _finish(bind(RANDPERM, n=n, dtype=dtype), requires_grad)


# -- Tensor.new_* (the dtype defaults to the tensor's, as in torch) ------------------------------

def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
    _check_device(device, "new_full")
    return full(size, fill_value, dtype or self.dtype, requires_grad)


def _new_filled(name, value):
    def method(self, *size, dtype=None, device=None, requires_grad=False):
        _check_device(device, name)
        return full(_shape_of(name, size), value, dtype or self.dtype, requires_grad)
    method.__name__ = name
    return method


new_zeros = _new_filled("new_zeros", 0)
new_ones = _new_filled("new_ones", 1)
new_empty = _new_filled("new_empty", 0)


def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    _check_device(device, "new_tensor")
    return tensor(data, dtype or self.dtype, requires_grad)
