"""Shared helpers for the torch-oracle rows of the `torch_cases_*_existing.py` files: input
makers, a row constructor with cheap defaults, and generators for the usual variants of an op
(0-d, zero-size, broadcast, integer and bool inputs)."""
import numpy as np
from torch_oracle import F32, F64, TorchCase

RNG = np.random.default_rng(2024)
NATIVE = None          # the dtype of a row whose inputs are all integer/bool: used as given
BOTH = (F32, F64)
ONLY64 = (F64,)


def u(*shape, lo=-2.0, hi=2.0):
    """Uniform floats (float64; each row casts them to the dtype under test)."""
    return RNG.uniform(lo, hi, shape)


def pos(*shape, lo=0.5, hi=2.0):
    return RNG.uniform(lo, hi, shape)


def away(*shape, gap=0.2):
    """Uniform floats kept `gap` away from 0 (for kinks at 0: abs, relu, sign, ...)."""
    x = RNG.uniform(gap, 2.0, shape)
    return np.where(RNG.random(shape) < 0.5, -x, x)


def ints(*shape, lo=-5, hi=6, dtype=np.int64):
    return RNG.integers(lo, hi, shape).astype(dtype)


def bools(*shape):
    return RNG.random(shape) < 0.5


def is_torch(m):
    """True when a row runs on torch (rows pass a module; graphgrad-only names need this)."""
    return m.__name__ == "torch"


def case(id, fn, inputs, **kw):
    """A TorchCase. Rows without float inputs run once (NATIVE dtype, float32 tolerances); rows
    whose inputs are all 0-d or empty (or none) skip the strided layout (it would be the same
    inputs)."""
    inputs = tuple(np.asarray(a) for a in inputs)
    if all(a.dtype.kind != "f" for a in inputs):
        kw.setdefault("dtypes", (NATIVE,))
        # float results of integer inputs are float32 (exp of an int64 tensor, ...)
        kw.setdefault("rtol", 2e-6)
        kw.setdefault("atol", 1e-6)
    if all(a.ndim == 0 or a.size == 0 for a in inputs):
        kw.setdefault("layouts", False)
    return TorchCase(id, fn, inputs, **kw)


def unary_rows(name, fn, make=u, ints_ok=True, bool_ok=True, **kw):
    """`fn` over a 3x4 input (float32 and float64), 0-d and zero-size inputs (float64), and
    int64/int32/uint8/bool inputs where torch accepts them."""
    rows = [case(f"{name}-float", fn, (make(3, 4),), **kw),
            case(f"{name}-0d", fn, (make(),), dtypes=ONLY64, **kw),
            case(f"{name}-empty", fn, (make(0, 3),), dtypes=ONLY64, **kw)]
    if ints_ok:
        rows += [case(f"{name}-int64", fn, (ints(3, 4, lo=1),)),
                 case(f"{name}-int32", fn, (ints(2, 3, lo=1, dtype=np.int32),)),
                 case(f"{name}-uint8", fn, (ints(2, 3, lo=1, dtype=np.uint8),))]
    if bool_ok:
        rows.append(case(f"{name}-bool", fn, (bools(3, 4),)))
    return rows


def binary_rows(name, fn, make_a=u, make_b=u, ints_ok=True, bool_ok=True, **kw):
    """`fn(a, b)` on equal shapes (float32, float64), broadcast shapes, a 0-d operand,
    zero-size operands, mixed float/integer operands and integer/bool operands."""
    rows = [case(f"{name}-float", fn, (make_a(3, 4), make_b(3, 4)), **kw),
            case(f"{name}-broadcast-3d", fn, (make_a(2, 1, 4), make_b(3, 1)), dtypes=ONLY64,
                 **kw),
            case(f"{name}-0d", fn, (make_a(3), make_b()), dtypes=ONLY64, **kw),
            case(f"{name}-empty-broadcast", fn, (make_a(0, 3), make_b(3)), dtypes=ONLY64, **kw)]
    if ints_ok:
        rows += [case(f"{name}-int64", fn, (ints(3, 4, lo=1), ints(4, lo=1))),
                 case(f"{name}-float-int", fn, (make_a(3, 4), ints(4, lo=1)), **kw),
                 case(f"{name}-int32-int64", fn, (ints(3, lo=1, dtype=np.int32),
                                                  ints(2, 1, lo=1)))]
    if bool_ok:
        rows.append(case(f"{name}-bool", fn, (bools(3, 4), bools(4))))
    return rows
