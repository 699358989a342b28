"""nn.MultiheadAttention, with torch's parameters, masks and return values.

Parameters (and `state_dict` names) match torch.nn.MultiheadAttention: `in_proj_weight`
(3E, E) and `in_proj_bias` (3E,) hold the stacked query/key/value projections (or
`q_proj_weight`, `k_proj_weight`, `v_proj_weight` when kdim/vdim differ from embed_dim),
`bias_k` and `bias_v` (1, 1, E) with add_bias_kv, and `out_proj` is a Linear(E, E). Masks follow
torch's MHA convention: a bool `attn_mask` or `key_padding_mask` is True where attention is NOT
allowed; float masks are added to the scores.
"""
import warnings

import numpy as np

from graphgrad import ops
from graphgrad.dtypes import default_float
from graphgrad.errors import ShapeAssertionError, ShapeRuntimeError
from graphgrad.ir.types import as_dtype
from graphgrad.nn import functional as F
from graphgrad.nn import init
from graphgrad.nn.functional import _attention_scores, _causal_mask, _safe_softmax
from graphgrad.nn.layers import Linear
from graphgrad.nn.module import Module
from graphgrad.nn.parameter import Parameter
from graphgrad.ops._core import as_tensor, describe

_NAME = "MultiheadAttention"


class MultiheadAttention(Module):
    """Multi-head attention. forward(query, key, value) returns (output, weights): output like
    the query, weights (N, L, S) averaged over heads (or (N, H, L, S) with
    average_attn_weights=False; None with need_weights=False).

    batch_first=False (torch's default) means (L, N, E) inputs; unbatched (L, E) inputs work
    too. With need_weights=False, rows whose keys are all masked give 0 (torch's
    scaled_dot_product_attention); with need_weights=True they give NaN, as in torch.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"{_NAME}: embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise ShapeAssertionError(f"{_NAME}: embed_dim must be divisible by num_heads: "
                                      f"embed_dim ({embed_dim}) is not a multiple of num_heads "
                                      f"({num_heads})")
        dtype = as_dtype(dtype) or default_float()
        self.embed_dim = embed_dim
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.empty((3 * embed_dim, embed_dim), dtype))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(np.empty((embed_dim, embed_dim), dtype))
            self.k_proj_weight = Parameter(np.empty((embed_dim, self.kdim), dtype))
            self.v_proj_weight = Parameter(np.empty((embed_dim, self.vdim), dtype))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(np.empty((1, 1, embed_dim), dtype))
            self.bias_v = Parameter(np.empty((1, 1, embed_dim), dtype))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def _projections(self):
        E = self.embed_dim
        if self._qkv_same_embed_dim:
            weights = ops.split(self.in_proj_weight, E)
        else:
            weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        biases = (None,) * 3 if self.in_proj_bias is None else ops.split(self.in_proj_bias, E)
        return weights, biases

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        q_in, k_in, v_in = as_tensor(query), as_tensor(key), as_tensor(value)
        batched = self._check_shapes(q_in, k_in, v_in, key_padding_mask, attn_mask)
        dtype = q_in.dtype
        key_padding_mask = canonical_mask(key_padding_mask, "key_padding_mask", dtype,
                                          other=attn_mask, other_name="attn_mask")
        attn_mask = canonical_mask(attn_mask, "attn_mask", dtype)
        if is_causal and attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use "
                               "the Transformer module method `generate_square_subsequent_mask` "
                               "to create this mask.")
        # torch: the hint replaces the mask only on its scaled_dot_product_attention path
        causal = is_causal and key_padding_mask is None and not need_weights
        if causal:
            attn_mask = None
        if not batched:
            q_in, k_in, v_in = (ops.unsqueeze(t, 0) for t in (q_in, k_in, v_in))
            if key_padding_mask is not None:
                key_padding_mask = ops.unsqueeze(key_padding_mask, 0)
        elif not self.batch_first:
            q_in, k_in, v_in = (ops.transpose(t, 0, 1) for t in (q_in, k_in, v_in))
        N, L, E = q_in.shape
        (w_q, w_k, w_v), (b_q, b_k, b_v) = self._projections()
        q, k, v = F.linear(q_in, w_q, b_q), F.linear(k_in, w_k, b_k), F.linear(v_in, w_v, b_v)
        attn_mask = self._mask_as_4d(attn_mask, N, L, k.shape[1])
        if self.bias_k is not None:
            k = ops.cat([k, ops.expand(self.bias_k, N, 1, E)], 1)
            v = ops.cat([v, ops.expand(self.bias_v, N, 1, E)], 1)
            attn_mask, key_padding_mask = _pad_key(attn_mask), _pad_key(key_padding_mask)
        H, D = self.num_heads, self.head_dim
        q = q.reshape(N, L, H, D).transpose(1, 2)
        k = k.reshape(N, k.shape[1], H, D).transpose(1, 2)
        v = v.reshape(N, v.shape[1], H, D).transpose(1, 2)
        if self.add_zero_attn:
            zeros = ops.zeros(N, H, 1, D, dtype=k.dtype)
            k, v = ops.cat([k, zeros], 2), ops.cat([v, zeros], 2)
            attn_mask, key_padding_mask = _pad_key(attn_mask), _pad_key(key_padding_mask)
        S = k.shape[2]
        mask = self._merge(attn_mask, key_padding_mask, N, S)
        if causal:
            mask = _causal_mask(L, S)
        scores = _attention_scores(q, k, mask)
        # torch: the weights path is a plain softmax (NaN on fully masked rows), the other is
        # scaled_dot_product_attention's (0 there); without a mask, or causal, no row is empty
        if need_weights or mask is None or causal:
            weights = ops.softmax(scores, -1)
        else:
            weights = _safe_softmax(scores)
        if self.training and self.dropout > 0.0:
            weights = F.dropout(weights, self.dropout, training=True)
        out = self.out_proj(ops.matmul(weights, v).transpose(1, 2).reshape(N, L, E))
        if not batched:
            out = ops.squeeze(out, 0)
        elif not self.batch_first:
            out = ops.transpose(out, 0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = ops.mean(weights, 1)
        if not batched:
            weights = ops.squeeze(weights, 0)
        return out, weights

    def _check_shapes(self, q, k, v, key_padding_mask, attn_mask):
        """torch's checks (AssertionError there): returns whether the inputs are batched."""
        if q.ndim not in (2, 3) or k.ndim != q.ndim or v.ndim != q.ndim:
            raise ShapeAssertionError(f"{_NAME}: query, key and value must all be 3-D (batched) "
                                      f"or 2-D (unbatched), got {describe(q)}, {describe(k)}, "
                                      f"{describe(v)}")
        batched = q.ndim == 3
        if key_padding_mask is not None and key_padding_mask.ndim != q.ndim - 1:
            raise ShapeAssertionError(f"{_NAME}: key_padding_mask must be {q.ndim - 1}-D for a "
                                      f"{q.ndim}-D query, got {describe(key_padding_mask)}")
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise ShapeAssertionError(f"{_NAME}: attn_mask must be 2-D or 3-D, got "
                                      f"{describe(attn_mask)}")
        for label, t, e in zip(("query", "key", "value"), (q, k, v),
                               (self.embed_dim, self.kdim, self.vdim)):
            if t.shape[-1] != e:
                raise ShapeAssertionError(f"{_NAME}: {label} {describe(t)} must have {e} "
                                          "features")
        if k.shape[:-1] != v.shape[:-1]:
            raise ShapeAssertionError(f"{_NAME}: key {describe(k)} and value {describe(v)} "
                                      "must agree in every dim but the last")
        batch = 0 if self.batch_first else 1
        if batched and q.shape[batch] != k.shape[batch]:
            raise ShapeAssertionError(f"{_NAME}: query {describe(q)} and key {describe(k)} "
                                      f"have different batch sizes (batch_first="
                                      f"{self.batch_first})")
        return batched

    def _mask_as_4d(self, mask, N, L, S):
        """attn_mask (L, S) or (N * H, L, S) as a (1 or N, 1 or H, L, S) tensor."""
        if mask is None:
            return None
        if mask.ndim == 2:
            if mask.shape != (L, S):
                raise ShapeRuntimeError(f"{_NAME}: the shape of the 2D attn_mask is "
                                        f"{mask.shape}, but should be {(L, S)}")
            return mask.reshape(1, 1, L, S)
        if mask.shape != (N * self.num_heads, L, S):
            raise ShapeRuntimeError(f"{_NAME}: the shape of the 3D attn_mask is {mask.shape}, "
                                    f"but should be {(N * self.num_heads, L, S)}")
        return mask.reshape(N, self.num_heads, L, S)

    def _merge(self, attn_mask, key_padding_mask, N, S):
        """attn_mask and key_padding_mask as one float mask added to the (N, H, L, S) scores."""
        if key_padding_mask is None:
            return attn_mask
        if key_padding_mask.shape != (N, S):
            raise ShapeAssertionError(f"{_NAME}: key_padding_mask "
                                      f"{describe(key_padding_mask)} must have shape ({N}, {S})")
        kpm = key_padding_mask.reshape(N, 1, 1, S)
        return kpm if attn_mask is None else attn_mask + kpm

    def extra_repr(self):
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, "
                f"dropout={self.dropout}, batch_first={self.batch_first}")


def _pad_key(mask):
    """One more (always allowed) key at the end of the last dim of a float mask."""
    return None if mask is None else F.pad(mask, (0, 1))


def canonical_mask(mask, name, dtype, other=None, other_name=""):
    """torch's _canonical_mask: a bool mask (True = masked out) as a float 0 / -inf mask of
    `dtype`; a float mask as it is; anything else is refused. Warns, as torch does, when `other`
    is a mask of a different dtype."""
    if mask is None:
        return None
    mask = as_tensor(mask)
    if mask.dtype != np.bool_ and mask.dtype.kind != "f":
        raise ShapeAssertionError(f"{_NAME}: only bool and floating types of {name} are "
                                  f"supported, got {describe(mask)}")
    if other is not None and as_tensor(other).dtype != mask.dtype:
        warnings.warn(f"Support for mismatched {name} and {other_name} is deprecated. Use same "
                      "type for both instead.", stacklevel=3)
    if mask.dtype == np.bool_:
        return ops.where(mask, ops.full((), float("-inf"), dtype=dtype),
                         ops.full((), 0.0, dtype=dtype))
    return mask
