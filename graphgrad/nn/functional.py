"""graphgrad.nn.functional: neural-network functions written with graphgrad ops.

All of them are compositions of primitives (their gradients come from the primitives' rules),
so they run eagerly and inside `gg.compile` alike. `batch_norm` in training mode updates the
running statistics in place, which a compiled function turns into writebacks after each call.
"""
import math as _math
import warnings

import numpy as np

from graphgrad import ops
from graphgrad.capture import is_tracing as _is_tracing
from graphgrad.dispatch import bind as _bind
from graphgrad.errors import DTypeError as _DTypeError
from graphgrad.modes import no_grad as _no_grad
from graphgrad.errors import ShapeError as _ShapeError
from graphgrad.ir.types import broadcast_shapes as _broadcast_shapes
from graphgrad.ir.types import normalize_dim as _normalize_dim
# one reduction rule for every loss
from graphgrad.nn.functional_losses import reduce_loss as _reduce
from graphgrad.ops._core import as_tensor as _as_tensor
from graphgrad.ops._core import describe as _describe
from graphgrad.ops._core import float_operand as _float_operand
from graphgrad.ops.activation import (celu, celu_, elu, elu_, gelu, glu,  # noqa: F401
                                      leaky_relu, leaky_relu_, logsigmoid, mish, prelu, relu,
                                      relu_, rrelu, rrelu_, selu, selu_, silu, softmin, softplus,
                                      softsign, tanhshrink)
from graphgrad.ops.activation_piecewise import (hardshrink, hardsigmoid,  # noqa: F401
                                                hardswish, hardtanh, relu6, softshrink,
                                                threshold)
from graphgrad.ops.methods import threshold_  # noqa: F401
from graphgrad.ops.activation import softplus_of_negative as _softplus_of_negative
from graphgrad.ops.class_index import CHECK_INDEX as _CHECK_INDEX
from graphgrad.ops.class_index import one_hot  # noqa: F401
from graphgrad.ops.class_index import one_hot_of_dtype as _one_hot_of_dtype
from graphgrad.ops.convolution import (conv1d, conv2d, conv3d, conv_transpose1d,  # noqa: F401
                                       conv_transpose2d, conv_transpose3d)
from graphgrad.ops.elementwise import sigmoid, tanh  # noqa: F401
from graphgrad.ops.indexing import masked_fill  # noqa: F401
from graphgrad.ops.loss import binary_cross_entropy_elementwise as _bce_elementwise
from graphgrad.ops.padding import pad  # noqa: F401
from graphgrad.ops.pooling_nd import (avg_pool1d, avg_pool2d, avg_pool3d, lp_pool1d,  # noqa: F401
                                      lp_pool2d, max_pool1d, max_pool2d, max_pool3d,
                                      max_unpool1d, max_unpool2d, max_unpool3d)
from graphgrad.ops.softmax import log_softmax, softmax  # noqa: F401
from graphgrad.ops.patches import fold, pixel_shuffle, pixel_unshuffle, unfold  # noqa: F401
from graphgrad.ops.pooling_adaptive import (adaptive_avg_pool1d,  # noqa: F401
                                            adaptive_avg_pool2d, adaptive_avg_pool3d,
                                            adaptive_max_pool1d, adaptive_max_pool2d,
                                            adaptive_max_pool3d)
from graphgrad.ops.resize import (interpolate, upsample, upsample_bilinear,  # noqa: F401
                                  upsample_nearest)
from graphgrad.tensor import Tensor as _Tensor



def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


def linear(x, weight, bias=None):
    if x.shape[-1] != weight.shape[-1]:
        raise _ShapeError(f"linear: input {_describe(x)} has {x.shape[-1]} features, the weight "
                         f"{_describe(weight)} expects {weight.shape[-1]}")
    w_t = weight.T if weight.ndim == 2 else ops.permute(weight, (1, 0))
    # Tensor's @ binds the primitive directly for the common >= 2-D operands of one dtype
    out = x @ w_t if isinstance(x, _Tensor) else ops.matmul(x, w_t)
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
        raise _DTypeError(f"{name}: targets must be integer class indices"
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

# -- binary cross-entropy -----------------------------------------------------------------------


def _same_shape(name, input, target):
    if input.shape != target.shape:
        raise _ShapeError(f"{name}: target {_describe(target)} must have the shape of the input "
                         f"{_describe(input)}")


def _float_like(x, like):
    x = _as_tensor(x)
    return x if x.dtype == like.dtype else x.astype(like.dtype)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """-w (y log p + (1 - y) log(1 - p)) with each log clamped at -100, as in torch."""
    p = _float_operand(input)
    y = _float_like(target, p)
    _same_shape("binary_cross_entropy", p, y)
    loss = _bce_elementwise(p, y)
    if weight is not None:
        loss = loss * _float_like(weight, p)
    return _reduce("binary_cross_entropy", loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean",
                                     pos_weight=None):
    """Sigmoid + binary cross-entropy in one stable expression:
    (1 - y) x + (1 + (pos_weight - 1) y) log(1 + exp(-x)); finite for any logit."""
    x = _float_operand(input)
    y = _float_like(target, x)
    _same_shape("binary_cross_entropy_with_logits", x, y)
    log_sigmoid_neg = _softplus_of_negative(x)          # -log(sigmoid(x))
    if pos_weight is None:
        loss = (1.0 - y) * x + log_sigmoid_neg
    else:
        log_weight = (_float_like(pos_weight, x) - 1.0) * y + 1.0
        loss = (1.0 - y) * x + log_weight * log_sigmoid_neg
    if weight is not None:
        loss = loss * _float_like(weight, x)
    return _reduce("binary_cross_entropy_with_logits", loss, reduction)

# -- normalization --------------------------------------------------------------------------------


def _affine(name, out, weight, bias, shape):
    """out * weight + bias, after checking both have `shape`."""
    for label, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != tuple(shape):
            raise _ShapeError(f"{name}: {label} {_describe(t)} must have shape {tuple(shape)} "
                             f"for the input {_describe(out)}")
    if weight is not None:
        out = out * _float_like(weight, out).reshape(shape)
    if bias is not None:
        out = out + _float_like(bias, out).reshape(shape)
    return out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the trailing `normalized_shape` dims (biased variance), then scale and
    shift elementwise."""
    x = _float_operand(input)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or x.ndim < k or x.shape[x.ndim - k:] != shape:
        raise _ShapeError(f"layer_norm: normalized_shape {shape} does not match the trailing "
                         f"dims of the input {_describe(x)}")
    dims = tuple(range(x.ndim - k, x.ndim))
    centered = x - ops.mean(x, dims, keepdim=True)
    var = ops.mean(centered * centered, dims, keepdim=True)
    return _affine("layer_norm", centered * ops.rsqrt(var + eps), weight, bias, shape)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalization over dim 1 of (N, C, ...) inputs.

    training=True: normalize with the batch mean and biased variance, and (when given) update
    `running_mean` / `running_var` in place with the momentum and the *unbiased* variance, as
    torch does. training=False: normalize with the running statistics. `momentum` may be a
    number or a 0-d tensor (a cumulative average passes 1 / num_batches_tracked).
    """
    x = _float_operand(input)
    if x.ndim < 2:
        raise _ShapeError(f"batch_norm: expects an input of shape (N, C, ...), got {_describe(x)}")
    channels = x.shape[1]
    dims = (0,) + tuple(range(2, x.ndim))
    stat_shape = (1, channels) + (1,) * (x.ndim - 2)
    for label, t in (("running_mean", running_mean), ("running_var", running_var),
                     ("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (channels,):
            raise _ShapeError(f"batch_norm: {label} {_describe(t)} must have shape ({channels},) "
                             f"for the input {_describe(x)}")
    if training:
        count = x.numel() // channels
        if count <= 1:
            raise _ShapeError(f"batch_norm: expected more than 1 value per channel when "
                             f"training, got input {_describe(x)}")
        mean = ops.mean(x, dims, keepdim=True)
        centered = x - mean
        var = ops.mean(centered * centered, dims, keepdim=True)
        with _no_grad():
            if running_mean is not None:
                _update_running(running_mean, mean.reshape(channels), momentum)
            if running_var is not None:
                _update_running(running_var, var.reshape(channels) * (count / (count - 1)),
                                momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var must be given when "
                             "training=False")
        mean = _float_like(running_mean, x).reshape(stat_shape)
        var = _float_like(running_var, x).reshape(stat_shape)
        centered = x - mean
    # the weight joins the per-channel factor first, as in torch: one product and one sum over
    # the input (and fewer passes in the gradient) instead of two products and a sum
    scale = ops.rsqrt(var + eps)
    if weight is not None:
        scale = scale * _float_like(weight, x).reshape(stat_shape)
    out = centered * scale
    if bias is not None:
        out = out + _float_like(bias, x).reshape(stat_shape)
    return out


def _update_running(stat, batch_value, momentum):
    """stat = (1 - momentum) * stat + momentum * batch_value, in place."""
    value = batch_value.detach().astype(stat.dtype)
    if isinstance(momentum, _Tensor):
        momentum = momentum.astype(stat.dtype)
    stat.copy_(stat * (1.0 - momentum) + value * momentum)

# -- embedding ------------------------------------------------------------------------------------


def embedding(input, weight, padding_idx=None):
    """Rows of `weight` (num_embeddings, dim) at integer `input`; the gradient scatter-adds into
    the rows (repeated ids accumulate). Rows at `padding_idx` get no gradient."""
    ids = _as_tensor(input)
    if ids.dtype.kind not in "iu":
        raise _DTypeError(f"embedding: expects integer indices, got {_describe(ids)}")
    if weight.ndim != 2:
        raise _ShapeError(f"embedding: weight must be 2-D (num_embeddings, dim), got "
                         f"{_describe(weight)}")
    num = weight.shape[0]
    ids = _bind(_CHECK_INDEX, ids, low=0, high=num, what="embedding")
    out = weight[ids]
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"embedding: padding_idx {padding_idx} out of range for {num} "
                             "embeddings")
        pad = ops.unsqueeze(ids == padding_idx % num, -1)
        out = ops.where(pad, out.detach(), out)
    return out

# -- attention ------------------------------------------------------------------------------------


def _causal_mask(L, S):
    """Bool (L, S) mask, True where query i may attend to key j (j <= i)."""
    return _as_tensor(np.tril(np.ones((L, S), dtype=np.bool_)))


def attention_weights(query, key, attn_mask=None, is_causal=False, scale=None):
    """softmax(q k^T * scale + mask) over the keys. A bool mask marks the pairs that take part
    (True), a float mask is added to the scores."""
    return ops.softmax(_attention_scores(query, key, attn_mask, is_causal, scale), -1)


def _safe_softmax(scores, dim=-1):
    """softmax, but 0 (not NaN) on rows whose scores are all -inf, as torch's attention does;
    the gradient of such rows is 0 too."""
    if not _is_tracing():
        # eager: unless a row is fully masked (a NaN shows it), the softmax itself is the
        # answer, value and gradient. The two full-size `where`s and their gradients cost 6%
        # of an eager transformer step.
        weights = ops.softmax(scores, dim)
        if not np.isnan(weights.numpy()).any():
            return weights
    dead = ops.amax(scores.detach(), dim, keepdim=True) == float("-inf")
    weights = ops.softmax(ops.where(dead, 0.0, scores), dim)
    return ops.where(dead, 0.0, weights)


def _attention_scores(query, key, attn_mask=None, is_causal=False, scale=None):
    """q k^T * scale with the mask applied (-inf where a bool mask is False)."""
    q, k = _float_operand(query), _float_operand(key)
    if q.ndim < 2 or k.ndim < 2 or q.shape[-1] != k.shape[-1]:
        raise _ShapeError(f"scaled_dot_product_attention: query {_describe(q)} and key "
                         f"{_describe(k)} need shapes (..., L, E) and (..., S, E)")
    scale = 1.0 / _math.sqrt(q.shape[-1]) if scale is None else float(scale)
    scores = ops.matmul(q * scale, ops.transpose(k, -2, -1))
    if is_causal:
        if attn_mask is not None:
            raise ValueError("scaled_dot_product_attention: give either attn_mask or "
                             "is_causal=True, not both")
        attn_mask = _causal_mask(q.shape[-2], k.shape[-2])
    if attn_mask is not None:
        mask = _as_tensor(attn_mask)
        try:
            _broadcast_shapes("attention", tuple(mask.shape), tuple(scores.shape))
        except _ShapeError:
            raise _ShapeError(f"scaled_dot_product_attention: attn_mask {_describe(mask)} does "
                             f"not broadcast to the attention scores {_describe(scores)}") \
                from None
        if mask.dtype == np.bool_:
            scores = ops.where(mask, scores, float("-inf"))
        else:
            scores = scores + mask.astype(scores.dtype)
    return scores


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None):
    """softmax(q k^T / sqrt(E) + mask) v over (..., L, E), (..., S, E), (..., S, Ev) inputs.
    Dropout (`dropout_p` > 0) applies to the attention weights, as in torch."""
    v = _float_operand(value)
    scores = _attention_scores(query, key, attn_mask, is_causal, scale)
    masked = attn_mask is not None or is_causal
    weights = _safe_softmax(scores) if masked else ops.softmax(scores, -1)
    if v.shape[-2] != weights.shape[-1]:
        raise _ShapeError(f"scaled_dot_product_attention: value {_describe(v)} must have as "
                         f"many rows as the key ({weights.shape[-1]})")
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return ops.matmul(weights, v)

# -- distances ------------------------------------------------------------------------------------


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 * x2) / (max(|x1|, eps) * max(|x2|, eps)) along `dim` (inputs broadcast)."""
    a, b = _float_operand(x1), _float_operand(x2)
    shape = _broadcast_shapes("cosine_similarity", a.shape, b.shape)
    a, b = ops.broadcast_to(a, shape), ops.broadcast_to(b, shape)
    d = _normalize_dim("cosine_similarity", dim, len(shape))
    norm_a = ops.sqrt(ops.clamp(ops.sum(a * a, d, keepdim=True), min=eps * eps))
    norm_b = ops.sqrt(ops.clamp(ops.sum(b * b, d, keepdim=True), min=eps * eps))
    return ops.sum((a / norm_a) * (b / norm_b), d)

from graphgrad.nn.functional_losses import (cosine_embedding_loss,  # noqa: E402,F401
                                            gaussian_nll_loss, hinge_embedding_loss, huber_loss,
                                            kl_div, l1_loss, margin_ranking_loss,
                                            multilabel_soft_margin_loss, pairwise_distance,
                                            poisson_nll_loss, smooth_l1_loss, soft_margin_loss,
                                            triplet_margin_loss)
from graphgrad.nn.functional_norm import (alpha_dropout, bilinear, dropout1d,  # noqa: E402,F401
                                          dropout2d, dropout3d, group_norm, gumbel_softmax,
                                          instance_norm, local_response_norm, normalize,
                                          rms_norm)
