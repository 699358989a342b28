"""Convolution layers: Conv1d/2d/3d and ConvTranspose1d/2d/3d, with torch's parameter names,
shapes, initialization and padding modes."""
import math

import numpy as np

from graphgrad.dtypes import default_float
from graphgrad.ir.types import as_dtype
from graphgrad.nn import init
from graphgrad.nn.module import Module
from graphgrad.nn.parameter import Parameter
from graphgrad.ops.convolution import convolve, convolve_transposed
from graphgrad.ops.padding import pad

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(value, n):
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    value = tuple(value)
    return value * n if len(value) == 1 else value


class _ConvNd(Module):
    """What the convolution layers share: parameters, their init and extra_repr."""

    nd = 2
    transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 groups, bias, padding_mode, output_padding=0, dtype=None):
        super().__init__()
        name = type(self).__name__
        if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: groups={groups} must divide in_channels={in_channels} "
                             f"and out_channels={out_channels}")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {_PADDING_MODES}, got "
                             f"{padding_mode!r}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _ntuple(kernel_size, self.nd)
        self.stride = _ntuple(stride, self.nd)
        self.dilation = _ntuple(dilation, self.nd)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: padding must be 'same', 'valid', an int or a tuple, "
                                 f"got {padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions")
            self.padding = padding
        else:
            self.padding = _ntuple(padding, self.nd)
        self.output_padding = _ntuple(output_padding, self.nd)
        self.groups = groups
        self.padding_mode = padding_mode
        dtype = as_dtype(dtype) or default_float()
        channels = ((in_channels, out_channels // groups) if self.transposed else
                    (out_channels, in_channels // groups))
        self.weight = Parameter(np.empty(channels + self.kernel_size, dtype))
        self.bias = Parameter(np.empty((out_channels,), dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def _reversed_padding(self):
        """F.pad's (last dim first) padding for this layer's padding."""
        if self.padding == "valid":
            return (0,) * (2 * self.nd)
        out = ()
        for i in reversed(range(self.nd)):
            if self.padding == "same":
                total = self.dilation[i] * (self.kernel_size[i] - 1)
                out += (total // 2, total - total // 2)
            else:
                out += (self.padding[i],) * 2
        return out

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * self.nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self.nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self.nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, dtype=dtype)

    def forward(self, x):
        padding = self.padding
        if self.padding_mode != "zeros":
            x = pad(x, self._reversed_padding(), mode=self.padding_mode)
            padding = 0
        return convolve(f"conv{self.nd}d", self.nd, x, self.weight, self.bias, self.stride,
                        padding, self.dilation, self.groups)


class Conv1d(_Conv):
    """1-D convolution over (N, C, L) inputs, with PyTorch's default init (kaiming-uniform
    weight with a=sqrt(5), bias uniform in +-1/sqrt(fan_in))."""
    nd = 1


class Conv2d(_Conv):
    """2-D convolution over (N, C, H, W) inputs, with PyTorch's default init (kaiming-uniform
    weight with a=sqrt(5), bias uniform in +-1/sqrt(fan_in))."""
    nd = 2


class Conv3d(_Conv):
    """3-D convolution over (N, C, D, H, W) inputs, with PyTorch's default init."""
    nd = 3


class _ConvTranspose(_ConvNd):
    transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for '
                             f'{type(self).__name__}')
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple, got "
                             f"{padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, dtype=dtype)

    def forward(self, x, output_size=None):
        extra = self._output_padding(x, output_size)
        return convolve_transposed(f"conv_transpose{self.nd}d", self.nd, x, self.weight,
                                   self.bias, self.stride, self.padding, extra, self.groups,
                                   self.dilation)

    def _output_padding(self, x, output_size):
        """output_padding, or the one that gives `output_size`, as torch computes it."""
        if output_size is None:
            return self.output_padding
        size = tuple(int(s) for s in output_size)
        lead = 2 if x.ndim == self.nd + 2 else 1
        if len(size) == lead + self.nd:
            size = size[lead:]
        if len(size) != self.nd:
            raise ValueError(f"{type(self).__name__}: output_size must have {self.nd} or "
                             f"{self.nd + lead} elements (got {len(size)})")
        extra = []
        for d in range(self.nd):
            smallest = ((x.shape[lead + d] - 1) * self.stride[d] - 2 * self.padding[d] +
                        self.dilation[d] * (self.kernel_size[d] - 1) + 1)
            if not smallest <= size[d] <= smallest + self.stride[d] - 1:
                raise ValueError(f"{type(self).__name__}: requested an output size of {size}, "
                                 f"but valid sizes of dim {d} range from {smallest} to "
                                 f"{smallest + self.stride[d] - 1} (for an input of "
                                 f"{tuple(x.shape)})")
            extra.append(size[d] - smallest)
        return tuple(extra)


class ConvTranspose1d(_ConvTranspose):
    """Transposed 1-D convolution; weight (in_channels, out_channels / groups, k)."""
    nd = 1


class ConvTranspose2d(_ConvTranspose):
    """Transposed 2-D convolution; weight (in_channels, out_channels / groups, kH, kW)."""
    nd = 2


class ConvTranspose3d(_ConvTranspose):
    """Transposed 3-D convolution; weight (in_channels, out_channels / groups, kD, kH, kW)."""
    nd = 3


