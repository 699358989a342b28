"""Reductions: sum, amax, amin, argmax and argmin primitives; mean, max, min, logsumexp, any
and all composites (var and std live in statistics.py)."""
import math
from collections import namedtuple

import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import DTypeError, ShapeError
from graphgrad.ir.types import TensorType, as_dtype, normalize_dim, normalize_dims
from graphgrad.ops._core import defop, describe, float_operand, per_signature
from graphgrad.ops.dim_keywords import numpy_kwargs
from graphgrad.ops.elementwise import cast, maximum, minimum
from graphgrad.ops.movement import broadcast_to, reshape
from graphgrad.ops.reduce_kernels import (extreme_applies, gemv_split, sum_kernel,
                                          last_axis_extreme)
from graphgrad.tensor import Tensor


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


def _expand_back(g, x_shape, dims, keepdim):
    """Gradient of a reduction: reinsert the reduced axes, broadcast back to the input shape."""
    if not keepdim:
        g = reshape(g, _reduced_shape(x_shape, dims, True))
    return broadcast_to(g, x_shape)


def _sum_vjp(g, x, *, out, dims, keepdim):
    return (_expand_back(g, tuple(x.shape), dims, keepdim),)


def _sum_out(out, x, *, dims, keepdim):
    # the runtime's kernel (out_kernel, chosen once per shape), chosen for this call
    return sum_kernel(x.shape, x.dtype, dims, out.shape, into=True)(out, x)


def _reduce_expr(ufunc):
    def expr(a, out, in_types, *, dims, keepdim):
        if ufunc == "add" and gemv_split(in_types[0].shape, in_types[0].dtype, dims):
            return None                          # the kernel lowers it to a GEMV
        if ufunc != "add" and extreme_applies(in_types[0].shape, in_types[0].dtype, dims):
            return None                          # the kernel runs over columns
        dtype = "" if in_types[0].dtype.kind == "f" or ufunc != "add" else ", dtype=_np.int64"
        target = "" if out is None else f", out={out}"
        return f"_np.{ufunc}.reduce({a[0]}, axis={dims!r}, keepdims={keepdim}{dtype}{target})"
    return expr


def _sum_kernel(into):
    def make(in_types, *, dims, keepdim):
        shape = tuple(in_types[0].shape)
        return sum_kernel(shape, in_types[0].dtype, dims, _reduced_shape(shape, dims, keepdim),
                          into)
    return make


# eager calls run the compiled schedules' kernel for their signature (per_signature): choosing
# between GEMV and NumPy's reduce on every call took longer than summing a small tensor
SUM = defop("sum", _sum_infer, per_signature(_sum_kernel(False)), _sum_vjp, out_impl=_sum_out,
            expr=_reduce_expr("add"), kernel=_sum_kernel(False), out_kernel=_sum_kernel(True))


def _extreme_infer(name):
    def infer(x, *, dims, keepdim):
        _check_dims(name, x, dims)
        for d in dims:
            if x.shape[d] == 0:
                raise ShapeError(f"{name}: cannot reduce over the empty dim {d} of {describe(x)}")
        return TensorType(_reduced_shape(tuple(x.shape), dims, keepdim), x.dtype)
    return infer


def _extreme_vjp(g, x, *, out, dims, keepdim):
    # the gradient is shared evenly between tied extrema, as in torch.amax / torch.amin
    if not keepdim:
        out = reshape(out, _reduced_shape(tuple(x.shape), dims, True))
    mask = cast(x == out, x.dtype)
    count = sum_dims(mask, dims, keepdim=True)
    return (_expand_back(g, tuple(x.shape), dims, keepdim) * (mask / count),)


def _extreme_op(name, reduce):
    ufunc = "maximum" if reduce is np.amax else "minimum"

    def impl(x, *, dims, keepdim):
        y = last_axis_extreme(getattr(np, ufunc), x, dims,
                              _reduced_shape(x.shape, dims, keepdim))
        return reduce(x, axis=dims, keepdims=keepdim) if y is None else y

    def out_impl(out, x, *, dims, keepdim):
        y = last_axis_extreme(getattr(np, ufunc), x, dims, out.shape)
        if y is None:
            return reduce(x, axis=dims, keepdims=keepdim, out=out)
        out[...] = y
        return out
    return defop(name, _extreme_infer(name), impl, _extreme_vjp, out_impl=out_impl,
                 expr=_reduce_expr(ufunc))


AMAX = _extreme_op("amax", np.amax)
AMIN = _extreme_op("amin", np.amin)


def _arg_infer(name):
    def infer(x, *, dim, keepdim):
        if dim is None:
            if x.shape and 0 in tuple(x.shape):
                raise ShapeError(f"{name}: empty tensor {describe(x)}")
            return TensorType((1,) * len(x.shape) if keepdim else (), np.dtype(np.int64))
        _check_dims(name, x, (dim,))
        if x.shape[dim] == 0:
            raise ShapeError(f"{name}: cannot reduce over the empty dim {dim} of {describe(x)}")
        shape = _reduced_shape(tuple(x.shape), (dim,), keepdim)
        return TensorType(shape, np.dtype(np.int64))
    return infer


def _arg_op(name, find):
    def impl(x, *, dim, keepdim):
        return find(x, axis=dim, keepdims=keepdim).astype(np.int64, copy=False)
    return defop(name, _arg_infer(name), impl)


# first index of the extreme value (and of the first NaN), as torch on the CPU
ARGMAX = _arg_op("argmax", np.argmax)
ARGMIN = _arg_op("argmin", np.argmin)

# -- op functions -----------------------------------------------------------------------------


def sum_dims(x, dims, keepdim=False):
    """The primitive: `dims` already normalized (a tuple of non-negative axes)."""
    return bind(SUM, x, dims=tuple(dims), keepdim=bool(keepdim))


def with_dtype(x, dtype):
    """`x` cast to `dtype` first (the `dtype=` argument of torch's reductions)."""
    if dtype is None:
        return x
    return cast(x, as_dtype(dtype))


def all_dims_if_empty(dim):
    # torch: an empty dim list reduces everything
    return None if isinstance(dim, (tuple, list)) and len(dim) == 0 else dim


_ALL_DIMS = [tuple(range(n)) for n in range(65)]     # NumPy's most dims


@numpy_kwargs
def sum(x, dim=None, keepdim=False, *, dtype=None):
    if dtype is None:                       # the common cases: what follows does the same
        if dim is None:
            return bind(SUM, x, dims=_ALL_DIMS[len(x.shape)], keepdim=bool(keepdim))
        d = dim[0] if type(dim) is tuple and len(dim) == 1 else dim     # d or (d,)
        if type(d) is int and -len(x.shape) <= d < len(x.shape):
            return bind(SUM, x, dims=(d % len(x.shape),), keepdim=bool(keepdim))
    x = with_dtype(x, dtype)
    out = sum_dims(x, reduce_dims("sum", all_dims_if_empty(dim), x), keepdim)
    return with_dtype(out, dtype)


def float_input(name, x, dtype=None):
    """The floating-point input of mean/var/std: integer tensors need an explicit dtype=."""
    x = with_dtype(x, dtype)
    if x.dtype.kind != "f":
        raise DTypeError(f"{name}: expects a floating-point tensor (or dtype=), got "
                        f"{describe(x)}")
    return x


def count_of(x, dims):
    shape = x.shape
    return math.prod([shape[d] for d in dims])


@numpy_kwargs
def mean(x, dim=None, keepdim=False, *, dtype=None):
    x = float_input("mean", x, dtype)
    d = dim[0] if type(dim) is tuple and len(dim) == 1 else dim     # d or (d,), quickly
    if type(d) is int and -x.ndim <= d < x.ndim:
        dims = (d % x.ndim,)
    else:
        dims = reduce_dims("mean", all_dims_if_empty(dim), x)
    count = count_of(x, dims)
    return sum_dims(x, dims, keepdim) * (1.0 / count if count else float("nan"))


@numpy_kwargs
def amax(x, dim=None, keepdim=False):
    return bind(AMAX, x, dims=reduce_dims("amax", all_dims_if_empty(dim), x),
                keepdim=bool(keepdim))


@numpy_kwargs
def amin(x, dim=None, keepdim=False):
    return bind(AMIN, x, dims=reduce_dims("amin", all_dims_if_empty(dim), x),
                keepdim=bool(keepdim))


def _arg(op, x, dim, keepdim):
    if x.dtype == np.bool_:     # max(x, dim) of bools has indices; argmax refuses them
        raise DTypeError(f"{op.name}: does not support bool tensors, got {describe(x)}")
    if dim is None:
        return bind(op, x, dim=None, keepdim=bool(keepdim))
    return _indices(op, x, dim, keepdim)


@numpy_kwargs
def argmax(x, dim=None, keepdim=False):
    return _arg(ARGMAX, x, dim, keepdim)


@numpy_kwargs
def argmin(x, dim=None, keepdim=False):
    return _arg(ARGMIN, x, dim, keepdim)


# torch.return_types.max / min: a tuple with named fields
MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])


@numpy_kwargs
def max(x, dim=None, keepdim=False):
    """`max(x)` is the overall maximum (its gradient shared by ties); `max(x, dim)` returns
    (values, indices) like torch, the gradient going to the index; `max(a, b)` with a tensor
    `b` is the elementwise maximum."""
    if isinstance(dim, Tensor):
        return maximum(x, dim)
    if dim is None:
        return amax(x)
    return _values_at_indices(MaxResult, ARGMAX, x, _single_dim("max", dim), keepdim)


@numpy_kwargs
def min(x, dim=None, keepdim=False):
    if isinstance(dim, Tensor):
        return minimum(x, dim)
    if dim is None:
        return amin(x)
    return _values_at_indices(MinResult, ARGMIN, x, _single_dim("min", dim), keepdim)


def _values_at_indices(result, op, x, dim, keepdim):
    """(values, indices) of max/min along `dim`: the values are gathered at the indices, so
    the gradient flows to the chosen element only, as in torch."""
    from graphgrad.ops.scan import take_along_dim
    indices = _indices(op, x, dim, True)
    if x.ndim == 0:
        return result(x, reshape(indices, ()))
    d = normalize_dim(op.name, dim, x.ndim)
    values = take_along_dim(x, indices, d)
    if not keepdim:
        shape = _reduced_shape(tuple(x.shape), (d,), False)
        values, indices = reshape(values, shape), reshape(indices, shape)
    return result(values, indices)


def _indices(op, x, dim, keepdim):
    dim = normalize_dim(op.name, dim, x.ndim) if x.ndim else None
    return bind(op, x, dim=dim, keepdim=bool(keepdim))


def _single_dim(name, dim):
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    return dim


@numpy_kwargs
def logsumexp(x, dim=None, keepdim=False):
    """log(sum(exp(x))) computed stably: the max is subtracted first (as a constant)."""
    from graphgrad.ops.elementwise import abs, exp, log, where
    x = float_operand(x)
    dims = reduce_dims("logsumexp", all_dims_if_empty(dim), x)
    if 0 in x.shape:
        return log(sum_dims(exp(x), dims, keepdim))      # -inf over empty dims, as torch
    m = amax(x, dims, keepdim=True).detach()
    m = where(abs(m) == float("inf"), 0.0, m)   # all -inf gives -inf, an inf gives inf
    s = log(sum_dims(exp(x - m), dims, keepdim=True)) + m
    if not keepdim:
        s = reshape(s, _reduced_shape(tuple(x.shape), dims, False))
    return s


def _logical_result(x, out):
    # torch keeps uint8 for uint8 inputs (a legacy rule); every other dtype gives bool
    if x.dtype == np.uint8:
        return cast(out, np.uint8)
    return out


@numpy_kwargs
def any(x, dim=None, keepdim=False):
    return _logical_result(x, sum(cast(x, np.bool_), dim, keepdim) > 0)


@numpy_kwargs
def all(x, dim=None, keepdim=False):
    from graphgrad.ops.elementwise import logical_not
    hits = sum(cast(logical_not(cast(x, np.bool_)), np.int64), dim, keepdim) == 0
    return _logical_result(x, hits)
