"""F.interpolate: resizing by nearest, nearest-exact, (bi/tri)linear, bicubic and area
sampling, as in torch (antialias=False). Every mode is separable: each spatial dim is resampled
on its own, by a gather of source indices (nearest modes, any dtype) or by a matmul with a
constant (output, input) weight matrix that holds torch's interpolation weights (linear,
bicubic), so gradients come from the gather and matmul rules."""
import numpy as np

from graphgrad.errors import DTypeError, ShapeError
from graphgrad.ops._core import as_tensor, const, describe
from graphgrad.ops.pooling_adaptive import adaptive_avg_pool, apply_along

_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
_CUBIC_A = -0.75


def _source_scale(size, out, align_corners, scale):
    """torch's area_pixel_compute_scale: source step per output step."""
    if align_corners:
        return (size - 1) / (out - 1) if out > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else size / out


def _source_index(scale, out, align_corners, cubic):
    dst = np.arange(out, dtype=np.float64)
    if align_corners:
        return scale * dst
    src = scale * (dst + 0.5) - 0.5
    return src if cubic else np.maximum(src, 0.0)


def _nearest_index(size, out, scale, exact, dtype):
    """Source index per output, computed in the input's precision and floored as a float32,
    as torch's kernels do (so ties at exact boundaries fall the same way)."""
    work = np.float32 if dtype == np.float32 else np.float64
    step = work(1.0 / scale) if scale is not None and scale > 0 else work(size) / work(out)
    dst = np.arange(out, dtype=work) + (work(0.5) if exact else work(0))
    index = np.floor((dst * step).astype(np.float32)).astype(np.int64)
    return np.minimum(index, size - 1)


def _cubic_weights(t):
    """The 4 bicubic weights (A = -0.75) of taps -1, 0, 1, 2 at fraction t."""
    a = _CUBIC_A

    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _weight_matrix(mode, size, out, align_corners, scale, dtype):
    """(out, size): the interpolation weights of one dim."""
    matrix = np.zeros((out, size))
    rows = np.arange(out)
    if mode == "bicubic":
        src = _source_index(_source_scale(size, out, align_corners, scale), out, align_corners,
                            True)
        base = np.minimum(np.floor(src), size - 1)
        t = np.clip(src - base, 0.0, 1.0)
        for k, w in enumerate(_cubic_weights(t)):
            np.add.at(matrix, (rows, np.clip(base.astype(np.int64) - 1 + k, 0, size - 1)), w)
        return matrix.astype(dtype)
    if out == size:
        return np.eye(size, dtype=dtype)
    src = _source_index(_source_scale(size, out, align_corners, scale), out, align_corners,
                        False)
    i0 = np.minimum(np.floor(src).astype(np.int64), size - 1)
    frac = np.clip(src - i0, 0.0, 1.0)
    i1 = i0 + (i0 < size - 1)
    np.add.at(matrix, (rows, i0), 1.0 - frac)
    np.add.at(matrix, (rows, i1), frac)
    return matrix.astype(dtype)


def _output_size(x, dim, size, scale_factor, recompute_scale_factor):
    """(output size, scale factors passed to the kernels)."""
    if size is not None and scale_factor is not None:
        raise ValueError("interpolate: only one of size or scale_factor should be defined")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("interpolate: recompute_scale_factor is not meaningful with an "
                             "explicit size.")
        sizes = tuple(size) if isinstance(size, (list, tuple)) else (size,) * dim
        if len(sizes) != dim:
            raise ValueError(f"interpolate: the input has {dim} spatial dims "
                             f"{tuple(x.shape[2:])} but the output size is {size}")
        if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in sizes):
            raise TypeError(f"interpolate: expected size to be ints, got {size!r}")
        return tuple(int(s) for s in sizes), (None,) * dim
    if scale_factor is None:
        raise ValueError("interpolate: either size or scale_factor should be defined")
    scales = (tuple(float(s) for s in scale_factor) if isinstance(scale_factor, (list, tuple))
              else (float(scale_factor),) * dim)
    if len(scales) != dim:
        raise ValueError(f"interpolate: the input has {dim} spatial dims {tuple(x.shape[2:])} "
                         f"but scale_factor is {scale_factor}")
    out = tuple(int(n * s) for n, s in zip(x.shape[2:], scales))
    return out, ((None,) * dim if recompute_scale_factor else scales)


def _check_mode(x, mode, align_corners):
    if mode not in _MODES:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported; expected one "
                                  f"of {', '.join(_MODES)}")
    if x.ndim not in (3, 4, 5):
        raise NotImplementedError(f"interpolate: expects a 3-D, 4-D or 5-D (N, C, ...) input, "
                                  f"got {describe(x)}")
    if mode in _DIMS and x.ndim - 2 != _DIMS[mode]:
        raise NotImplementedError(f"interpolate: got a {x.ndim}-D input, but {mode} mode "
                                  f"needs a {_DIMS[mode] + 2}-D input")
    if mode not in _DIMS and align_corners is not None:
        raise ValueError("interpolate: align_corners option can only be set with the "
                         "interpolating modes: linear | bilinear | bicubic | trilinear")


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of an (N, C, ...) input, as torch.nn.functional.interpolate."""
    from graphgrad.ops.movement import getitem
    x = as_tensor(input)
    _check_mode(x, mode, align_corners)
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    dim = x.ndim - 2
    out, scales = _output_size(x, dim, size, scale_factor, recompute_scale_factor)
    if min(out) < 1 or min(x.shape[2:]) < 1:
        raise ShapeError(f"interpolate: input {describe(x)} and output size {out} should both "
                         f"be greater than 0")
    if mode == "area":
        return adaptive_avg_pool("interpolate", dim, x, out)
    if mode not in ("nearest", "nearest-exact") and x.dtype.kind != "f":
        raise DTypeError(f"interpolate: mode {mode!r} expects a floating-point input, got "
                        f"{describe(x)}")
    for i, (n, o, s) in enumerate(zip(x.shape[2:], out, scales)):
        axis = 2 + i
        if mode.startswith("nearest"):
            index = _nearest_index(n, o, s, mode == "nearest-exact", x.dtype)
            if not np.array_equal(index, np.arange(n)):
                x = getitem(x, (slice(None),) * axis + (const(index, np.int64),))
        else:
            matrix = _weight_matrix(mode, n, o, bool(align_corners), s, x.dtype)
            x = apply_along(x, axis, matrix)
    return x


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """torch.nn.functional.upsample: interpolate under its older name."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Bilinear upsampling with align_corners=True, as torch.nn.functional.upsample_bilinear."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)

