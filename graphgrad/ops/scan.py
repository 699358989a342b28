"""Scans along one dim: cumsum, cumprod, logcumsumexp and cummax/cummin (values, indices).

cumsum, cumprod and logcumsumexp are primitives with their own gradient rules; cummax and
cummin find their indices with a primitive and gather the values with indexing, so their
gradient flows to the positions the indices name, as torch's does.
"""
from collections import namedtuple

import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import ShapeError
from graphgrad.ir.types import TensorType, normalize_dim
from graphgrad.ops._core import as_tensor, const, defop, describe
from graphgrad.ops.dim_keywords import numpy_kwargs
from graphgrad.ops.reduce import with_dtype


def _check_dim(name, x, dim):
    if not 0 <= dim < len(x.shape):
        raise ShapeError(f"{name}: dim {dim} out of range for {describe(x)}")


def _sum_dtype(dtype):
    """cumsum/cumprod of integers and bools accumulate in int64, as torch's do."""
    return dtype if dtype.kind == "f" else np.dtype(np.int64)


def _accumulate_infer(name):
    def infer(x, *, dim):
        _check_dim(name, x, dim)
        return TensorType(tuple(x.shape), _sum_dtype(x.dtype))
    return infer


def flip_dim(x, dim):
    """`x` reversed along `dim` (a strided view)."""
    spec = tuple(("s", None, None, None) for _ in range(dim)) + (("s", None, None, -1),)
    from graphgrad.ops.movement import GETITEM
    return bind(GETITEM, x, spec=spec)


def reverse_cumsum(x, dim):
    """out[i] = sum of x[j] for j >= i along `dim`."""
    return flip_dim(bind(CUMSUM, flip_dim(x, dim), dim=dim), dim)


# -- cumsum -----------------------------------------------------------------------------------

def _cumsum_impl(x, *, dim):
    return np.cumsum(x, axis=dim, dtype=_sum_dtype(x.dtype))


CUMSUM = defop("cumsum", _accumulate_infer("cumsum"), _cumsum_impl,
               lambda g, x, *, out, dim: (reverse_cumsum(g, dim),))

# -- cumprod ----------------------------------------------------------------------------------


def _cumprod_impl(x, *, dim):
    return np.cumprod(x, axis=dim, dtype=_sum_dtype(x.dtype))


def _cumprod_vjp(g, x, *, out, dim):
    """d out[i] / d x[j] = prod of x[k], k <= i, k != j. Before the first zero of a slice this
    is out[i] / x[j]; at the first zero it is the product with that zero replaced by 1; after
    it, every product holds that zero (as torch's cumprod_backward)."""
    from graphgrad.ops.elementwise import cast, logical_and, where
    if x.shape[dim] == 1:       # the identity (also for inf and nan inputs, as torch)
        return (g,)
    zero = x == 0.0
    zeros_so_far = bind(CUMSUM, cast(zero, np.int64), dim=dim)
    before = zeros_so_far == 0
    first_zero = logical_and(zero, zeros_so_far == 1)
    safe_x = where(before, x, 1.0)
    grad_before = reverse_cumsum(g * out, dim) / safe_x
    without_zero = bind(CUMPROD, where(first_zero, 1.0, x), dim=dim)
    grad_at_zero = reverse_cumsum(g * without_zero, dim)
    return (where(before, grad_before, where(first_zero, grad_at_zero, 0.0)),)


CUMPROD = defop("cumprod", _accumulate_infer("cumprod"), _cumprod_impl, _cumprod_vjp)

# -- logcumsumexp -----------------------------------------------------------------------------


def _logcumsumexp_infer(x, *, dim):
    if x.dtype.kind != "f":
        raise NotImplementedError(f"logcumsumexp: not implemented for {describe(x)}; use a "
                                  "floating-point tensor")
    _check_dim("logcumsumexp", x, dim)
    return TensorType(tuple(x.shape), x.dtype)


def _logcumsumexp_impl(x, *, dim):
    return np.logaddexp.accumulate(x, axis=dim)


def _reverse_logcumsumexp(x, dim):
    return flip_dim(bind(LOGCUMSUMEXP, flip_dim(x, dim), dim=dim), dim)


def _logcumsumexp_vjp(g, x, *, out, dim):
    """grad[j] = sum over i >= j of g[i] exp(x[j] - out[i]), summed in log space separately for
    the positive and the negative parts of g (as torch does), so nothing overflows."""
    from graphgrad.ops.elementwise import abs, exp, log, where
    lowest = float(np.finfo(x.dtype).min)
    log_abs = log(abs(g))
    positive = where(g > 0, log_abs, lowest)
    negative = where(g < 0, log_abs, lowest)
    return (exp(_reverse_logcumsumexp(positive - out, dim) + x)
            - exp(_reverse_logcumsumexp(negative - out, dim) + x),)


LOGCUMSUMEXP = defop("logcumsumexp", _logcumsumexp_infer, _logcumsumexp_impl,
                     _logcumsumexp_vjp)

# -- cummax / cummin indices ------------------------------------------------------------------


def _cumext_infer(name):
    def infer(x, *, dim):
        _check_dim(name, x, dim)
        return TensorType(tuple(x.shape), np.dtype(np.int64))
    return infer


def _cumext_impl(accumulate):
    def impl(x, *, dim):
        """The index of the running extreme: the last position where the running value was
        reached (ties take the later index, a NaN stays the extreme), as torch on the CPU."""
        running = accumulate(x, axis=dim)
        reached = x == running
        if x.dtype.kind == "f":
            reached |= np.isnan(x)
        shape = [1] * x.ndim
        shape[dim] = x.shape[dim]
        positions = np.arange(x.shape[dim], dtype=np.int64).reshape(shape)
        return np.maximum.accumulate(np.where(reached, positions, 0), axis=dim)
    return impl


CUMMAX_INDICES = defop("cummax_indices", _cumext_infer("cummax"),
                       _cumext_impl(np.maximum.accumulate))
CUMMIN_INDICES = defop("cummin_indices", _cumext_infer("cummin"),
                       _cumext_impl(np.minimum.accumulate))

# -- op functions -----------------------------------------------------------------------------


def _scan(op, x, dim):
    """Apply a scan primitive; a 0-d tensor is scanned as a one-element vector."""
    x = as_tensor(x)
    dim = normalize_dim(op.name, dim, x.ndim)
    if x.ndim == 0:
        from graphgrad.ops.movement import reshape
        return reshape(bind(op, reshape(x, (1,)), dim=0), ())
    return bind(op, x, dim=dim)


@numpy_kwargs
def cumsum(x, dim, *, dtype=None):
    return _scan(CUMSUM, with_dtype(as_tensor(x), dtype), dim)


@numpy_kwargs
def cumprod(x, dim, *, dtype=None):
    return _scan(CUMPROD, with_dtype(as_tensor(x), dtype), dim)


@numpy_kwargs
def logcumsumexp(x, dim):
    return _scan(LOGCUMSUMEXP, x, dim)


def take_along_dim(x, indices, dim):
    """out[..., i, ...] = x[..., indices[..., i, ...], ...] along `dim` (shapes equal): integer
    indexing with a position grid in every other dim, so the gradient is a scatter-add."""
    from graphgrad.ops.movement import GETITEM
    grids = []
    spec = []
    for d, n in enumerate(x.shape):
        spec.append(("t", d))
        if d == dim:
            grids.append(indices)
        else:
            shape = [1] * x.ndim
            shape[d] = n
            grids.append(const(np.arange(n, dtype=np.int64).reshape(shape), None))
    return bind(GETITEM, x, *grids, spec=tuple(spec))


CumMaxResult = namedtuple("cummax", ["values", "indices"])
CumMinResult = namedtuple("cummin", ["values", "indices"])


def _cumext(op, result, x, dim):
    indices = _scan(op, x, dim)
    if x.ndim == 0:
        return result(x, indices)
    return result(take_along_dim(x, indices, normalize_dim(op.name, dim, x.ndim)), indices)


@numpy_kwargs
def cummax(x, dim):
    """(values, indices) of the running maximum along `dim`, like torch.cummax."""
    return _cumext(CUMMAX_INDICES, CumMaxResult, as_tensor(x), dim)


@numpy_kwargs
def cummin(x, dim):
    return _cumext(CUMMIN_INDICES, CumMinResult, as_tensor(x), dim)


def _attach_methods():
    from graphgrad.tensor import Tensor
    for fn in (cumsum, cumprod, cummax, cummin, logcumsumexp):
        setattr(Tensor, fn.__name__, fn)
    Tensor.cumsum_ = lambda self, dim, *, dtype=None: self._inplace(
        lambda s: cumsum(s, dim, dtype=dtype), "cumsum_")
    Tensor.cumprod_ = lambda self, dim, *, dtype=None: self._inplace(
        lambda s: cumprod(s, dim, dtype=dtype), "cumprod_")


_attach_methods()
