"""Matrix products with torch's names and scaling arguments (addmm, addmv, addr, baddbmm,
addbmm with beta and alpha; mv, inner, tensordot, kron, dist) and diagonal builders (diag_embed,
diagflat, block_diag, tril_indices, triu_indices): compositions of matmul, reshape and pad."""
import numpy as np

from graphgrad.dtypes import promote_types
from graphgrad.errors import ShapeError
from graphgrad.ir.types import normalize_dim
from graphgrad.ops._core import as_tensor, const, describe
from graphgrad.ops.creation import eye
from graphgrad.ops.linalg import matmul
from graphgrad.ops.matrix import diag
from graphgrad.ops.movement import cat, permute, reshape
from graphgrad.ops.norms import vector_norm
from graphgrad.ops.padding import pad
from graphgrad.ops.shaping import movedim


def _need(name, x, ndim, label):
    if x.ndim != ndim:
        raise ShapeError(f"{name}: {label} must be a {ndim}-D tensor, got {describe(x)}")


def _scaled_sum(input, product, beta, alpha):
    """beta * input + alpha * product; input is ignored when beta == 0 (NaN does not spread)."""
    out = product if alpha == 1 else product * alpha
    input = as_tensor(input)
    if beta == 0:
        return out
    return out + (input if beta == 1 else input * beta)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    a, b = as_tensor(mat1), as_tensor(mat2)
    _need("addmm", a, 2, "mat1")
    _need("addmm", b, 2, "mat2")
    return _scaled_sum(input, matmul(a, b), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    a, v = as_tensor(mat), as_tensor(vec)
    _need("addmv", a, 2, "mat")
    _need("addmv", v, 1, "vec")
    return _scaled_sum(input, matmul(a, v), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    a, b = as_tensor(vec1), as_tensor(vec2)
    _need("addr", a, 1, "vec1")
    _need("addr", b, 1, "vec2")
    return _scaled_sum(input, reshape(a, (-1, 1)) * reshape(b, (1, -1)), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    a, b = as_tensor(batch1), as_tensor(batch2)
    _need("baddbmm", a, 3, "batch1")
    _need("baddbmm", b, 3, "batch2")
    return _scaled_sum(input, matmul(a, b), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    a, b = as_tensor(batch1), as_tensor(batch2)
    _need("addbmm", a, 3, "batch1")
    _need("addbmm", b, 3, "batch2")
    return _scaled_sum(input, matmul(a, b).sum(0), beta, alpha)


def mv(input, vec):
    a, v = as_tensor(input), as_tensor(vec)
    _need("mv", a, 2, "input")
    _need("mv", v, 1, "vec")
    return matmul(a, v)


def inner(input, other):
    """Sum of products over the last dims: shape a.shape[:-1] + b.shape[:-1]."""
    a, b = as_tensor(input), as_tensor(other)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise ShapeError(f"inner: last dimensions differ, {describe(a)} and {describe(b)}")
    k = a.shape[-1]
    out = matmul(reshape(a, (-1, k)), permute(reshape(b, (-1, k)), (1, 0)))
    return reshape(out, a.shape[:-1] + b.shape[:-1])


def tensordot(a, b, dims=2, out=None):
    """Contract the last `dims` dims of a with the first of b, or the listed dim pairs."""
    a, b = as_tensor(a), as_tensor(b)
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise ValueError(f"tensordot: dims must be non-negative, got {dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, (int, np.integer)) else list(da)
        db = [db] if isinstance(db, (int, np.integer)) else list(db)
    da = [normalize_dim("tensordot", d, a.ndim) for d in da]
    db = [normalize_dim("tensordot", d, b.ndim) for d in db]
    if len(da) != len(db) or any(a.shape[i] != b.shape[j] for i, j in zip(da, db)):
        raise ShapeError(f"tensordot: contracted dims {da} of {describe(a)} and {db} of "
                         f"{describe(b)} do not match")
    free_a = [d for d in range(a.ndim) if d not in da]
    free_b = [d for d in range(b.ndim) if d not in db]
    k = int(np.prod([a.shape[d] for d in da]))
    am = reshape(permute(a, tuple(free_a + da)), (-1, k))
    bm = reshape(permute(b, tuple(db + free_b)), (k, -1))
    return reshape(matmul(am, bm), tuple(a.shape[d] for d in free_a)
                   + tuple(b.shape[d] for d in free_b))


def kron(input, other):
    a, b = as_tensor(input), as_tensor(other)
    n = max(a.ndim, b.ndim)
    sa = (1,) * (n - a.ndim) + a.shape
    sb = (1,) * (n - b.ndim) + b.shape
    wide_a = reshape(a, tuple(x for s in sa for x in (s, 1)))
    wide_b = reshape(b, tuple(x for s in sb for x in (1, s)))
    return reshape(wide_a * wide_b, tuple(x * y for x, y in zip(sa, sb)))


def dist(input, other, p=2):
    a, b = as_tensor(input), as_tensor(other)
    return vector_norm(a - b, p)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Matrices whose `offset` diagonal (in dims dim1, dim2 of the result) holds the last dim
    of input."""
    x = as_tensor(input)
    if x.ndim == 0:
        raise ShapeError("diag_embed: expects a tensor with at least one dimension")
    n = x.shape[-1]
    square = reshape(x, x.shape + (1,)) * eye(n, dtype=x.dtype)
    k = abs(offset)
    lead = [0, 0] * (x.ndim - 1)
    if offset > 0:
        square = pad(square, (k, 0, 0, k) + tuple(lead)) if k else square
    elif offset < 0:
        square = pad(square, (0, k, k, 0) + tuple(lead))
    ndim = x.ndim + 1
    d1, d2 = normalize_dim("diag_embed", dim1, ndim), normalize_dim("diag_embed", dim2, ndim)
    if d1 == d2:
        raise ShapeError(f"diag_embed: dim1 and dim2 cannot be the same, got {dim1}, {dim2}")
    return movedim(square, (ndim - 2, ndim - 1), (d1, d2))


def diagflat(input, offset=0):
    return diag(reshape(as_tensor(input), (-1,)), offset)


def block_diag(*tensors):
    """A block-diagonal matrix of the given 0-, 1- or 2-D tensors."""
    ts = [as_tensor(t) for t in tensors]
    for t in ts:
        if t.ndim > 2:
            raise ShapeError(f"block_diag: input tensors must have 2 or fewer dimensions, got "
                             f"{describe(t)}")
    if not ts:
        return const(np.zeros((1, 0)), np.float32)
    dtype = ts[0].dtype
    for t in ts[1:]:
        dtype = promote_types(dtype, t.dtype)
    ts = [reshape(t, (1,) * (2 - t.ndim) + t.shape).astype(dtype) for t in ts]
    width = sum(t.shape[1] for t in ts)
    rows, left = [], 0
    for t in ts:
        rows.append(pad(t, (left, width - left - t.shape[1])))
        left += t.shape[1]
    return cat(rows, 0)


def _indices(name, rows, col, offset, dtype, lower):
    if rows < 0 or col < 0:
        raise ValueError(f"{name}: row and col must be non-negative, got {rows}, {col}")
    idx = np.tril_indices(rows, offset, col) if lower else np.triu_indices(rows, offset, col)
    dtype = np.dtype(np.int64 if dtype is None else dtype)
    return const(np.stack(idx).astype(dtype).reshape(2, -1), dtype)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    return _indices("tril_indices", row, col, offset, dtype, True)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    return _indices("triu_indices", row, col, offset, dtype, False)
