"""prod: the product of all elements or along one dim, with torch's gradient where the input
holds zeros (the product of the other elements at a single zero, 0 elsewhere)."""
import numpy as np

from graphgrad.dispatch import bind
from graphgrad.ir.types import TensorType, normalize_dim
from graphgrad.ops._core import as_tensor, defop
from graphgrad.ops.aliases import numpy_kwargs
from graphgrad.ops.reduce import _check_dims, _expand_back, _reduced_shape, sum_dims, with_dtype


def _prod_dtype(dtype):
    return dtype if dtype.kind == "f" else np.dtype(np.int64)


def _prod_infer(x, *, dims, keepdim):
    _check_dims("prod", x, dims)
    return TensorType(_reduced_shape(tuple(x.shape), dims, keepdim), _prod_dtype(x.dtype))


def _prod_impl(x, *, dims, keepdim):
    return np.prod(x, axis=dims, keepdims=keepdim, dtype=_prod_dtype(x.dtype))


def _prod_vjp(g, x, *, out, dims, keepdim):
    from graphgrad.ops.elementwise import cast, logical_and, where
    shape = tuple(x.shape)
    zero = x == 0.0
    zeros = sum_dims(cast(zero, np.int64), dims, keepdim=True)
    safe_x = where(zero, 1.0, x)
    others = bind(PROD, safe_x, dims=dims, keepdim=True)     # the product of the nonzeros
    none_zero = where(zeros == 0, others / safe_x, 0.0)
    single_zero = where(logical_and(zero, zeros == 1), others, 0.0)
    return (_expand_back(g, shape, dims, keepdim) * (none_zero + single_zero),)


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
