"""Regression, ranking, embedding and distribution losses of `graphgrad.nn.functional`.

Each is a composition of primitives written with torch's own formula (so gradients, and values at
the edges such as a zero difference or a clamp boundary, follow torch's kernels).
"""
import math
import warnings

import numpy as np

from graphgrad import ops
from graphgrad.ops.norms import vector_norm
from graphgrad.dtypes import default_float, result_type
from graphgrad.errors import DTypeError, ShapeError
from graphgrad.modes import active_recorder, is_grad_enabled, no_grad
from graphgrad.ops._core import as_tensor, describe, float_operand
from graphgrad.ops.activation import logsigmoid
from graphgrad.tensor import Tensor

REDUCTIONS = ("mean", "sum", "none")


class DTypeNotImplementedError(DTypeError, NotImplementedError):
    """A loss without a kernel for integer inputs (torch raises NotImplementedError)."""


def legacy_reduction(size_average, reduce, reduction):
    """torch's deprecated size_average/reduce flags, mapped to a reduction string."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def reduce_loss(name, loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{name}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _pair(name, input, target, ints="float"):
    """input and target as tensors of one dtype; differing shapes broadcast, with torch's
    warning. Integer operands become the default float (ints="float"), stay integers
    ("keep") or are refused ("error"), as each torch loss does."""
    a, b = as_tensor(input), as_tensor(target)
    if a.shape != b.shape:
        try:
            np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise ShapeError(f"{name}: input {describe(a)} and target {describe(b)} cannot be "
                             "broadcast together") from None
        warnings.warn(f"{name}: input {describe(a)} and target {describe(b)} have different "
                      "shapes and will be broadcast; this is often a bug", stacklevel=3)
    dtype = np.dtype(result_type(a, b))
    if dtype.kind != "f":
        if ints in ("error", "unsupported"):
            cls = DTypeError if ints == "error" else DTypeNotImplementedError
            raise cls(f"{name}: not implemented for integer inputs, got {describe(a)} "
                             f"and {describe(b)}")
        dtype = dtype if ints == "keep" else default_float()
    return a.astype(dtype), b.astype(dtype)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    a, b = _pair("l1_loss", input, target, ints="keep")
    return reduce_loss("l1_loss", ops.abs(a - b),
                       legacy_reduction(size_average, reduce, reduction))


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (beta=0 is the L1 loss)."""
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    a, b = _pair("smooth_l1_loss", input, target, ints="unsupported")
    z = ops.abs(a - b)
    loss = z if beta == 0 else ops.where(z < beta, 0.5 * z * z / beta, z - 0.5 * beta)
    return reduce_loss("smooth_l1_loss", loss, legacy_reduction(size_average, reduce, reduction))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)."""
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    a, b = _pair("huber_loss", input, target, ints="unsupported")
    z = ops.abs(a - b)
    loss = ops.where(z < delta, 0.5 * z * z, delta * (z - 0.5 * delta))
    if weight is not None:
        loss = loss * as_tensor(weight).astype(loss.dtype)
    return reduce_loss("huber_loss", loss, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Pointwise target * (log target - input) (input holds log-probabilities); 'batchmean'
    divides the sum by the batch size."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    a, b = _pair("kl_div", input, target, ints="error")
    if log_target:
        loss = ops.exp(b) * (b - a)
    else:
        loss = ops.xlogy(b, b) - b * a
    if reduction == "batchmean":
        return loss.sum() / (a.shape[0] if a.ndim else 1)
    if reduction == "mean":
        warnings.warn("kl_div: reduction='mean' divides by the number of elements, not the batch "
                      "size; 'batchmean' gives the mathematical KL divergence", stacklevel=2)
    return reduce_loss("kl_div", loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 (log var + (input - target)^2 / var); var is clamped at eps without affecting its
    gradient, as in torch."""
    x, y = float_operand(input), as_tensor(target)
    y = y.astype(x.dtype)
    if not isinstance(var, Tensor):
        var = ops.full(x.shape, float(var), dtype=x.dtype)
    var = var.astype(x.dtype)
    if var.shape != x.shape:
        if x.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif not (x.shape[:-1] == var.shape[:-1] and var.shape[-1:] == (1,)):
            raise ShapeError(f"gaussian_nll_loss: var {describe(var)} is of incorrect size for "
                             f"the input {describe(x)}")
    if reduction not in REDUCTIONS:
        raise ValueError(f"gaussian_nll_loss: {reduction!r} is not a valid value for reduction")
    if active_recorder() is None and bool((var.detach().numpy() < 0).any()):
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    with no_grad():
        floor = ops.clamp(var, min=eps) - var
    var = var + floor.detach()
    loss = 0.5 * (ops.log(var) + (x - y) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduce_loss("gaussian_nll_loss", loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """exp(input) - target * input (log_input) or input - target * log(input + eps); `full`
    adds Stirling's term where target > 1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    x, y = _pair("poisson_nll_loss", input, target)
    if log_input:
        loss = ops.exp(x) - y * x
    else:
        loss = x - y * ops.log(x + eps)
    if full:
        stirling = y * ops.log(y) - y + 0.5 * ops.log(2 * math.pi * y)
        loss = loss + ops.where(y <= 1, 0.0, stirling)
    return reduce_loss("poisson_nll_loss", loss, reduction)


def _ranking_operands(name, *xs):
    ts = [as_tensor(x) for x in xs]
    dims = {t.ndim for t in ts}
    if len(dims) != 1:
        raise ShapeError(f"{name}: all inputs must have the same number of dimensions, got "
                         f"{', '.join(describe(t) for t in ts)}")
    return ts


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -target * (input1 - input2) + margin)."""
    a, b, y = _ranking_operands("margin_ranking_loss", input1, input2, target)
    loss = ops.clamp(-y * (a - b) + margin, min=0.0)
    return reduce_loss("margin_ranking_loss", loss,
                       legacy_reduction(size_average, reduce, reduction))


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """input where target == 1, max(0, margin - input) where target == -1 (torch adds both
    terms, so other targets count twice)."""
    x, y = as_tensor(input), as_tensor(target)
    margin_part = ops.where(y != 1, ops.clamp(margin - x, min=0.0), 0.0)
    self_part = ops.where(y != -1, x, 0.0)
    return reduce_loss("hinge_embedding_loss", margin_part + self_part,
                       legacy_reduction(size_average, reduce, reduction))


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where target == 1, max(0, cos - margin) where target == -1."""
    a, b, y = as_tensor(input1), as_tensor(input2), as_tensor(target)
    if a.ndim not in (1, 2) or a.shape != b.shape or y.ndim != a.ndim - 1:
        raise ShapeError(f"cosine_embedding_loss: expects inputs (N, D) or (D,) of one shape and "
                         f"a target (N,) or (), got {describe(a)}, {describe(b)}, {describe(y)}")
    dim = a.ndim - 1
    eps = 1e-12
    prod = (a * b).sum(dim)
    mag = ((a * a).sum(dim) + eps) * ((b * b).sum(dim) + eps)
    cos = prod / ops.sqrt(mag)
    pos = ops.where(y == 1, 1.0 - cos, 0.0)
    neg = ops.where(y == -1, ops.clamp(cos - margin, min=0.0), 0.0)
    return reduce_loss("cosine_embedding_loss", pos + neg,
                       legacy_reduction(size_average, reduce, reduction))


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target * input)); like torch, not differentiable in the target."""
    if isinstance(target, Tensor) and target.requires_grad and is_grad_enabled():
        raise RuntimeError("soft_margin_loss: not differentiable with respect to the target; "
                           "pass target.detach()")
    x, y = _pair("soft_margin_loss", input, target, ints="error")
    return reduce_loss("soft_margin_loss", ops.log1p(ops.exp(-x * y)),
                       legacy_reduction(size_average, reduce, reduction))


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """Per-class binary logistic loss averaged over the classes (the last dim)."""
    x = float_operand(input)
    y = as_tensor(target).astype(x.dtype)
    loss = -(y * logsigmoid(x) + (1.0 - y) * logsigmoid(-x))
    if weight is not None:
        loss = loss * as_tensor(weight).astype(x.dtype)
    loss = loss.sum(x.ndim - 1) / x.shape[-1]
    return reduce_loss("multilabel_soft_margin_loss", loss,
                       legacy_reduction(size_average, reduce, reduction))


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """The p-norm of x1 - x2 + eps along the last dim (inputs broadcast)."""
    a, b = float_operand(x1), float_operand(x2)
    ndim = max(a.ndim, b.ndim)
    diff = a - b + eps
    if ndim == 0:
        return ops.abs(diff)
    return vector_norm(diff, p, dim=ndim - 1, keepdim=keepdim)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(0, margin + d(anchor, positive) - d(anchor, negative)) with the pairwise p-norm
    distance; `swap` uses min(d(a, n), d(p, n))."""
    a, pos, neg = _ranking_operands("triplet_margin_loss", anchor, positive, negative)
    if a.ndim not in (1, 2):
        raise ShapeError(f"triplet_margin_loss: expects inputs (N, D) or (D,), got {describe(a)}")
    d_pos = pairwise_distance(a, pos, p, eps)
    d_neg = pairwise_distance(a, neg, p, eps)
    if swap:
        d_neg = ops.minimum(d_neg, pairwise_distance(pos, neg, p, eps))
    loss = ops.clamp(margin + d_pos - d_neg, min=0.0)
    return reduce_loss("triplet_margin_loss", loss,
                       legacy_reduction(size_average, reduce, reduction))
