"""Torch-oracle rows for graphgrad.nn.functional's convolutions, pooling, padding, normalization,
embedding, attention and cosine similarity (and the gg.* forms of the spatial ops)."""
import numpy as np
from oracle_rows import ONLY64, case, ints, is_torch, u

RNG = np.random.default_rng(9)


def F(m):
    return m.nn.functional


# -- convolutions -------------------------------------------------------------------------------

_X = u(2, 4, 5, 5)
CASES = [
    case("F.conv2d", lambda m, x, w, b: F(m).conv2d(x, w, b), (_X, u(3, 4, 3, 3), u(3))),
    case("F.conv2d-stride-padding", lambda m, x, w: (
        F(m).conv2d(x, w, stride=2, padding=1), F(m).conv2d(x, w, stride=(1, 2), padding=(2, 0))),
        (_X, u(3, 4, 3, 2))),
    case("F.conv2d-same-valid", lambda m, x, w: (F(m).conv2d(x, w, padding="same"),
                                                 F(m).conv2d(x, w, padding="valid")),
         (_X, u(2, 4, 3, 2))),
    case("F.conv2d-dilation-groups", lambda m, x, w, b: F(m).conv2d(x, w, b, dilation=2,
                                                                    groups=2),
         (_X, u(4, 2, 2, 2), u(4))),
    case("F.conv2d-unbatched", lambda m, x, w: F(m).conv2d(x, w, padding=1), (u(2, 4, 4),
                                                                               u(3, 2, 3, 3))),
    case("F.conv2d-1x1", lambda m, x, w: F(m).conv2d(x, w), (u(2, 3, 2, 2), u(5, 3, 1, 1))),
    case("F.conv2d-empty-batch", lambda m, x, w, b: F(m).conv2d(x, w, b), (u(0, 2, 4, 4),
                                                                          u(3, 2, 3, 3), u(3)),
         dtypes=ONLY64),
    case("conv2d", lambda m, x, w: m.conv2d(x, w, stride=2), (_X, u(2, 4, 3, 3))),
    case("F.conv_transpose2d", lambda m, x, w, b: F(m).conv_transpose2d(x, w, b),
         (u(2, 3, 3, 3), u(3, 2, 3, 3), u(2))),
    case("F.conv_transpose2d-stride", lambda m, x, w: (
        F(m).conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
        F(m).conv_transpose2d(x, w, stride=(2, 1), dilation=2)),
        (u(2, 3, 3, 3), u(3, 2, 3, 2))),
    case("F.conv_transpose2d-groups", lambda m, x, w: F(m).conv_transpose2d(x, w, groups=3),
         (u(1, 3, 3, 3), u(3, 1, 2, 2))),
    case("F.conv_transpose2d-unbatched", lambda m, x, w: F(m).conv_transpose2d(x, w),
         (u(2, 3, 3), u(2, 1, 2, 2))),
    case("conv_transpose2d", lambda m, x, w: m.conv_transpose2d(x, w, stride=2),
         (u(1, 2, 3, 3), u(2, 2, 2, 2))),
]

# -- pooling ------------------------------------------------------------------------------------

_TIED = np.array([[[[1.0, 1.0, 0.0, 2.0], [1.0, 0.0, 2.0, 2.0], [3.0, 3.0, 0.0, 0.0],
                    [3.0, 3.0, 0.0, 1.0]]]])


def _avg_pool2d(m):
    """graphgrad's gg.avg_pool2d is torch's F.avg_pool2d (torch has no torch.avg_pool2d)."""
    return F(m).avg_pool2d if is_torch(m) else m.avg_pool2d


CASES += [
    case("F.max_pool2d", lambda m, x: (F(m).max_pool2d(x, 2), F(m).max_pool2d(x, 3, 1),
                                       F(m).max_pool2d(x, (2, 3), stride=(1, 2))), (_X,)),
    case("F.max_pool2d-padding-dilation", lambda m, x: (
        F(m).max_pool2d(x, 3, 2, padding=1), F(m).max_pool2d(x, 2, 1, dilation=2)), (_X,)),
    case("F.max_pool2d-ceil_mode", lambda m, x: F(m).max_pool2d(x, 2, ceil_mode=True), (_X,)),
    # ties: the gradient goes to the first maximum of each window
    case("F.max_pool2d-ties", lambda m, x: (F(m).max_pool2d(x, 2), F(m).max_pool2d(x, 2, 1)),
         (_TIED,), gradcheck=False),
    case("F.max_pool2d-unbatched", lambda m, x: F(m).max_pool2d(x, 2), (u(2, 4, 4),)),
    case("max_pool2d", lambda m, x: m.max_pool2d(x, 2, 1), (_X,)),
    case("F.avg_pool2d", lambda m, x: (F(m).avg_pool2d(x, 2), F(m).avg_pool2d(x, 3, 1),
                                       F(m).avg_pool2d(x, (2, 3), stride=(1, 2))), (_X,)),
    case("F.avg_pool2d-padding", lambda m, x: (
        F(m).avg_pool2d(x, 3, 2, padding=1),
        F(m).avg_pool2d(x, 3, 2, padding=1, count_include_pad=False),
        F(m).avg_pool2d(x, 2, 2, padding=1, ceil_mode=True),
        F(m).avg_pool2d(x, 3, 2, padding=1, ceil_mode=True, count_include_pad=False)), (_X,)),
    case("F.avg_pool2d-divisor_override", lambda m, x: F(m).avg_pool2d(x, 2, divisor_override=3),
         (_X,)),
    case("F.avg_pool2d-unbatched", lambda m, x: F(m).avg_pool2d(x, 2), (u(2, 4, 4),)),
    case("avg_pool2d", lambda m, x: _avg_pool2d(m)(x, 2, 1), (_X,)),
]

# -- pad ----------------------------------------------------------------------------------------


def _pad(m):
    return F(m).pad if is_torch(m) else m.pad


CASES += [
    case("F.pad-constant", lambda m, x: (F(m).pad(x, (1, 2)), F(m).pad(x, (1, 0, 0, 2), value=1.5),
                                         F(m).pad(x, (0, 1, 1, 0, 2, 1))), (u(2, 3, 4),)),
    case("F.pad-crop", lambda m, x: (F(m).pad(x, (-1, 2)), F(m).pad(x, (1, -2, -1, 0))),
         (u(2, 3, 4),)),
    case("F.pad-reflect", lambda m, x: (F(m).pad(x, (2, 1), mode="reflect"),
                                        F(m).pad(x, (1, 1, 2, 0), mode="reflect")),
         (u(2, 3, 4),)),
    case("F.pad-replicate", lambda m, x: (F(m).pad(x, (2, 3), mode="replicate"),
                                          F(m).pad(x, (1, 0, 0, 3), mode="replicate")),
         (u(2, 3, 4),)),
    case("F.pad-circular", lambda m, x: (F(m).pad(x, (2, 1), mode="circular"),
                                         F(m).pad(x, (1, 3, 2, 1), mode="circular")),
         (u(2, 3, 4),)),
    case("F.pad-4d", lambda m, x: (F(m).pad(x, (1, 1, 1, 1), mode="reflect"),
                                   F(m).pad(x, (1, 2, 0, 1), mode="replicate")),
         (u(1, 2, 3, 3),)),
    case("F.pad-int", lambda m, x: (F(m).pad(x, (1, 1), value=7), F(m).pad(x, (1, 0))),
         (ints(2, 3),)),
    case("F.pad-empty", lambda m, x: F(m).pad(x, (1, 1)), (u(0, 3),), dtypes=ONLY64),
    case("pad", lambda m, x: _pad(m)(x, (1, 2, 0, 1), value=-1.0), (u(2, 3),)),
]

# -- normalization ------------------------------------------------------------------------------


def _batch_norm_train(m, x, rm, rv, w, b):
    rm, rv = rm * 1, rv * 1
    out = F(m).batch_norm(x, rm, rv, w, b, training=True, momentum=0.2)
    return out, rm, rv


def _batch_norm_train_args(m, x, rm, rv):
    out = F(m).batch_norm(x, rm, rv, training=True)
    return out, rm, rv


_STATS = (u(3), u(3, lo=0.5, hi=2.0))
CASES += [
    case("F.layer_norm", lambda m, x, w, b: F(m).layer_norm(x, (4,), w, b), (u(2, 3, 4), u(4),
                                                                             u(4))),
    case("F.layer_norm-2d-shape", lambda m, x, w: F(m).layer_norm(x, (3, 4), w, eps=1e-3),
         (u(2, 3, 4), u(3, 4))),
    case("F.layer_norm-no-affine", lambda m, x: F(m).layer_norm(x, [4]), (u(3, 4),)),
    case("F.layer_norm-empty", lambda m, x: F(m).layer_norm(x, (4,)), (u(0, 4),),
         dtypes=ONLY64),
    # the running statistics are detached: finite differences of them do not apply
    case("F.batch_norm-train", _batch_norm_train, (u(4, 3, 2), *_STATS, u(3), u(3)),
         grad=(0, 3, 4), gradcheck=False),
    case("F.batch_norm-train-updates-args", _batch_norm_train_args, (u(4, 3), *_STATS),
         grad=(0,), gradcheck=False),
    case("F.batch_norm-eval", lambda m, x, rm, rv, w, b: F(m).batch_norm(x, rm, rv, w, b),
         (u(4, 3, 2, 2), *_STATS, u(3), u(3)), grad=(0, 3, 4)),
    case("F.batch_norm-4d-train", lambda m, x: F(m).batch_norm(x, None, None, training=True),
         (u(2, 3, 2, 2),)),
]

# -- embedding, attention, cosine similarity ----------------------------------------------------

_IDS = np.array([[1, 3, 3], [0, 4, 1]])
CASES += [
    case("F.embedding", lambda m, ids, w: F(m).embedding(ids, w), (_IDS, u(5, 3))),
    # rows at padding_idx get no gradient (so finite differences do not apply)
    case("F.embedding-padding_idx", lambda m, ids, w: (F(m).embedding(ids, w, padding_idx=3),
                                                       F(m).embedding(ids, w, padding_idx=-1)),
         (_IDS, u(5, 3)), gradcheck=False),
    case("F.embedding-0d-empty", lambda m, i, e, w: (F(m).embedding(i, w), F(m).embedding(e, w)),
         (np.array(2), np.zeros((0, 2), np.int64), u(5, 3))),
]


def _sdpa(m, *args, **kw):
    return F(m).scaled_dot_product_attention(*args, **kw)


def _attention_weights(m, q, k, **kw):
    """graphgrad's F.attention_weights: softmax(q k^T * scale + mask) in torch terms."""
    if not is_torch(m):
        return F(m).attention_weights(q, k, **kw)
    scale = kw.get("scale") or 1.0 / np.sqrt(q.shape[-1])
    scores = q @ k.transpose(-2, -1) * scale
    mask = kw.get("attn_mask")
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return scores.softmax(-1)


_Q, _K, _V = u(2, 3, 4), u(2, 5, 4), u(2, 5, 2)
_MASK = RNG.random((3, 5)) < 0.7
_MASK[:, 0] = True           # every query sees at least one key
CASES += [
    case("F.scaled_dot_product_attention", lambda m, q, k, v: _sdpa(m, q, k, v), (_Q, _K, _V)),
    case("F.scaled_dot_product_attention-masks", lambda m, q, k, v, bm, fm: (
        _sdpa(m, q, k, v, attn_mask=bm), _sdpa(m, q, k, v, attn_mask=fm, scale=0.3)),
        (_Q, _K, _V, _MASK, u(3, 5)), grad=(0, 1, 2)),
    case("F.scaled_dot_product_attention-causal", lambda m, q, k, v: _sdpa(m, q, k, v,
                                                                           is_causal=True),
         (u(2, 4, 3), u(2, 4, 3), u(2, 4, 3))),
    case("F.scaled_dot_product_attention-heads", lambda m, q, k, v: _sdpa(m, q, k, v),
         (u(1, 2, 3, 4), u(1, 2, 3, 4), u(1, 2, 3, 4))),
    case("F.attention_weights", lambda m, q, k, mask: (
        _attention_weights(m, q, k), _attention_weights(m, q, k, attn_mask=mask, scale=0.5)),
        (_Q, _K, _MASK)),
    case("F.cosine_similarity", lambda m, a, b: (F(m).cosine_similarity(a, b),
                                                 F(m).cosine_similarity(a, b, dim=-1)),
         (u(3, 4, 2), u(3, 4, 2))),
    case("F.cosine_similarity-broadcast", lambda m, a, b: F(m).cosine_similarity(a, b, dim=1),
         (u(3, 4), u(1, 4))),
    case("F.cosine_similarity-zero", lambda m, a, b: F(m).cosine_similarity(a, b, dim=0,
                                                                            eps=1e-6),
         (np.zeros((3, 2)), u(3, 2)), gradcheck=False),
]
