"""Inverse and determinants: the inv, det, logabsdet and det_sign primitives; linalg.slogdet,
logdet and the Tensor methods built on them.

Gradients (square, invertible matrices): d inv = -inv^T g inv^T, d det = g det inv^T,
d log|det| = g inv^T. At a singular matrix det's gradient is not finite here (torch's is the
adjugate); the sign has no gradient.
"""
import numpy as np

from graphgrad.errors import DTypeError, GraphgradError, ShapeError
from graphgrad.ir.types import TensorType
from graphgrad.ops._core import bind, defop, describe


class LinAlgError(GraphgradError, RuntimeError):
    """A matrix is singular where an inverse is needed (torch.linalg.LinAlgError)."""


def _square(name):
    def check(x):
        if x.dtype.kind != "f":
            raise DTypeError(f"{name}: expects a floating-point tensor, got {describe(x)}")
        if len(x.shape) < 2 or x.shape[-1] != x.shape[-2]:
            raise ShapeError(f"{name}: expects a square matrix or a batch of them, got "
                             f"{describe(x)}")
    return check


def _matrix_infer(name):
    check = _square(name)

    def infer(x):
        check(x)
        return TensorType(tuple(x.shape), x.dtype)
    return infer


def _scalar_infer(name, dtype=None):
    check = _square(name)

    def infer(x):
        check(x)
        return TensorType(tuple(x.shape[:-2]), x.dtype if dtype is None else np.dtype(dtype))
    return infer


def _inv_impl(x):
    try:
        return np.linalg.inv(x).astype(x.dtype, copy=False)
    except np.linalg.LinAlgError:
        raise LinAlgError("linalg.inv: the input matrix is singular, so it cannot be inverted "
                          f"(input {x.shape})") from None


def _mT(x):
    from graphgrad.ops.movement import transpose
    return transpose(x, -1, -2)


def _inv_vjp(g, x, *, out):
    from graphgrad.ops.linalg import matmul
    t = _mT(out)
    return (-matmul(t, matmul(g, t)),)


INV = defop("inv", _matrix_infer("linalg.inv"), _inv_impl, _inv_vjp, check=True)


def _det_impl(x):
    return np.asarray(np.linalg.det(x), x.dtype)


def _expand2(t):
    from graphgrad.ops.movement import unsqueeze
    return unsqueeze(unsqueeze(t, -1), -1)


def _det_vjp(g, x, *, out):
    return (_expand2(g * out) * _mT(bind(INV, x)),)


DET = defop("det", _scalar_infer("linalg.det"), _det_impl, _det_vjp)


def _logabsdet_impl(x):
    return np.asarray(np.linalg.slogdet(x)[1], x.dtype)


def _logabsdet_vjp(g, x, *, out):
    return (_expand2(g) * _mT(bind(INV, x)),)


LOGABSDET = defop("logabsdet", _scalar_infer("linalg.slogdet"), _logabsdet_impl,
                  _logabsdet_vjp)


def _det_sign_impl(x):
    return np.asarray(np.linalg.slogdet(x)[0], x.dtype)


DET_SIGN = defop("det_sign", _scalar_infer("linalg.slogdet"), _det_sign_impl)


def inv(A):
    return bind(INV, A)


def det(A):
    return bind(DET, A)


class SlogdetResult(tuple):
    """(sign, logabsdet), also readable by name as torch's named tuple."""

    def __new__(cls, sign, logabsdet):
        return super().__new__(cls, (sign, logabsdet))

    sign = property(lambda self: self[0])
    logabsdet = property(lambda self: self[1])


def slogdet(A):
    return SlogdetResult(bind(DET_SIGN, A), bind(LOGABSDET, A))


def logdet(A):
    """log(det(A)): NaN for a negative determinant, -inf for a singular matrix (as torch)."""
    from graphgrad.ops.elementwise import where
    sign, logabs = slogdet(A)
    return where(sign < 0, float("nan"), logabs)


def _attach_methods():
    from graphgrad.tensor import Tensor
    Tensor.inverse = inv
    Tensor.det = det
    Tensor.slogdet = slogdet
    Tensor.logdet = logdet


_attach_methods()
