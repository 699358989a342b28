"""Op-table entries for the neural-network primitives (erf, binary_cross_entropy) and the
functions built on them: activations, masked_fill, binary cross-entropy losses, layer and batch
normalization, embedding, scaled dot-product attention, cosine similarity.

`test_ops.py` collects CASES and checks each row against the NumPy references below, with
float64 finite differences, node-by-node shape rules and eager == compiled.
"""
import math

import numpy as np
from helpers import OpCase

import graphgrad as gg
import graphgrad.nn.functional as F

RNG = np.random.default_rng(20240917)


def u(*shape, lo=-2.0, hi=2.0):
    return RNG.uniform(lo, hi, shape)


def nonzero(*shape):
    return RNG.choice([-1.0, 1.0], shape) * RNG.uniform(0.2, 2.0, shape)


def probs(*shape):
    return RNG.uniform(0.05, 0.95, shape)


def bools(*shape):
    return RNG.random(shape) < 0.5


# -- NumPy references -----------------------------------------------------------------------------

_ERF = np.frompyfunc(math.erf, 1, 1)


def np_erf(x):
    return _ERF(x).astype(x.dtype)


def np_gelu(x):
    return 0.5 * x * (1 + np_erf(x / np.sqrt(2.0)))


def np_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def np_softplus(x, beta=1.0, threshold=20.0):
    return np.where(x * beta > threshold, x, np.log1p(np.exp(x * beta)) / beta)


def np_reduce(loss, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction](loss)


def np_bce(p, y, w=None, reduction="mean"):
    loss = -(y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log1p(-p), -100))
    return np_reduce(loss if w is None else loss * w, reduction)


def np_bce_logits(x, y, w=None, pos_weight=None, reduction="mean"):
    log_sig, log_sig_neg = -np.logaddexp(0, -x), -np.logaddexp(0, x)
    pw = 1.0 if pos_weight is None else pos_weight
    loss = -(pw * y * log_sig + (1 - y) * log_sig_neg)
    return np_reduce(loss if w is None else loss * w, reduction)


def np_layer_norm(x, k, w=None, b=None, eps=1e-5):
    axes = tuple(range(x.ndim - k, x.ndim))
    out = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)
    return out * (1 if w is None else w) + (0 if b is None else b)


def np_batch_norm_train(x, w, b, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    view = (1, -1) + (1,) * (x.ndim - 2)
    out = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)
    return out * w.reshape(view) + b.reshape(view)


def np_batch_norm_eval(x, rm, rv, w, b, eps=1e-5):
    view = (1, -1) + (1,) * (x.ndim - 2)
    return (x - rm.reshape(view)) / np.sqrt(rv.reshape(view) + eps) * w.reshape(view) + \
        b.reshape(view)


def np_softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def np_sdpa(q, k, v, mask=None, causal=False, scale=None):
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale
    if causal:
        mask = np.tril(np.ones(scores.shape[-2:], bool))
    if mask is not None and mask.dtype == bool:
        scores = np.where(mask, scores, -np.inf)
    elif mask is not None:
        scores = scores + mask
    return np_softmax(scores) @ v


def np_cosine(a, b, dim=1, eps=1e-8):
    na = np.maximum(np.sqrt((a * a).sum(dim, keepdims=True)), eps)
    nb = np.maximum(np.sqrt((b * b).sum(dim, keepdims=True)), eps)
    return ((a / na) * (b / nb)).sum(dim)


# -- the entries ----------------------------------------------------------------------------------

C = OpCase
ERF_IN = np.concatenate([u(8), [-7.0, -4.0, -2.6, -2.4, 0.0, 1e-3, 2.5, 3.0, 5.9, 6.5]])
MASK34 = bools(3, 4)
IDS = np.array([[0, 3, 3], [1, 0, 4]])
ATTN_BOOL = np.array([[True, False, True, True], [True, True, False, False],
                      [False, True, True, True]])
Q, K, V = u(2, 3, 4), u(2, 4, 4), u(2, 4, 5)

ACTIVATIONS = [
    C("erf", "erf", gg.erf, [ERF_IN], np_erf),
    C("erf-method", "erf", lambda x: x.erf(), [u(3, 4) * 2], np_erf),
    C("erf-int-gives-float32", "erf", gg.erf, [RNG.integers(-3, 3, (3, 4))],
      lambda x: np_erf(x.astype(np.float32))),
    C("gelu", "gelu", F.gelu, [u(3, 4) * 2], np_gelu),
    C("gelu-tanh", "gelu", lambda x: F.gelu(x, approximate="tanh"), [u(3, 4) * 2],
      np_gelu_tanh),
    C("silu", "silu", F.silu, [u(3, 4) * 3], lambda x: x / (1 + np.exp(-x))),
    C("elu", "elu", F.elu, [nonzero(3, 4) * 2], lambda x: np.where(x > 0, x, np.expm1(x))),
    C("elu-alpha-large-inputs", "elu", lambda x: F.elu(x, alpha=0.5),
      [np.array([-3.0, -0.5, 0.7, 50.0, 800.0])],
      lambda x: np.where(x > 0, x, 0.5 * np.expm1(np.minimum(x, 0)))),
    C("softplus", "softplus", F.softplus, [u(3, 4) * 3], np_softplus),
    C("softplus-beta-threshold", "softplus", lambda x: F.softplus(x, beta=2.0, threshold=3.0),
      [nonzero(3, 4) * 2], lambda x: np_softplus(x, 2.0, 3.0)),
    C("leaky_relu", "leaky_relu", F.leaky_relu, [nonzero(3, 4)],
      lambda x: np.where(x > 0, x, 0.01 * x)),
    C("leaky_relu-slope", "leaky_relu", lambda x: F.leaky_relu(x, 0.2), [nonzero(3, 4)],
      lambda x: np.where(x > 0, x, 0.2 * x)),
]

MASKED_FILL = [
    C("masked_fill", "masked_fill", lambda x, m: gg.masked_fill(x, m, -1.5), [u(3, 4), MASK34],
      lambda x, m: np.where(m, -1.5, x)),
    C("masked_fill-method-broadcast-mask", "masked_fill", lambda x, m: x.masked_fill(m, 0.0),
      [u(2, 3, 4), bools(3, 1)], lambda x, m: np.where(m, 0.0, x)),
    C("masked_fill-tensor-value", "masked_fill", lambda x, m, v: x.masked_fill(m, v),
      [u(3, 4), MASK34, u()], lambda x, m, v: np.where(m, v, x)),
    C("masked_fill-int", "masked_fill", lambda x, m: x.masked_fill(m, 7),
      [RNG.integers(0, 5, (3, 4)), MASK34], lambda x, m: np.where(m, 7, x)),
    C("masked_fill-inplace", "masked_fill", lambda x, m: x.clone().masked_fill_(m, 2.0) * x,
      [u(3, 4), MASK34], lambda x, m: np.where(m, 2.0, x) * x),
]

BCE_P, BCE_Y = probs(4, 3), RNG.uniform(0, 1, (4, 3))
LOGITS = u(4, 3) * 3
BINARY = [
    C("binary_cross_entropy", "binary_cross_entropy", F.binary_cross_entropy, [BCE_P, BCE_Y],
      np_bce),
    C("binary_cross_entropy-hard-targets-sum", "binary_cross_entropy",
      lambda p, y: F.binary_cross_entropy(p, y, reduction="sum"),
      [BCE_P, (RNG.random((4, 3)) < 0.5).astype(float)],
      lambda p, y: np_bce(p, y, reduction="sum"), grad=(0,)),
    C("binary_cross_entropy-weight-none", "binary_cross_entropy",
      lambda p, y, w: F.binary_cross_entropy(p, y, weight=w, reduction="none"),
      [BCE_P, BCE_Y, RNG.uniform(0.5, 2, 3)],
      lambda p, y, w: np_bce(p, y, w, reduction="none")),
    C("binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits",
      F.binary_cross_entropy_with_logits, [LOGITS, BCE_Y], np_bce_logits),
    C("binary_cross_entropy_with_logits-weights", "binary_cross_entropy_with_logits",
      lambda x, y, w, pw: F.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=pw),
      [LOGITS, BCE_Y, RNG.uniform(0.5, 2, (4, 1)), RNG.uniform(0.5, 3, 3)],
      lambda x, y, w, pw: np_bce_logits(x, y, w, pw)),
    C("binary_cross_entropy_with_logits-huge-logits", "binary_cross_entropy_with_logits",
      lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction="none"),
      [np.array([-1e4, -60.0, 0.0, 60.0, 1e4, 3e4]), np.array([1.0, 0.0, 0.5, 1.0, 0.0, 1.0])],
      lambda x, y: np_bce_logits(x, y, reduction="none")),
    C("cosine_similarity", "cosine_similarity", F.cosine_similarity, [u(3, 4), u(3, 4)],
      np_cosine),
    C("cosine_similarity-broadcast-dim", "cosine_similarity",
      lambda a, b: F.cosine_similarity(a, b, dim=-1), [u(2, 3, 4), u(3, 4)],
      lambda a, b: np_cosine(*np.broadcast_arrays(a, b), dim=-1)),
]

NORMALIZATION = [
    C("layer_norm", "layer_norm", lambda x, w, b: F.layer_norm(x, (4,), w, b),
      [u(2, 3, 4), u(4), u(4)], lambda x, w, b: np_layer_norm(x, 1, w, b)),
    C("layer_norm-two-dims-no-affine", "layer_norm", lambda x: F.layer_norm(x, (3, 4)),
      [u(2, 3, 4)], lambda x: np_layer_norm(x, 2)),
    C("batch_norm-train", "batch_norm",
      lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
      [u(5, 3), u(3), u(3)], np_batch_norm_train),
    C("batch_norm-train-4d", "batch_norm",
      lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
      [u(2, 3, 2, 2), u(3), u(3)], np_batch_norm_train),
    C("batch_norm-eval", "batch_norm",
      lambda x, rm, rv, w, b: F.batch_norm(x, rm, rv, w, b, training=False),
      [u(4, 3, 2), u(3), RNG.uniform(0.5, 2, 3), u(3), u(3)], np_batch_norm_eval),
]

EMBEDDING = [
    C("embedding", "embedding", lambda ids, w: F.embedding(ids, w), [IDS, u(5, 3)],
      lambda ids, w: w[ids]),
    # the padding row gets no gradient by convention (checked against torch in
    # test_nn_layers.py); here its outputs are zeroed so finite differences agree
    C("embedding-padding_idx", "embedding",
      lambda ids, w: F.embedding(ids, w, padding_idx=3) * (ids != 3).unsqueeze(-1).astype(w.dtype),
      [IDS, u(5, 3)], lambda ids, w: w[ids] * (ids != 3)[..., None]),
]

ATTENTION = [
    C("scaled_dot_product_attention", "scaled_dot_product_attention",
      F.scaled_dot_product_attention, [Q, K, V], np_sdpa),
    C("scaled_dot_product_attention-bool-mask", "scaled_dot_product_attention",
      lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=gg.tensor(ATTN_BOOL)),
      [Q, K, V], lambda q, k, v: np_sdpa(q, k, v, ATTN_BOOL)),
    C("scaled_dot_product_attention-float-mask-scale", "scaled_dot_product_attention",
      lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m, scale=0.3),
      [Q, K, V, u(3, 4)], lambda q, k, v, m: np_sdpa(q, k, v, m, scale=0.3)),
    C("scaled_dot_product_attention-causal", "scaled_dot_product_attention",
      lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
      [u(2, 2, 4, 3), u(2, 2, 4, 3), u(2, 2, 4, 2)],
      lambda q, k, v: np_sdpa(q, k, v, causal=True)),
]

CASES = ACTIVATIONS + MASKED_FILL + BINARY + NORMALIZATION + EMBEDDING + ATTENTION
