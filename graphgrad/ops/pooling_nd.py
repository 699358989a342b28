"""Max and average pooling over 1, 2 or 3 spatial dims (1-D pools run as 2-D ones over a unit
height), max pooling's indices, max_unpool and power-average (lp) pooling, as in
torch.nn.functional."""
import math

import numpy as np

from graphgrad.dispatch import bind
from graphgrad.errors import ShapeError
from graphgrad.ops import pooling as P
from graphgrad.ops._core import as_tensor, describe
from graphgrad.ops.spatial import as_batch_nd, got, ntuple, unbatch

_MAX = {2: P.MAX_POOL2D, 3: P.MAX_POOL3D}
_AVG = {2: P.AVG_POOL2D, 3: P.AVG_POOL3D}


def _pool_attrs(name, nd, x, kernel_size, stride, padding):
    kernel = ntuple(name, "kernel_size", kernel_size, 1, (x,), nd)
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        stride = kernel
    return {"kernel": kernel, "stride": ntuple(name, "stride", stride, 1, (x,), nd),
            "padding": ntuple(name, "padding", padding, 0, (x,), nd)}


def _lift(attrs):
    """1-D pooling attributes as 2-D ones over a unit height."""
    lifted = dict(attrs)
    for key, unit in (("kernel", 1), ("stride", 1), ("padding", 0), ("dilation", 1)):
        if key in attrs:
            lifted[key] = (unit,) + attrs[key]
    return lifted


def _run(name, nd, ops, x, attrs):
    """Apply the pooling primitives `ops` to a batched or unbatched input."""
    from graphgrad.ops.movement import reshape
    x, unbatched = as_batch_nd(name, x, nd, (x,))
    if nd == 1:
        P.pool_out_size(name, x.shape, (x,), **attrs)            # errors name the 1-D op
        x = reshape(x, x.shape[:2] + (1,) + x.shape[2:])
        attrs = _lift(attrs)
    outs = [bind(op, x, **attrs) for op in ops]
    if nd == 1:
        outs = [reshape(o, o.shape[:2] + o.shape[3:]) for o in outs]
    return [unbatch(o, unbatched) for o in outs]


def max_pool(name, nd, input, kernel_size, stride, padding, dilation, ceil_mode,
             return_indices):
    x = as_tensor(input)
    attrs = _pool_attrs(name, nd, x, kernel_size, stride, padding)
    attrs.update(dilation=ntuple(name, "dilation", dilation, 1, (x,), nd),
                 ceil_mode=bool(ceil_mode))
    ops = [_MAX[max(nd, 2)]] + ([P.MAX_POOL_INDICES] if return_indices else [])
    outs = _run(name, nd, ops, x, attrs)
    return tuple(outs) if return_indices else outs[0]


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over windows of (N, C, L) inputs, as torch.nn.functional.max_pool1d."""
    return max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode,
                    return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over windows, padded with -inf, as torch.nn.functional.max_pool2d; the gradient goes
    to the first maximum of each window. return_indices=True also returns each maximum's flat
    index within its (H, W) plane."""
    return max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode,
                    return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over windows of (N, C, D, H, W) inputs, as torch.nn.functional.max_pool3d."""
    return max_pool("max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode,
                    return_indices)


def avg_pool(name, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
             divisor_override):
    x = as_tensor(input)
    attrs = _pool_attrs(name, nd, x, kernel_size, stride, padding)
    if divisor_override is not None and (isinstance(divisor_override, bool) or
                                         int(divisor_override) != divisor_override or
                                         divisor_override < 1):
        raise ValueError(f"{name}: divisor_override must be a positive int, got "
                         f"{divisor_override!r}")
    attrs.update(ceil_mode=bool(ceil_mode), count_include_pad=bool(count_include_pad),
                 divisor_override=None if divisor_override is None else int(divisor_override))
    return _run(name, nd, [_AVG[max(nd, 2)]], x, attrs)[0]


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """Mean over windows of (N, C, L) inputs, as torch.nn.functional.avg_pool1d."""
    return avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                    count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over windows, as torch.nn.functional.avg_pool2d."""
    return avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                    count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over windows of (N, C, D, H, W) inputs, as torch.nn.functional.avg_pool3d."""
    return avg_pool("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode,
                    count_include_pad, divisor_override)

# -- max_unpool -------------------------------------------------------------------------------


def _unpool_size(name, x, kernel, stride, padding, output_size):
    nd = len(kernel)
    default = tuple((n - 1) * s + k - 2 * p
                    for n, s, k, p in zip(x.shape[2:], stride, kernel, padding))
    if output_size is None:
        size = default
    else:
        size = tuple(int(s) for s in output_size)
        if len(size) == nd + 2:
            size = size[2:]
        if len(size) != nd:
            raise ValueError(f"{name}: output_size should be a sequence containing {nd} or "
                             f"{nd + 2} elements, but it has a length of '{len(size)}'")
        for d, (want, s) in enumerate(zip(default, stride)):
            if not want - s < size[d] < want + s:
                raise ValueError(f'{name}: invalid output_size "{size}" (dim {d} must be '
                                 f'between {want - s} and {want + s})')
    if min(size) < 0:
        raise ValueError(f"{name}: the output size {size} is negative ({got(x)})")
    return size


def max_unpool(name, nd, input, indices, kernel_size, stride, padding, output_size):
    """Scatter each value to its flat per-plane index in a zero tensor (the inverse of max
    pooling with return_indices=True); the gradient gathers from the same positions."""
    from graphgrad.ops.creation import arange, zeros
    from graphgrad.ops.movement import reshape, setitem
    x, idx = as_tensor(input), as_tensor(indices)
    attrs = _pool_attrs(name, nd, x, kernel_size, stride, padding)
    if idx.dtype.kind not in "iu" or idx.shape != x.shape:
        raise ShapeError(f"{name}: indices {describe(idx)} must be integers of the input's "
                         f"shape ({got(x)})")
    x, unbatched = as_batch_nd(name, x, nd, (x, idx))
    idx = reshape(idx, x.shape)
    size = _unpool_size(name, x, attrs["kernel"], attrs["stride"], attrs["padding"],
                        output_size)
    n, c = x.shape[:2]
    plane = math.prod(x.shape[2:])
    base = zeros(n, c, math.prod(size), dtype=x.dtype)
    rows = (reshape(arange(n), (n, 1, 1)), reshape(arange(c), (1, c, 1)),
            reshape(idx, (n, c, plane)).astype(np.int64))
    out = setitem(base, rows, reshape(x, (n, c, plane)))
    return unbatch(reshape(out, (n, c) + size), unbatched)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool1d(return_indices=True), as torch.nn.functional.max_unpool1d."""
    return max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding,
                      output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool2d(return_indices=True), as torch.nn.functional.max_unpool2d."""
    return max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding,
                      output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool3d(return_indices=True), as torch.nn.functional.max_unpool3d."""
    return max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding,
                      output_size)

# -- power-average pooling --------------------------------------------------------------------


def lp_pool(name, nd, input, norm_type, kernel_size, stride, ceil_mode):
    """(sum of x ** p over each window) ** (1 / p), written as torch writes it."""
    from graphgrad.ops.elementwise import abs, relu, sign
    x = as_tensor(input)
    kernel = ntuple(name, "kernel_size", kernel_size, 1, (x,), nd)
    if norm_type == math.inf:
        return max_pool(name, nd, abs(x), kernel, stride, 0, 1, ceil_mode, False)
    if norm_type == -math.inf:
        return -max_pool(name, nd, -abs(x), kernel, stride, 0, 1, ceil_mode, False)
    out = avg_pool(name, nd, x ** norm_type, kernel, stride, 0, ceil_mode, True, None)
    return ((sign(out) * relu(abs(out))) * math.prod(kernel)) ** (1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling of (N, C, L) inputs, as torch.nn.functional.lp_pool1d."""
    return lp_pool("lp_pool1d", 1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling of (N, C, H, W) inputs, as torch.nn.functional.lp_pool2d."""
    return lp_pool("lp_pool2d", 2, input, norm_type, kernel_size, stride, ceil_mode)
