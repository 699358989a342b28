"""NaN and infinity: the predicates `isnan`, `isinf`, `isfinite`, `isposinf`, `isneginf`,
`isreal` (bool results, no gradient; integer tensors are always finite) and `nan_to_num`,
whose gradient passes where the input is finite and is zero at the values it replaced."""
import math

import numpy as np

from graphgrad.dispatch import bind
from graphgrad.ir.types import TensorType
from graphgrad.ops._core import defop, same_as_input
from graphgrad.ops.creation import ones_like
from graphgrad.ops.elementwise import clone, eq, where


def _predicate(name, ufunc):
    return defop(name, lambda x: TensorType(tuple(x.shape), np.dtype(np.bool_)), ufunc,
                 elementwise=True)


ISNAN = _predicate("isnan", np.isnan)
ISINF = _predicate("isinf", np.isinf)
ISFINITE = _predicate("isfinite", np.isfinite)


def isnan(input):
    return bind(ISNAN, input)


def isinf(input):
    return bind(ISINF, input)


def isfinite(input):
    return bind(ISFINITE, input)


def isposinf(input):
    return eq(input, math.inf) if input.dtype.kind == "f" else isinf(input)


def isneginf(input):
    return eq(input, -math.inf) if input.dtype.kind == "f" else isinf(input)


def isreal(input):
    """True everywhere: graphgrad has no complex dtypes."""
    return ones_like(input, dtype=np.bool_)


def _nan_to_num_impl(x, *, nan, posinf, neginf):
    return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


def _nan_to_num_vjp(g, x, *, out, nan, posinf, neginf):
    return (where(isfinite(x), g, 0.0),)


NAN_TO_NUM = defop("nan_to_num", same_as_input("nan_to_num", float_only=True),
                   _nan_to_num_impl, _nan_to_num_vjp, elementwise=True)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN -> `nan`, +inf -> `posinf`, -inf -> `neginf`; the infinities default to the
    largest and smallest finite values of the dtype. Integer tensors are returned as they are."""
    if input.dtype.kind != "f":
        return clone(input)
    return bind(NAN_TO_NUM, input, nan=float(nan),
                posinf=None if posinf is None else float(posinf),
                neginf=None if neginf is None else float(neginf))
