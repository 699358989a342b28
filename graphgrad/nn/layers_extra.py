"""Channel dropout, alpha dropout, distance modules, Bilinear and LazyLinear."""
import math

import numpy as np

from graphgrad.dtypes import default_float
from graphgrad.errors import TraceError
from graphgrad.ir.types import as_dtype
from graphgrad.modes import active_recorder
from graphgrad.nn import functional as F
from graphgrad.nn import init
from graphgrad.nn.layers import Linear
from graphgrad.nn.module import Module
from graphgrad.nn.parameter import Parameter


class _DropoutNd(Module):
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: dropout probability has to be between 0 "
                             f"and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(_DropoutNd):
    """Zeroes whole channels of (N, C, L) or (C, L) inputs (seeded by gg.manual_seed)."""

    def forward(self, input):
        return F.dropout1d(input, self.p, self.training)


class Dropout2d(_DropoutNd):
    """Zeroes whole channels of (N, C, H, W) or (C, H, W) inputs."""

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training)


class Dropout3d(_DropoutNd):
    """Zeroes whole channels of (N, C, D, H, W) or (C, D, H, W) inputs."""

    def forward(self, input):
        return F.dropout3d(input, self.p, self.training)


class AlphaDropout(_DropoutNd):
    """Dropout for SELU networks (keeps zero mean and unit variance)."""

    def forward(self, input):
        return F.alpha_dropout(input, self.p, self.training)


class CosineSimilarity(Module):
    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class Bilinear(Module):
    """y = x1^T A x2 + b with weight (out_features, in1_features, in2_features); torch's
    init: uniform(-1/sqrt(in1_features), 1/sqrt(in1_features)) for weight and bias."""

    def __init__(self, in1_features, in2_features, out_features, bias=True, dtype=None):
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        dtype = as_dtype(dtype) or default_float()
        self.weight = Parameter(np.empty((out_features, in1_features, in2_features), dtype))
        if bias:
            self.bias = Parameter(np.empty((out_features,), dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1.0 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class LazyLinear(Linear):
    """A Linear whose in_features is read from the last dim of its first input; it then
    becomes a Linear (as in torch). The first call must be eager, and an optimizer must be
    built after it, since the parameters do not exist before."""

    def __init__(self, out_features, bias=True, dtype=None):
        Module.__init__(self)
        self.in_features, self.out_features = 0, out_features
        self._lazy_bias, self._lazy_dtype = bias, as_dtype(dtype) or default_float()
        self.register_parameter("weight", None)
        self.register_parameter("bias", None)

    def initialize_parameters(self, input):
        self.in_features = int(input.shape[-1])
        dtype = self._lazy_dtype
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype))
        if self._lazy_bias:
            self.bias = Parameter(np.empty((self.out_features,), dtype))
        del self._lazy_bias, self._lazy_dtype
        self.reset_parameters()
        self.__class__ = Linear

    def forward(self, input):
        if active_recorder() is not None:
            raise TraceError("LazyLinear: in_features is not known yet; call the module once "
                             "eagerly (a dry run) before gg.compile")
        self.initialize_parameters(input)
        return Linear.forward(self, input)

    def has_uninitialized_params(self):
        return True
