"""nn.MultiheadAttention, with torch's parameters, masks and return values.

Parameters (and `state_dict` names) match torch.nn.MultiheadAttention: `in_proj_weight`
(3E, E) and `in_proj_bias` (3E,) hold the stacked query/key/value projections (or
`q_proj_weight`, `k_proj_weight`, `v_proj_weight` when kdim/vdim differ from embed_dim), and
`out_proj` is a Linear(E, E). Masks follow torch's MHA convention: a bool `attn_mask` or
`key_padding_mask` is True where attention is NOT allowed; float masks are added to the scores.
"""
import numpy as np

from graphgrad import ops
from graphgrad.errors import ShapeError
from graphgrad.dtypes import default_float
from graphgrad.ir.types import as_dtype
from graphgrad.nn import functional as F
from graphgrad.nn import init
from graphgrad.nn.functional import attention_weights
from graphgrad.nn.layers import Linear
from graphgrad.nn.module import Module
from graphgrad.nn.parameter import Parameter
from graphgrad.ops._core import as_tensor, describe


class MultiheadAttention(Module):
    """Multi-head attention. forward(query, key, value) returns (output, weights): output like
    the query, weights (N, L, S) averaged over heads (or (N, H, L, S) with
    average_attn_weights=False; None with need_weights=False).

    batch_first=False (torch's default) means (L, N, E) inputs; unbatched (L, E) inputs work
    too. add_bias_kv and add_zero_attn are not supported.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, dtype=None):
        super().__init__()
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError("MultiheadAttention: add_bias_kv and add_zero_attn are "
                                      "not supported")
        if embed_dim <= 0 or num_heads <= 0 or embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be a positive "
                             f"multiple of num_heads ({num_heads})")
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
            self.register_parameter("in_proj_weight", None)
            self.q_proj_weight = Parameter(np.empty((embed_dim, embed_dim), dtype))
            self.k_proj_weight = Parameter(np.empty((embed_dim, self.kdim), dtype))
            self.v_proj_weight = Parameter(np.empty((embed_dim, self.vdim), dtype))
        if bias:
            self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
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
        if is_causal and attn_mask is None:
            raise ValueError("MultiheadAttention: is_causal=True is a hint that attn_mask is "
                             "the causal mask; pass attn_mask too")
        q_in, k_in, v_in = as_tensor(query), as_tensor(key), as_tensor(value)
        batched = self._check_shapes(q_in, k_in, v_in)
        if not batched:
            q_in, k_in, v_in = (ops.unsqueeze(t, 0) for t in (q_in, k_in, v_in))
            if key_padding_mask is not None:
                key_padding_mask = ops.unsqueeze(as_tensor(key_padding_mask), 0)
        elif not self.batch_first:
            q_in, k_in, v_in = (ops.transpose(t, 0, 1) for t in (q_in, k_in, v_in))
        N, L, E = q_in.shape
        S = k_in.shape[1]
        H, D = self.num_heads, self.head_dim
        (w_q, w_k, w_v), (b_q, b_k, b_v) = self._projections()
        q = F.linear(q_in, w_q, b_q).reshape(N, L, H, D).transpose(1, 2)
        k = F.linear(k_in, w_k, b_k).reshape(N, S, H, D).transpose(1, 2)
        v = F.linear(v_in, w_v, b_v).reshape(N, S, H, D).transpose(1, 2)
        mask = self._additive_mask(attn_mask, key_padding_mask, N, L, S, q.dtype)
        weights = attention_weights(q, k, mask)
        if self.training and self.dropout > 0.0:
            weights = F.dropout(weights, self.dropout, training=True)
        out = ops.matmul(weights, v).transpose(1, 2).reshape(N, L, E)
        out = self.out_proj(out)
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

    def _check_shapes(self, q, k, v):
        name = "MultiheadAttention"
        if q.ndim not in (2, 3) or k.ndim != q.ndim or v.ndim != q.ndim:
            raise ShapeError(f"{name}: query, key and value must all be 3-D (batched) or 2-D "
                             f"(unbatched), got {describe(q)}, {describe(k)}, {describe(v)}")
        dims = (self.embed_dim, self.kdim, self.vdim)
        for label, t, e in zip(("query", "key", "value"), (q, k, v), dims):
            if t.shape[-1] != e:
                raise ShapeError(f"{name}: {label} {describe(t)} must have {e} features")
        if k.shape[:-1] != v.shape[:-1]:
            raise ShapeError(f"{name}: key {describe(k)} and value {describe(v)} must agree "
                             "in every dim but the last")
        batch = 1 if self.batch_first else 0
        if q.ndim == 3 and q.shape[1 - batch] != k.shape[1 - batch]:
            raise ShapeError(f"{name}: query {describe(q)} and key {describe(k)} have "
                             f"different batch sizes (batch_first={self.batch_first})")
        return q.ndim == 3

    def _additive_mask(self, attn_mask, key_padding_mask, N, L, S, dtype):
        """attn_mask and key_padding_mask as one float mask added to the (N, H, L, S) scores."""
        total = None
        H = self.num_heads
        if attn_mask is not None:
            m = _additive(as_tensor(attn_mask), dtype)
            if m.shape == (L, S):
                pass
            elif m.shape == (N * H, L, S):
                m = m.reshape(N, H, L, S)
            else:
                raise ShapeError(f"MultiheadAttention: attn_mask {describe(m)} must have shape "
                                 f"({L}, {S}) or ({N * H}, {L}, {S})")
            total = m
        if key_padding_mask is not None:
            m = _additive(as_tensor(key_padding_mask), dtype)
            if m.shape != (N, S):
                raise ShapeError(f"MultiheadAttention: key_padding_mask {describe(m)} must have "
                                 f"shape ({N}, {S})")
            m = m.reshape(N, 1, 1, S)
            total = m if total is None else total + m
        return total

    def extra_repr(self):
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, "
                f"dropout={self.dropout}, batch_first={self.batch_first}")


def _additive(mask, dtype):
    """A bool mask (True = masked out) as 0 / -inf; a float mask as it is."""
    if mask.dtype == np.bool_:
        return ops.where(mask, ops.full((), float("-inf"), dtype=dtype),
                         ops.full((), 0.0, dtype=dtype))
    return mask.astype(dtype)
