"""Normalization, channel dropout, distances and sampling functions of
`graphgrad.nn.functional`, written as compositions of primitives (formulas as in torch)."""
import math

import numpy as np

from graphgrad import ops
from graphgrad.errors import DTypeError, ShapeError
from graphgrad.ir.types import normalize_dim
from graphgrad.modes import no_grad
from graphgrad.ops._core import as_tensor, describe, float_operand
from graphgrad.ops.norms import vector_norm
from graphgrad.ops.padding import pad
from graphgrad.ops.softmax import softmax


def _float_like(x, like):
    x = as_tensor(x)
    return x if x.dtype == like.dtype else x.astype(like.dtype)


def _affine(name, out, weight, bias, channels):
    """Per-channel scale and shift of an (N, C, ...) tensor."""
    view = (1, channels) + (1,) * (out.ndim - 2)
    for label, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (channels,):
            raise ShapeError(f"{name}: {label} {describe(t)} must have shape ({channels},) for "
                             f"the input {describe(out)}")
    if weight is not None:
        out = out * _float_like(weight, out).reshape(view)
    if bias is not None:
        out = out + _float_like(bias, out).reshape(view)
    return out


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """input / max(||input||_p along dim, eps)."""
    if out is not None:
        raise TypeError("normalize: out= is not supported")
    x = as_tensor(input)
    if x.dtype.kind != "f":
        raise DTypeError(f"normalize: expects a floating-point tensor, got {describe(x)}")
    d = normalize_dim("normalize", dim, max(x.ndim, 1))
    norm = vector_norm(x, p, dim=d, keepdim=True) if x.ndim else ops.abs(x)
    return x / ops.clamp(norm, min=eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalize each of `num_groups` channel groups of an (N, C, ...) input over its channels
    and positions (biased variance), then scale and shift per channel."""
    x = float_operand(input)
    if x.ndim < 2 or x.shape[1] % num_groups:
        raise ShapeError(f"group_norm: expects an input (N, C, ...) with C divisible by "
                         f"num_groups={num_groups}, got {describe(x)}")
    n, c = x.shape[:2]
    grouped = x.reshape(n, num_groups, -1)
    centered = grouped - grouped.mean(2, keepdim=True)
    var = (centered * centered).mean(2, keepdim=True)
    out = (centered * ops.rsqrt(var + eps)).reshape(x.shape)
    return _affine("group_norm", out, weight, bias, c)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalize each channel of each sample of an (N, C, ...) input over its positions.
    With running statistics and use_input_stats, they are updated with the batch average of the
    per-instance mean and unbiased variance; without use_input_stats, they normalize."""
    x = float_operand(input)
    if x.ndim < 3:
        raise ShapeError(f"instance_norm: expects an input (N, C, ...) with positions, got "
                         f"{describe(x)}")
    c = x.shape[1]
    dims = tuple(range(2, x.ndim))
    view = (1, c) + (1,) * len(dims)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm: running_mean and running_var are needed when "
                             "use_input_stats=False")
        out = ((x - _float_like(running_mean, x).reshape(view))
               * ops.rsqrt(_float_like(running_var, x).reshape(view) + eps))
        return _affine("instance_norm", out, weight, bias, c)
    count = int(np.prod([x.shape[d] for d in dims]))
    if count <= 1:
        raise ShapeError(f"instance_norm: expected more than 1 spatial element when training, "
                         f"got input {describe(x)}")
    mean = x.mean(dims, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(dims, keepdim=True)
    with no_grad():
        for stat, value in ((running_mean, mean), (running_var, var * (count / (count - 1)))):
            if stat is not None:
                batch = value.detach().reshape(x.shape[0], c).mean(0).astype(stat.dtype)
                stat.copy_(stat * (1.0 - momentum) + batch * momentum)
    return _affine("instance_norm", centered * ops.rsqrt(var + eps), weight, bias, c)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x^2 over the trailing dims) + eps) * weight; eps defaults to the dtype's
    machine epsilon, as in torch."""
    x = float_operand(input)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or x.ndim < k or x.shape[x.ndim - k:] != shape:
        raise ShapeError(f"rms_norm: normalized_shape {shape} does not match the trailing dims "
                         f"of the input {describe(x)}")
    if eps is None:
        eps = float(np.finfo(x.dtype).eps)
    dims = tuple(range(x.ndim - k, x.ndim))
    out = x * ops.rsqrt((x * x).mean(dims, keepdim=True) + eps)
    if weight is not None:
        if tuple(weight.shape) != shape:
            raise ShapeError(f"rms_norm: weight {describe(weight)} must have shape {shape}")
        out = out * _float_like(weight, out)
    return out


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x / (k + alpha * mean of x^2 over `size` neighbouring channels) ** beta (the window is
    zero-padded size // 2 before and (size - 1) // 2 after each channel)."""
    x = float_operand(input)
    if x.ndim < 3:
        raise ValueError(f"local_response_norm: expected 3D or higher input, got {describe(x)}")
    if x.shape[0] == 0 or x.shape[1] == 0:
        return x
    sq = x * x
    widths = [0, 0] * (x.ndim - 2) + [size // 2, (size - 1) // 2]
    padded = pad(sq, tuple(widths))
    c = x.shape[1]
    window = padded[:, 0:c]
    for i in range(1, size):
        window = window + padded[:, i:i + c]
    div = (window * (alpha / size) + k) ** beta
    return x / div


def _check_p(name, p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: dropout probability has to be between 0 and 1, but got {p}")


def _channel_dropout(name, x, p, training, batched_ndim):
    """Zero whole channels of (N, C, ...) (or unbatched (C, ...)) with probability p and scale
    the rest by 1 / (1 - p)."""
    _check_p(name, p)
    x = as_tensor(x)
    if x.ndim not in (batched_ndim - 1, batched_ndim):
        raise ShapeError(f"{name}: expects a {batched_ndim - 1}-D (unbatched) or "
                         f"{batched_ndim}-D (batched) input, got {describe(x)}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    lead = 2 if x.ndim == batched_ndim else 1
    mask_shape = x.shape[:lead] + (1,) * (x.ndim - lead)
    keep = ops.rand(*mask_shape, dtype=x.dtype) >= p
    return ops.where(keep, x * (1.0 / (1.0 - p)), 0.0)


def dropout1d(input, p=0.5, training=True, inplace=False):
    return _channel_dropout("dropout1d", input, p, training, 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    return _channel_dropout("dropout2d", input, p, training, 4)


def dropout3d(input, p=0.5, training=True, inplace=False):
    return _channel_dropout("dropout3d", input, p, training, 5)


_SELU_ALPHA = 1.7580993408473766       # -selu's alpha * scale: the negative saturation value


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout that keeps a SELU network's mean and variance: dropped units take the negative
    saturation value, then an affine map restores the statistics (torch's constants)."""
    _check_p("alpha_dropout", p)
    x = as_tensor(input)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    a = 1.0 / math.sqrt((_SELU_ALPHA * _SELU_ALPHA * p + 1) * (1 - p))
    keep = ops.rand(*x.shape, dtype=x.dtype) >= p
    shift = _SELU_ALPHA * a * p
    return ops.where(keep, x * a + shift, shift - _SELU_ALPHA * a)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """softmax((logits + Gumbel noise) / tau) along dim (seeded by gg.manual_seed); `hard`
    returns the one-hot of the argmax with the soft sample's gradient."""
    x = float_operand(logits)
    uniform = ops.rand(*x.shape, dtype=x.dtype)
    gumbels = -ops.log(-ops.log1p(-uniform))      # -log(Exponential(1))
    y_soft = softmax((x + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim, keepdim=True)
    y_hard = ops.zeros_like(y_soft).scatter(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


def bilinear(input1, input2, weight, bias=None):
    """y_o = x1^T A_o x2 + b_o for a weight A of shape (out, in1, in2)."""
    a, b, w = as_tensor(input1), as_tensor(input2), as_tensor(weight)
    if w.ndim != 3 or a.shape[-1] != w.shape[1] or b.shape[-1] != w.shape[2] \
            or a.shape[:-1] != b.shape[:-1]:
        raise ShapeError(f"bilinear: inputs {describe(a)} and {describe(b)} do not fit the "
                         f"weight {describe(w)} (out, in1, in2)")
    out = ops.einsum("...i,oij,...j->...o", a, w, b)
    if bias is not None:
        out = out + bias
    return out


def cdist(x1, x2, p=2.0, compute_mode=None):
    """p-norm distances between the rows of x1 (..., P, M) and of x2 (..., R, M): (..., P, R)."""
    a, b = float_operand(x1), float_operand(x2)
    if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-1]:
        raise ShapeError(f"cdist: expects inputs (..., P, M) and (..., R, M), got {describe(a)} "
                         f"and {describe(b)}")
    if p < 0:
        raise ValueError(f"cdist: only supports non-negative p values, got {p}")
    diff = a.unsqueeze(-2) - b.unsqueeze(-3)
    if p == 0:
        return (diff != 0).astype(diff.dtype).sum(-1)
    return vector_norm(diff, p, dim=-1)
