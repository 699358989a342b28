"""Neural-network functions written with graphgrad ops: binary cross-entropy losses,
normalization, embedding lookup, attention. Re-exported by `graphgrad.nn.functional` (`F`).

All of them are compositions of primitives (their gradients come from the primitives' rules),
so they run eagerly and inside `gg.compile` alike. `batch_norm` in training mode updates the
running statistics in place, which a compiled function turns into writebacks after each call.
"""
import math

import numpy as np

from graphgrad import ops
from graphgrad.dispatch import bind, no_grad
from graphgrad.errors import ShapeError
from graphgrad.ir.types import broadcast_shapes, normalize_dim
from graphgrad.nn import functional as _F
from graphgrad.ops._core import as_tensor, describe, float_operand
from graphgrad.ops.composite import CHECK_INDEX
from graphgrad.ops.nn_ops import (binary_cross_entropy_elementwise, elu, gelu,  # noqa: F401
                                  masked_fill, silu, softplus_of_negative)
from graphgrad.tensor import Tensor

# -- binary cross-entropy -----------------------------------------------------------------------


def _same_shape(name, input, target):
    if input.shape != target.shape:
        raise ShapeError(f"{name}: target {describe(target)} must have the shape of the input "
                         f"{describe(input)}")


def _float_like(x, like):
    x = as_tensor(x)
    return x if x.dtype == like.dtype else x.astype(like.dtype)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """-w (y log p + (1 - y) log(1 - p)) with each log clamped at -100, as in torch."""
    p = float_operand(input)
    y = _float_like(target, p)
    _same_shape("binary_cross_entropy", p, y)
    loss = binary_cross_entropy_elementwise(p, y)
    if weight is not None:
        loss = loss * _float_like(weight, p)
    return _F._reduce("binary_cross_entropy", loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean",
                                     pos_weight=None):
    """Sigmoid + binary cross-entropy in one stable expression:
    (1 - y) x + (1 + (pos_weight - 1) y) log(1 + exp(-x)); finite for any logit."""
    x = float_operand(input)
    y = _float_like(target, x)
    _same_shape("binary_cross_entropy_with_logits", x, y)
    log_sigmoid_neg = softplus_of_negative(x)          # -log(sigmoid(x))
    if pos_weight is None:
        loss = (1.0 - y) * x + log_sigmoid_neg
    else:
        log_weight = (_float_like(pos_weight, x) - 1.0) * y + 1.0
        loss = (1.0 - y) * x + log_weight * log_sigmoid_neg
    if weight is not None:
        loss = loss * _float_like(weight, x)
    return _F._reduce("binary_cross_entropy_with_logits", loss, reduction)

# -- normalization --------------------------------------------------------------------------------


def _affine(name, out, weight, bias, shape, view=None):
    """out * weight + bias, after checking both have `shape` (and reshaping them to `view`)."""
    for label, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != tuple(shape):
            raise ShapeError(f"{name}: {label} {describe(t)} must have shape {tuple(shape)} "
                             f"for the input {describe(out)}")
    view = shape if view is None else view
    if weight is not None:
        out = out * _float_like(weight, out).reshape(view)
    if bias is not None:
        out = out + _float_like(bias, out).reshape(view)
    return out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the trailing `normalized_shape` dims (biased variance), then scale and
    shift elementwise."""
    x = float_operand(input)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or x.ndim < k or x.shape[x.ndim - k:] != shape:
        raise ShapeError(f"layer_norm: normalized_shape {shape} does not match the trailing "
                         f"dims of the input {describe(x)}")
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
    x = float_operand(input)
    if x.ndim < 2:
        raise ShapeError(f"batch_norm: expects an input of shape (N, C, ...), got {describe(x)}")
    channels = x.shape[1]
    dims = (0,) + tuple(range(2, x.ndim))
    stat_shape = (1, channels) + (1,) * (x.ndim - 2)
    for label, t in (("running_mean", running_mean), ("running_var", running_var),
                     ("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (channels,):
            raise ShapeError(f"batch_norm: {label} {describe(t)} must have shape ({channels},) "
                             f"for the input {describe(x)}")
    if training:
        count = x.numel() // channels
        if count <= 1:
            raise ShapeError(f"batch_norm: expected more than 1 value per channel when "
                             f"training, got input {describe(x)}")
        mean = ops.mean(x, dims, keepdim=True)
        centered = x - mean
        var = ops.mean(centered * centered, dims, keepdim=True)
        with no_grad():
            if running_mean is not None:
                _update_running(running_mean, mean.reshape(channels), momentum)
            if running_var is not None:
                _update_running(running_var, var.reshape(channels) * (count / (count - 1)),
                                momentum)
        out = centered * ops.rsqrt(var + eps)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var must be given when "
                             "training=False")
        mean = _float_like(running_mean, x).reshape(stat_shape)
        var = _float_like(running_var, x).reshape(stat_shape)
        out = (x - mean) * ops.rsqrt(var + eps)
    return _affine("batch_norm", out, weight, bias, (channels,), stat_shape)


def _update_running(stat, batch_value, momentum):
    """stat = (1 - momentum) * stat + momentum * batch_value, in place."""
    value = batch_value.detach().astype(stat.dtype)
    if isinstance(momentum, Tensor):
        momentum = momentum.astype(stat.dtype)
    stat.copy_(stat * (1.0 - momentum) + value * momentum)

# -- embedding ------------------------------------------------------------------------------------


def embedding(input, weight, padding_idx=None):
    """Rows of `weight` (num_embeddings, dim) at integer `input`; the gradient scatter-adds into
    the rows (repeated ids accumulate). Rows at `padding_idx` get no gradient."""
    ids = as_tensor(input)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"embedding: expects integer indices, got {describe(ids)}")
    if weight.ndim != 2:
        raise ShapeError(f"embedding: weight must be 2-D (num_embeddings, dim), got "
                         f"{describe(weight)}")
    num = weight.shape[0]
    ids = bind(CHECK_INDEX, ids, low=0, high=num, what="embedding")
    out = weight[ids]
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"embedding: padding_idx {padding_idx} out of range for {num} "
                             "embeddings")
        pad = ops.unsqueeze(ids == padding_idx % num, -1)
        out = ops.where(pad, out.detach(), out)
    return out

# -- attention ------------------------------------------------------------------------------------


def causal_mask(L, S):
    """Bool (L, S) mask, True where query i may attend to key j (j <= i)."""
    return as_tensor(np.tril(np.ones((L, S), dtype=np.bool_)))


def attention_weights(query, key, attn_mask=None, is_causal=False, scale=None):
    """softmax(q k^T * scale + mask) over the keys. A bool mask marks the pairs that take part
    (True), a float mask is added to the scores."""
    q, k = float_operand(query), float_operand(key)
    if q.ndim < 2 or k.ndim < 2 or q.shape[-1] != k.shape[-1]:
        raise ShapeError(f"scaled_dot_product_attention: query {describe(q)} and key "
                         f"{describe(k)} need shapes (..., L, E) and (..., S, E)")
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    scores = ops.matmul(q * scale, ops.transpose(k, -2, -1))
    if is_causal:
        if attn_mask is not None:
            raise ValueError("scaled_dot_product_attention: give either attn_mask or "
                             "is_causal=True, not both")
        attn_mask = causal_mask(q.shape[-2], k.shape[-2])
    if attn_mask is not None:
        mask = as_tensor(attn_mask)
        try:
            broadcast_shapes("attention", tuple(mask.shape), tuple(scores.shape))
        except ShapeError:
            raise ShapeError(f"scaled_dot_product_attention: attn_mask {describe(mask)} does "
                             f"not broadcast to the attention scores {describe(scores)}") \
                from None
        if mask.dtype == np.bool_:
            scores = ops.where(mask, scores, float("-inf"))
        else:
            scores = scores + mask.astype(scores.dtype)
    return ops.softmax(scores, -1)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None):
    """softmax(q k^T / sqrt(E) + mask) v over (..., L, E), (..., S, E), (..., S, Ev) inputs.
    Dropout (`dropout_p` > 0) applies to the attention weights, as in torch."""
    v = float_operand(value)
    weights = attention_weights(query, key, attn_mask, is_causal, scale)
    if v.shape[-2] != weights.shape[-1]:
        raise ShapeError(f"scaled_dot_product_attention: value {describe(v)} must have as "
                         f"many rows as the key ({weights.shape[-1]})")
    if dropout_p > 0.0:
        weights = _F.dropout(weights, dropout_p, training=True)
    return ops.matmul(weights, v)

# -- distances ------------------------------------------------------------------------------------


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 * x2) / (max(|x1|, eps) * max(|x2|, eps)) along `dim` (inputs broadcast)."""
    a, b = float_operand(x1), float_operand(x2)
    shape = broadcast_shapes("cosine_similarity", a.shape, b.shape)
    a, b = ops.broadcast_to(a, shape), ops.broadcast_to(b, shape)
    d = normalize_dim("cosine_similarity", dim, len(shape))
    norm_a = ops.sqrt(ops.clamp(ops.sum(a * a, d, keepdim=True), min=eps * eps))
    norm_b = ops.sqrt(ops.clamp(ops.sum(b * b, d, keepdim=True), min=eps * eps))
    return ops.sum((a / norm_a) * (b / norm_b), d)
