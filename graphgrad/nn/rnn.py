"""nn.RNN, nn.LSTM and nn.GRU: multi-layer, optionally bidirectional recurrent layers.

Parameter names, shapes, order and initialization are torch's (weight_ih_l{k}, weight_hh_l{k},
bias_ih_l{k}, bias_hh_l{k}, weight_hr_l{k} with proj_size, "_reverse" for the backward
direction, uniform(-1/sqrt(hidden), 1/sqrt(hidden))), so a torch state dict loads and gives the
same outputs. The time loop is a Python loop over graphgrad ops: eagerly it runs step by step,
and `gg.compile` unrolls it into the graph (one set of nodes per time step and layer).

Each layer projects its whole input sequence at once (one matmul for all time steps), then
runs the recurrence step by step. Inputs are (L, N, H_in), (N, L, H_in) with batch_first, or
unbatched (L, H_in); a PackedSequence (graphgrad.nn.utils.rnn) runs each sequence only over its
own length.
"""
import math
import numbers
import warnings

import numpy as np

from graphgrad import ops
from graphgrad.errors import ShapeError, ShapeRuntimeError
from graphgrad.dtypes import default_float
from graphgrad.ir.types import as_dtype
from graphgrad.nn import functional as F
from graphgrad.nn import init
from graphgrad.nn.module import Module
from graphgrad.nn.parameter import Parameter
from graphgrad.nn.rnn_cells import _check_dtype, gru_step, lstm_step, rnn_step
from graphgrad.nn.utils_rnn import (PackedSequence, permute_batch, run_packed_direction,
                                    static_sizes, unbind_steps)
from graphgrad.ops._core import as_tensor, describe
from graphgrad.tensor import Tensor

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _check_config(input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size):
    if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) \
            or not 0 <= dropout <= 1:
        raise ValueError("dropout should be a number in range [0, 1] representing the "
                         "probability of an element being zeroed")
    if dropout > 0 and num_layers == 1:
        warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                      "non-zero dropout expects num_layers greater than 1, but got "
                      f"dropout={dropout} and num_layers={num_layers}", stacklevel=4)
    for name, value, kind in (("bias", bias, bool), ("batch_first", batch_first, bool),
                              ("input_size", input_size, int), ("hidden_size", hidden_size, int)):
        if not isinstance(value, kind):
            raise TypeError(f"{name} should be of type {kind.__name__}, got: "
                            f"{type(value).__name__}")
    if input_size <= 0:
        raise ValueError("input_size must be greater than zero")
    if hidden_size <= 0:
        raise ValueError("hidden_size must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")


class RNNBase(Module):
    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        _check_config(input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size)
        dtype = as_dtype(dtype) or default_float()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gates = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else real_hidden * directions
                shapes = [("weight_ih_l{}{}", (gates, layer_input)),
                          ("weight_hh_l{}{}", (gates, real_hidden))]
                if bias:
                    shapes += [("bias_ih_l{}{}", (gates,)), ("bias_hh_l{}{}", (gates,))]
                if proj_size > 0:
                    shapes += [("weight_hr_l{}{}", (proj_size, hidden_size))]
                suffix = "_reverse" if direction == 1 else ""
                names = []
                for pattern, shape in shapes:
                    name = pattern.format(layer, suffix)
                    setattr(self, name, Parameter(np.empty(shape, dtype)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self):
        """A no-op, as in torch on the CPU (it packs cuDNN weights)."""

    @property
    def _flat_weights(self):
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        for name, default in (("proj_size", 0), ("num_layers", 1), ("bias", True),
                              ("batch_first", False), ("dropout", 0.0),
                              ("bidirectional", False)):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s

    # -- forward ----------------------------------------------------------------------------
    @property
    def _name(self):
        return "RNN" if self.mode.startswith("RNN") else self.mode

    @property
    def _lstm(self):
        return self.mode == "LSTM"

    def _state_sizes(self, batch):
        layers = self.num_layers * (2 if self.bidirectional else 1)
        h_size = self.proj_size if self.proj_size > 0 else self.hidden_size
        sizes = [(layers, batch, h_size)]
        if self._lstm:
            sizes.append((layers, batch, self.hidden_size))
        return sizes

    def forward(self, input, hx=None):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        x = as_tensor(input)
        if x.ndim not in (2, 3):
            raise ShapeError(f"{self._name}: Expected input to be 2D or 3D, got {x.ndim}D "
                             f"tensor instead ({describe(x)})")
        batched = x.ndim == 3
        states = self._given_states(hx, batched)
        if not batched:
            x = ops.unsqueeze(x, 1)
            states = None if states is None else [ops.unsqueeze(s, 1) for s in states]
        elif self.batch_first:
            x = ops.transpose(x, 0, 1)
        self._check_input(x)
        if x.shape[0] == 0:
            raise ShapeRuntimeError(f"{self._name}: Expected sequence length to be larger "
                                    f"than 0 in RNN (input {describe(x)})")
        states = self._initial_states(states, x)
        output, finals = self._layers(x, states, None)
        if not batched:
            output = ops.squeeze(output, 1)
            finals = [ops.squeeze(s, 1) for s in finals]
        elif self.batch_first:
            output = ops.transpose(output, 0, 1)
        return output, (tuple(finals) if self._lstm else finals[0])

    def _forward_packed(self, packed, hx):
        data, batch_sizes, sorted_indices, unsorted_indices = packed
        sizes = static_sizes(batch_sizes)
        states = self._given_states(hx, True)
        if states is not None:
            states = [permute_batch(s, sorted_indices, 1) for s in states]
        self._check_input(data, packed=True)
        states = self._initial_states(states, data, batch=sizes[0])
        output, finals = self._layers(data, states, sizes)
        finals = [permute_batch(s, unsorted_indices, 1) for s in finals]
        out = PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices)
        return out, (tuple(finals) if self._lstm else finals[0])

    def _given_states(self, hx, batched):
        """hx as a list ([h] or [h, c]) after torch's dimension checks, or None."""
        if hx is None:
            return None
        if self._lstm and (isinstance(hx, Tensor) or len(hx) != 2):
            raise TypeError("LSTM: hx must be a tuple of two tensors (h_0, c_0)")
        states = list(hx) if self._lstm else [as_tensor(hx)]
        states = [as_tensor(s) for s in states]
        want = 3 if batched else 2
        if any(s.ndim != want for s in states):
            kind = "batched 3-D" if batched else "unbatched 2-D"
            got = ", ".join(f"{s.ndim}-D" for s in states)
            raise ShapeRuntimeError(f"{self._name}: For {kind} input, hx should also be "
                                    f"{want}-D but got {got} tensor(s)")
        return states

    def _check_input(self, x, packed=False):
        _check_dtype(self._name, x, self._flat_weights[0])
        if packed and x.ndim != 2:
            raise ShapeRuntimeError(f"{self._name}: packed input data must have 2 dimensions, "
                                    f"got {describe(x)}")
        if x.shape[-1] != self.input_size:
            raise ShapeRuntimeError(f"{self._name}: input.size(-1) must be equal to "
                                    f"input_size. Expected {self.input_size}, got "
                                    f"{x.shape[-1]}")

    def _initial_states(self, states, x, batch=None):
        batch = x.shape[1] if batch is None else batch
        sizes = self._state_sizes(batch)
        if states is None:
            return [ops.zeros(*size, dtype=x.dtype) for size in sizes]
        labels = ["hidden[0]", "hidden[1]"] if self._lstm else ["hidden"]
        for s, size, label in zip(states, sizes, labels):
            if s.shape != size:
                raise ShapeRuntimeError(f"{self._name}: Expected {label} size {size}, got "
                                        f"{list(s.shape)}")
            _check_dtype(self._name, s, self._flat_weights[0])
        return states

    def _layers(self, x, states, sizes):
        """Run every layer and direction; (output, [h_n] or [h_n, c_n])."""
        directions = 2 if self.bidirectional else 1
        finals = [[] for _ in states]
        for layer in range(self.num_layers):
            outs = []
            for direction in range(directions):
                k = layer * directions + direction
                init_states = [s[k] for s in states]
                out, last = self._direction(layer, direction, x, init_states, sizes)
                outs.append(out)
                for acc, s in zip(finals, last):
                    acc.append(s)
            x = outs[0] if directions == 1 else ops.cat(outs, -1)
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, training=True)
        return x, [ops.stack(acc) for acc in finals]

    def _weights(self, layer, direction):
        suffix = "_reverse" if direction == 1 else ""
        return tuple(getattr(self, f"{kind}_l{layer}{suffix}", None) for kind in
                     ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"))

    def _direction(self, layer, direction, x, states, sizes):
        """One layer in one direction over the whole sequence (or packed data)."""
        w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(layer, direction)
        gru = self.mode == "GRU"
        bias = b_ih if (gru or b_ih is None) else b_ih + b_hh
        proj = F.linear(x, w_ih, bias)       # all time steps at once
        w_hh_t = ops.t(w_hh)
        w_hr_t = None if w_hr is None else ops.t(w_hr)
        nonlinearity = "relu" if self.mode == "RNN_RELU" else "tanh"

        def step(p, state):
            if self._lstm:
                return lstm_step(p, state[0], state[1], w_hh_t, w_hr_t)
            if gru:
                return (gru_step(p, state[0], w_hh_t, b_hh),)
            return (rnn_step(p, state[0], w_hh_t, nonlinearity),)

        if sizes is not None:
            return run_packed_direction(step, proj, states, sizes, reverse=direction == 1)
        return _run_direction(step, proj, states, reverse=direction == 1)


def _run_direction(step, proj, states, reverse):
    steps = unbind_steps(proj)
    outputs = [None] * len(steps)
    order = range(len(steps) - 1, -1, -1) if reverse else range(len(steps))
    for t in order:
        states = step(steps[t], states)
        outputs[t] = states[0]
    return ops.stack(outputs), states


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None,
                 **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if kwargs:
            raise TypeError(f"RNN: unexpected arguments {sorted(kwargs)}")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """forward(input, (h_0, c_0)) -> (output, (h_n, c_n)); proj_size > 0 projects h."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """forward(input, h_0) -> (output, h_n)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if kwargs:
            raise TypeError(f"GRU: unexpected arguments {sorted(kwargs)}")
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)
