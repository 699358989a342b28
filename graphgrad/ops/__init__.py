"""All op functions. Importing this package registers every primitive in `ir.op.REGISTRY` and
attaches the tensor methods (`x.exp()`, `x.sum(1)`, ...)."""
from graphgrad.ops._core import as_tensor, as_tensor_like, unbroadcast  # noqa: F401
from graphgrad.ops.class_index import one_hot  # noqa: F401
from graphgrad.ops.softmax import log_softmax, softmax  # noqa: F401
from graphgrad.ops.creation import (arange, empty, empty_like, eye, from_numpy, full,  # noqa: F401
                                    full_like, linspace, ones, ones_like, rand, rand_like, randint,
                                    randn, randn_like, randperm, tensor, zeros, zeros_like)
from graphgrad.ops.creation import logspace  # noqa: F401
from graphgrad.ops.elementwise import (abs, add, cast, clone, cos, detach,  # noqa: F401
                                       eq, exp, ge, gt, le, log, log1p,
                                       logical_and, logical_not, logical_or, lt, maximum, minimum,
                                       mul, ne, neg, relu, rsqrt, sigmoid, sign,
                                       sin, sqrt, sub, tanh, where)
from graphgrad.ops.power import pow, square  # noqa: F401
from graphgrad.ops.division import (div, divide, floor_divide, fmod, remainder,  # noqa: F401
                                    true_divide)
from graphgrad.ops.linalg import bmm, dot, matmul, mm  # noqa: F401
from graphgrad.ops.movement import (broadcast_to, cat, chunk, concat, concatenate,  # noqa: F401
                                    expand, expand_as, flatten, getitem, narrow, permute,
                                    reshape, setitem, split, squeeze, stack, t, transpose,
                                    unsqueeze, view)
from graphgrad.ops.reduce import (all, amax, amin, any, argmax, argmin, logsumexp,  # noqa: F401
                                  max, mean, min, sum)
from graphgrad.ops.activation import elu, erf, gelu, leaky_relu, silu, softplus  # noqa: F401
from graphgrad.ops.indexing import masked_fill  # noqa: F401
from graphgrad.ops import loss as _loss  # noqa: F401  (registers binary_cross_entropy)
from graphgrad.ops.convolution import (conv1d, conv2d, conv3d, conv_transpose1d,  # noqa: F401
                                       conv_transpose2d, conv_transpose3d)
from graphgrad.ops.pooling_nd import (avg_pool1d, avg_pool2d, max_pool1d, max_pool2d,  # noqa: F401
                                      max_pool3d)
from graphgrad.ops.padding import pad  # noqa: F401
from graphgrad.ops.patches import pixel_shuffle, pixel_unshuffle  # noqa: F401
from graphgrad.ops.pooling_adaptive import adaptive_avg_pool1d, adaptive_max_pool1d  # noqa: F401
from graphgrad.ops.scatter import gather, scatter, scatter_add, scatter_reduce  # noqa: F401
from graphgrad.ops.indexing import (argwhere, index_add, index_copy, index_fill,  # noqa: F401
                                    index_put, index_select, masked_scatter, masked_select,
                                    nonzero, take, take_along_dim)
from graphgrad.ops.sorting import (argsort, kthvalue, median, mode, msort,  # noqa: F401
                                   nanmedian, sort, topk)
from graphgrad.ops.search import (bucketize, searchsorted, unique,  # noqa: F401
                                  unique_consecutive)
from graphgrad.ops.reorder import (flip, fliplr, flipud, repeat, repeat_interleave,  # noqa: F401
                                   roll, rot90, tile)
from graphgrad.ops.sampling import bernoulli, multinomial, normal  # noqa: F401
from graphgrad.ops.scan import cummax, cummin, cumprod, cumsum, logcumsumexp  # noqa: F401
from graphgrad.ops.product import prod  # noqa: F401
from graphgrad.ops.statistics import (aminmax, count_nonzero, nanmean, nansum,  # noqa: F401
                                      std, std_mean, var, var_mean)
from graphgrad.ops.closeness import allclose, isclose  # noqa: F401
from graphgrad.ops.matrix import (cross, diag, diagonal, outer, trace, tril, triu,  # noqa: F401
                                  vdot)
from graphgrad.ops.norms import norm  # noqa: F401
from graphgrad.ops.einsum import einsum  # noqa: F401
from graphgrad.ops.clamping import clamp, clamp_max, clamp_min, clip  # noqa: F401
from graphgrad.ops.rounding import ceil, fix, floor, frac, round, trunc  # noqa: F401
from graphgrad.ops.bitwise import (bitwise_and, bitwise_left_shift, bitwise_not,  # noqa: F401
                                   bitwise_or, bitwise_right_shift, bitwise_xor, logical_xor)
from graphgrad.ops.nonfinite import (isfinite, isinf, isnan, isneginf, isposinf,  # noqa: F401
                                     isreal, nan_to_num)
from graphgrad.ops.signs import copysign, heaviside, sgn, signbit  # noqa: F401
from graphgrad.ops.trig import (acos, acosh, arccos, arccosh, arcsin, arcsinh,  # noqa: F401
                                arctan, arctan2, arctanh, asin, asinh, atan, atan2, atanh, cosh,
                                deg2rad, hypot, rad2deg, sinc, sinh, tan)
from graphgrad.ops.explog import (erfc, exp2, expm1, float_power, ldexp, log2,  # noqa: F401
                                  log10, logaddexp, logaddexp2, logit, reciprocal, xlogy)
from graphgrad.ops.ternary import addcdiv, addcmul, lerp  # noqa: F401
from graphgrad.ops.aliases import (absolute, fmax, fmin, greater, greater_equal,  # noqa: F401
                                   less, less_equal, multiply, negative, not_equal, positive,
                                   subtract)
from graphgrad.ops.activation import celu, prelu, rrelu, selu  # noqa: F401
from graphgrad.ops.activation_piecewise import hardshrink, threshold  # noqa: F401
from graphgrad.ops import conversion as _conversion  # noqa: F401  (Tensor.half, .type, ...)
from graphgrad.ops.shaping import (atleast_1d, atleast_2d, atleast_3d,  # noqa: F401
                                   broadcast_tensors, cartesian_prod, column_stack, diff, dsplit,
                                   dstack, hsplit, hstack, meshgrid, moveaxis, movedim, ravel,
                                   row_stack, select, swapaxes, swapdims, tensor_split, unbind,
                                   unflatten, vsplit, vstack)
from graphgrad.ops.products import (addbmm, addmm, addmv, addr, baddbmm,  # noqa: F401
                                    block_diag, diag_embed, diagflat, dist, inner, kron, mv,
                                    tensordot, tril_indices, triu_indices)
from graphgrad.ops.statistics_extra import (bincount, corrcoef, cov, histc,  # noqa: F401
                                            isin, nanquantile, quantile)
from graphgrad.ops.tensor_extras import numel  # noqa: F401
from graphgrad.ops.linalg_inverse import det, logdet, slogdet  # noqa: F401
from graphgrad.ops.linalg_inverse import inv as inverse  # noqa: F401
from graphgrad.ops.special import digamma, erfinv, lgamma, polygamma  # noqa: F401
from graphgrad.tensor import Tensor

_METHODS = [
    "exp", "log", "log1p", "sqrt", "rsqrt", "tanh", "sigmoid", "relu", "sin", "cos", "sign",
    "square", "abs", "neg", "clamp", "clip", "maximum", "minimum", "pow", "matmul",
    "sum", "mean", "var", "std", "amax", "amin", "argmax", "argmin", "max", "min", "logsumexp",
    "any", "all", "softmax", "log_softmax", "reshape", "view", "flatten", "permute",
    "transpose", "t", "squeeze", "unsqueeze", "expand", "expand_as", "broadcast_to", "split",
    "chunk", "narrow", "eq", "ne", "lt", "le", "gt", "ge", "logical_not", "logical_and",
    "logical_or",
]


def _attach_methods():
    import graphgrad.ops as ops
    for name in _METHODS:
        if not hasattr(Tensor, name):
            setattr(Tensor, name, getattr(ops, name))
    Tensor.add = lambda self, other, alpha=1: add(self, other * alpha if alpha != 1 else other)
    Tensor.sub = lambda self, other, alpha=1: sub(self, other * alpha if alpha != 1 else other)
    Tensor.mul = mul
    Tensor.div = div
    Tensor.view_as = lambda self, other: reshape(self, other.shape)
    Tensor.reshape_as = lambda self, other: reshape(self, other.shape)
    Tensor.type_as = lambda self, other: cast(self, other.dtype)
    from graphgrad.ops import creation
    for name in ("new_zeros", "new_ones", "new_full", "new_empty", "new_tensor"):
        setattr(Tensor, name, getattr(creation, name))


_attach_methods()
from graphgrad.ops.methods import *  # noqa: F401,F403,E402  (x.exp_(), gg.exp_, ...)

# the public op functions (not the submodules): what `from graphgrad.ops import *` exports
__all__ = sorted(name for name, value in globals().items()
                 if not name.startswith("_") and callable(value)
                 and getattr(value, "__module__", "").startswith("graphgrad")
                 and name not in ("Tensor",))
