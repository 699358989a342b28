"""Gradient clipping, written with graphgrad ops.

Both functions read and update `p.grad` through the ordinary Tensor API, in place: eagerly they
change the gradient tensors, and inside a compiled training step (between `loss.backward()` and
`opt.step()`) they become graph nodes and the clipped gradients are what the step uses.
"""
import math

from graphgrad import ops
from graphgrad.modes import no_grad
from graphgrad.tensor import Tensor


def _with_grads(parameters):
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    out = []
    for p in params:
        g = p.grad
        if g is not None:
            out.append((p, g))
    return out


def _vector_norm(x, norm_type):
    if norm_type == math.inf:
        return ops.amax(ops.abs(x))
    if norm_type == 2.0:
        return ops.sqrt(ops.sum(x * x))
    if norm_type == 1.0:
        return ops.sum(ops.abs(x))
    return ops.pow(ops.sum(ops.pow(ops.abs(x), norm_type)), 1.0 / norm_type)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scale the gradients in place so that their joint `norm_type` norm (the norm of all of
    them concatenated) is at most `max_norm`; returns that total norm (before clipping) as a 0-d
    tensor, like torch. The scale is max_norm / (total + 1e-6), capped at 1."""
    norm_type = float(norm_type)
    if not (norm_type == math.inf or norm_type > 0):
        raise ValueError(f"clip_grad_norm_: norm_type must be positive or inf, got {norm_type}")
    with no_grad():
        pairs = _with_grads(parameters)
        if not pairs:
            return ops.tensor(0.0)
        norms = [_vector_norm(g, norm_type) for _, g in pairs]
        dtype = norms[0].dtype
        total = _vector_norm(ops.stack([n.astype(dtype) for n in norms]), norm_type)
        if error_if_nonfinite:
            value = float(total)          # needs the value: not available while tracing
            if not math.isfinite(value):
                raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of "
                                   f"the gradients is non-finite ({value}), so it cannot be "
                                   "clipped; pass error_if_nonfinite=False to skip this check")
        scale = ops.clamp(max_norm / (total + 1e-6), max=1.0)
        for p, g in pairs:
            g.mul_(scale.astype(g.dtype))
            p.grad = g
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient elementwise to [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    with no_grad():
        for p, g in _with_grads(parameters):
            g.clamp_(-clip_value, clip_value)
            p.grad = g


def _register_rnn_utils():
    """nn.utils.rnn (pad_sequence, PackedSequence, ...), importable as graphgrad.nn.utils.rnn
    like torch.nn.utils.rnn although nn.utils is a module, not a package."""
    import sys
    from graphgrad.nn import utils_rnn
    sys.modules[__name__ + ".rnn"] = utils_rnn
    return utils_rnn


rnn = _register_rnn_utils()
