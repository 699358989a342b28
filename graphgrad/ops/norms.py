"""Norms: the vector_norm and svdvals primitives; matrix_norm, linalg.norm and torch.norm built
on them with torch's argument rules.

vector_norm's gradient is torch's norm_backward: zero where the norm is zero (p >= 1), spread
evenly over tied maxima for p = +-inf, zero for p = 0. svdvals' gradient is U diag(g) V^T, with
U and V from the svd_vectors primitive, whose own gradient (torch's svd_backward) makes second
derivatives of the singular values right.
"""
import math

import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import DTypeError, ShapeError
from graphgrad.ir.types import TensorType, as_dtype
from graphgrad.ops._core import as_tensor, const, defop, describe
from graphgrad.ops.dim_keywords import numpy_kwargs
from graphgrad.ops.reduce import _check_dims, _reduced_shape, reduce_dims

# -- vector_norm ------------------------------------------------------------------------------


def _vector_norm_infer(x, *, ord, dims, keepdim):
    if x.dtype.kind != "f":
        raise DTypeError(f"linalg.vector_norm: expects a floating-point tensor, got {describe(x)}")
    _check_dims("linalg.vector_norm", x, dims)
    if ord < 0 or math.isinf(ord):
        if any(x.shape[d] == 0 for d in dims):
            raise ShapeError(f"linalg.vector_norm: cannot compute the {ord} norm over an empty "
                             f"dim of {describe(x)} (the operation has no identity)")
    return TensorType(_reduced_shape(tuple(x.shape), dims, keepdim), x.dtype)


def _vector_norm_impl(x, *, ord, dims, keepdim):
    kw = dict(axis=dims, keepdims=keepdim)
    a = np.abs(x)
    if ord == 2:
        out = np.sqrt(np.sum(x * x, **kw))
    elif ord == math.inf:
        out = np.amax(a, **kw)
    elif ord == -math.inf:
        out = np.amin(a, **kw)
    elif ord == 0:
        out = np.sum(x != 0, dtype=x.dtype, **kw)
    elif ord == 1:
        out = np.sum(a, **kw)
    else:
        out = np.sum(a ** x.dtype.type(ord), **kw) ** x.dtype.type(1.0 / ord)
    return np.asarray(out, dtype=x.dtype)


def _sgn(x):
    """torch's sgn: -1, 0 or 1, and 0 at NaN."""
    from graphgrad.ops.elementwise import cast
    return cast(x > 0.0, x.dtype) - cast(x < 0.0, x.dtype)


def _vector_norm_vjp(g, x, *, out, ord, dims, keepdim):
    from graphgrad.ops.creation import zeros_like
    from graphgrad.ops.elementwise import abs, cast, logical_or, where
    from graphgrad.ops.power import pow
    from graphgrad.ops.movement import reshape
    from graphgrad.ops.reduce import sum_dims
    if not keepdim:
        kept = _reduced_shape(tuple(x.shape), dims, True)
        g, out = reshape(g, kept), reshape(out, kept)
    if ord == 0:
        return (zeros_like(x),)
    if ord == 1:
        return (_sgn(x) * g,)
    if ord == 2:
        return (g * where(out == 0.0, 0.0, x / out),)
    if math.isinf(ord):
        a = abs(x)
        hit = cast(logical_or(a == out, a != a), x.dtype)       # the extremes, and NaNs
        return (_sgn(x) * ((g / sum_dims(hit, dims, keepdim=True)) * hit),)
    if ord < 1:
        scaled = _sgn(x) * where(x == 0.0, 0.0, pow(abs(x), ord - 1))
        return (scaled * g * pow(out, 1 - ord),)
    scaled = _sgn(x) * pow(abs(x), ord - 1) if ord < 2 else x * pow(abs(x), ord - 2)
    return (scaled * where(out == 0.0, 0.0, g / pow(out, ord - 1)),)


VECTOR_NORM = defop("vector_norm", _vector_norm_infer, _vector_norm_impl, _vector_norm_vjp)

# -- singular values --------------------------------------------------------------------------


def _matrix_infer(name):
    def infer(x):
        if x.dtype.kind != "f":
            raise DTypeError(f"{name}: expects a floating-point tensor, got {describe(x)}")
        if len(x.shape) < 2:
            raise ShapeError(f"{name}: expects a matrix or a batch of matrices, got "
                             f"{describe(x)}")
        return x
    return infer


def _svdvals_infer(x):
    _matrix_infer("linalg.svdvals")(x)
    *batch, m, n = x.shape
    return TensorType(tuple(batch) + (min(m, n),), x.dtype)


def _svd_vectors_infer(x):
    _matrix_infer("linalg.svd")(x)
    *batch, m, n = x.shape
    return TensorType(tuple(batch) + (m + n, min(m, n)), x.dtype)


def _svd_vectors_impl(x):
    """U (m x k) stacked over V (n x k): the singular vectors of the reduced SVD."""
    u, _, vh = np.linalg.svd(x, full_matrices=False)
    return np.concatenate([u, np.swapaxes(vh, -1, -2)], axis=-2).astype(x.dtype, copy=False)


def _split_vectors(uv, m):
    """U (m x k) and V (n x k) from the stacked output of svd_vectors."""
    from graphgrad.ops.movement import getitem
    return (getitem(uv, (Ellipsis, slice(None, m), slice(None))),
            getitem(uv, (Ellipsis, slice(m, None), slice(None))))


def _svd_vectors_vjp(g, x, *, out):
    """torch's svd_backward for the singular vectors (real case, reduced SVD):
    U [(skew(U^T gU) S + S skew(V^T gV)) / E] V^T plus the parts of gU and gV outside the
    spans of U and V; E[j, k] = s_k^2 - s_j^2 (1 on the diagonal). Singular vectors are only
    defined up to sign, so only sign-invariant functions of them have a gradient."""
    from graphgrad.ops.linalg import matmul
    from graphgrad.ops.movement import transpose, unsqueeze
    m, n = x.shape[-2], x.shape[-1]
    u, v = _split_vectors(out, m)
    gu, gv = _split_vectors(g, m)
    s = bind(SVDVALS, x)
    k = s.shape[-1]
    s2 = s * s
    eye = const(np.eye(k, dtype=x.dtype), None)
    e = unsqueeze(s2, -2) - unsqueeze(s2, -1) + eye

    def skew(a):
        return a - transpose(a, -1, -2)
    inner = (skew(matmul(transpose(u, -1, -2), gu)) * unsqueeze(s, -2)
             + unsqueeze(s, -1) * skew(matmul(transpose(v, -1, -2), gv))) / e
    vt = transpose(v, -1, -2)
    grad = matmul(u, matmul(inner, vt))
    if m > k:       # gU outside the span of U
        gu_s = gu / unsqueeze(s, -2)
        grad = grad + matmul(gu_s - matmul(u, matmul(transpose(u, -1, -2), gu_s)), vt)
    if n > k:       # gV outside the span of V
        gv_s = transpose(gv, -1, -2) / unsqueeze(s, -1)
        grad = grad + matmul(u, gv_s - matmul(matmul(gv_s, v), vt))
    return (grad,)


SVD_VECTORS = defop("svd_vectors", _svd_vectors_infer, _svd_vectors_impl, _svd_vectors_vjp)


def _svdvals_vjp(g, x, *, out):
    from graphgrad.ops.linalg import matmul
    from graphgrad.ops.movement import transpose, unsqueeze
    u, v = _split_vectors(bind(SVD_VECTORS, x), x.shape[-2])
    return (matmul(u * unsqueeze(g, -2), transpose(v, -1, -2)),)


SVDVALS = defop("svdvals", _svdvals_infer,
                lambda x: np.linalg.svd(x, compute_uv=False).astype(x.dtype, copy=False),
                _svdvals_vjp)


def svdvals(x):
    """The singular values of a matrix (or a batch), in descending order."""
    return bind(SVDVALS, as_tensor(x))

# -- op functions -----------------------------------------------------------------------------


def _cast_for_norm(name, x, dtype):
    from graphgrad.ops.elementwise import cast
    x = as_tensor(x)
    if x.dtype.kind != "f":
        raise DTypeError(f"{name}: expects a floating-point tensor, got {describe(x)}")
    if dtype is None:
        return x
    dtype = as_dtype(dtype)
    if dtype.kind != "f" or dtype.itemsize < x.dtype.itemsize:
        raise DTypeError(f"{name}: the dtype of the input ({x.dtype}) should be convertible "
                        f"without narrowing to dtype={dtype}")
    return cast(x, dtype)


@numpy_kwargs
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """torch.linalg.vector_norm: (sum |x|^ord)^(1/ord) over `dim` (all dims by default);
    ord may be any number, inf or -inf (0 counts the nonzeros)."""
    x = _cast_for_norm("linalg.vector_norm", x, dtype)
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        dim = None
    dims = reduce_dims("linalg.vector_norm", dim, x)
    return bind(VECTOR_NORM, x, ord=float(ord), dims=dims, keepdim=bool(keepdim))


def _matrix_dims(name, x, dim):
    from graphgrad.ir.types import normalize_dim
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise ShapeError(f"{name}: dim must be a 2-tuple, got {dim!r}")
    if x.ndim < 2:
        raise ShapeError(f"{name}: expects a matrix or a batch of matrices, got {describe(x)}")
    d0, d1 = (normalize_dim(name, d, x.ndim) for d in dim)
    if d0 == d1:
        raise ShapeError(f"{name}: dims must be different, got {tuple(dim)}")
    return d0, d1


@numpy_kwargs
def matrix_norm(x, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """torch.linalg.matrix_norm: 'fro', 'nuc', 2 / -2 (largest / smallest singular value),
    1 / -1 (max / min column sum of |x|), inf / -inf (max / min row sum) over the two `dim`s."""
    name = "linalg.matrix_norm"
    x = _cast_for_norm(name, x, dtype)
    d0, d1 = _matrix_dims(name, x, dim)
    if ord == "fro":
        return vector_norm(x, 2, (d0, d1), keepdim)
    if ord == "nuc" or ord in (2, -2):
        return _singular_norm(x, ord, d0, d1, keepdim)
    if ord not in (1, -1, math.inf, -math.inf):
        raise ValueError(f"{name}: order {ord!r} not supported (use 'fro', 'nuc', 2, -2, 1, -1, "
                         "inf or -inf)")
    from graphgrad.ops.reduce import amax, amin
    if math.isinf(ord):
        d0, d1 = d1, d0         # the inf norm is the 1 norm of the transpose
    if not keepdim and d0 < d1:
        d1 -= 1
    sums = vector_norm(x, 1, d0, keepdim)
    return amax(sums, d1, keepdim) if ord > 0 else amin(sums, d1, keepdim)


def _singular_norm(x, ord, d0, d1, keepdim):
    from graphgrad.ops.movement import permute, unsqueeze
    from graphgrad.ops.reduce import amax, amin, sum
    rest = tuple(d for d in range(x.ndim) if d not in (d0, d1))
    perm = rest + (d0, d1)
    s = svdvals(permute(x, perm))
    out = sum(s, -1) if ord == "nuc" else amax(s, -1) if ord == 2 else amin(s, -1)
    if keepdim:
        out = permute(unsqueeze(unsqueeze(out, -1), -1), tuple(np.argsort(perm)))
    return out


def _as_dims(dim):
    if dim is None:
        return None
    return (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)


@numpy_kwargs
def linalg_norm(x, ord=None, dim=None, keepdim=False, *, dtype=None):
    """torch.linalg.norm: a vector norm over one dim (or a 1-D tensor), a matrix norm over two
    dims (or a 2-D tensor given `ord`); ord=None is the 2-norm of everything."""
    x = as_tensor(x)
    dims = _as_dims(dim)
    if dims is not None and len(dims) not in (1, 2):
        raise ShapeError(f"linalg.norm: dim must have length 1 or 2, got {dim!r}")
    if dims is None and ord is not None and x.ndim not in (1, 2):
        raise ShapeError(f"linalg.norm: with ord and no dim the input must be 1-D or 2-D, got "
                         f"{describe(x)}")
    if isinstance(ord, str) or (ord is not None and (len(dims) == 2 if dims else x.ndim == 2)):
        return matrix_norm(x, ord, dims or (0, 1), keepdim, dtype=dtype)
    return vector_norm(x, 2 if ord is None else ord, dims, keepdim, dtype=dtype)


def norm(x, p="fro", dim=None, keepdim=False, dtype=None):
    """torch.norm: 'fro' (or None) is the 2-norm over `dim` (all dims by default), 'nuc' the
    nuclear norm, a number p the vector p-norm over `dim`."""
    x = as_tensor(x)
    dims = _as_dims(dim)
    if isinstance(p, str):
        if p == "fro" and (dims is None or len(dims) <= 2):
            return vector_norm(x, 2, dims, keepdim, dtype=dtype)
        return matrix_norm(x, p, dims if dims is not None else tuple(range(x.ndim)), keepdim,
                           dtype=dtype)
    return vector_norm(x, 2.0 if p is None else p, dims, keepdim, dtype=dtype)


def _attach_methods():
    from graphgrad.tensor import Tensor
    Tensor.norm = norm


_attach_methods()
