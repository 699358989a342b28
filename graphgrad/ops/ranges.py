"""The values of arange, linspace and logspace, computed with torch's arithmetic so integer
dtypes truncate exactly where torch's do (start and end are converted to the dtype first, the
step stays a double, the second half of linspace counts back from the end)."""
import math

import numpy as np

from graphgrad.errors import ShapeError


def _no_bool(name, dtype):
    if dtype == np.bool_:
        raise NotImplementedError(f"{name}: not implemented for dtype bool; use an integer or "
                                  "floating-point dtype")


def _to_integer(name, value, dtype):
    """A Python number converted to an integer dtype as torch converts a Scalar: floats are
    truncated and must fit; Python ints wrap into unsigned dtypes (two's complement)."""
    info = np.iinfo(dtype)
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value) or value < info.min or value > info.max:
            raise ShapeError(f"{name}: value {value} cannot be converted to {dtype} without "
                             "overflow")
        return int(value)
    value = int(value)
    if value > info.max or (value < info.min and not (info.min == 0 and -value <= info.max)):
        raise ShapeError(f"{name}: value {value} cannot be converted to {dtype} without overflow")
    return value


def _wrap(values, dtype):
    """int64 values cast to `dtype`, wrapping (two's complement) like C++ conversions."""
    return np.asarray(values).astype(np.int64).astype(dtype)


def _float_to_int(values, dtype):
    """Float values truncated to an integer dtype as torch's CPU kernels convert them: through
    int32 for the narrow dtypes (int64 for int64), out-of-range values becoming that type's
    minimum, then wrapped."""
    bits = 64 if dtype == np.int64 else 32
    lo, hi = -2.0 ** (bits - 1), 2.0 ** (bits - 1)
    values = np.trunc(np.asarray(values, dtype=np.float64))
    inside = (values >= lo) & (values < hi)
    return _wrap(np.where(inside, values, lo).astype(np.int64), dtype)


def arange_values(start, end, step, dtype):
    _no_bool("arange", dtype)
    start, end, step = (v.item() if isinstance(v, np.generic) else v for v in (start, end, step))
    if not all(math.isfinite(float(v)) for v in (start, end)):
        raise ShapeError(f"arange: unsupported range: {start} -> {end}")
    if step == 0:
        raise ShapeError("arange: step must be nonzero")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise ShapeError(f"arange: upper bound and lower bound inconsistent with step sign "
                         f"({start}, {end}, {step})")
    if dtype.kind == "f":
        size = math.ceil((float(end) - float(start)) / float(step))
        return (float(start) + float(step) * np.arange(size, dtype=np.float64)).astype(dtype)
    xstart, xend, xstep = (math.trunc(v) for v in (start, end, step))
    if dtype == np.int64:
        # torch sizes int64 ranges from the truncated bounds, in integer arithmetic
        if xstep == 0:
            raise ShapeError("arange: step must be nonzero")
        sign = 1 if xstep > 0 else -1
        num = xend - xstart + xstep - sign
        size = abs(num) // abs(xstep) * (1 if (num >= 0) == (xstep > 0) else -1)
    else:
        size = math.ceil((float(end) - float(start)) / float(step))
    size = max(size, 0)
    return _wrap(xstart + xstep * np.arange(size, dtype=np.int64), dtype)


def _halves(steps, first, last):
    """Index i counts forward from the start in the first half, back from the end after it."""
    i = np.arange(steps)
    half = steps // 2
    return np.where(i < half, first(i), last(steps - i - 1))


def linspace_values(start, end, steps, dtype):
    _no_bool("linspace", dtype)
    steps = _steps("linspace", steps)
    if steps <= 1:
        value = start if dtype.kind == "f" else _to_integer("linspace", start, dtype)
        return np.full(steps, value).astype(dtype) if dtype.kind == "f" else \
            _wrap(np.full(steps, value, np.int64), dtype)
    if dtype.kind == "f":
        s, e = dtype.type(start), dtype.type(end)
        step = (e - s) / dtype.type(steps - 1)
        return _halves(steps, lambda i: s + step * i.astype(dtype),
                       lambda j: e - step * j.astype(dtype)).astype(dtype)
    s = int(_wrap(_to_integer("linspace", start, dtype), dtype))
    e = int(_wrap(_to_integer("linspace", end, dtype), dtype))
    step = (float(e) - float(s)) / (steps - 1)
    values = _halves(steps, lambda i: s + step * i, lambda j: e - step * j)
    return _float_to_int(values, dtype)


def logspace_values(start, end, steps, base, dtype):
    _no_bool("logspace", dtype)
    steps = _steps("logspace", steps)
    if steps <= 1:
        value = float(base) ** float(start)
        return np.full(steps, value).astype(dtype) if dtype.kind == "f" else \
            _float_to_int(np.full(steps, value), dtype)
    if dtype.kind == "f":
        s, e = dtype.type(start), dtype.type(end)
        base = float(base)
    else:
        s = int(_wrap(_to_integer("logspace", start, dtype), dtype))
        e = int(_wrap(_to_integer("logspace", end, dtype), dtype))
        base = float(np.float32(base))       # torch raises a float base for integer dtypes
    step = float(e - s) / (steps - 1)
    exponents = _halves(steps, lambda i: float(s) + step * i, lambda j: float(e) - step * j)
    values = np.power(base, exponents)
    return values.astype(dtype) if dtype.kind == "f" else _float_to_int(values, dtype)


def _steps(name, steps):
    steps = int(steps)
    if steps < 0:
        raise ShapeError(f"{name}: number of steps must be non-negative, got {steps}")
    return steps
