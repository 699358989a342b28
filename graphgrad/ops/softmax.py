"""softmax and log_softmax as primitives: one stable NumPy kernel each, and gradient rules that
let the simplifier turn softmax-cross-entropy's backward into `softmax - onehot`."""
import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import DTypeError
from graphgrad.ir.types import TensorType, normalize_dim
from graphgrad.ops._core import defop, describe, float_operand
from graphgrad.ops.elementwise import exp
from graphgrad.ops.reduce import sum_dims


def _infer(name):
    def infer(x, *, dims):
        if x.dtype.kind != "f":
            raise DTypeError(f"{name}: expects a floating-point tensor, got {describe(x)}")
        return TensorType(tuple(x.shape), x.dtype)
    return infer


def _log_softmax_impl(x, *, dims):
    if x.size == 0:
        return x.copy()         # the max of an empty axis is undefined; nothing to compute
    shifted = x - np.amax(x, axis=dims, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=dims, keepdims=True))


def _softmax_impl(x, *, dims):
    if x.size == 0:
        return x.copy()
    e = np.exp(x - np.amax(x, axis=dims, keepdims=True))
    return e / np.sum(e, axis=dims, keepdims=True)


def _log_softmax_vjp(g, x, *, out, dims):
    return (g - exp(out) * sum_dims(g, dims, keepdim=True),)


def _softmax_vjp(g, x, *, out, dims):
    return (out * (g - sum_dims(g * out, dims, keepdim=True)),)


def _log_softmax_out(out, x, *, dims):
    if x.size == 0:
        return out
    np.subtract(x, np.amax(x, axis=dims, keepdims=True), out=out)
    return np.subtract(out, np.log(np.sum(np.exp(out), axis=dims, keepdims=True)), out=out)


def _softmax_out(out, x, *, dims):
    if x.size == 0:
        return out
    np.subtract(x, np.amax(x, axis=dims, keepdims=True), out=out)
    np.exp(out, out=out)
    return np.divide(out, np.sum(out, axis=dims, keepdims=True), out=out)


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
