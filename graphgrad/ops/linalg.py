"""matmul: batched and broadcasting over leading dims; 1-D operands handled by reshapes."""
import math

import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import DTypeError, ShapeError
from graphgrad.ir.types import TensorType, broadcast_shapes
from graphgrad.ops._core import defop, describe, operands, unbroadcast
from graphgrad.ops.movement import PERMUTE, reshape


def _matmul_infer(a, b):
    if a.dtype != b.dtype:
        raise DTypeError(f"matmul: operands must share a dtype, got {describe(a)} @ {describe(b)}")
    if a.dtype.kind not in "fi":
        raise DTypeError(f"matmul: expects numeric tensors, got {describe(a)} @ {describe(b)}")
    if len(a.shape) < 2 or len(b.shape) < 2:
        raise ShapeError(f"matmul: the primitive needs operands of at least 2 dims, got "
                         f"{describe(a)} @ {describe(b)}")
    if a.shape[-1] != b.shape[-2]:
        raise ShapeError(f"matmul: inner dims differ, {tuple(a.shape)} @ {tuple(b.shape)} "
                         f"({a.shape[-1]} vs {b.shape[-2]})")
    try:
        batch = broadcast_shapes("matmul", tuple(a.shape[:-2]), tuple(b.shape[:-2]))
    except ShapeError:
        raise ShapeError(f"matmul: the batch dims of {tuple(a.shape)} @ {tuple(b.shape)} cannot "
                         "be broadcast together") from None
    return TensorType(batch + (a.shape[-2], b.shape[-1]), a.dtype)


def _swap_last(x):
    n = len(x.shape)                  # >= 2: the primitive's operands and gradients
    return bind(PERMUTE, x, perm=(*range(n - 2), n - 1, n - 2))


def _matmul_vjp(g, a, b, *, out, needs=(True, True)):
    # eager backward says which inputs need a gradient (x @ W with data x: skip dx)
    return (unbroadcast(bind(MATMUL, g, _swap_last(b)), a.shape) if needs[0] else None,
            _weight_grad(g, a, b) if needs[1] else None)


def _weight_grad(g, a, b):
    if len(a.shape) > 2 and len(b.shape) == 2:
        # x (..., K) @ W (K, N), as in a linear layer over a batch of sequences: the batch
        # dims are rows of one product (K, rows) @ (rows, N), not a product per batch entry
        # summed afterwards
        rows = math.prod(a.shape[:-1])
        return bind(MATMUL, _swap_last(reshape(a, (rows, a.shape[-1]))),
                    reshape(g, (rows, g.shape[-1])))
    return unbroadcast(bind(MATMUL, _swap_last(a), g), b.shape)


def _matmul_impl(a, b):
    """The eager kernel: (..., K) @ (K, N), a linear layer over a batch of sequences, is one
    2-D product over all leading dims. NumPy runs a stacked product as one GEMM per batch
    entry: in an eager transformer step, (16, 32, 64) @ (64, 64) took 92 µs that way and
    53 µs as one product."""
    if a.ndim > 2 and b.ndim == 2:
        lead = a.shape[:-1]
        return np.matmul(a.reshape(math.prod(lead), a.shape[-1]), b).reshape(lead + b.shape[1:])
    return np.matmul(a, b)


_matmul_impl.ufunc = np.matmul      # what compiled schedules call (see Op.ufunc)


def _rows_kernel(into):
    """For the compiled runtime: (..., K) @ (K, N) as one 2-D product over all leading dims,
    as `_matmul_impl`, with the shapes worked out once; None (the plain ufunc) otherwise."""
    def make(in_types):
        a, b = in_types
        if len(a.shape) < 3 or len(b.shape) != 2:
            return None
        k, n, lead = a.shape[-1], b.shape[-1], tuple(a.shape[:-1])
        rows, matmul = int(np.prod(lead)), np.matmul
        if into:
            def kernel(out, x, w):
                if not out.flags.c_contiguous:
                    return matmul(x, w, out=out)
                matmul(x.reshape(rows, k), w, out=out.reshape(rows, n))
                return out
            return kernel
        return lambda x, w: matmul(x.reshape(rows, k), w).reshape(lead + (n,))
    return make


MATMUL = defop("matmul", _matmul_infer, _matmul_impl, _matmul_vjp, inplace=False, fusion_head=True,
               vjp_needs=True, kernel=_rows_kernel(False), out_kernel=_rows_kernel(True))


def matmul(a, b):
    """torch.matmul semantics: 1-D operands are promoted to matrices and the dim is removed."""
    a, b = operands(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul: both operands need at least 1 dim, got {describe(a)} @ "
                         f"{describe(b)}")
    a_vec, b_vec = a.ndim == 1, b.ndim == 1
    if a_vec:
        a = reshape(a, (1, a.shape[0]))
    if b_vec:
        b = reshape(b, (b.shape[0], 1))
    if a.shape[-1] != b.shape[-2]:
        raise ShapeError(f"matmul: inner dims differ, {a.shape} @ {b.shape} "
                         f"({a.shape[-1]} vs {b.shape[-2]})")
    out = bind(MATMUL, a, b)
    if a_vec or b_vec:
        shape = out.shape
        if a_vec:
            shape = shape[:-2] + shape[-1:]
        if b_vec:
            shape = shape[:-1]
        out = reshape(out, shape)
    return out


def mm(a, b):
    if a.ndim != 2 or b.ndim != 2:
        raise ShapeError(f"mm: expects 2-D tensors, got {describe(a)} @ {describe(b)}")
    return matmul(a, b)


def bmm(a, b):
    if a.ndim != 3 or b.ndim != 3:
        raise ShapeError(f"bmm: expects 3-D tensors, got {describe(a)} @ {describe(b)}")
    return matmul(a, b)


def dot(a, b):
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeError(f"dot: expects 1-D tensors, got {describe(a)}, {describe(b)}")
    return matmul(a, b)
