"""softmax and log_softmax as primitives: one stable NumPy kernel each, and gradient rules that
let the simplifier turn softmax-cross-entropy's backward into `softmax - onehot`."""
import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import DTypeError
from graphgrad.ir.types import TensorType, normalize_dim
from graphgrad.ops._core import defop, describe, float_operand
from graphgrad.ops.elementwise import exp
from graphgrad.ops.reduce import sum_dims
from graphgrad.ops.reduce_kernels import amax_keepdims, sum_keepdims


def _infer(name):
    def infer(x, *, dims):
        if x.dtype.kind != "f":
            raise DTypeError(f"{name}: expects a floating-point tensor, got {describe(x)}")
        return TensorType(tuple(x.shape), x.dtype)
    return infer


def _log_softmax_impl(x, *, dims):
    return _log_softmax_out(np.empty_like(x), x, dims=dims)   # the kernel compiled code runs


def _softmax_impl(x, *, dims):
    return _softmax_out(np.empty_like(x), x, dims=dims)


def _log_softmax_vjp(g, x, *, out, dims):
    return (g - exp(out) * sum_dims(g, dims, keepdim=True),)


def _softmax_vjp(g, x, *, out, dims):
    return (out * (g - sum_dims(g * out, dims, keepdim=True)),)


def _log_softmax_out(out, x, *, dims):
    if x.size == 0:
        return out
    np.subtract(x, amax_keepdims(x, dims), out=out)
    return np.subtract(out, np.log(sum_keepdims(np.exp(out), dims)), out=out)


def _softmax_out(out, x, *, dims):
    if x.size == 0:
        return out
    np.subtract(x, amax_keepdims(x, dims), out=out)
    np.exp(out, out=out)
    return np.divide(out, sum_keepdims(out, dims), out=out)


LOG_SOFTMAX = defop("log_softmax", _infer("log_softmax"), _log_softmax_impl, _log_softmax_vjp,
                    out_impl=_log_softmax_out, inplace=True)
SOFTMAX = defop("softmax", _infer("softmax"), _softmax_impl, _softmax_vjp,
                out_impl=_softmax_out, inplace=True)


def _dims(name, x, dim):
    return (normalize_dim(name, dim, x.ndim),) if x.ndim else ()


def softmax(x, dim=-1):
    x = float_operand(x)
    return bind(SOFTMAX, x, dims=_dims("softmax", x, dim))


def log_softmax(x, dim=-1):
    x = float_operand(x)
    return bind(LOG_SOFTMAX, x, dims=_dims("log_softmax", x, dim))
