"""Torch-oracle rows for pooling: max/avg pooling over 1, 2 and 3 dims (strides, paddings,
dilations, ceil_mode, count_include_pad, divisor_override), return_indices, max_unpool,
adaptive average/max pooling and power-average pooling, batched and unbatched."""
import numpy as np
from torch_oracle import TorchCase

RNG = np.random.default_rng(41)


def u(*shape):
    return RNG.uniform(-1.0, 1.0, shape)


def distinct(*shape):
    """Values at least 0.1 apart: no ties inside a window, so finite differences hold."""
    n = int(np.prod(shape))
    return (RNG.permutation(n) * 0.3 - n * 0.15 + RNG.uniform(0, 0.05, n)).reshape(shape)


def F(m):
    return m.nn.functional


def row(id, fn_name, x, *args, **kw):
    return TorchCase(id, lambda m, x: getattr(F(m), fn_name)(x, *args, **kw), (x,))


def unpool(nd, x_shape, kernel, stride=None, padding=0, output_size=None):
    """max_pool with indices, then max_unpool of the pooled values (the gradient flows
    through both). Overlapping windows can pick one position twice: the unpooled value is
    then written twice and the gradient (torch's too) counts both, so no finite differences."""
    def fn(m, x):
        v, i = getattr(F(m), f"max_pool{nd}d")(x, kernel, stride, padding, return_indices=True)
        return getattr(F(m), f"max_unpool{nd}d")(v, i, kernel, stride, padding, output_size)
    return TorchCase(f"max_unpool{nd}d-{x_shape}-{kernel}-{stride}-{padding}-{output_size}", fn,
                     (distinct(*x_shape),), gradcheck=stride is None or stride == kernel)


CASES = [
    row("max_pool1d", "max_pool1d", distinct(2, 3, 9), 3),
    row("max_pool1d-stride-pad-dil-ceil", "max_pool1d", distinct(1, 2, 10), 3, 2, 1, 2, True),
    row("max_pool1d-unbatched-indices", "max_pool1d", distinct(3, 7), 2, 1, 1,
        return_indices=True),
    row("max_pool2d-indices", "max_pool2d", distinct(2, 2, 7, 6), 3, 2, 1, return_indices=True),
    row("max_pool2d-indices-dil-ceil", "max_pool2d", distinct(1, 2, 9, 8), (2, 3), (2, 1),
        (1, 1), 2, True, True),
    row("max_pool2d-unbatched", "max_pool2d", distinct(3, 5, 5), 2),
    row("max_pool3d", "max_pool3d", distinct(2, 2, 4, 5, 6), 2),
    row("max_pool3d-stride-pad-dil", "max_pool3d", distinct(1, 2, 6, 5, 7), (3, 2, 3), (2, 1, 2),
        (1, 1, 0), (1, 2, 1)),
    row("max_pool3d-unbatched-ceil-indices", "max_pool3d", distinct(2, 5, 5, 6), 2, 2, 1,
        ceil_mode=True, return_indices=True),
    row("avg_pool1d", "avg_pool1d", u(2, 3, 9), 3),
    row("avg_pool1d-pad-ceil-exclude", "avg_pool1d", u(1, 2, 10), 4, 3, 2, True, False),
    row("avg_pool1d-unbatched", "avg_pool1d", u(3, 7), 2, 1, 1),
    row("avg_pool3d", "avg_pool3d", u(2, 2, 4, 5, 6), 2),
    row("avg_pool3d-pad-ceil-exclude", "avg_pool3d", u(1, 2, 5, 6, 7), (3, 2, 3), 2, 1, True,
        False),
    row("avg_pool3d-divisor-unbatched", "avg_pool3d", u(2, 4, 5, 6), (2, 3, 2), (1, 2, 2),
        divisor_override=5),
    unpool(1, (2, 3, 8), 2),
    unpool(1, (3, 9), 3, 2, 1),
    unpool(2, (2, 2, 6, 7), 2, output_size=(6, 7)),
    unpool(2, (1, 2, 7, 6), 3, 2, 1, (7, 6)),
    unpool(2, (2, 5, 5), 2, output_size=(1, 2, 5, 5)),
    unpool(3, (1, 2, 4, 5, 4), 2, output_size=(4, 5, 4)),
    row("adaptive_avg_pool1d", "adaptive_avg_pool1d", u(2, 3, 10), 4),
    row("adaptive_avg_pool1d-unbatched-up", "adaptive_avg_pool1d", u(3, 5), 7),
    row("adaptive_avg_pool2d", "adaptive_avg_pool2d", u(2, 3, 7, 9), (3, 4)),
    row("adaptive_avg_pool2d-none-unbatched", "adaptive_avg_pool2d", u(2, 5, 6), (None, 4)),
    row("adaptive_avg_pool2d-global", "adaptive_avg_pool2d", u(1, 4, 5, 5), 1),
    row("adaptive_avg_pool3d", "adaptive_avg_pool3d", u(1, 2, 5, 7, 6), (2, 3, 4)),
    row("adaptive_avg_pool3d-unbatched", "adaptive_avg_pool3d", u(2, 4, 4, 5), 3),
    row("adaptive_max_pool1d", "adaptive_max_pool1d", distinct(2, 3, 10), 4),
    row("adaptive_max_pool1d-indices-unbatched", "adaptive_max_pool1d", distinct(3, 7), 3,
        True),
    row("adaptive_max_pool2d", "adaptive_max_pool2d", distinct(2, 2, 7, 9), (3, 4)),
    row("adaptive_max_pool2d-indices", "adaptive_max_pool2d", distinct(1, 3, 5, 6), (4, None),
        True),
    row("adaptive_max_pool2d-upsampling", "adaptive_max_pool2d", distinct(1, 2, 3, 4), (5, 6)),
    row("adaptive_max_pool3d-indices", "adaptive_max_pool3d", distinct(1, 2, 5, 4, 6),
        (2, 3, 4), True),
    row("lp_pool1d", "lp_pool1d", u(2, 3, 9) + 2.0, 2, 3),
    row("lp_pool1d-p3-stride", "lp_pool1d", u(1, 2, 10) + 2.0, 3, 3, 2),
    row("lp_pool2d", "lp_pool2d", u(2, 2, 6, 7) + 2.0, 2, 2),
    row("lp_pool2d-inf", "lp_pool2d", distinct(1, 2, 6, 6) + 20.0, float("inf"), 2),
    row("lp_pool2d-rect-ceil", "lp_pool2d", u(1, 3, 7, 6) + 2.0, 1.5, (3, 2), (2, 2), True),
]
