"""graphgrad.nn.functional: neural-network functions written with graphgrad ops."""
import warnings

import numpy as np

from graphgrad import ops
from graphgrad.errors import ShapeError as _ShapeError
from graphgrad.ops._core import as_tensor as _as_tensor
from graphgrad.ops._core import describe as _describe
from graphgrad.ops.composite import log_softmax, one_hot, softmax  # noqa: F401
from graphgrad.ops.composite import one_hot_of_dtype as _one_hot_of_dtype
from graphgrad.ops.elementwise import relu, sigmoid, tanh  # noqa: F401
from graphgrad.ops.nn_ops import leaky_relu, softplus  # noqa: F401

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(name, loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def linear(x, weight, bias=None):
    if x.shape[-1] != weight.shape[-1]:
        raise _ShapeError(f"linear: input {_describe(x)} has {x.shape[-1]} features, the weight "
                         f"{_describe(weight)} expects {weight.shape[-1]}")
    out = ops.matmul(x, ops.permute(weight, (1, 0)))
    if bias is not None:
        out = out + bias
    return out


def dropout(x, p=0.5, training=True, inplace=False):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = ops.rand(*x.shape, dtype=x.dtype) >= p
    return ops.where(keep, x * (1.0 / (1.0 - p)), 0.0)


def mse_loss(input, target, reduction="mean"):
    input, target = _as_tensor(input), _as_tensor(target)
    if input.shape != target.shape:
        try:
            np.broadcast_shapes(input.shape, target.shape)
        except ValueError:
            raise _ShapeError(f"mse_loss: input {_describe(input)} and target "
                              f"{_describe(target)} cannot be broadcast together") from None
        warnings.warn(f"mse_loss: input {_describe(input)} and target {_describe(target)} have "
                      "different shapes and will be broadcast; this is often a bug",
                      stacklevel=2)
    diff = input - target
    return _reduce("mse_loss", diff * diff, reduction)


def _class_dim_last(x):
    """(N, C, d1, ...) -> (N, d1, ..., C) so the class axis is last."""
    if x.ndim <= 2:
        return x
    return ops.permute(x, (0,) + tuple(range(2, x.ndim)) + (1,))


def cross_entropy(input, target, weight=None, ignore_index=None, reduction="mean",
                  label_smoothing=0.0):
    """Softmax cross-entropy of logits `input` (N, C) or (N, C, d1, ...) against integer class
    indices (N,) / (N, d1, ...) or class probabilities shaped like `input`.

    Stable (log-softmax with the max subtracted). `ignore_index` is off unless given.
    """
    input = _as_tensor(input)
    target = _as_tensor(target)
    if input.ndim < 1:
        raise _ShapeError(f"cross_entropy: input must have a class dim, got {_describe(input)}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got "
                         f"{label_smoothing}")
    class_dim = 0 if input.ndim == 1 else 1
    n_classes = input.shape[class_dim]
    logp = _class_dim_last(log_softmax(input, dim=class_dim))
    if target.dtype.kind == "f":
        if target.shape != input.shape:
            raise _ShapeError(f"cross_entropy: probability targets {_describe(target)} must match "
                             f"the input {_describe(input)}")
        probs = _class_dim_last(target).astype(logp.dtype)
        if label_smoothing:
            probs = probs * (1.0 - label_smoothing) + label_smoothing / n_classes
        w = None if weight is None else _as_tensor(weight).astype(logp.dtype)
        per_class = logp * probs if w is None else logp * probs * w
        return _reduce("cross_entropy", -per_class.sum(-1), reduction)
    return _class_nll("cross_entropy", input, logp, target, weight, ignore_index, reduction,
                      label_smoothing)


def nll_loss(input, target, weight=None, ignore_index=None, reduction="mean"):
    """Negative log-likelihood of log-probabilities `input` (N, C) at integer `target`."""
    input, target = _as_tensor(input), _as_tensor(target)
    logp = _class_dim_last(input)
    return _class_nll("nll_loss", input, logp, target, weight, ignore_index, reduction)


def _class_nll(name, input, logp, target, weight, ignore_index, reduction, label_smoothing=0.0):
    """-log p at integer class targets, with class weights, ignored targets and label smoothing
    as torch defines them; `logp` has the class axis last."""
    if target.dtype.kind not in "iu":
        raise TypeError(f"{name}: targets must be integer class indices"
                        + (" or float probabilities" if name == "cross_entropy" else "")
                        + f", got {_describe(target)}")
    class_dim = 0 if input.ndim == 1 else 1
    n_classes = input.shape[class_dim]
    expected = input.shape[:class_dim] + input.shape[class_dim + 1:]
    if target.shape != expected:
        raise _ShapeError(f"{name}: target {_describe(target)} does not fit input "
                          f"{_describe(input)}; expected target shape {expected}")
    valid = None
    if ignore_index is not None:
        valid = target != ignore_index
        target = ops.where(valid, target, 0)
    onehot = _one_hot_of_dtype(target, n_classes, logp.dtype, what=name)
    nll = -(logp * onehot).sum(-1)
    sample_w = None
    class_w = None
    if weight is not None:
        class_w = _as_tensor(weight).astype(logp.dtype)
        if class_w.shape != (n_classes,):
            raise _ShapeError(f"{name}: weight {_describe(class_w)} must have one entry per "
                              f"class ({n_classes})")
        sample_w = (onehot * class_w).sum(-1)
        nll = nll * sample_w
    if label_smoothing:
        # torch: the smoothing term is the class-weighted mean of -log p over all classes
        smooth = -(logp if class_w is None else logp * class_w).sum(-1) / n_classes
        nll = nll * (1.0 - label_smoothing) + smooth * label_smoothing
    if valid is not None:
        mask = valid.astype(logp.dtype)
        nll = nll * mask
        sample_w = mask if sample_w is None else sample_w * mask
    if sample_w is None or reduction != "mean":
        return _reduce(name, nll, reduction)
    return nll.sum() / sample_w.sum()


from graphgrad.nn.functions import (batch_norm, binary_cross_entropy,  # noqa: E402,F401
                                    binary_cross_entropy_with_logits, cosine_similarity, elu,
                                    embedding, gelu, layer_norm, masked_fill,
                                    scaled_dot_product_attention, silu)
from graphgrad.ops.conv import (avg_pool2d, conv2d, conv_transpose2d,  # noqa: E402,F401
                                max_pool2d, pad)
