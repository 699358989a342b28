"""prod: the product of all elements or along one dim. Its gradient is the product of the other
elements (prefix times suffix products, as torch computes it with zeros), right with zeros and
differentiable again."""
import numpy as np

from graphgrad.dispatch import bind
from graphgrad.ir.types import TensorType, normalize_dim
from graphgrad.ops._core import as_tensor, defop
from graphgrad.ops.dim_keywords import numpy_kwargs
from graphgrad.ops.reduce import _check_dims, _expand_back, _reduced_shape, with_dtype


def _prod_dtype(dtype):
    return dtype if dtype.kind == "f" else np.dtype(np.int64)


def _prod_infer(x, *, dims, keepdim):
    _check_dims("prod", x, dims)
    return TensorType(_reduced_shape(tuple(x.shape), dims, keepdim), _prod_dtype(x.dtype))


def _prod_impl(x, *, dims, keepdim):
    return np.prod(x, axis=dims, keepdims=keepdim, dtype=_prod_dtype(x.dtype))


def _exclusive_products(x, dim):
    """For every j, the product of x[k] over k != j along `dim`: a prefix product times a
    suffix product, with no division, so it is exact with zeros and differentiable again."""
    from graphgrad.ops.creation import ones
    from graphgrad.ops.movement import cat
    from graphgrad.ops.scan import CUMPROD, flip_dim
    n = x.shape[dim]
    lead = (slice(None),) * dim
    one = ones(*(1 if d == dim else s for d, s in enumerate(x.shape)), dtype=x.dtype)
    before = bind(CUMPROD, cat([one, x[lead + (slice(0, n - 1),)]], dim), dim=dim)
    reverse = flip_dim(x, dim)[lead + (slice(0, n - 1),)]
    after = flip_dim(bind(CUMPROD, cat([one, reverse], dim), dim=dim), dim)
    return before * after


def _prod_vjp(g, x, *, out, dims, keepdim):
    from graphgrad.ops.movement import reshape
    shape = tuple(x.shape)
    g = _expand_back(g, shape, dims, keepdim)
    if not x.shape or 0 in x.shape:
        return (g,)
    if len(dims) == 1:
        return (g * _exclusive_products(x, dims[0]),)
    # over several dims: the same on the flattened tensor (prod reduces all dims or one)
    return (g * reshape(_exclusive_products(reshape(x, (-1,)), 0), shape),)


PROD = defop("prod", _prod_infer, _prod_impl, _prod_vjp)


@numpy_kwargs
def prod(x, dim=None, keepdim=False, *, dtype=None):
    """torch.prod: of all elements (`prod(x)`), or along one int `dim`."""
    x = with_dtype(as_tensor(x), dtype)
    if dim is None:
        dims = tuple(range(x.ndim))
        keepdim = False
    else:
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
            raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
        dims = (normalize_dim("prod", dim, x.ndim),) if x.ndim else ()
    out = bind(PROD, x, dims=dims, keepdim=bool(keepdim))
    return with_dtype(out, dtype)


def _attach_methods():
    from graphgrad.tensor import Tensor
    Tensor.prod = prod


_attach_methods()
