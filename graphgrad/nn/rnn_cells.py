"""One time step of the recurrent layers, and nn.RNNCell, nn.LSTMCell, nn.GRUCell.

The step functions are plain compositions of graphgrad ops, shared by the cells and by the
multi-layer nn.RNN / nn.LSTM / nn.GRU (graphgrad/nn/rnn.py), so gradients come from the
primitives' rules and a compiled function unrolls the time loop into its graph. Gate order and
formulas are torch's: LSTM (i, f, g, o); GRU (r, z, n) with the reset gate applied to
(W_hn h + b_hn).
"""
import math

import numpy as np

from graphgrad import ops
from graphgrad.errors import ShapeRuntimeError
from graphgrad.dtypes import default_float
from graphgrad.ir.types import as_dtype
from graphgrad.nn import functional as F
from graphgrad.nn import init
from graphgrad.nn.module import Module
from graphgrad.nn.parameter import Parameter
from graphgrad.ops._core import as_tensor, describe

# -- steps: `p` is the input projection x W_ih^T + b_ih (for RNN and LSTM with b_hh added too),
# `w_hh_t` the transposed hidden weight; every gate tensor is (batch, gates * hidden) ----------


def rnn_step(p, h, w_hh_t, nonlinearity):
    pre = p + ops.matmul(h, w_hh_t)
    return ops.tanh(pre) if nonlinearity == "tanh" else ops.relu(pre)


def lstm_step(p, h, c, w_hh_t, w_hr_t=None):
    """(h', c'); with a projection (proj_size > 0) h' = (o * tanh(c')) W_hr^T."""
    H = c.shape[-1]
    gates = p + ops.matmul(h, w_hh_t)
    sig = ops.sigmoid(gates)      # the g quarter is unused: one op instead of three
    i, f, o = sig[..., :H], sig[..., H:2 * H], sig[..., 3 * H:]
    g = ops.tanh(gates[..., 2 * H:3 * H])
    c = f * c + i * g
    h = o * ops.tanh(c)
    if w_hr_t is not None:
        h = ops.matmul(h, w_hr_t)
    return h, c


def gru_step(p, h, w_hh_t, b_hh):
    H = h.shape[-1]
    hh = ops.matmul(h, w_hh_t)
    if b_hh is not None:
        hh = hh + b_hh
    rz = ops.sigmoid(p[..., :2 * H] + hh[..., :2 * H])
    r, z = rz[..., :H], rz[..., H:]
    n = ops.tanh(p[..., 2 * H:] + r * hh[..., 2 * H:])
    return n + z * (h - n)


# -- cells ----------------------------------------------------------------------------------------


class RNNCellBase(Module):
    """weight_ih (chunks * hidden, input), weight_hh (chunks * hidden, hidden), bias_ih and
    bias_hh, all uniform(-1/sqrt(hidden), 1/sqrt(hidden)) as in torch."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        dtype = as_dtype(dtype) or default_float()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(np.empty((gates, input_size), dtype))
        self.weight_hh = Parameter(np.empty((gates, hidden_size), dtype))
        if bias:
            self.bias_ih = Parameter(np.empty(gates, dtype))
            self.bias_hh = Parameter(np.empty(gates, dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input, states):
        """Checks like torch; (batched input, batched states or None, was the input batched)."""
        name = type(self).__name__
        x = as_tensor(input)
        if x.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {x.ndim}D instead")
        for i, s in enumerate(states):
            if s is not None and s.ndim not in (1, 2):
                label = "hidden" if len(states) == 1 else f"hx[{i}]"
                raise ValueError(f"{name}: Expected {label} to be 1D or 2D, got {s.ndim}D "
                                 "instead")
        batched = x.ndim == 2
        if not batched:
            x = ops.unsqueeze(x, 0)
            states = [None if s is None else ops.unsqueeze(s, 0) for s in states]
        if x.shape[1] != self.input_size:
            raise ShapeRuntimeError(f"{name}: input has inconsistent input_size: got "
                                    f"{x.shape[1]} expected {self.input_size} (input "
                                    f"{describe(x)})")
        zeros = None
        out = []
        for i, s in enumerate(states):
            if s is None:
                zeros = zeros if zeros is not None else ops.zeros(
                    x.shape[0], self.hidden_size, dtype=x.dtype)
                s = zeros
            elif s.shape[0] != x.shape[0]:
                raise ShapeRuntimeError(f"{name}: Input batch size {x.shape[0]} doesn't match "
                                        f"hidden{i} batch size {s.shape[0]}")
            elif s.shape[1] != self.hidden_size:
                raise ShapeRuntimeError(f"{name}: hidden{i} has inconsistent hidden_size: got "
                                        f"{s.shape[1]}, expected {self.hidden_size}")
            out.append(s)
        _check_dtype(name, x, self.weight_ih)
        return x, out, batched

    def _projection(self, x, add_hh_bias=True):
        bias = self.bias_ih
        if bias is not None and add_hh_bias:
            bias = bias + self.bias_hh
        return F.linear(x, self.weight_ih, bias)


def _check_dtype(name, x, weight):
    if x.dtype != weight.dtype:
        raise ValueError(f"{name}: input dtype ({x.dtype}) does not match weight dtype "
                         f"({weight.dtype}). Convert the input (input.to({weight.dtype})) or "
                         f"the model (model.to({x.dtype}))")


def _unbatch(t, batched):
    return t if batched else ops.squeeze(t, 0)


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity '{nonlinearity}'. Select from "
                             "'tanh' or 'relu'.")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, [hx])
        out = rnn_step(self._projection(x), h, ops.t(self.weight_hh), self.nonlinearity)
        return _unbatch(out, batched)


class LSTMCell(RNNCellBase):
    """forward(input, (h, c)) -> (h', c')."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        states = [None, None] if hx is None else list(hx)
        x, (h, c), batched = self._prepare(input, states)
        h, c = lstm_step(self._projection(x), h, c, ops.t(self.weight_hh))
        return _unbatch(h, batched), _unbatch(c, batched)


class GRUCell(RNNCellBase):
    """forward(input, h) -> h'."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), batched = self._prepare(input, [hx])
        p = self._projection(x, add_hh_bias=False)
        return _unbatch(gru_step(p, h, ops.t(self.weight_hh), self.bias_hh), batched)
