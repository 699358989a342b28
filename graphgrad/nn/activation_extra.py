"""More activation modules with torch's names, arguments and reprs: Hardsigmoid, Hardswish,
Hardtanh, ReLU6, Softsign, Mish, CELU, SELU, GLU, LogSigmoid, Tanhshrink, Softshrink,
Hardshrink, Threshold, PReLU (with its learnable weight), RReLU, Softmin."""
import warnings

from graphgrad.dtypes import default_float
from graphgrad.ir.types import as_dtype
from graphgrad.nn import functional as F
from graphgrad.nn.activation import _InplaceActivation
from graphgrad.nn.module import Module
from graphgrad.nn.parameter import Parameter
from graphgrad.ops.creation import full


class Hardsigmoid(_InplaceActivation):
    def forward(self, x):
        return F.hardsigmoid(x, self.inplace)

    def extra_repr(self):
        return ""          # torch does not show inplace here


class Hardswish(_InplaceActivation):
    def forward(self, x):
        return F.hardswish(x, self.inplace)

    def extra_repr(self):
        return ""


class Hardtanh(_InplaceActivation):
    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False, min_value=None, max_value=None):
        super().__init__(inplace)
        if min_value is not None or max_value is not None:
            warnings.warn("Hardtanh: keyword arguments min_value and max_value are deprecated, "
                          "use min_val and max_val", DeprecationWarning, stacklevel=2)
            min_val = min_val if min_value is None else min_value
            max_val = max_val if max_value is None else max_value
        if max_val <= min_val:
            raise ValueError(f"Hardtanh: max_val ({max_val}) must be greater than min_val "
                             f"({min_val})")
        self.min_val = min_val
        self.max_val = max_val

    def forward(self, x):
        return F.hardtanh(x, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}{self._inplace_suffix()}"


class ReLU6(Hardtanh):
    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Softsign(Module):
    def forward(self, x):
        return F.softsign(x)


class Mish(_InplaceActivation):
    def forward(self, x):
        return F.mish(x, self.inplace)


class CELU(_InplaceActivation):
    def __init__(self, alpha=1.0, inplace=False):
        super().__init__(inplace)
        self.alpha = alpha

    def forward(self, x):
        return F.celu(x, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}{self._inplace_suffix()}"


class SELU(_InplaceActivation):
    def forward(self, x):
        return F.selu(x, self.inplace)


class GLU(Module):
    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.glu(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSigmoid(Module):
    def forward(self, x):
        return F.logsigmoid(x)


class Tanhshrink(Module):
    def forward(self, x):
        return F.tanhshrink(x)


class Softshrink(Module):
    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, x):
        return F.softshrink(x, self.lambd)

    def extra_repr(self):
        return str(self.lambd)


class Hardshrink(Softshrink):
    def forward(self, x):
        return F.hardshrink(x, self.lambd)


class Threshold(_InplaceActivation):
    def __init__(self, threshold, value, inplace=False):
        super().__init__(inplace)
        self.threshold = threshold
        self.value = value

    def forward(self, x):
        return F.threshold(x, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}{self._inplace_suffix()}"


class PReLU(Module):
    """x for x > 0, weight * x otherwise; the learnable weight has `num_parameters` entries
    (1, or one per channel of dim 1), all `init` at first."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        if device is not None and str(device) != "cpu":
            raise ValueError(f"PReLU: graphgrad runs on the CPU only, got device={device!r}")
        self.num_parameters = num_parameters
        self.init = init
        dtype = as_dtype(dtype) or default_float()
        self.weight = Parameter(full((num_parameters,), init, dtype=dtype))

    def reset_parameters(self):
        from graphgrad.nn import init
        init.constant_(self.weight, self.init)

    def forward(self, x):
        return F.prelu(x, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class RReLU(_InplaceActivation):
    """leaky_relu with a random negative slope from U(lower, upper) per element in training
    mode (a new draw at every call, compiled too), the mean slope in eval mode."""

    def __init__(self, lower=1.0 / 8.0, upper=1.0 / 3.0, inplace=False):
        super().__init__(inplace)
        self.lower = lower
        self.upper = upper

    def forward(self, x):
        return F.rrelu(x, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}{self._inplace_suffix()}"


class Softmin(Module):
    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmin(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"
