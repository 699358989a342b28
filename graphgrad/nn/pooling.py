"""Pooling layers: max, average, adaptive, power-average pooling and max unpooling over 1, 2
and 3 spatial dims, each calling its function in graphgrad.nn.functional."""
from graphgrad.nn.module import Module
from graphgrad.ops import pooling_adaptive as A
from graphgrad.ops import pooling_nd as P


class _MaxPoolNd(Module):
    nd = 2

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, x):
        return P.max_pool(f"max_pool{self.nd}d", self.nd, x, self.kernel_size, self.stride,
                          self.padding, self.dilation, self.ceil_mode, self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    nd = 1


class MaxPool2d(_MaxPoolNd):
    nd = 2


class MaxPool3d(_MaxPoolNd):
    nd = 3


class _AvgPoolNd(Module):
    nd = 2

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        if self.nd > 1:
            self.divisor_override = divisor_override

    def forward(self, x):
        return P.avg_pool(f"avg_pool{self.nd}d", self.nd, x, self.kernel_size, self.stride,
                          self.padding, self.ceil_mode, self.count_include_pad,
                          getattr(self, "divisor_override", None))

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    nd = 1

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)


class AvgPool2d(_AvgPoolNd):
    nd = 2


class AvgPool3d(_AvgPoolNd):
    nd = 3


class _AdaptivePool(Module):
    nd = 2

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return A.adaptive_avg_pool(f"adaptive_avg_pool{self.nd}d", self.nd, x,
                                   self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    nd = 1


class AdaptiveAvgPool2d(_AdaptivePool):
    nd = 2


class AdaptiveAvgPool3d(_AdaptivePool):
    nd = 3


class _AdaptiveMaxPool(_AdaptivePool):
    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, x):
        return A.adaptive_max_pool(f"adaptive_max_pool{self.nd}d", self.nd, x,
                                   self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    nd = 1


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    nd = 2


class AdaptiveMaxPool3d(_AdaptiveMaxPool):
    nd = 3


class _MaxUnpoolNd(Module):
    nd = 2

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def forward(self, x, indices, output_size=None):
        return P.max_unpool(f"max_unpool{self.nd}d", self.nd, x, indices, self.kernel_size,
                            self.stride, self.padding, output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    nd = 1


class MaxUnpool2d(_MaxUnpoolNd):
    nd = 2


class MaxUnpool3d(_MaxUnpoolNd):
    nd = 3


class _LPPoolNd(Module):
    nd = 2

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, x):
        return P.lp_pool(f"lp_pool{self.nd}d", self.nd, x, self.norm_type, self.kernel_size,
                         self.stride, self.ceil_mode)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    nd = 1


class LPPool2d(_LPPoolNd):
    nd = 2
