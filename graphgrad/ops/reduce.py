"""Reductions: sum, amax and argmax primitives; mean, var, std, min, logsumexp composites."""
import builtins

import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import ShapeError
from graphgrad.ir.types import TensorType, normalize_dim, normalize_dims
from graphgrad.ops._core import defop, describe, float_operand


def _reduced_shape(shape, dims, keepdim):
    if keepdim:
        return tuple(1 if i in dims else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in dims)


def _check_dims(name, x, dims):
    for d in dims:
        if not 0 <= d < len(x.shape):
            raise ShapeError(f"{name}: dim {d} out of range for {describe(x)}")


def reduce_dims(name, dim, x):
    """The normalized axes to reduce; a 0-d tensor has none (dim 0 or -1 is accepted for it,
    as in torch)."""
    dims = normalize_dims(name, dim, x.ndim)
    return dims if x.ndim else ()


def _sum_infer(x, *, dims, keepdim):
    _check_dims("sum", x, dims)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.int64)
    return TensorType(_reduced_shape(tuple(x.shape), dims, keepdim), dtype)


def _sum_impl(x, *, dims, keepdim):
    dtype = None if x.dtype.kind == "f" else np.int64
    return np.sum(x, axis=dims, keepdims=keepdim, dtype=dtype)


def _expand_back(g, x_shape, dims, keepdim):
    """Gradient of a reduction: reinsert the reduced axes, broadcast back to the input shape."""
    from graphgrad.ops.movement import broadcast_to, reshape
    if not keepdim:
        g = reshape(g, _reduced_shape(x_shape, dims, True))
    return broadcast_to(g, x_shape)


def _sum_vjp(g, x, *, out, dims, keepdim):
    return (_expand_back(g, tuple(x.shape), dims, keepdim),)


def _sum_out(out, x, *, dims, keepdim):
    return np.sum(x, axis=dims, keepdims=keepdim, out=out)


def _reduce_expr(ufunc):
    def expr(a, out, in_types, *, dims, keepdim):
        dtype = "" if in_types[0].dtype.kind == "f" or ufunc != "add" else ", dtype=_np.int64"
        target = "" if out is None else f", out={out}"
        return f"_np.{ufunc}.reduce({a[0]}, axis={dims!r}, keepdims={keepdim}{dtype}{target})"
    return expr


SUM = defop("sum", _sum_infer, _sum_impl, _sum_vjp, out_impl=_sum_out, expr=_reduce_expr("add"))


def _amax_infer(x, *, dims, keepdim):
    _check_dims("amax", x, dims)
    for d in dims:
        if x.shape[d] == 0:
            raise ShapeError(f"amax: cannot reduce over the empty dim {d} of {describe(x)}")
    return TensorType(_reduced_shape(tuple(x.shape), dims, keepdim), x.dtype)


def _amax_impl(x, *, dims, keepdim):
    return np.amax(x, axis=dims, keepdims=keepdim)


def _amax_vjp(g, x, *, out, dims, keepdim):
    # the gradient is shared evenly between tied maxima, as in torch.amax
    from graphgrad.ops.elementwise import cast
    from graphgrad.ops.movement import reshape
    if not keepdim:
        out = reshape(out, _reduced_shape(tuple(x.shape), dims, True))
    mask = cast(x == out, x.dtype)
    count = sum_dims(mask, dims, keepdim=True)
    return (_expand_back(g, tuple(x.shape), dims, keepdim) * (mask / count),)


def _amax_out(out, x, *, dims, keepdim):
    return np.amax(x, axis=dims, keepdims=keepdim, out=out)


AMAX = defop("amax", _amax_infer, _amax_impl, _amax_vjp, out_impl=_amax_out,
             expr=_reduce_expr("maximum"))


def _argmax_infer(x, *, dim, keepdim):
    if dim is None:
        if x.shape and 0 in tuple(x.shape):
            raise ShapeError(f"argmax: empty tensor {describe(x)}")
        return TensorType((1,) * len(x.shape) if keepdim else (), np.dtype(np.int64))
    _check_dims("argmax", x, (dim,))
    if x.shape[dim] == 0:
        raise ShapeError(f"argmax: cannot reduce over the empty dim {dim} of {describe(x)}")
    return TensorType(_reduced_shape(tuple(x.shape), (dim,), keepdim), np.dtype(np.int64))


def _argmax_impl(x, *, dim, keepdim):
    return np.argmax(x, axis=dim, keepdims=keepdim).astype(np.int64, copy=False)


ARGMAX = defop("argmax", _argmax_infer, _argmax_impl)

# -- op functions -----------------------------------------------------------------------------


def sum_dims(x, dims, keepdim=False):
    """The primitive: `dims` already normalized (a tuple of non-negative axes)."""
    return bind(SUM, x, dims=tuple(dims), keepdim=bool(keepdim))


def sum(x, dim=None, keepdim=False):
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        dim = None              # torch: an empty dim list reduces everything
    return sum_dims(x, reduce_dims("sum", dim, x), keepdim)


def mean(x, dim=None, keepdim=False):
    x = float_operand(x)
    dims = reduce_dims("mean", dim, x)
    count = int(np.prod([x.shape[d] for d in dims], dtype=np.int64))
    return sum_dims(x, dims, keepdim) * (1.0 / count if count else float("nan"))


def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance with Bessel's correction by default (correction=1), like torch.var."""
    x = float_operand(x)
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    dims = reduce_dims("var", dim, x)
    count = int(np.prod([x.shape[d] for d in dims], dtype=np.int64))
    centered = x - mean(x, dims, keepdim=True)
    denom = builtins.max(count - correction, 0)
    return sum_dims(centered * centered, dims, keepdim) * (1.0 / denom if denom else float("nan"))


def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    from graphgrad.ops.elementwise import sqrt, where
    v = var(x, dim, unbiased, keepdim, correction=correction)
    # torch: where the std is 0 its gradient is 0 (not sqrt's infinite slope times 0 = nan)
    zero = v == 0.0
    return where(zero, 0.0, sqrt(where(zero, 1.0, v)))


def amax(x, dim=None, keepdim=False):
    return bind(AMAX, x, dims=reduce_dims("amax", dim, x), keepdim=bool(keepdim))


def amin(x, dim=None, keepdim=False):
    return -amax(-x, dim, keepdim)


def argmax(x, dim=None, keepdim=False):
    if dim is not None:
        dim = normalize_dim("argmax", dim, x.ndim) if x.ndim else None
    return bind(ARGMAX, x, dim=dim, keepdim=bool(keepdim))


def argmin(x, dim=None, keepdim=False):
    return argmax(-x, dim, keepdim)


def max(x, dim=None, keepdim=False):
    """`max(x)` is the overall maximum; `max(x, dim)` returns (values, indices) like torch;
    `max(a, b)` with a tensor `b` is the elementwise maximum."""
    from graphgrad.tensor import Tensor
    if isinstance(dim, Tensor):
        from graphgrad.ops.elementwise import maximum
        return maximum(x, dim)
    if dim is None:
        return amax(x)
    index = argmax(x, dim, keepdim)
    return MaxResult(_values_at(x, index, dim, keepdim, amax), index)


def min(x, dim=None, keepdim=False):
    from graphgrad.tensor import Tensor
    if isinstance(dim, Tensor):
        from graphgrad.ops.elementwise import minimum
        return minimum(x, dim)
    if dim is None:
        return amin(x)
    index = argmin(x, dim, keepdim)
    return MaxResult(_values_at(x, index, dim, keepdim, amin), index)


def _values_at(x, index, dim, keepdim, reduce):
    """The values of `x` at `index` along `dim` (the result of max/min with a dim): as in
    torch, the gradient goes to that one element only, even when the extremum is tied."""
    if x.dtype.kind != "f" or x.ndim == 0:
        return reduce(x, dim, keepdim)       # no gradient to route
    from graphgrad.ops.creation import arange
    from graphgrad.ops.elementwise import where
    from graphgrad.ops.movement import reshape, unsqueeze
    d = normalize_dim("max", dim, x.ndim)
    if not keepdim:
        index = unsqueeze(index, d)
    positions = reshape(arange(x.shape[d]), (x.shape[d],) + (1,) * (x.ndim - d - 1))
    return sum_dims(where(positions == index, x, 0.0), (d,), keepdim)


class MaxResult(tuple):
    """(values, indices), also reachable as `.values` and `.indices` like torch's namedtuple."""

    def __new__(cls, values, indices):
        return super().__new__(cls, (values, indices))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]


def logsumexp(x, dim=None, keepdim=False):
    """log(sum(exp(x))) computed stably: the max is subtracted first (as a constant)."""
    from graphgrad.ops.elementwise import abs, exp, log, where
    from graphgrad.ops.movement import reshape
    x = float_operand(x)
    dims = reduce_dims("logsumexp", dim, x)
    m = amax(x, dims, keepdim=True).detach()
    m = where(abs(m) == float("inf"), 0.0, m)   # all -inf gives -inf, an inf gives inf
    s = log(sum_dims(exp(x - m), dims, keepdim=True)) + m
    if not keepdim:
        s = reshape(s, _reduced_shape(tuple(x.shape), dims, False))
    return s


def any(x, dim=None, keepdim=False):
    from graphgrad.ops.elementwise import cast
    return sum(cast(x, np.bool_), dim, keepdim) > 0


def all(x, dim=None, keepdim=False):
    from graphgrad.ops.elementwise import cast, logical_not
    return sum(cast(logical_not(cast(x, np.bool_)), np.int64), dim, keepdim) == 0
