"""var and nansum (primitives) and reductions built on primitives: std, std_mean,
var_mean, nanmean, count_nonzero and aminmax (torch's signatures, `axis=`/`keepdims=` accepted)."""
from collections import namedtuple

import numpy as np

from graphgrad.errors import DTypeError
from graphgrad.dispatch import bind
from graphgrad.ir.types import TensorType
from graphgrad.ops._core import as_tensor, const, defop, describe
from graphgrad.ops.dim_keywords import numpy_kwargs
from graphgrad.ops.reduce import (_check_dims, _expand_back, _reduced_shape, all_dims_if_empty,
                                  amax, amin, count_of, float_input, mean, reduce_dims, sum,
                                  with_dtype)

# -- var: a primitive, so its gradient is torch's 2 / dof * g * (x - mean) -------------------


def _var_dims(x, dims):
    return tuple(range(len(x.shape))) if dims is None else dims


def _var_infer(x, *, dims, correction, keepdim):
    if x.dtype.kind != "f":
        raise DTypeError(f"var: expects a floating-point tensor, got {describe(x)}")
    dims = _var_dims(x, dims)
    _check_dims("var", x, dims)
    return TensorType(_reduced_shape(tuple(x.shape), dims, keepdim), x.dtype)


def _var_impl(x, *, dims, correction, keepdim):
    dims = _var_dims(x, dims)
    count = count_of(x, dims)
    with np.errstate(divide="ignore", invalid="ignore"):
        centered = x - np.sum(x, axis=dims, keepdims=True) / x.dtype.type(count)
        squares = np.sum(centered * centered, axis=dims, keepdims=keepdim)
        # no degrees of freedom left: a sum over zero, inf (nan for a zero sum), as in torch
        return np.asarray(squares / x.dtype.type(max(count - correction, 0)), dtype=x.dtype)


def _var_vjp(g, x, *, out, dims, correction, keepdim):
    from graphgrad.ops.elementwise import where
    full = dims is None
    dims = _var_dims(x, dims)
    dof = count_of(x, dims) - correction
    centered = x - mean(x, dims, keepdim=True)
    g = _expand_back(g, tuple(x.shape), dims, keepdim)
    if full and dof <= 0:       # torch: g * inf, or nan where x equals the mean
        return (g * where(centered == 0.0, const(np.nan, x.dtype), const(np.inf, x.dtype)),)
    factor = 2.0 / dof if dof else float("inf")
    return (g * centered * factor,)


VAR = defop("var", _var_infer, _var_impl, _var_vjp)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


@numpy_kwargs
def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance with Bessel's correction by default (correction=1), like torch.var;
    `var(x, False)` is the biased variance of all elements."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    x = float_input("var", as_tensor(x))
    dim = all_dims_if_empty(dim)
    dims = None if dim is None else reduce_dims("var", dim, x)
    return bind(VAR, x, dims=dims, correction=_correction(unbiased, correction),
                keepdim=bool(keepdim))


@numpy_kwargs
def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """sqrt(var); where the deviation is 0 its gradient is 0, as torch's."""
    from graphgrad.ops.elementwise import sqrt, where
    v = var(x, dim, unbiased, keepdim, correction=correction)
    zero = v == 0.0
    return where(zero, 0.0, sqrt(where(zero, 1.0, v)))


def _stat_mean(stat, name, x, dim, unbiased, keepdim, correction):
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    x = float_input(name, as_tensor(x))
    return (stat(x, dim, unbiased, keepdim, correction=correction), mean(x, dim, keepdim))


@numpy_kwargs
def std_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) over `dim`, like torch.std_mean."""
    return _stat_mean(std, "std_mean", x, dim, unbiased, keepdim, correction)


@numpy_kwargs
def var_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) over `dim`, like torch.var_mean."""
    return _stat_mean(var, "var_mean", x, dim, unbiased, keepdim, correction)


def isnan(x):
    """NaN test for the functions here (x != x is True exactly at NaNs)."""
    return x != x


def _nansum_infer(x, *, dims, keepdim):
    _check_dims("nansum", x, dims)
    return TensorType(_reduced_shape(tuple(x.shape), dims, keepdim), x.dtype)


def _nansum_vjp(g, x, *, out, dims, keepdim):
    # g * (x is not NaN), a product as in torch: an infinite g gives NaN even at a NaN of x
    from graphgrad.ops.elementwise import cast
    return (_expand_back(g, tuple(x.shape), dims, keepdim) * cast(x == x, x.dtype),)


NANSUM = defop("nansum", _nansum_infer,
               lambda x, *, dims, keepdim: np.nansum(x, axis=dims, keepdims=keepdim),
               _nansum_vjp)


@numpy_kwargs
def nansum(x, dim=None, keepdim=False, *, dtype=None):
    """The sum with NaNs counted as zero (their gradient is zero)."""
    x = with_dtype(as_tensor(x), dtype)
    if x.dtype.kind != "f":
        return sum(x, dim, keepdim)
    dims = reduce_dims("nansum", all_dims_if_empty(dim), x)
    return bind(NANSUM, x, dims=dims, keepdim=bool(keepdim))


@numpy_kwargs
def nanmean(x, dim=None, keepdim=False, *, dtype=None):
    """The mean of the non-NaN elements (NaN where a slice has none, like torch.nanmean)."""
    from graphgrad.ops.elementwise import cast, logical_not
    x = as_tensor(x)
    if x.dtype.kind != "f":
        raise DTypeError(f"nanmean(): expects a floating-point tensor, got {describe(x)}")
    x = with_dtype(x, dtype)
    count = sum(cast(logical_not(isnan(x)), x.dtype), dim, keepdim)
    return nansum(x, dim, keepdim) / count


@numpy_kwargs
def count_nonzero(x, dim=None):
    """The number of nonzero elements (over `dim`, an int or a tuple), as int64."""
    return sum(as_tensor(x) != 0, () if dim is None else dim)


AminmaxResult = namedtuple("aminmax", ["min", "max"])


@numpy_kwargs
def aminmax(x, *, dim=None, keepdim=False):
    """(min, max) of all elements or along one int `dim`, like torch.aminmax."""
    x = as_tensor(x)
    if dim is not None and (not isinstance(dim, (int, np.integer)) or isinstance(dim, bool)):
        raise TypeError(f"aminmax(): argument 'dim' must be int, not {type(dim).__name__}")
    if dim is None and keepdim:
        dims = tuple(range(x.ndim))
        return AminmaxResult(amin(x, dims, True), amax(x, dims, True))
    return AminmaxResult(amin(x, dim, keepdim), amax(x, dim, keepdim))


def _attach_methods():
    from graphgrad.tensor import Tensor
    for fn in (nansum, nanmean, count_nonzero, aminmax):
        setattr(Tensor, fn.__name__, fn)


_attach_methods()
