"""Loss primitives. `binary_cross_entropy` is a primitive because its gradient must stay finite
where the probability is exactly 0 or 1 (which float32 sigmoids reach): torch's formula
g * (p - y) / max(p (1 - p), 1e-12) has no composite equivalent without NaNs.
"""
import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import DTypeError, ShapeError
from graphgrad.ir.types import TensorType
from graphgrad.ops._core import defop, describe
from graphgrad.ops.elementwise import log, log1p, maximum


_BCE_EPS = 1e-12   # torch's clamp of p (1 - p) in the gradient


def _bce_infer(p, y):
    if p.dtype.kind != "f" or y.dtype != p.dtype:
        raise DTypeError(f"binary_cross_entropy: expects float probabilities and targets of one "
                        f"dtype, got {describe(p)}, {describe(y)}")
    if tuple(p.shape) != tuple(y.shape):
        raise ShapeError(f"binary_cross_entropy: target {describe(y)} must have the shape of "
                         f"the input {describe(p)}")
    return TensorType(tuple(p.shape), p.dtype)


def _bce_impl(p, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        if not ((p >= 0) & (p <= 1)).all():
            bad = p[~((p >= 0) & (p <= 1))]
            raise ShapeError(f"binary_cross_entropy: all input values must be between 0 and 1, "
                             f"found {bad.flat[0]} (input of shape {p.shape})")
        log_p = np.maximum(np.log(p), -100.0)
        log_1mp = np.maximum(np.log1p(-p), -100.0)
    return ((y - 1) * log_1mp - y * log_p).astype(p.dtype, copy=False)


def _bce_vjp(g, p, y, *, out):
    gp = g * (p - y) / maximum(p * (1.0 - p), _BCE_EPS)
    gy = g * (maximum(log1p(-p), -100.0) - maximum(log(p), -100.0))
    return gp, gy


BINARY_CROSS_ENTROPY = defop("binary_cross_entropy", _bce_infer, _bce_impl, _bce_vjp,
                             elementwise=True)


def binary_cross_entropy_elementwise(p, y):
    """-(y log p + (1 - y) log(1 - p)) per element, each log clamped at -100 (as in torch)."""
    return bind(BINARY_CROSS_ENTROPY, p, y)

