"""softmax and log_softmax as primitives: one stable NumPy kernel each, and gradient rules that
let the simplifier turn softmax-cross-entropy's backward into `softmax - onehot`."""
import math
from functools import partial

import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import DTypeError
from graphgrad.ir.types import TensorType, normalize_dim
from graphgrad.ops._core import defop, describe, float_operand, per_signature
from graphgrad.ops.elementwise import exp
from graphgrad.ops.reduce import sum_dims
from graphgrad.ops.reduce_kernels import (amax_keepdims, ones_vector, row_extreme,
                                          sum_keepdims)


def _infer(name):
    def infer(x, *, dims):
        if x.dtype.kind != "f":
            raise DTypeError(f"{name}: expects a floating-point tensor, got {describe(x)}")
        return TensorType(tuple(x.shape), x.dtype)
    return infer


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


def _rows_kernel(log, into):
    """The compiled runtime's kernel for one static shape: over the last axis of a float32 or
    float64 array, as rows, with the row maximum chosen once (a pass per column or NumPy's
    reduce, see reduce_kernels) and the row sums as a matrix-vector product."""
    generic = _log_softmax_out if log else _softmax_out

    def make(in_types, *, dims):
        t = in_types[0]
        shape, dtype = tuple(t.shape), np.dtype(t.dtype)
        if not shape or dims != (len(shape) - 1,) or 0 in shape or dtype.char not in "fd":
            kernel = partial(generic, dims=dims)
        else:
            kernel = _rows(log, math.prod(shape[:-1]), shape[-1], dtype, partial(generic,
                                                                                  dims=dims))
        if into:
            return kernel
        return lambda x: kernel(np.empty(shape, dtype), x)
    return make


def _rows(log, rows, n, dtype, generic):
    row_max = row_extreme(np.maximum, rows, n, dtype)
    ones = ones_vector(n, dtype)
    subtract, exp, matmul = np.subtract, np.exp, np.matmul

    def kernel(out, x):
        if not out.flags.c_contiguous:
            return generic(out, x)
        x, rows_out = x.reshape(rows, n), out.reshape(rows, n)
        subtract(x, row_max(x), out=rows_out)
        if log:
            total = matmul(exp(rows_out), ones)
            subtract(rows_out, np.log(total, out=total).reshape(rows, 1), out=rows_out)
        else:
            exp(rows_out, out=rows_out)
            np.divide(rows_out, matmul(rows_out, ones).reshape(rows, 1), out=rows_out)
        return out
    return kernel


# eager calls run the compiled kernel of their shape too (per_signature)
LOG_SOFTMAX = defop("log_softmax", _infer("log_softmax"),
                    per_signature(_rows_kernel(True, False)), _log_softmax_vjp,
                    out_impl=_log_softmax_out, inplace=True, kernel=_rows_kernel(True, False),
                    out_kernel=_rows_kernel(True, True))
SOFTMAX = defop("softmax", _infer("softmax"), per_signature(_rows_kernel(False, False)),
                _softmax_vjp, out_impl=_softmax_out, inplace=True,
                kernel=_rows_kernel(False, False), out_kernel=_rows_kernel(False, True))


def _dims(name, x, dim):
    return (normalize_dim(name, dim, x.ndim),) if x.ndim else ()


def softmax(x, dim=-1):
    x = float_operand(x)
    return bind(SOFTMAX, x, dims=_dims("softmax", x, dim))


def log_softmax(x, dim=-1):
    x = float_operand(x)
    return bind(LOG_SOFTMAX, x, dims=_dims("log_softmax", x, dim))
