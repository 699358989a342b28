"""Matrix helpers built from indexing, `where` and elementwise ops: tril, triu, diagonal, diag,
trace, outer, cross and vdot (their gradients come from those primitives)."""
import numpy as np

from graphgrad.errors import DTypeError, ShapeError
from graphgrad.ir.types import broadcast_shapes, normalize_dim
from graphgrad.ops._core import as_tensor, const, describe, operands


def _zero_of(x):
    return const(np.zeros((), x.dtype), None)


def _triangle(name, x, keep):
    from graphgrad.ops.elementwise import where
    x = as_tensor(x)
    if x.ndim < 2:
        raise ShapeError(f"{name}: input tensor must have at least 2 dimensions, got "
                         f"{describe(x)}")
    mask = const(keep(*x.shape[-2:]), None)
    return where(mask, x, _zero_of(x))


def tril(x, diagonal=0):
    """The lower triangle of the last two dims (elements on and below `diagonal`)."""
    return _triangle("tril", x, lambda m, n: np.tri(m, n, diagonal, dtype=bool))


def triu(x, diagonal=0):
    """The upper triangle of the last two dims (elements on and above `diagonal`)."""
    return _triangle("triu", x, lambda m, n: ~np.tri(m, n, diagonal - 1, dtype=bool))


def _diagonal_positions(rows, cols, offset):
    """Row and column indices of the diagonal `offset` of a rows x cols matrix."""
    start_row, start_col = max(-offset, 0), max(offset, 0)
    n = max(min(rows - start_row, cols - start_col), 0)
    return (np.arange(start_row, start_row + n, dtype=np.int64),
            np.arange(start_col, start_col + n, dtype=np.int64))


def diagonal(x, offset=0, dim1=0, dim2=1):
    """The diagonal `offset` of the matrices in dims (dim1, dim2), appended as the last dim."""
    return _diagonal(x, offset, dim1, dim2)


def _diagonal(x, offset, dim1, dim2):
    from graphgrad.ops.movement import getitem, permute
    x = as_tensor(x)
    if x.ndim < 2:
        raise ShapeError(f"diagonal: expects at least 2 dimensions, got {describe(x)}")
    d1 = normalize_dim("diagonal", dim1, x.ndim)
    d2 = normalize_dim("diagonal", dim2, x.ndim)
    if d1 == d2:
        raise ShapeError(f"diagonal: dim1 and dim2 cannot be the same dim ({dim1}, {dim2})")
    rows, cols = _diagonal_positions(x.shape[d1], x.shape[d2], int(offset))
    rest = tuple(d for d in range(x.ndim) if d not in (d1, d2))
    moved = permute(x, rest + (d1, d2))
    return getitem(moved, (Ellipsis, const(rows, None), const(cols, None)))


def diag(x, diagonal=0):
    """A 1-D tensor -> the square matrix with it on diagonal `diagonal`; a matrix -> that
    diagonal as a 1-D tensor."""
    from graphgrad.ops.creation import zeros
    from graphgrad.ops.movement import setitem
    x = as_tensor(x)
    if x.ndim == 2:
        return _diagonal(x, diagonal, 0, 1)
    if x.ndim != 1:
        raise ShapeError(f"diag: supports 1-D or 2-D tensors, got {describe(x)}")
    size = x.shape[0] + abs(int(diagonal))
    rows, cols = _diagonal_positions(size, size, int(diagonal))
    base = zeros(size, size, dtype=x.dtype)
    return setitem(base, (const(rows, None), const(cols, None)), x)


def trace(x):
    """The sum of the main diagonal of a matrix (int64 for integer matrices)."""
    from graphgrad.ops.reduce import sum
    x = as_tensor(x)
    if x.ndim != 2:
        raise ShapeError(f"trace: expects a matrix, got {describe(x)}")
    return sum(diagonal(x))


def outer(a, b):
    """a[i] * b[j] for 1-D tensors (dtypes promoted)."""
    from graphgrad.ops.movement import reshape
    a, b = operands(a, b)
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeError(f"outer: expects 1-D tensors, got {describe(a)} and {describe(b)}")
    return reshape(a, (a.shape[0], 1)) * reshape(b, (1, b.shape[0]))


def _cross_dim(a, b, dim, name):
    if a.ndim != b.ndim:
        raise ShapeError(f"{name}: inputs must have the same number of dimensions, got "
                         f"{describe(a)} and {describe(b)}")
    if dim is None:     # torch.cross: the first dim of size 3
        sizes = [i for i, n in enumerate(a.shape) if n == 3]
        if not sizes:
            raise ShapeError(f"{name}: no dimension of size 3 in {describe(a)}")
        d = sizes[0]
    else:
        d = normalize_dim(name, dim, a.ndim)
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise ShapeError(f"{name}: inputs dimension {d} must have length 3, got "
                         f"{describe(a)} and {describe(b)}")
    return d


def cross(a, b, dim=None):
    """The cross product of 3-vectors along `dim` (torch.cross: the first dim of size 3 when
    `dim` is None); the other dims broadcast."""
    return _cross(a, b, dim, "cross")


def linalg_cross(a, b, dim=-1):
    """torch.linalg.cross: like `cross`, with `dim=-1` by default."""
    return _cross(a, b, dim, "linalg.cross")


def _cross(a, b, dim, name):
    from graphgrad.ops.movement import broadcast_to, getitem, stack
    a, b = as_tensor(a), as_tensor(b)
    if a.dtype != b.dtype:
        raise DTypeError(f"{name}: both inputs must share a dtype, got {describe(a)} and "
                        f"{describe(b)}")
    d = _cross_dim(a, b, dim, name)
    shape = broadcast_shapes(name, a.shape, b.shape)
    a, b = broadcast_to(a, shape), broadcast_to(b, shape)
    lead = (slice(None),) * d
    a0, a1, a2 = (getitem(a, lead + (k,)) for k in range(3))
    b0, b1, b2 = (getitem(b, lead + (k,)) for k in range(3))
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


def linalg_diagonal(x, *, offset=0, dim1=-2, dim2=-1):
    """torch.linalg.diagonal: `diagonal` over the last two dims by default."""
    return _diagonal(x, offset, dim1, dim2)


def vecdot(x, y, *, dim=-1):
    """torch.linalg.vecdot: the dot product of vectors along `dim` (broadcasting)."""
    from graphgrad.ops.reduce import sum
    return sum(x * y, dim)


def vdot(a, b):
    """The dot product of two 1-D tensors (real tensors: the same as `dot`)."""
    from graphgrad.ops.linalg import dot
    return dot(a, b)


def _attach_methods():
    from graphgrad.ops.linalg import dot
    from graphgrad.tensor import Tensor
    for fn in (tril, triu, diag, diagonal, trace, outer, cross, vdot, dot):
        setattr(Tensor, fn.__name__, fn)
    Tensor.tril_ = lambda self, diagonal=0: self._inplace(lambda s: tril(s, diagonal), "tril_")
    Tensor.triu_ = lambda self, diagonal=0: self._inplace(lambda s: triu(s, diagonal), "triu_")


_attach_methods()
