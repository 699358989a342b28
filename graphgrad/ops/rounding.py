"""Rounding: `floor`, `ceil`, `trunc` (alias `fix`), `round(decimals=0)` and `frac`.

As in torch: integer tensors pass through floor/ceil/trunc/round unchanged (bool tensors are
refused); `round` rounds half to even, and with `decimals` scales by 10**decimals in the
tensor's own precision (float16 in float32) before rounding; the gradient of every rounding
op is zero, that of `frac` is one.
"""
import numpy as np

from graphgrad.errors import DTypeError
from graphgrad.dispatch import bind
from graphgrad.ops._core import defop, describe, same_as_input
from graphgrad.ops.elementwise import _zeros_like, clone


def _rounding_infer(name):
    def infer(x, **attrs):
        if x.dtype.kind != "f":
            raise DTypeError(f"{name}: expects a floating-point tensor, got {describe(x)}")
        return same_as_input(name)(x)
    return infer


def _zero_grad(g, x, *, out, **attrs):
    return (_zeros_like(x),)


FLOOR = defop("floor", _rounding_infer("floor"), np.floor, _zero_grad, elementwise=True)
CEIL = defop("ceil", _rounding_infer("ceil"), np.ceil, _zero_grad, elementwise=True)
TRUNC = defop("trunc", _rounding_infer("trunc"), np.trunc, _zero_grad, elementwise=True)


def _round_impl(x, *, decimals):
    if decimals == 0:
        return np.rint(x)
    work = x.astype(np.float32) if x.dtype == np.float16 else x
    scale = np.asarray(10.0 ** abs(decimals), dtype=work.dtype)
    if decimals > 0:
        out = np.rint(work * scale) / scale
    else:
        out = np.rint(work / scale) * scale
    return out.astype(x.dtype, copy=False)


ROUND = defop("round", _rounding_infer("round"), _round_impl, _zero_grad, elementwise=True)


def _integer_passes(name, x):
    """Integer tensors are returned as they are (a copy); bool tensors are refused."""
    if x.dtype == np.bool_:
        raise DTypeError(f"{name}: not supported for bool tensors, got {describe(x)}")
    return x.dtype.kind in "iu"


def floor(input):
    return clone(input) if _integer_passes("floor", input) else bind(FLOOR, input)


def ceil(input):
    return clone(input) if _integer_passes("ceil", input) else bind(CEIL, input)


def trunc(input):
    return clone(input) if _integer_passes("trunc", input) else bind(TRUNC, input)


fix = trunc


def round(input, *, decimals=0):
    """Round half to even; with `decimals`, to that many decimal places (negative: tens,
    hundreds, ...)."""
    if not isinstance(decimals, (int, np.integer)) or isinstance(decimals, bool):
        raise TypeError(f"round: decimals must be an int, got {decimals!r}")
    if _integer_passes("round", input):
        if decimals != 0:
            raise DTypeError(f"round: decimals needs a floating-point tensor, got "
                            f"{describe(input)}")
        return clone(input)
    return bind(ROUND, input, decimals=int(decimals))


def frac(input):
    """input - trunc(input): the fractional part, with the sign of the input."""
    if input.dtype.kind != "f":
        raise DTypeError(f"frac: expects a floating-point tensor, got {describe(input)}")
    return input - trunc(input)
