"""Indexing along one dim: the gather, scatter and scatter_reduce primitives and torch's
functions on them (gather, scatter, scatter_add, scatter_reduce and their in-place forms).

`index` has the dims of `input`; `out[i][j][k] = input[i][index[i][j][k]][k]` for dim 1
(gather), and the scatters write `src[i][j][k]` to `out[i][index[i][j][k]][k]`.
"""
import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import DTypeError, OutOfRangeError, ShapeError
from graphgrad.ir.types import TensorType
from graphgrad.ops._core import as_tensor, as_tensor_like, defop, describe
from graphgrad.ops.index_spec import check_values
from graphgrad.tensor import Tensor

REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def wrap_dim(name, dim, ndim):
    """A dim in [-ndim, ndim) as a non-negative int (a 0-d tensor has dim 0 / -1), or
    IndexError like torch."""
    n = max(ndim, 1)
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{name}: dim must be an int, got {type(dim).__name__}")
    if not -n <= dim < n:
        raise OutOfRangeError(f"{name}: dimension out of range (expected to be in range of "
                            f"[{-n}, {n - 1}], but got {dim})")
    return int(dim) % n


def _check_index(name, x, index, dim, src=None):
    if index.dtype != np.int64:
        raise DTypeError(f"{name}: expected an int64 index, got {describe(index)}")
    xs, ishape = tuple(x.shape), tuple(index.shape)
    if len(ishape) != len(xs) and (len(ishape) > 1 or len(xs) > 1):
        raise ShapeError(f"{name}: index {describe(index)} must have as many dims as the "
                         f"input {describe(x)}")
    for d, n in enumerate(ishape if len(ishape) == len(xs) else ()):
        if d != dim and n > xs[d]:
            raise ShapeError(f"{name}: index {describe(index)} must not be larger than the "
                             f"input {describe(x)} apart from dim {dim}")
    if src is not None and tuple(src.shape) != ishape:
        raise ShapeError(f"{name}: src {describe(src)} must have the shape of the index "
                         f"{describe(index)}")
    size = xs[dim] if xs else 1
    check_values(name, index, size, dim, xs, low=0)


def _mesh(index, dim):
    """NumPy index tuple that picks, for every element of `index`, its own position with the
    coordinate along `dim` replaced by the index value."""
    if index.ndim == 0:
        return (index.reshape(1),)
    mesh = list(np.indices(index.shape, sparse=True))
    mesh[dim] = index
    return tuple(mesh)


def _checked(name, index, size):
    if index.size and (index.min() < 0 or index.max() >= size):
        bad = index.min() if index.min() < 0 else index.max()
        raise OutOfRangeError(f"{name}: index {bad} is out of bounds for a dim of size {size}")


# -- gather -----------------------------------------------------------------------------------

def _gather_infer(x, index, *, dim):
    _check_index("gather", x, index, dim)
    return TensorType(tuple(index.shape), x.dtype)


def _gather_impl(x, index, *, dim):
    _checked("gather", index, x.shape[dim] if x.ndim else 1)
    flat = x.reshape(1) if x.ndim == 0 else x
    out = flat[_mesh(index, dim)]
    return out.reshape(()) if index.ndim == 0 else out


def _gather_vjp(g, x, index, *, out, dim):
    from graphgrad.ops.creation import zeros
    base = zeros(x.shape, dtype=x.dtype)
    return (bind(SCATTER_REDUCE, base, index, g, dim=dim, reduce="sum", include_self=True), None)


GATHER = defop("gather", _gather_infer, _gather_impl, _gather_vjp)

# -- scatter (replace) ------------------------------------------------------------------------


def _scatter_infer(name):
    def infer(x, index, src, **attrs):
        _check_index(name, x, index, attrs["dim"], src)
        if src.dtype != x.dtype:
            raise DTypeError(f"{name}: src {describe(src)} must have the dtype of the input "
                            f"{describe(x)}")
        return TensorType(tuple(x.shape), x.dtype)
    return infer


def _flat(x):
    return x.reshape(1) if x.ndim == 0 else x


def _scatter_impl(x, index, src, *, dim):
    _checked("scatter", index, x.shape[dim] if x.ndim else 1)
    out = _flat(x).copy()
    out[_mesh(index, dim)] = src
    return out.reshape(x.shape)


def _scatter_vjp(g, x, index, src, *, out, dim):
    return (_zero_at(g, index, dim), None, bind(GATHER, g, index, dim=dim))


def _zero_at(g, index, dim):
    """g with the positions `index` writes to set to 0."""
    from graphgrad.ops.creation import zeros
    return bind(SCATTER, g, index, zeros(index.shape, dtype=g.dtype), dim=dim)


SCATTER = defop("scatter", _scatter_infer("scatter"), _scatter_impl, _scatter_vjp)

# -- scatter_reduce ---------------------------------------------------------------------------

_UFUNCS = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum,
           "amin": np.minimum}


def _identity(reduce, dtype):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    info = np.iinfo(dtype) if dtype.kind in "iu" else None
    if info is None:
        return reduce == "amin"
    return info.min if reduce == "amax" else info.max


def _scatter_reduce_infer(x, index, src, *, dim, reduce, include_self):
    if reduce not in REDUCTIONS:
        raise ValueError(f"scatter_reduce: reduce must be one of {REDUCTIONS}, got {reduce!r}")
    return _scatter_infer("scatter_reduce")(x, index, src, dim=dim)


def _scatter_reduce_impl(x, index, src, *, dim, reduce, include_self):
    _checked("scatter_reduce", index, x.shape[dim] if x.ndim else 1)
    out = _flat(x).copy()
    mesh = _mesh(index, dim)
    if not include_self:
        out[mesh] = _identity(reduce, x.dtype)
    _UFUNCS[reduce].at(out, mesh, src)
    if reduce == "mean":
        count = np.full(out.shape, 1 if include_self else 0, np.int64)
        np.add.at(count, mesh, 1)
        count = np.maximum(count, 1)
        out = out / count.astype(x.dtype) if x.dtype.kind == "f" else out // count
    return out.reshape(x.shape)


def _scatter_reduce_vjp(g, x, index, src, *, out, dim, reduce, include_self):
    rule = {"sum": _sum_grads, "mean": _mean_grads, "prod": _prod_grads,
            "amax": _extreme_grads, "amin": _extreme_grads}[reduce]
    g_self, g_src = rule(g, x, index, src, out, dim, include_self)
    if not include_self:
        g_self = _zero_at(g_self, index, dim)
    return g_self, None, g_src


def _sum_grads(g, x, index, src, out, dim, include_self):
    return g, bind(GATHER, g, index, dim=dim)


def _mean_grads(g, x, index, src, out, dim, include_self):
    from graphgrad.ops.creation import full
    from graphgrad.ops.elementwise import where
    n = full(g.shape, 1 if include_self else 0, dtype=g.dtype)
    n = bind(SCATTER_REDUCE, n, index, full(index.shape, 1, dtype=g.dtype), dim=dim,
             reduce="sum", include_self=True)
    g_self = g / where(n == 0, 1.0, n)
    return g_self, bind(GATHER, g_self, index, dim=dim)


def _prod_grads(g, x, index, src, out, dim, include_self):
    """torch's rule: exact where an input is 0 (the product of the others)."""
    from graphgrad.ops.elementwise import cast, where
    from graphgrad.ops.creation import zeros

    def prod(base, values):
        return bind(SCATTER_REDUCE, base, index, values, dim=dim, reduce="prod",
                    include_self=include_self)

    masked_self = where(x == 0, 1.0, x)
    g_self = g * prod(masked_self, src) / masked_self
    src_zero = src == 0
    zeros_here = bind(SCATTER_REDUCE, zeros(x.shape, dtype=x.dtype), index,
                      cast(src_zero, x.dtype), dim=dim, reduce="sum", include_self=True)
    single = src_zero & (bind(GATHER, zeros_here, index, dim=dim) == 1)
    others = prod(x, where(single, 1.0, src))
    g_src = where(single, bind(GATHER, g * others, index, dim=dim),
                  bind(GATHER, g * out, index, dim=dim) / where(src_zero, 1.0, src))
    return g_self, g_src


def _extreme_grads(g, x, index, src, out, dim, include_self):
    """Shared evenly between the inputs equal to the result, as in torch."""
    from graphgrad.ops.elementwise import cast
    self_hit = cast(x == out, x.dtype)
    src_hit = cast(src == bind(GATHER, out, index, dim=dim), x.dtype)
    count = bind(SCATTER_REDUCE, self_hit, index, src_hit, dim=dim, reduce="sum",
                 include_self=True)
    share = g / count
    return self_hit * share, src_hit * bind(GATHER, share, index, dim=dim)


SCATTER_REDUCE = defop("scatter_reduce", _scatter_reduce_infer, _scatter_reduce_impl,
                       _scatter_reduce_vjp)

# -- op functions -----------------------------------------------------------------------------


def gather(input, dim, index, *, sparse_grad=False):
    """Values of `input` along `dim` at `index` (which has input's dims)."""
    input, index = as_tensor(input), as_tensor(index)
    return bind(GATHER, input, index, dim=wrap_dim("gather", dim, input.ndim))


def _src_for(name, input, index, src):
    """`src` as a tensor of the index's shape and input's dtype (a number fills it)."""
    from graphgrad.ops.creation import full
    from graphgrad.ops.elementwise import cast
    if not isinstance(src, Tensor):
        value = as_tensor_like(src, input)
        if value.dtype != input.dtype:
            value = cast(value, input.dtype)
        return full(index.shape, 0, dtype=input.dtype) + value
    if src.ndim != index.ndim and (src.ndim > 1 or index.ndim > 1):
        raise ShapeError(f"{name}: src {describe(src)} must have as many dims as the index "
                         f"{describe(index)}")
    if any(s < i for s, i in zip(src.shape, index.shape)):
        raise ShapeError(f"{name}: src {describe(src)} must not be smaller than the index "
                         f"{describe(index)}")
    if src.dtype != input.dtype:
        raise DTypeError(f"{name}: src {describe(src)} must have the dtype of the input "
                        f"{describe(input)}")
    if tuple(src.shape) != tuple(index.shape):
        src = src[tuple(slice(0, n) for n in index.shape)]
    return src


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """`input` with `src` (a tensor, or a number `value`) written at `index` along `dim`;
    reduce="add" / "multiply" combines instead of overwriting."""
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter: expects src (a tensor) or value (a number)")
    input, index = as_tensor(input), as_tensor(index)
    d = wrap_dim("scatter", dim, input.ndim)
    src = _src_for("scatter", input, index, src)
    if reduce is None:
        return bind(SCATTER, input, index, src, dim=d)
    modes = {"add": "sum", "multiply": "prod"}
    if reduce not in modes:
        raise ValueError(f"scatter: reduce must be 'add' or 'multiply', got {reduce!r}")
    return bind(SCATTER_REDUCE, input, index, src, dim=d, reduce=modes[reduce],
                include_self=True)


def scatter_add(input, dim, index, src):
    return scatter_reduce(input, dim, index, src, "sum")


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """`input` with the `src` values at `index` along `dim` combined into it by `reduce`
    ("sum", "prod", "mean", "amax", "amin"); include_self=False leaves input's values out."""
    input, index = as_tensor(input), as_tensor(index)
    d = wrap_dim("scatter_reduce", dim, input.ndim)
    if reduce not in REDUCTIONS:
        raise ValueError(f"scatter_reduce: reduce must be one of {REDUCTIONS}, got {reduce!r}")
    src = _src_for("scatter_reduce", input, index, src)
    return bind(SCATTER_REDUCE, input, index, src, dim=d, reduce=reduce,
                include_self=bool(include_self))


def _attach_methods():
    Tensor.gather = gather
    Tensor.scatter = scatter
    Tensor.scatter_add = scatter_add
    Tensor.scatter_reduce = scatter_reduce
    Tensor.scatter_ = lambda self, dim, index, src=None, value=None, *, reduce=None: \
        self._inplace(lambda s: scatter(s, dim, index, src, value, reduce=reduce), "scatter_")
    Tensor.scatter_add_ = lambda self, dim, index, src: self._inplace(
        lambda s: scatter_add(s, dim, index, src), "scatter_add_")
    Tensor.scatter_reduce_ = lambda self, dim, index, src, reduce, *, include_self=True: \
        self._inplace(lambda s: scatter_reduce(s, dim, index, src, reduce,
                                               include_self=include_self), "scatter_reduce_")


_attach_methods()
