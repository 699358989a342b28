"""Torch-oracle rows for convolutions: conv1d/2d/3d and the transposed ones, with strides,
paddings ('same', 'valid', ints, tuples), dilations, groups, bias, output_padding, odd sizes,
a batch of one and unbatched inputs."""
import numpy as np
from torch_oracle import TorchCase

RNG = np.random.default_rng(31)


def u(*shape):
    return RNG.uniform(-1.0, 1.0, shape)


def F(m):
    return m.nn.functional


def conv(fn_name, x_shape, w_shape, bias=True, **kw):
    """A row for F.<fn_name>(x, w[, b], **kw); the bias has one entry per output channel."""
    transposed = "transpose" in fn_name
    out_channels = w_shape[1] * kw.get("groups", 1) if transposed else w_shape[0]
    inputs = (u(*x_shape), u(*w_shape)) + ((u(out_channels),) if bias else ())
    suffix = "-".join(f"{k}{v}" for k, v in kw.items()).replace(" ", "")
    return TorchCase(f"{fn_name}-{'x'.join(map(str, x_shape))}-{suffix}",
                     lambda m, *ts: getattr(F(m), fn_name)(*ts, **kw), inputs)


CASES = [
    conv("conv1d", (2, 3, 9), (4, 3, 3)),
    conv("conv1d", (1, 4, 10), (6, 2, 4), stride=2, padding=1, groups=2),
    conv("conv1d", (2, 2, 11), (3, 2, 3), bias=False, padding="same", dilation=2),
    conv("conv1d", (2, 2, 8), (3, 2, 4), padding="same"),
    conv("conv1d", (3, 7), (2, 3, 2), padding="valid", stride=3),
    conv("conv1d", (2, 3, 6), (6, 1, 3), padding=(2,), groups=3, dilation=(2,)),
    conv("conv2d", (1, 3, 7, 6), (6, 1, 3, 2), groups=3, padding=(1, 0)),
    conv("conv2d", (3, 5, 6), (2, 3, 3, 3), stride=(2, 1), dilation=(1, 2)),
    conv("conv2d", (2, 2, 5, 7), (4, 2, 2, 3), bias=False, padding="same"),
    conv("conv3d", (2, 2, 5, 6, 4), (3, 2, 3, 2, 2)),
    conv("conv3d", (1, 4, 6, 5, 7), (4, 2, 3, 3, 3), stride=2, padding=1, groups=2),
    conv("conv3d", (2, 5, 4, 6), (2, 2, 2, 2, 3), padding=(1, 0, 1), dilation=(1, 2, 1)),
    conv("conv3d", (1, 2, 5, 5, 6), (3, 2, 2, 3, 4), bias=False, padding="same",
         dilation=(2, 1, 1)),
    conv("conv3d", (2, 3, 4, 4, 5), (3, 1, 1, 1, 1), padding="valid", stride=(1, 2, 3),
         groups=3),
    conv("conv_transpose1d", (2, 3, 6), (3, 2, 3)),
    conv("conv_transpose1d", (1, 4, 5), (4, 3, 4), stride=3, padding=1, output_padding=2,
         groups=2),
    conv("conv_transpose1d", (4, 7), (4, 2, 3), bias=False, dilation=2, output_padding=1,
         stride=2),
    conv("conv_transpose2d", (3, 4, 5), (3, 2, 3, 2), stride=(2, 1), padding=(1, 0),
         output_padding=(1, 0)),
    conv("conv_transpose3d", (2, 2, 3, 4, 3), (2, 3, 2, 3, 2)),
    conv("conv_transpose3d", (1, 4, 3, 3, 4), (4, 1, 3, 3, 2), stride=2, padding=1,
         output_padding=(1, 0, 1), groups=2),
    conv("conv_transpose3d", (2, 3, 4, 3), (2, 2, 2, 2, 3), bias=False, dilation=(2, 1, 1),
         stride=(1, 2, 1), padding=(0, 1, 1)),
]
