"""Adaptive pooling, as in torch.nn.functional: output i of a dim of size L pools the window
[floor(i L / O), ceil((i + 1) L / O)). Written with existing primitives: the average is one
matmul per spatial dim with a constant averaging matrix; the maximum gathers every window
(padded with repeats of its last element, which keeps the first maximum first), takes the
argmax and gathers the input there, so the gradient goes to the first maximum as in torch."""
import math

import numpy as np

from graphgrad.errors import DTypeError, ShapeError
from graphgrad.ops._core import as_tensor, const, describe


def _windows(size, out):
    start = np.arange(out) * size // out
    end = -(-(np.arange(out) + 1) * size // out)
    return start, end


def _output_size(name, x, nd, output_size):
    if x.ndim not in (nd + 1, nd + 2):
        raise ShapeError(f"{name}: expects a {nd + 1}-D or {nd + 2}-D input, got {describe(x)}")
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size,) * nd
    size = tuple(x.shape[-nd + i] if s is None else int(s) for i, s in enumerate(output_size))
    if len(size) != nd or min(size) < 0 or (min(size) == 0 and x.numel()):
        raise ValueError(f"{name}: output_size must be {nd} positive ints (or None), got "
                         f"{output_size!r} for {describe(x)}")
    if any(n == 0 for n in x.shape[-nd:]):
        raise ShapeError(f"{name}: the spatial dims of {describe(x)} must not be empty")
    return size


def _averaging_matrix(size, out, dtype):
    start, end = _windows(size, out)
    cols = np.arange(size)
    inside = (cols >= start[:, None]) & (cols < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def adaptive_avg_pool(name, nd, input, output_size):
    x = as_tensor(input)
    if x.dtype.kind != "f":
        raise DTypeError(f"{name}: expects a floating-point tensor, got {describe(x)}")
    size = _output_size(name, x, nd, output_size)
    for i, o in enumerate(size):
        dim = x.ndim - nd + i
        x = apply_along(x, dim, _averaging_matrix(x.shape[dim], o, x.dtype))
    return x


def apply_along(x, dim, matrix):
    """x with its axis `dim` (of size L) mapped through the constant (O, L) `matrix`."""
    from graphgrad.ops.linalg import matmul
    from graphgrad.ops.movement import transpose
    a = const(np.ascontiguousarray(matrix.T), x.dtype)
    if dim == x.ndim - 1:
        return matmul(x, a)
    return transpose(matmul(transpose(x, dim, -1), a), dim, -1)


def adaptive_avg_pool1d(input, output_size):
    """Adaptive average pooling of (N, C, L) or (C, L) inputs."""
    return adaptive_avg_pool("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """Adaptive average pooling of (N, C, H, W) or (C, H, W) inputs."""
    return adaptive_avg_pool("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_avg_pool3d(input, output_size):
    """Adaptive average pooling of (N, C, D, H, W) or (C, D, H, W) inputs."""
    return adaptive_avg_pool("adaptive_avg_pool3d", 3, input, output_size)


def _window_table(spatial, size):
    """(*size, prod(widest windows)): the flat in-plane positions of every window, each window
    padded with repeats of its last position, in row-major window order."""
    nd = len(size)
    table = np.zeros((1,) * (2 * nd), np.int64)
    for d, (n, o) in enumerate(zip(spatial, size)):
        start, end = _windows(n, o)
        width = int((end - start).max())
        pos = np.minimum(start[:, None] + np.arange(width), end[:, None] - 1)   # (o, width)
        shape = [1] * (2 * nd)
        shape[d], shape[nd + d] = o, width
        table = table * n + pos.reshape(shape)
    return table.reshape(tuple(size) + (-1,))


def adaptive_max_pool(name, nd, input, output_size, return_indices):
    from graphgrad.ops.creation import arange
    from graphgrad.ops.movement import getitem, reshape
    from graphgrad.ops.reduce import argmax
    x = as_tensor(input)
    if x.dtype == np.bool_:
        raise DTypeError(f"{name}: not supported for bool tensors, got {describe(x)}")
    size = _output_size(name, x, nd, output_size)
    lead, spatial = x.shape[:-nd], x.shape[-nd:]
    table = _window_table(spatial, size)
    flat = reshape(x, lead + (math.prod(spatial),))
    windows = getitem(flat, (Ellipsis, const(table, np.int64)))
    first = argmax(windows, -1)                                    # lead + size
    width = table.shape[-1]
    at = reshape(arange(math.prod(size)), size) * width + first
    indices = getitem(const(table.reshape(-1), np.int64), at)
    values = getitem(flat, _leading_grid(lead, nd) + (indices,))
    return (values, indices) if return_indices else values


def _leading_grid(lead, nd):
    """Aranges over the leading axes, broadcastable against lead + (output size)."""
    shape = lead + (1,) * nd
    return tuple(const(np.arange(n).reshape((n,) + (1,) * (len(shape) - 1 - i)), np.int64)
                 for i, n in enumerate(lead))


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Adaptive max pooling of (N, C, L) or (C, L) inputs."""
    return adaptive_max_pool("adaptive_max_pool1d", 1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Adaptive max pooling of (N, C, H, W) or (C, H, W) inputs."""
    return adaptive_max_pool("adaptive_max_pool2d", 2, input, output_size, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Adaptive max pooling of (N, C, D, H, W) or (C, D, H, W) inputs."""
    return adaptive_max_pool("adaptive_max_pool3d", 3, input, output_size, return_indices)
