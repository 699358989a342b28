"""Nullary primitives (constants, fills, random draws) and the tensor factory functions.

Inside a compiled function, factories become graph nodes: `full`/`constant` are constants (they
may be folded), while `rand`/`randn`/`randint` draw fresh numbers at every call.
"""
import operator

import numpy as np

from graphgrad import rng
from graphgrad.dispatch import MODE, bind
from graphgrad.errors import ShapeError
from graphgrad.dtypes import default_float
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
        raise TypeError(f"rand: dtype must be floating point, got {dtype}")
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

# -- factories --------------------------------------------------------------------------------


def _finish(t, requires_grad):
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, dtype=None, requires_grad=False):
    """Like torch.tensor: Python floats -> float32, ints -> int64, arrays keep their dtype."""
    if MODE.trace is None:
        return Tensor(data, dtype=dtype, requires_grad=requires_grad)
    if isinstance(data, Tensor):
        from graphgrad.ops.elementwise import cast, clone
        t = clone(data) if dtype is None else cast(data, as_dtype(dtype))
        return _finish(t, requires_grad)
    return _finish(bind(CONSTANT, value=to_array(data, dtype)), requires_grad)


def from_numpy(array):
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expects a NumPy array, got {type(array).__name__}")
    if MODE.trace is None:
        return Tensor._wrap(to_array(array))    # shares the array's memory, like torch
    return tensor(array)


def full(size, fill_value, dtype=None, requires_grad=False):
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


def zeros(*size, dtype=None, requires_grad=False):
    return full(_shape_of("zeros", size), 0, dtype or default_float(), requires_grad)


def ones(*size, dtype=None, requires_grad=False):
    return full(_shape_of("ones", size), 1, dtype or default_float(), requires_grad)


def empty(*size, dtype=None, requires_grad=False):
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def full_like(x, fill_value, dtype=None, requires_grad=False):
    return full(x.shape, fill_value, dtype or x.dtype, requires_grad)


def zeros_like(x, dtype=None, requires_grad=False):
    return full(x.shape, 0, dtype or x.dtype, requires_grad)


def ones_like(x, dtype=None, requires_grad=False):
    return full(x.shape, 1, dtype or x.dtype, requires_grad)


def empty_like(x, dtype=None, requires_grad=False):
    return zeros_like(x, dtype, requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False):
    return tensor(np.eye(n, m, dtype=as_dtype(dtype) or default_float()),
                  requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else default_float()
    return tensor(np.arange(start, end, step, dtype=as_dtype(dtype)), requires_grad=requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False):
    return tensor(np.linspace(start, end, steps, dtype=as_dtype(dtype) or default_float()),
                  requires_grad=requires_grad)


def rand(*size, dtype=None, requires_grad=False):
    shape = _shape_of("rand", size)
    return _finish(bind(RAND, shape=shape, dtype=as_dtype(dtype) or default_float()), requires_grad)


def randn(*size, dtype=None, requires_grad=False):
    shape = _shape_of("randn", size)
    return _finish(bind(RANDN, shape=shape, dtype=as_dtype(dtype) or default_float()),
                   requires_grad)


def randint(low, high=None, size=(), dtype=None):
    if high is None:
        low, high = 0, low
    shape = _shape_of("randint", (size,) if isinstance(size, int) else tuple(size))
    t = bind(RANDINT, low=int(low), high=int(high), shape=shape)
    return t if dtype is None else t.astype(dtype)


def rand_like(x, dtype=None):
    return rand(x.shape, dtype=dtype or x.dtype)


def randn_like(x, dtype=None):
    return randn(x.shape, dtype=dtype or x.dtype)


def randperm(n):
    """A random permutation (eager only: numbers drawn from graphgrad's generator)."""
    return tensor(rng.generator().permutation(n).astype(np.int64))
