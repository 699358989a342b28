"""Every registered primitive and the composite functions built on them, as one table.

Each entry is checked for: forward values and dtype against NumPy (float32 and float64); shape
rules against kernels, node by node, in the traced forward and gradient graphs; gradients
against central finite differences (float64); eager against compiled forward values and
gradients; and, for nondifferentiable ops, that no gradient is recorded. Random ops, tie rules
of max-like ops, dtype rules and errors have their own tables below.
"""
import warnings

import numpy as np
import pytest
from helpers import (F32, F64, FLOAT_DTYPES, GRADCHECK, OpCase, as_list, check_compiled_forward,
                     check_compiled_grads, check_forward, check_gradcheck, check_no_grad,
                     check_rules, dtype_id, run_graph, tensors)

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad.ir.op import REGISTRY
from graphgrad.ops.movement import index_add_at, setitem

RNG = np.random.default_rng(20240601)


def u(*shape, lo=-2.0, hi=2.0):
    return RNG.uniform(lo, hi, shape)


def pos(*shape):
    return RNG.uniform(0.5, 2.0, shape)


def nonzero(*shape):
    """Values at least 0.2 away from 0 (away from the kinks of relu, abs, sign)."""
    return RNG.choice([-1.0, 1.0], shape) * RNG.uniform(0.2, 2.0, shape)


def distinct(*shape):
    """Values at least 0.1 apart (no ties for max-like ops)."""
    n = int(np.prod(shape))
    return (RNG.permutation(n) * 0.3 - n * 0.15 + RNG.uniform(0, 0.05, n)).reshape(shape)


def ints(*shape, lo=0, hi=5):
    return RNG.integers(lo, hi, shape)


def bools(*shape):
    return RNG.random(shape) < 0.5


def int_array(values):
    return np.array(values, dtype=np.int64)


# -- NumPy references -----------------------------------------------------------------------------

def np_log_softmax(x, axis=-1):
    shifted = x - x.max(axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis, keepdims=True))


def np_softmax(x, axis=-1):
    return np.exp(np_log_softmax(x, axis))


def np_logsumexp(x, axis=None, keepdims=False):
    m = x.max(axis, keepdims=True)
    out = np.log(np.exp(x - m).sum(axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def np_reduce(loss, reduction, denom=None):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / (loss.size if denom is None else denom)


def np_cross_entropy(x, t, weight=None, ignore_index=None, reduction="mean",
                     label_smoothing=0.0):
    """torch.nn.functional.cross_entropy, class dim 1."""
    logp = np.moveaxis(np_log_softmax(x, 1), 1, -1)
    n_classes = logp.shape[-1]
    w = np.ones(n_classes) if weight is None else weight
    eps = label_smoothing
    if t.dtype.kind == "f":
        probs = np.moveaxis(t, 1, -1) * (1 - eps) + eps / n_classes
        return np_reduce(-(logp * probs * w).sum(-1), reduction)
    valid = np.ones(t.shape, bool) if ignore_index is None else t != ignore_index
    safe = np.where(valid, t, 0)
    sample_w = w[safe] * valid
    nll = -np.take_along_axis(logp, safe[..., None], -1)[..., 0] * sample_w
    smooth = -(logp * w).sum(-1) * valid
    loss = (1 - eps) * nll + eps / n_classes * smooth
    return np_reduce(loss, reduction, denom=sample_w.sum())


def np_nll_loss(logp, t, weight=None, ignore_index=None, reduction="mean"):
    w = np.ones(logp.shape[1]) if weight is None else weight
    valid = np.ones(t.shape, bool) if ignore_index is None else t != ignore_index
    safe = np.where(valid, t, 0)
    sample_w = w[safe] * valid
    loss = -np.take_along_axis(logp, safe[:, None], 1)[:, 0] * sample_w
    return np_reduce(loss, reduction, denom=sample_w.sum())


def np_index_add(x, index, v):
    out = x.copy()
    np.add.at(out, index, v)
    return out


def np_setitem(x, index, v):
    out = x.copy()
    out[index] = v
    return out


def set_rows(x, v):
    """`y[1:3] = v` on a clone: Tensor.__setitem__."""
    y = x.clone()
    y[1:3] = v
    return y


# -- the op table ---------------------------------------------------------------------------------

C = OpCase
A34, B34 = u(3, 4), u(3, 4)
TIED = B34.copy()
TIED[1:] = A34[1:]                        # rows 1 and 2 equal: comparisons see ties
CLAMP_IN = np.array([[-1.2, -0.7, -0.3, 0.0], [0.2, 0.45, 0.6, 1.5], [-0.45, 0.9, -2.0, 0.35]])
REM_B = nonzero(3, 4)
REM_A = REM_B * (RNG.integers(-3, 3, (3, 4)) + RNG.uniform(0.1, 0.9, (3, 4)))  # a/b off integers
MAX_A = u(3, 4)
MAX_B = MAX_A + nonzero(3, 4)             # |a - b| >= 0.2: no ties
LOGITS = u(4, 5) * 2
TARGETS = int_array([0, 3, 4, 1])
IGNORED = int_array([0, -100, 4, 1])
CLASS_W = pos(5)
PROBS = np_softmax(u(4, 5))

UNARY = [
    C("neg", "neg", gg.neg, [u(3, 4)], np.negative),
    C("neg-operator", "neg", lambda x: -x, [u(3, 4)], np.negative),
    C("neg-int", "neg", gg.neg, [ints(3, 4, lo=-5)], np.negative),
    C("exp", "exp", gg.exp, [u(3, 4)], np.exp),
    C("exp-int-gives-float32", "exp", gg.exp, [ints(3, 4)], np.exp),
    C("exp-0d", "exp", gg.exp, [u()], np.exp),
    C("log", "log", gg.log, [pos(3, 4)], np.log),
    C("log1p", "log1p", gg.log1p, [u(3, 4, lo=-0.5)], np.log1p),
    C("sqrt", "sqrt", gg.sqrt, [pos(3, 4)], np.sqrt),
    C("rsqrt", "rsqrt", gg.rsqrt, [pos(3, 4)], lambda x: 1 / np.sqrt(x)),
    C("tanh", "tanh", gg.tanh, [u(3, 4)], np.tanh),
    C("sin", "sin", gg.sin, [u(3, 4)], np.sin),
    C("cos", "cos", gg.cos, [u(3, 4)], np.cos),
    C("abs", "abs", gg.abs, [nonzero(3, 4)], np.abs),
    C("abs-builtin", "abs", abs, [nonzero(3, 4)], np.abs),
    C("abs-int", "abs", gg.abs, [ints(3, 4, lo=-5)], np.abs),
    C("sign", "sign", gg.sign, [nonzero(2, 3)], np.sign),   # zero gradient, as in torch
    C("sigmoid", "sigmoid", gg.sigmoid, [u(3, 4, lo=-5, hi=5)], lambda x: 1 / (1 + np.exp(-x))),
    C("sigmoid-extremes", "sigmoid", gg.sigmoid, [np.array([-200.0, -30.0, 0.0, 30.0, 200.0])],
      lambda x: 0.5 * (1 + np.tanh(x / 2))),
    C("relu", "relu", gg.relu, [nonzero(3, 4)], lambda x: np.maximum(x, 0)),
    C("relu-int", "relu", gg.relu, [ints(3, 4, lo=-5)], lambda x: np.maximum(x, 0)),
    C("square", "square", gg.square, [u(3, 4)], np.square),
]

BINARY = [
    C("add", "add", gg.add, [u(3, 4), u(3, 4)], np.add),
    C("add-broadcast-row", "add", lambda a, b: a + b, [u(3, 4), u(4)], np.add),
    C("add-broadcast-outer", "add", lambda a, b: a + b, [u(3, 1), u(1, 4)], np.add),
    C("add-scalar", "add", lambda x: x + 2.5, [u(3, 4)], lambda x: x + 2.5),
    C("radd-scalar", "add", lambda x: 1.5 + x, [u(3, 4)], lambda x: 1.5 + x),
    C("add-int", "add", gg.add, [ints(3, 4), ints(3, 4)], np.add),
    C("add-int-to-float", "add", lambda x, i: x + i, [u(3, 4), ints(3, 4)],
      lambda x, i: x + i.astype(x.dtype)),
    C("sub", "sub", gg.sub, [u(3, 4), u(3, 4)], np.subtract),
    C("sub-broadcast", "sub", lambda a, b: a - b, [u(2, 3, 4), u(3, 1)], np.subtract),
    C("rsub-scalar", "sub", lambda x: 1.0 - x, [u(3, 4)], lambda x: 1.0 - x),
    C("mul", "mul", gg.mul, [u(3, 4), u(3, 4)], np.multiply),
    C("mul-broadcast", "mul", lambda a, b: a * b, [u(2, 3, 4), u(3, 1)], np.multiply),
    C("mul-broadcast-scalar-tensor", "mul", lambda a, b: a * b, [u(3, 4), u()], np.multiply),
    C("mul-scalar", "mul", lambda x: x * -3.0, [u(3, 4)], lambda x: x * -3.0),
    C("div", "div", gg.div, [u(3, 4), nonzero(3, 4)], np.divide),
    C("div-broadcast", "div", lambda a, b: a / b, [u(3, 4), nonzero(3, 1)], np.divide),
    C("rdiv-scalar", "div", lambda x: 2.0 / x, [nonzero(3, 4)], lambda x: 2.0 / x),
    C("div-int-gives-float32", "div", gg.div, [ints(3, 4), ints(3, 4, lo=1)],
      lambda a, b: a / b),
    C("pow", "pow", gg.pow, [pos(3, 4), u(3, 4)], np.power),
    C("pow-broadcast", "pow", lambda a, b: a ** b, [pos(3, 4), u(4)], np.power),
    C("rpow-scalar", "pow", lambda x: 2.0 ** x, [u(3, 4)], lambda x: 2.0 ** x),
    C("pow_scalar", "pow_scalar", lambda x: x ** 3, [u(3, 4)], lambda x: x ** 3),
    C("pow_scalar-square", "pow_scalar", lambda x: x ** 2, [u(3, 4)], np.square),
    C("pow_scalar-half", "pow_scalar", lambda x: x ** 0.5, [pos(3, 4)], np.sqrt),
    C("pow_scalar-negative", "pow_scalar", lambda x: gg.pow(x, -2), [nonzero(3, 4)],
      lambda x: x ** -2.0),
    C("pow_scalar-int", "pow_scalar", lambda x: x ** 3, [ints(3, 4, lo=-3)], lambda x: x ** 3),
    C("pow_scalar-int-float-exponent", "pow_scalar", lambda x: x ** 2.0, [ints(3, 4, lo=-3)],
      lambda x: (x ** 2).astype(np.float32)),
    C("pow_scalar-zero-exponent", "pow_scalar", lambda x: x ** 0, [u(3, 4)], np.ones_like),
    C("maximum", "maximum", gg.maximum, [MAX_A, MAX_B], np.maximum),
    C("maximum-broadcast", "maximum", gg.maximum, [u(3, 4), u(4) + 5.0 * (RNG.random(4) > .5)],
      np.maximum),
    C("maximum-scalar", "maximum", lambda x: gg.maximum(x, 0.5), [nonzero(3, 4) + 0.5],
      lambda x: np.maximum(x, 0.5)),
    C("minimum", "minimum", gg.minimum, [MAX_A, MAX_B], np.minimum),
    C("minimum-broadcast", "minimum", gg.minimum, [u(2, 3, 4) + 0.5, nonzero(3, 1)], np.minimum),
    C("max-elementwise", "max", gg.max, [MAX_B, MAX_A], np.maximum),
    C("min-elementwise", "min", gg.min, [MAX_B, MAX_A], np.minimum),
    C("floor_divide", "floor_divide", gg.floor_divide, [u(3, 4) * 3, nonzero(3, 4)],
      np.floor_divide),
    C("floor_divide-operator", "floor_divide", lambda x: x // 0.7, [u(3, 4) * 3],
      lambda x: x // 0.7),
    C("floor_divide-int", "floor_divide", gg.floor_divide,
      [ints(3, 4, lo=-9, hi=9), int_array([[3, -2, 5, -4]] * 3)], np.floor_divide),
    C("remainder", "remainder", gg.remainder, [REM_A, REM_B], np.remainder),
    C("remainder-broadcast", "remainder", lambda a, b: a % b, [u(3, 4) + 4.0, np.array([0.7])],
      np.remainder),
    C("remainder-int", "remainder", gg.remainder,
      [ints(3, 4, lo=-9, hi=9), int_array([[3, -2, 5, -4]] * 3)], np.remainder),
]

COMPARISONS = [
    C(name, name, getattr(gg, name), [A34, TIED], ref, grad=())
    for name, ref in [("eq", np.equal), ("ne", np.not_equal), ("lt", np.less),
                      ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal)]
] + [
    C("lt-operator", "lt", lambda a, b: a < b, [A34, TIED], np.less, grad=()),
    C("ge-operator-broadcast", "ge", lambda a, b: a >= b, [u(3, 4), u(4)], np.greater_equal,
      grad=()),
    C("gt-scalar", "gt", lambda x: x > 0.0, [u(3, 4)], lambda x: x > 0, grad=()),
    C("eq-operator-int", "eq", lambda a, b: a == b, [ints(3, 4, hi=3), ints(3, 4, hi=3)],
      np.equal),
    C("ne-operator-bool", "ne", lambda a, b: a != b, [bools(3, 4), bools(3, 4)], np.not_equal),
    C("logical_not", "logical_not", gg.logical_not, [bools(3, 4)], np.logical_not),
    C("logical_not-operator", "logical_not", lambda x: ~(x > 0), [u(3, 4)], lambda x: ~(x > 0),
      grad=()),
    C("logical_and", "logical_and", gg.logical_and, [bools(3, 4), bools(3, 4)], np.logical_and),
    C("logical_and-operator", "logical_and", lambda a, b: a & b, [bools(3, 4), bools(4)],
      np.logical_and),
    C("logical_or", "logical_or", gg.logical_or, [bools(3, 4), bools(3, 4)], np.logical_or),
    C("logical_or-operator", "logical_or", lambda a, b: a | b, [bools(3, 1), bools(1, 4)],
      np.logical_or),
    C("any", "any", lambda x: gg.any(x > 1.0, 1), [u(3, 4)], lambda x: (x > 1).any(1), grad=()),
    C("all", "all", lambda x: (x > -1.5).all(), [u(3, 4)], lambda x: (x > -1.5).all(),
      grad=()),
]

SELECTION = [
    C("where", "where", gg.where, [bools(3, 4), u(3, 4), u(3, 4)], np.where),
    C("where-broadcast", "where", gg.where, [bools(3, 1), u(3, 4), u(4)], np.where),
    C("where-broadcast-condition", "where", gg.where, [bools(4), u(2, 3, 4), u(3, 1)], np.where),
    C("where-scalar-branch", "where", lambda c, x: gg.where(c, x, 0.0), [bools(3, 4), u(3, 4)],
      lambda c, x: np.where(c, x, 0.0)),
    C("where-of-comparison", "where", lambda x: gg.where(x > 0, x * 2.0, -x), [nonzero(3, 4)],
      lambda x: np.where(x > 0, x * 2, -x)),
    C("clamp", "clamp", lambda x: gg.clamp(x, -0.5, 0.5), [CLAMP_IN],
      lambda x: np.clip(x, -0.5, 0.5)),
    C("clamp-min", "clamp", lambda x: x.clamp(min=-0.5), [CLAMP_IN],
      lambda x: np.maximum(x, -0.5)),
    C("clamp-max", "clamp", lambda x: gg.clip(x, max=0.5), [CLAMP_IN],
      lambda x: np.minimum(x, 0.5)),
    C("clamp-int", "clamp", lambda x: gg.clamp(x, 1, 3), [ints(3, 4)], lambda x: np.clip(x, 1, 3)),
    C("clamp-int-float-bounds", "clamp", lambda x: gg.clamp(x, 0.5, 2.5), [ints(3, 4)],
      lambda x: np.clip(x, 0.5, 2.5).astype(np.float32)),
    C("clamp-tensor-bounds", "clamp_tensor", lambda x, lo: gg.clamp(x, lo, 0.5),
      [CLAMP_IN, np.full(4, -0.5) + np.array([0.0, 0.15, 0.0, 0.1])],
      lambda x, lo: np.minimum(np.maximum(x, lo), 0.5)),
    C("cast-float32-to-float64", "cast", lambda x: x.double(), [u(3, 4)],
      lambda x: x.astype(np.float64), out_dtype=F64, only=(F32,)),
    C("cast-float64-to-float32", "cast", lambda x: x.float(), [u(3, 4)],
      lambda x: x.astype(np.float32), out_dtype=F32, only=(F64,), eps=1e-3),
    C("cast-float-to-int", "cast", lambda x: x.long(), [u(3, 4) * 3],
      lambda x: x.astype(np.int64), grad=()),
    C("cast-float-to-bool", "cast", lambda x: x.bool(), [np.array([0.0, -1.5, 2.0, 0.0])],
      lambda x: x.astype(bool), grad=()),
    C("cast-int-to-float", "cast", lambda i: i.float(), [ints(3, 4)],
      lambda i: i.astype(np.float32)),
    C("cast-bool-to-int", "cast", lambda m: m.long(), [bools(3, 4)],
      lambda m: m.astype(np.int64)),
    C("detach", "detach", gg.detach, [u(3, 4)], lambda x: x, grad=()),
    C("detach-method", "detach", lambda x: x.detach() * 2.0, [u(3, 4)], lambda x: x * 2,
      grad=()),
    C("clone", "clone", gg.clone, [u(3, 4)], np.copy),
    C("clone-method", "clone", lambda x: x.clone() * x, [u(3, 4)], lambda x: x * x),
]

X234 = distinct(2, 3, 4)
REDUCTIONS = [
    C("sum", "sum", gg.sum, [u(3, 4)], np.sum),
    C("sum-dim", "sum", lambda x: x.sum(1), [u(3, 4)], lambda x: x.sum(1)),
    C("sum-keepdim", "sum", lambda x: x.sum(0, keepdim=True), [u(3, 4)],
      lambda x: x.sum(0, keepdims=True)),
    C("sum-dims", "sum", lambda x: gg.sum(x, (0, 2)), [u(2, 3, 4)], lambda x: x.sum((0, 2))),
    C("sum-negative-dim", "sum", lambda x: x.sum(-1, keepdim=True), [u(2, 3, 4)],
      lambda x: x.sum(-1, keepdims=True)),
    C("sum-int", "sum", lambda x: x.sum(0), [ints(3, 4)], lambda x: x.sum(0)),
    C("sum-bool", "sum", gg.sum, [bools(3, 4)], lambda x: np.sum(x, dtype=np.int64)),
    C("amax", "amax", gg.amax, [distinct(3, 4)], np.amax),
    C("amax-dim", "amax", lambda x: x.amax(1), [distinct(3, 4)], lambda x: x.max(1)),
    C("amax-keepdim", "amax", lambda x: gg.amax(x, 0, keepdim=True), [distinct(3, 4)],
      lambda x: x.max(0, keepdims=True)),
    C("amax-dims", "amax", lambda x: gg.amax(x, (0, 2)), [X234], lambda x: x.max((0, 2))),
    C("amax-int", "amax", lambda x: gg.amax(x, 1), [ints(3, 4, hi=50)], lambda x: x.max(1)),
    C("argmax", "argmax", gg.argmax, [distinct(3, 4)], np.argmax, grad=()),
    C("argmax-dim", "argmax", lambda x: x.argmax(1), [distinct(3, 4)], lambda x: x.argmax(1),
      grad=()),
    C("argmax-keepdim", "argmax", lambda x: gg.argmax(x, -1, keepdim=True), [X234],
      lambda x: x.argmax(-1, keepdims=True), grad=()),
    C("argmax-int", "argmax", lambda x: x.argmax(0), [ints(3, 4, hi=50)], lambda x: x.argmax(0)),
    C("argmin", "argmin", lambda x: gg.argmin(x, 0), [distinct(3, 4)], lambda x: x.argmin(0),
      grad=()),
    C("mean", "mean", gg.mean, [u(3, 4)], np.mean),
    C("mean-dim", "mean", lambda x: x.mean(1), [u(3, 4)], lambda x: x.mean(1)),
    C("mean-dims-keepdim", "mean", lambda x: gg.mean(x, (0, 2), keepdim=True), [u(2, 3, 4)],
      lambda x: x.mean((0, 2), keepdims=True)),
    C("mean-int-dtype", "mean", lambda x: x.mean(0, dtype=gg.float32), [ints(3, 4)],
      lambda x: x.mean(0, dtype=np.float32)),
    C("var", "var", gg.var, [u(3, 4)], lambda x: x.var(ddof=1)),
    C("var-dim", "var", lambda x: x.var(1), [u(3, 4)], lambda x: x.var(1, ddof=1)),
    C("var-biased", "var", lambda x: x.var(0, unbiased=False), [u(3, 4)], lambda x: x.var(0)),
    C("var-correction-keepdim", "var", lambda x: gg.var(x, -1, keepdim=True, correction=0),
      [u(2, 3, 4)], lambda x: x.var(-1, keepdims=True)),
    C("std", "std", gg.std, [u(3, 4)], lambda x: x.std(ddof=1)),
    C("std-dim-keepdim", "std", lambda x: x.std(1, keepdim=True), [u(3, 4)],
      lambda x: x.std(1, ddof=1, keepdims=True)),
    C("logsumexp", "logsumexp", lambda x: gg.logsumexp(x, 1), [u(3, 4)],
      lambda x: np_logsumexp(x, 1)),
    C("logsumexp-all", "logsumexp", gg.logsumexp, [u(3, 4)], np_logsumexp),
    C("logsumexp-keepdim", "logsumexp", lambda x: x.logsumexp(0, keepdim=True), [u(3, 4)],
      lambda x: np_logsumexp(x, 0, keepdims=True)),
    C("logsumexp-large", "logsumexp", lambda x: gg.logsumexp(x, -1), [u(3, 4) * 10 + 1000],
      lambda x: np_logsumexp(x, -1)),
    C("softmax", "softmax", lambda x: gg.softmax(x, -1), [u(3, 4)], np_softmax),
    C("softmax-dim0", "softmax", lambda x: x.softmax(0), [u(3, 4)], lambda x: np_softmax(x, 0)),
    C("softmax-3d", "softmax", lambda x: F.softmax(x, 1), [u(2, 3, 4)],
      lambda x: np_softmax(x, 1)),
    C("softmax-large", "softmax", gg.softmax, [u(3, 4) * 10 + 1000], np_softmax),
    C("log_softmax", "log_softmax", lambda x: gg.log_softmax(x, -1), [u(3, 4)], np_log_softmax),
    C("log_softmax-dim0", "log_softmax", lambda x: x.log_softmax(0), [u(3, 4)],
      lambda x: np_log_softmax(x, 0)),
    C("log_softmax-large", "log_softmax", F.log_softmax, [u(3, 4) * 10 - 1000],
      np_log_softmax),
    C("amin", "amin", gg.amin, [distinct(3, 4)], np.amin),
    C("amin-dim", "amin", lambda x: x.amin(1, keepdim=True), [distinct(3, 4)],
      lambda x: x.min(1, keepdims=True)),
    C("max", "max", gg.max, [distinct(3, 4)], np.max),
    C("max-dim", "max", lambda x: gg.max(x, 1), [distinct(3, 4)],
      lambda x: (x.max(1), x.argmax(1))),
    C("max-dim-keepdim", "max", lambda x: x.max(dim=0, keepdim=True), [distinct(3, 4)],
      lambda x: (x.max(0, keepdims=True), x.argmax(0, keepdims=True))),
    C("max-dim-values", "max", lambda x: x.max(-1).values, [X234], lambda x: x.max(-1)),
    C("min", "min", lambda x: x.min(), [distinct(3, 4)], np.min),
    C("min-dim", "min", lambda x: gg.min(x, 0), [distinct(3, 4)],
      lambda x: (x.min(0), x.argmin(0))),
    C("min-dim-indices", "min", lambda x: x.min(1).indices, [distinct(3, 4)],
      lambda x: x.argmin(1), grad=()),
    # a 0-d tensor accepts dim 0 / -1 and reduces over nothing, as in torch
    C("sum-0d-dim", "sum", lambda x: x.sum(0), [u()], lambda x: x),
    C("mean-0d-dim", "mean", lambda x: x.mean(-1, keepdim=True), [u()], lambda x: x),
    C("amax-0d-dim", "amax", lambda x: gg.amax(x, -1), [u()], lambda x: x),
    C("argmax-0d-dim", "argmax", lambda x: x.argmax(0), [u()], lambda x: np.int64(0), grad=()),
    C("max-0d-dim", "max", lambda x: gg.max(x, 0), [u()], lambda x: (x, np.int64(0))),
    C("logsumexp-0d", "logsumexp", lambda x: gg.logsumexp(x, 0), [u()], lambda x: x),
    C("softmax-0d", "softmax", lambda x: gg.softmax(x, 0), [u()], np.ones_like),
    C("log_softmax-0d", "log_softmax", lambda x: gg.log_softmax(x, -1), [u()], np.zeros_like),
]

X_ROWS = u(5, 3)
MOVEMENT = [
    C("reshape", "reshape", lambda x: x.reshape(4, 3), [u(3, 4)], lambda x: x.reshape(4, 3)),
    C("reshape-infer", "reshape", lambda x: gg.reshape(x, (-1,)), [u(3, 4)],
      lambda x: x.reshape(-1)),
    C("reshape-to-scalar", "reshape", lambda x: x.reshape(()), [u(1, 1)],
      lambda x: x.reshape(())),
    C("view", "reshape", lambda x: x.view(2, -1, 2), [u(3, 4)], lambda x: x.reshape(2, 3, 2)),
    C("reshape-int", "reshape", lambda x: x.reshape(2, 6), [ints(3, 4)],
      lambda x: x.reshape(2, 6)),
    C("permute", "permute", lambda x: x.permute(2, 0, 1), [u(2, 3, 4)],
      lambda x: x.transpose(2, 0, 1)),
    C("permute-tuple", "permute", lambda x: gg.permute(x, (1, 0)), [u(3, 4)], np.transpose),
    C("transpose", "transpose", lambda x: x.transpose(0, 2), [u(2, 3, 4)],
      lambda x: x.swapaxes(0, 2)),
    C("T", "transpose", lambda x: x.T, [u(3, 4)], lambda x: x.T),
    C("mT", "transpose", lambda x: x.mT, [u(2, 3, 4)], lambda x: x.swapaxes(-1, -2)),
    C("t", "transpose", gg.t, [u(3, 4)], lambda x: x.T),
    C("broadcast_to", "broadcast_to", lambda x: gg.broadcast_to(x, (2, 3, 4)), [u(3, 1)],
      lambda x: np.broadcast_to(x, (2, 3, 4))),
    C("broadcast_to-int", "broadcast_to", lambda x: x.broadcast_to((3, 4)), [ints(4)],
      lambda x: np.broadcast_to(x, (3, 4))),
    C("expand", "expand", lambda x: x.expand(2, 3, 4), [u(3, 1)],
      lambda x: np.broadcast_to(x, (2, 3, 4))),
    C("expand-keep-dim", "expand", lambda x: x.expand(-1, 4), [u(3, 1)],
      lambda x: np.broadcast_to(x, (3, 4))),
    C("expand_as", "expand", lambda x, y: x.expand_as(y) * y, [u(4), u(3, 4)], np.multiply),
    C("squeeze", "squeeze", lambda x: x.squeeze(), [u(3, 1, 4, 1)], np.squeeze),
    C("squeeze-dim", "squeeze", lambda x: gg.squeeze(x, 1), [u(3, 1, 4, 1)],
      lambda x: x.squeeze(1)),
    C("unsqueeze", "unsqueeze", lambda x: x.unsqueeze(1), [u(3, 4)], lambda x: x[:, None]),
    C("unsqueeze-negative", "unsqueeze", lambda x: gg.unsqueeze(x, -1), [u(3, 4)],
      lambda x: x[..., None]),
    C("flatten", "flatten", lambda x: x.flatten(), [u(2, 3, 4)], lambda x: x.reshape(-1)),
    C("flatten-start", "flatten", lambda x: x.flatten(1), [u(2, 3, 4)],
      lambda x: x.reshape(2, 12)),
    C("flatten-range", "flatten", lambda x: gg.flatten(x, 0, 1), [u(2, 3, 4)],
      lambda x: x.reshape(6, 4)),
    C("getitem", "getitem", lambda x: x[1], [u(3, 4)], lambda x: x[1]),
    C("getitem-to-scalar", "getitem", lambda x: x[-1, -2], [u(3, 4)], lambda x: x[-1, -2]),
    C("getitem-slice", "getitem", lambda x: x[:, 1:3], [u(3, 4)], lambda x: x[:, 1:3]),
    C("getitem-step", "getitem", lambda x: x[::2, ::-1], [u(3, 4)], lambda x: x[::2, ::-1]),
    C("getitem-none-ellipsis", "getitem", lambda x: x[None, ..., 1], [u(2, 3, 4)],
      lambda x: x[None, ..., 1]),
    C("getitem-ellipsis-none", "getitem", lambda x: x[..., None, 1:], [u(2, 3, 4)],
      lambda x: x[..., None, 1:]),
    C("getitem-index-tensor", "getitem", lambda x, i: x[i], [u(3, 4), int_array([2, 0, 2])],
      lambda x, i: x[i]),
    C("getitem-index-list", "getitem", lambda x: x[[0, 2, 2]], [u(3, 4)],
      lambda x: x[[0, 2, 2]]),
    C("getitem-two-index-tensors", "getitem", lambda x, i, j: x[i, j],
      [u(3, 4), int_array([0, 2, 2, 1]), int_array([1, 3, 3, 0])], lambda x, i, j: x[i, j]),
    C("getitem-slice-and-index", "getitem", lambda x, i: x[1:, i],
      [u(3, 4), int_array([0, 0, 3])], lambda x, i: x[1:, i]),
    C("getitem-negative-index-tensor", "getitem", lambda x, i: x[:, i],
      [u(3, 4), int_array([-1, 0])], lambda x, i: x[:, i]),
    C("getitem-bool-mask", "getitem", lambda x, m: x[m], [u(3, 4), bools(3, 4)],
      lambda x, m: x[m], eager_only=True),
    C("index_add", "index_add", lambda x, v: index_add_at(x, (slice(None), slice(1, 3)), v),
      [u(3, 4), u(3, 2)], lambda x, v: np_index_add(x, (slice(None), slice(1, 3)), v)),
    C("index_add-repeated", "index_add", lambda x, v, i: index_add_at(x, i, v),
      [X_ROWS, u(4, 3), int_array([0, 2, 0, 4])], lambda x, v, i: np_index_add(x, i, v)),
    C("index_add-broadcast-value", "index_add", lambda x, v: index_add_at(x, slice(0, 2), v),
      [u(3, 4), u(4)], lambda x, v: np_index_add(x, slice(0, 2), v)),
    C("setitem", "setitem", lambda x, v: setitem(x, (slice(None), slice(1, 3)), v),
      [u(3, 4), u(3, 2)], lambda x, v: np_setitem(x, (slice(None), slice(1, 3)), v)),
    C("setitem-scalar", "setitem", lambda x: setitem(x, 0, 5.0), [u(3, 4)],
      lambda x: np_setitem(x, 0, 5.0)),
    C("setitem-index-tensor", "setitem", lambda x, v, i: setitem(x, i, v),
      [X_ROWS, u(3, 3), int_array([4, 0, 2])], lambda x, v, i: np_setitem(x, i, v)),
    C("setitem-operator-broadcast", "setitem", set_rows, [u(4, 3), u(3)],
      lambda x, v: np_setitem(x, slice(1, 3), v)),
    C("setitem-int", "setitem", lambda x: setitem(x, (slice(None), 0), 7), [ints(3, 4)],
      lambda x: np_setitem(x, (slice(None), 0), 7)),
    C("cat", "cat", lambda a, b: gg.cat([a, b]), [u(2, 4), u(3, 4)],
      lambda a, b: np.concatenate([a, b])),
    C("cat-dim1-three", "cat", lambda a, b, c: gg.cat([a, b, c], 1), [u(3, 2), u(3, 4), u(3, 1)],
      lambda a, b, c: np.concatenate([a, b, c], 1)),
    C("cat-negative-dim", "cat", lambda a, b: gg.concat([a, b], -1), [u(2, 3, 1), u(2, 3, 2)],
      lambda a, b: np.concatenate([a, b], -1)),
    C("cat-int", "cat", lambda a, b: gg.cat([a, b]), [ints(2, 3), ints(1, 3)],
      lambda a, b: np.concatenate([a, b])),
    C("stack", "stack", lambda a, b, c: gg.stack([a, b, c]), [u(3, 4), u(3, 4), u(3, 4)],
      lambda a, b, c: np.stack([a, b, c])),
    C("stack-dim1", "stack", lambda a, b: gg.stack([a, b], 1), [u(3, 4), u(3, 4)],
      lambda a, b: np.stack([a, b], 1)),
    C("stack-negative-dim", "stack", lambda a, b: gg.stack([a, b], -1), [u(3, 4), u(3, 4)],
      lambda a, b: np.stack([a, b], -1)),
    C("split", "split", lambda x: gg.split(x, 2), [u(5, 3)], lambda x: tuple(np.split(x, [2, 4]))),
    C("split-sections", "split", lambda x: x.split([1, 3], dim=1), [u(3, 4)],
      lambda x: tuple(np.split(x, [1], 1))),
    C("chunk", "chunk", lambda x: x.chunk(2, 1), [u(3, 4)], lambda x: tuple(np.split(x, 2, 1))),
    C("chunk-uneven", "chunk", lambda x: gg.chunk(x, 3), [u(5, 2)],
      lambda x: tuple(np.split(x, [2, 4]))),
]

MATMUL = [
    C("matmul", "matmul", gg.matmul, [u(3, 4), u(4, 5)], np.matmul),
    C("matmul-operator", "matmul", lambda a, b: a @ b, [u(3, 4), u(4, 2)], np.matmul),
    C("matmul-batched", "matmul", gg.matmul, [u(2, 3, 4), u(2, 4, 5)], np.matmul),
    C("matmul-broadcast-batch", "matmul", gg.matmul, [u(2, 3, 4), u(4, 5)], np.matmul),
    C("matmul-broadcast-batch-left", "matmul", gg.matmul, [u(3, 4), u(2, 4, 5)], np.matmul),
    C("matmul-broadcast-both-batches", "matmul", gg.matmul, [u(2, 1, 3, 4), u(3, 4, 2)],
      np.matmul),
    C("matmul-vector-matrix", "matmul", gg.matmul, [u(4), u(4, 5)], np.matmul),
    C("matmul-matrix-vector", "matmul", gg.matmul, [u(3, 4), u(4)], np.matmul),
    C("matmul-vector-vector", "matmul", gg.matmul, [u(4), u(4)], np.matmul),
    C("matmul-batch-vector", "matmul", gg.matmul, [u(2, 3, 4), u(4)], np.matmul),
    C("matmul-vector-batch", "matmul", gg.matmul, [u(4), u(2, 4, 5)], np.matmul),
    C("matmul-int", "matmul", gg.matmul, [ints(3, 4, lo=-3), ints(4, 2, lo=-3)], np.matmul),
    C("mm", "mm", gg.mm, [u(3, 4), u(4, 2)], np.matmul),
    C("bmm", "bmm", gg.bmm, [u(2, 3, 4), u(2, 4, 2)], np.matmul),
    C("dot", "dot", gg.dot, [u(4), u(4)], np.dot),
    C("linear", "linear", F.linear, [u(3, 4), u(2, 4), u(2)], lambda x, w, b: x @ w.T + b),
]

CREATION = [
    C("constant", "constant",
      lambda x: x * gg.tensor(np.array([1.0, -2.0, 3.0, 0.5]), dtype=x.dtype), [u(3, 4)],
      lambda x: x * np.array([1.0, -2.0, 3.0, 0.5], dtype=x.dtype)),
    C("constant-python-number", "constant", lambda x: x - 0.25, [u(3, 4)], lambda x: x - 0.25),
    C("constant-nullary", "constant", lambda: gg.tensor([[1, 2], [3, 4]]), [],
      lambda: np.array([[1, 2], [3, 4]])),
    C("constant-float-list", "constant", lambda: gg.tensor([0.5, 1.5]), [],
      lambda: np.array([0.5, 1.5], np.float32)),
    C("full", "full", lambda x: x * gg.full((3, 4), 2.5, dtype=x.dtype), [u(3, 4)],
      lambda x: x * 2.5),
    C("full-int", "full", lambda: gg.full((2, 3), 7), [], lambda: np.full((2, 3), 7)),
    C("full-bool", "full", lambda: gg.full((2, 2), True), [], lambda: np.full((2, 2), True)),
    C("zeros", "full", lambda: gg.zeros(2, 3), [], lambda: np.zeros((2, 3), np.float32)),
    C("ones-float64", "full", lambda: gg.ones((2, 3), dtype=gg.float64), [],
      lambda: np.ones((2, 3)), out_dtype=F64),
    C("ones_like", "full", gg.ones_like, [u(3, 4)], np.ones_like, grad=()),
    C("zeros_like-int", "full", gg.zeros_like, [ints(3, 4)], np.zeros_like),
    C("arange", "arange", lambda: gg.arange(1, 7, 2), [], lambda: np.arange(1, 7, 2)),
    C("eye", "eye", lambda: gg.eye(3, 4), [], lambda: np.eye(3, 4, dtype=np.float32)),
    C("linspace", "linspace", lambda: gg.linspace(0, 1, 5), [],
      lambda: np.linspace(0, 1, 5, dtype=np.float32)),
]

LOSSES = [
    C("check_index", "check_index", lambda t: gg.one_hot(t, 5), [ints(6)],
      lambda t: np.eye(5, dtype=np.int64)[t]),
    C("one_hot-2d", "one_hot", lambda t: F.one_hot(t, 4), [ints(2, 3, hi=4)],
      lambda t: np.eye(4, dtype=np.int64)[t]),
    C("one_hot-infer-classes", "one_hot", gg.one_hot, [int_array([0, 3, 1])],
      lambda t: np.eye(4, dtype=np.int64)[t], eager_only=True),
    C("cross_entropy", "cross_entropy", F.cross_entropy, [LOGITS, TARGETS], np_cross_entropy),
    C("cross_entropy-sum", "cross_entropy", lambda x, t: F.cross_entropy(x, t, reduction="sum"),
      [LOGITS, TARGETS], lambda x, t: np_cross_entropy(x, t, reduction="sum")),
    C("cross_entropy-none", "cross_entropy",
      lambda x, t: F.cross_entropy(x, t, reduction="none"), [LOGITS, TARGETS],
      lambda x, t: np_cross_entropy(x, t, reduction="none")),
    C("cross_entropy-probabilities", "cross_entropy", F.cross_entropy, [LOGITS, PROBS],
      np_cross_entropy),
    C("cross_entropy-label_smoothing", "cross_entropy",
      lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1), [LOGITS, TARGETS],
      lambda x, t: np_cross_entropy(x, t, label_smoothing=0.1)),
    C("cross_entropy-probabilities-label_smoothing", "cross_entropy",
      lambda x, t: F.cross_entropy(x, t, label_smoothing=0.2), [LOGITS, PROBS],
      lambda x, t: np_cross_entropy(x, t, label_smoothing=0.2)),
    C("cross_entropy-weight", "cross_entropy", lambda x, t, w: F.cross_entropy(x, t, weight=w),
      [LOGITS, TARGETS, CLASS_W], lambda x, t, w: np_cross_entropy(x, t, weight=w)),
    C("cross_entropy-weight-sum", "cross_entropy",
      lambda x, t, w: F.cross_entropy(x, t, weight=w, reduction="sum"),
      [LOGITS, TARGETS, CLASS_W],
      lambda x, t, w: np_cross_entropy(x, t, weight=w, reduction="sum")),
    C("cross_entropy-ignore_index", "cross_entropy",
      lambda x, t: F.cross_entropy(x, t, ignore_index=-100), [LOGITS, IGNORED],
      lambda x, t: np_cross_entropy(x, t, ignore_index=-100)),
    C("cross_entropy-ignore_index-label_smoothing", "cross_entropy",
      lambda x, t: F.cross_entropy(x, t, ignore_index=-100, label_smoothing=0.1),
      [LOGITS, IGNORED], lambda x, t: np_cross_entropy(x, t, ignore_index=-100,
                                                        label_smoothing=0.1)),
    C("cross_entropy-weight-ignore_index", "cross_entropy",
      lambda x, t, w: F.cross_entropy(x, t, weight=w, ignore_index=-100),
      [LOGITS, IGNORED, CLASS_W],
      lambda x, t, w: np_cross_entropy(x, t, weight=w, ignore_index=-100)),
    C("cross_entropy-spatial", "cross_entropy", F.cross_entropy,
      [u(2, 3, 4), ints(2, 4, hi=3)], np_cross_entropy),
    C("nll_loss", "nll_loss", F.nll_loss, [np_log_softmax(u(4, 5)), TARGETS], np_nll_loss),
    C("nll_loss-sum", "nll_loss", lambda x, t: F.nll_loss(x, t, reduction="sum"),
      [np_log_softmax(u(4, 5)), TARGETS], lambda x, t: np_nll_loss(x, t, reduction="sum")),
    C("nll_loss-weight", "nll_loss", lambda x, t, w: F.nll_loss(x, t, weight=w),
      [np_log_softmax(u(4, 5)), TARGETS, CLASS_W], lambda x, t, w: np_nll_loss(x, t, w)),
    C("nll_loss-ignore_index", "nll_loss", lambda x, t: F.nll_loss(x, t, ignore_index=-100),
      [np_log_softmax(u(4, 5)), IGNORED], lambda x, t: np_nll_loss(x, t, ignore_index=-100)),
    C("mse_loss", "mse_loss", F.mse_loss, [u(3, 4), u(3, 4)],
      lambda a, b: ((a - b) ** 2).mean()),
    C("mse_loss-sum", "mse_loss", lambda a, b: F.mse_loss(a, b, reduction="sum"),
      [u(3, 4), u(3, 4)], lambda a, b: ((a - b) ** 2).sum()),
    C("mse_loss-none", "mse_loss", lambda a, b: F.mse_loss(a, b, reduction="none"),
      [u(3, 4), u(3, 4)], lambda a, b: (a - b) ** 2),
    C("cross_entropy-weight-label_smoothing", "cross_entropy",
      lambda x, t, w: F.cross_entropy(x, t, weight=w, label_smoothing=0.1),
      [LOGITS, TARGETS, CLASS_W],
      lambda x, t, w: np_cross_entropy(x, t, weight=w, label_smoothing=0.1)),
]

def _extra_cases():
    """Entries for op families defined elsewhere, from tests/op_cases_*.py (each a CASES list)."""
    import importlib
    import pathlib
    extra = []
    for path in sorted(pathlib.Path(__file__).parent.glob("op_cases_*.py")):
        extra.extend(importlib.import_module(path.stem).CASES)
    return extra


CASES = UNARY + BINARY + COMPARISONS + SELECTION + REDUCTIONS + MOVEMENT + MATMUL + CREATION + \
    LOSSES + _extra_cases()

# Known wrong results outside the op definitions, kept in the table as strict xfails so they
# flip to failures once fixed: (entry id, check) -> reason.
KNOWN_BUGS = {}


def _param(kind, case, *rest):
    marks = []
    if (case.id, kind) in KNOWN_BUGS:
        marks.append(pytest.mark.xfail(reason=KNOWN_BUGS[case.id, kind], strict=True))
    return pytest.param(case, *rest, id="-".join([case.id] + [dtype_id(d) for d in rest]),
                        marks=marks)


def _with_dtypes(kind, cases):
    return [_param(kind, c, d) for c in cases for d in c.dtypes]


TRACEABLE = [c for c in CASES if not c.eager_only]
DIFFERENTIABLE = [c for c in CASES if c.grad_positions]
NONDIFFERENTIABLE = [c for c in CASES if not c.grad_positions]


@pytest.mark.parametrize("case, dtype", _with_dtypes("forward", CASES))
def test_forward_matches_numpy(case, dtype):
    check_forward(case, dtype)


@pytest.mark.parametrize("case, dtype", _with_dtypes("rules", TRACEABLE))
def test_shape_rules_match_kernels(case, dtype):
    check_rules(case, dtype)


@pytest.mark.parametrize("case", [_param("gradcheck", c) for c in DIFFERENTIABLE])
def test_gradcheck(case):
    check_gradcheck(case)


@pytest.mark.parametrize("case, dtype", _with_dtypes("compiled_forward", TRACEABLE))
def test_compiled_forward_matches_eager(case, dtype):
    check_compiled_forward(case, dtype)


@pytest.mark.parametrize("case, dtype", _with_dtypes(
    "compiled_grads", [c for c in DIFFERENTIABLE if not c.eager_only]))
def test_compiled_grads_match_eager(case, dtype):
    check_compiled_grads(case, dtype)


@pytest.mark.parametrize("case", [_param("no_grad", c) for c in NONDIFFERENTIABLE])
def test_nondifferentiable_results_carry_no_grad(case):
    check_no_grad(case, case.dtypes[0])


@pytest.mark.parametrize("case", [_param("requires_grad", c) for c in DIFFERENTIABLE])
def test_differentiable_results_require_grad(case):
    dtype = case.dtypes[0]
    outs = as_list(case.fn(*tensors(case.arrays(dtype), case.grad_positions)))
    floats = [o for o in outs if o.dtype.kind == "f"]
    assert floats and all(o.requires_grad for o in floats)
    assert not any(o.requires_grad for o in outs if o.dtype.kind != "f")


# -- the table itself -----------------------------------------------------------------------------

def test_every_registered_op_has_an_entry():
    # ops made by compiler passes (fused kernels) are tested with the passes
    covered = {c.op for c in CASES} | {c[1] for c in RANDOM_CASES}
    missing = sorted(name for name, op in REGISTRY.items()
                     if not op.internal and name not in covered)
    assert not missing, f"ops without an entry in tests/test_ops.py: {missing}"


def test_every_differentiable_op_has_a_gradcheck_entry():
    checked = {c.op for c in DIFFERENTIABLE}
    missing = sorted(name for name, op in REGISTRY.items() if op.vjp is not None
                     and name not in checked)
    assert not missing, f"ops with a vjp but no gradcheck entry: {missing}"


def test_every_nondifferentiable_op_has_a_no_grad_entry():
    checked = {c.op for c in NONDIFFERENTIABLE} | {c[1] for c in RANDOM_CASES}
    missing = sorted(name for name, op in REGISTRY.items() if op.vjp is None and not op.internal
                     and name not in checked)
    assert not missing, f"ops without a vjp and without a no-grad entry: {missing}"


def test_entry_ids_are_unique():
    ids = [c.id for c in CASES] + [c[0] for c in RANDOM_CASES]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


# -- ties and kinks: the gradient is split evenly between tied extrema (amax, max(x), maximum)
# and goes to the returned index for max(x, dim); at a kink it takes PyTorch's value -------------

TIES = [
    ("amax-dim", lambda x: gg.amax(x, 1), [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]],
     [[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]]),
    ("amax-all", gg.amax, [[1.0, 3.0], [3.0, 0.0]], [[0.0, 0.5], [0.5, 0.0]]),
    ("max-all", gg.max, [[3.0, 3.0], [3.0, 0.0]], [[1 / 3, 1 / 3], [1 / 3, 0.0]]),
    # along a dim, torch routes the gradient to the returned index only
    ("max-dim", lambda x: gg.max(x, 0).values, [[1.0, 5.0], [1.0, 2.0]],
     [[1.0, 1.0], [0.0, 0.0]]),
    ("amin-dim", lambda x: gg.amin(x, 0), [[1.0, 2.0], [1.0, 5.0]], [[0.5, 1.0], [0.5, 0.0]]),
    ("maximum-a", lambda x: gg.maximum(x, gg.tensor([1.0, 0.0, 3.0], dtype=x.dtype)),
     [1.0, 2.0, 3.0], [0.5, 1.0, 0.5]),
    ("maximum-b", lambda x: gg.maximum(gg.tensor([1.0, 0.0, 3.0], dtype=x.dtype), x),
     [1.0, 2.0, 3.0], [0.5, 1.0, 0.5]),
    ("minimum-a", lambda x: gg.minimum(x, gg.tensor([1.0, 0.0, 3.0], dtype=x.dtype)),
     [1.0, 2.0, 3.0], [0.5, 0.0, 0.5]),
    ("maximum-self", lambda x: gg.maximum(x, x), [1.0, -2.0], [1.0, 1.0]),
    ("relu-at-zero", gg.relu, [0.0, 1.0, -1.0], [0.0, 1.0, 0.0]),
    ("abs-at-zero", gg.abs, [0.0, 2.0, -2.0], [0.0, 1.0, -1.0]),
    ("clamp-at-bounds", lambda x: gg.clamp(x, -1.0, 1.0), [-1.0, 1.0, 0.0, 2.0, -3.0],
     [1.0, 1.0, 1.0, 0.0, 0.0]),
    ("pow_scalar-zero-exponent-at-zero", lambda x: x ** 0, [0.0, 2.0], [0.0, 0.0]),
    ("pow-zero-exponent-at-zero", lambda x: x ** gg.zeros_like(x), [0.0, 2.0], [0.0, 0.0]),
    ("pow_scalar-square-at-zero", lambda x: x ** 2, [0.0, -1.0], [0.0, -2.0]),
    ("sqrt-at-zero", gg.sqrt, [0.0, 4.0], [np.inf, 0.25]),
]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("fn, x, expected", [pytest.param(*t[1:], id=t[0]) for t in TIES])
def test_tie_and_kink_gradients(fn, x, expected, dtype):
    x = np.array(x, dtype)
    t = gg.tensor(x, requires_grad=True)
    fn(t).sum().backward()
    assert t.grad.dtype == dtype
    np.testing.assert_allclose(t.grad.numpy(), expected, rtol=1e-6)
    compiled = gg.grad(lambda y: fn(y).sum())(gg.tensor(x))
    np.testing.assert_allclose(compiled.numpy(), expected, rtol=1e-6)


# -- special values: infinities and NaNs, eager and compiled -------------------------------------

INF, NAN = np.inf, np.nan
SPECIAL_VALUES = [
    ("logsumexp-infinite", lambda x: gg.logsumexp(x, 1),
     [[-INF, -INF], [INF, 1.0], [-INF, 0.0]], [-INF, INF, 0.0]),
    ("softmax-masked", lambda x: gg.softmax(x, -1), [[-INF, 0.0, 0.0], [1000.0, 0.0, -INF]],
     [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]]),
    ("log_softmax-masked", lambda x: gg.log_softmax(x, -1), [[-INF, 0.0]], [[-INF, 0.0]]),
    ("log-zero-and-negative", gg.log, [0.0, -1.0, 1.0], [-INF, NAN, 0.0]),
    ("div-by-zero", lambda x: x / 0.0, [1.0, -1.0, 0.0], [INF, -INF, NAN]),
    ("sqrt-negative", gg.sqrt, [-1.0, 4.0], [NAN, 2.0]),
    ("sigmoid-saturates", gg.sigmoid, [-1e4, 1e4], [0.0, 1.0]),
    ("exp-overflow", gg.exp, [1e4, -1e4], [INF, 0.0]),
    ("maximum-inf", lambda x: gg.maximum(x, 0.0), [-INF, INF], [0.0, INF]),
    ("relu-nan", gg.relu, [NAN, -1.0], [NAN, 0.0]),
]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("fn, x, expected", [pytest.param(*s[1:], id=s[0])
                                             for s in SPECIAL_VALUES])
def test_special_values(fn, x, expected, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # like PyTorch: no NumPy warnings either
        for f in (fn, gg.compile(fn)):
            out = f(gg.tensor(np.array(x, dtype)))
            assert out.dtype == dtype
            np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-30)


# -- gradients that need a dedicated check -------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=dtype_id)
def test_detach_blocks_the_gradient(dtype):
    x = np.array([[1.0, -2.0], [3.0, 0.5]], dtype)

    def f(t):
        return (t * t.detach()).sum()

    t = gg.tensor(x, requires_grad=True)
    f(t).backward()
    np.testing.assert_allclose(t.grad.numpy(), x)           # not 2x: one factor is a constant
    np.testing.assert_allclose(gg.grad(f)(gg.tensor(x)).numpy(), x)


@pytest.mark.parametrize("source, target", [(F32, F64), (F64, F32)], ids=["f32-f64", "f64-f32"])
def test_cast_gradient_comes_back_in_the_input_dtype(source, target):
    x = u(3, 4).astype(source)
    w = u(3, 4).astype(target)

    def f(t):
        return (t.astype(target) * gg.tensor(w)).sum()

    t = gg.tensor(x, requires_grad=True)
    f(t).backward()
    assert t.grad.dtype == source
    np.testing.assert_allclose(t.grad.numpy(), w.astype(source))
    g = gg.grad(f)(gg.tensor(x))
    assert g.dtype == source
    np.testing.assert_allclose(g.numpy(), w.astype(source))


def test_broadcast_gradients_are_summed_over_broadcast_dims():
    a, b = u(2, 3, 4), u(3, 1)
    w = u(2, 3, 4)
    ta, tb = gg.tensor(a, requires_grad=True), gg.tensor(b, requires_grad=True)
    ((ta + tb) * gg.tensor(w)).sum().backward()
    np.testing.assert_allclose(ta.grad.numpy(), w)
    np.testing.assert_allclose(tb.grad.numpy(), w.sum((0, 2))[:, None])
    ga, gb = gg.grad(lambda x, y: ((x * y) * gg.tensor(w)).sum(), argnums=(0, 1))(
        gg.tensor(a), gg.tensor(b))
    np.testing.assert_allclose(ga.numpy(), w * b)
    np.testing.assert_allclose(gb.numpy(), (w * a).sum((0, 2))[:, None])


def test_repeated_indices_accumulate_gradients():
    x = gg.tensor(u(3, 2), requires_grad=True)
    x[gg.tensor([0, 2, 0, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[3, 3], [0, 0], [1, 1]])


def test_gradcheck_detects_a_wrong_gradient():
    """The checker itself: a function whose autograd gradient is wrong must fail it."""
    def wrong(x):
        return x * x.detach() * 2.0      # true derivative 4x, autograd sees 2x
    with pytest.raises(AssertionError):
        gg.testing.gradcheck(wrong, [u(3)], **GRADCHECK)


# -- random ops -----------------------------------------------------------------------------------

RANDOM_CASES = [
    # (id, primitive, factory(dtype or None) -> tensor, expected dtype, property of the values)
    ("rand", "rand", lambda d: gg.rand(3, 4, dtype=d), None,
     lambda a: (a >= 0).all() and (a < 1).all()),
    ("randn", "randn", lambda d: gg.randn((3, 4), dtype=d), None,
     lambda a: np.isfinite(a).all() and len(np.unique(a)) == a.size),
    ("randint", "randint", lambda d: gg.randint(2, 6, (3, 4)), np.dtype(np.int64),
     lambda a: (a >= 2).all() and (a < 6).all()),
    ("randint-high-only", "randint", lambda d: gg.randint(3, size=(3, 4)), np.dtype(np.int64),
     lambda a: (a >= 0).all() and (a < 3).all()),
    ("rand_like", "rand", lambda d: gg.rand_like(gg.zeros(3, 4, dtype=d or gg.float32)), None,
     lambda a: (a >= 0).all() and (a < 1).all()),
    ("randn_like", "randn", lambda d: gg.randn_like(gg.zeros(3, 4, dtype=d or gg.float32)),
     None, lambda a: np.isfinite(a).all()),
    ("randperm", "randperm", lambda d: gg.randperm(12).reshape(3, 4), np.dtype(np.int64),
     lambda a: sorted(a.ravel()) == list(range(12))),
    ("multinomial", "multinomial",
     lambda d: gg.multinomial(gg.tensor([[0.0, 1.0, 2.0, 3.0, 0.0]] * 3), 4, replacement=True),
     np.dtype(np.int64), lambda a: ((a >= 1) & (a <= 3)).all()),
]
RANDOM_PARAMS = [pytest.param(c, d, id=f"{c[0]}-{dtype_id(d)}")
                 for c in RANDOM_CASES for d in ((None, F64) if c[3] is None else (None,))]


@pytest.mark.parametrize("case, dtype", RANDOM_PARAMS)
def test_random_shape_dtype_and_values(case, dtype):
    _, op, factory, want, prop = case
    want = want or dtype or F32
    for fn in (factory, gg.compile(lambda: factory(dtype))):
        t = factory(dtype) if fn is factory else fn()
        assert t.shape == (3, 4) and t.dtype == want
        assert prop(t.numpy()), t.numpy()
        assert not t.requires_grad
    graph = gg.trace(lambda: factory(dtype))
    assert op in graph.op_counts() and REGISTRY[op].random
    outs = run_graph(graph, [])
    assert outs[0].shape == (3, 4) and outs[0].dtype == want


@pytest.mark.parametrize("case, dtype", RANDOM_PARAMS)
def test_random_manual_seed_reproduces_eager_and_compiled(case, dtype):
    factory = case[2]
    compiled = gg.compile(lambda: factory(dtype))
    draws = {}
    for mode, fn in (("eager", lambda: factory(dtype)), ("compiled", compiled)):
        gg.manual_seed(123)
        first, second = fn().numpy(), fn().numpy()
        gg.manual_seed(123)
        again = fn().numpy()
        np.testing.assert_array_equal(first, again)
        assert not np.array_equal(first, second), f"{mode}: two draws are equal"
        draws[mode] = (first, second)
    # the same generator feeds both modes: the same seed gives the same numbers
    for e, c in zip(draws["eager"], draws["compiled"]):
        np.testing.assert_array_equal(e, c)


def test_compiled_random_draws_new_numbers_at_every_call():
    @gg.compile
    def noisy(x):
        return x + gg.randn(3, 4), gg.rand(3, 4), gg.randn(3, 4)

    x = gg.zeros(3, 4)
    a1, b1, c1 = noisy(x)
    a2, b2, _ = noisy(x)
    assert noisy.cache_info().traces == 1
    assert not np.array_equal(a1.numpy(), a2.numpy())
    assert not np.array_equal(b1.numpy(), b2.numpy())
    assert not np.array_equal(a1.numpy(), c1.numpy())    # two randn nodes are never merged


def test_random_distributions():
    gg.manual_seed(0)
    r, n = gg.rand(20000).numpy(), gg.randn(20000, dtype=gg.float64).numpy()
    k = gg.randint(-2, 3, (20000,)).numpy()
    assert abs(r.mean() - 0.5) < 0.01 and abs(r.var() - 1 / 12) < 0.005
    assert abs(n.mean()) < 0.03 and abs(n.std() - 1) < 0.03
    assert set(np.unique(k)) == {-2, -1, 0, 1, 2}
    assert abs((k == 0).mean() - 0.2) < 0.02


def test_random_argument_errors():
    with pytest.raises(TypeError, match="floating point"):
        gg.rand(2, dtype=gg.int64)
    with pytest.raises(gg.ShapeError, match="greater than low"):
        gg.randint(3, 3, (2,))


# -- dtypes ---------------------------------------------------------------------------------------

def test_float32_is_the_default():
    assert gg.tensor([1.5, 2.0]).dtype == F32
    assert gg.tensor(np.array([1.5])).dtype == F64            # NumPy arrays keep their dtype
    assert gg.tensor([1, 2]).dtype == np.int64
    assert gg.zeros(2).dtype == gg.ones(2).dtype == gg.rand(2).dtype == gg.randn(2).dtype == F32
    assert gg.exp(gg.tensor([1, 2])).dtype == F32
    assert (gg.tensor([1, 2]) / gg.tensor([2, 4])).dtype == F32
    assert (gg.tensor([1, 2]).sum() / 2).dtype == F32


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("fn", [
    lambda x: x + 2.0, lambda x: 2 * x, lambda x: x / 3, lambda x: 1.0 - x, lambda x: x ** 2.5,
    lambda x: 2.0 ** x, lambda x: gg.maximum(x, 0.5), lambda x: gg.where(x > 0, x, 0.0),
    lambda x: x.clamp(0.0, 1.0), lambda x: x.mean(), lambda x: x.softmax(-1),
    lambda x: F.cross_entropy(x, gg.tensor([0, 1, 2])),
], ids=["add", "rmul", "div-int", "rsub", "pow", "rpow", "maximum", "where", "clamp", "mean",
        "softmax", "cross_entropy"])
def test_python_scalars_keep_the_tensor_dtype(fn, dtype):
    x = gg.tensor(pos(3, 3).astype(dtype))
    assert fn(x).dtype == dtype
    assert gg.compile(fn)(x).dtype == dtype


def test_mixed_float_dtypes_promote_to_float64():
    a, b = gg.tensor(u(3).astype(np.float32)), gg.tensor(u(3))
    for out in (a + b, b * a, gg.maximum(a, b), gg.where(a > 0, a, b), gg.cat([a, b])):
        assert out.dtype == F64


# -- errors: the same in eager and compiled mode --------------------------------------------------

ERRORS = [
    ("add-shapes", lambda a, b: a + b, [u(3, 4), u(5)], gg.ShapeError, "add: shapes"),
    ("matmul-inner-dims", lambda a, b: a @ b, [u(3, 4), u(5, 2)], gg.ShapeError, "inner dims"),
    ("reshape-size", lambda x: x.reshape(5, 3), [u(3, 4)], gg.ShapeError, "reshape"),
    ("cat-shapes", lambda a, b: gg.cat([a, b]), [u(2, 3), u(2, 4)], gg.ShapeError, "cat"),
    ("sum-dim", lambda x: x.sum(2), [u(3, 4)], gg.ShapeError, "dim 2 out of range"),
    ("broadcast_to", lambda x: gg.broadcast_to(x, (3, 4)), [u(2, 4)], gg.ShapeError,
     "broadcast_to"),
    ("getitem-out-of-range", lambda x: x[5], [u(3, 4)], IndexError, "getitem: index 5"),
    ("bitwise_and-float", gg.bitwise_and, [u(3), u(3)], TypeError, "integer or bool"),
    ("pow-int-negative-exponent", lambda x: x ** -1, [ints(3)], TypeError, "non-negative integer"),
    ("index_add-value-shape", lambda x, v: index_add_at(x, slice(0, 2), v), [u(3, 4), u(3)],
     gg.ShapeError, "index_add"),
    ("neg-bool", lambda m: -m, [bools(3)], TypeError, "neg: not supported for bool"),
    ("relu-bool", gg.relu, [bools(3)], TypeError, "relu: not supported for bool"),
    ("floor-bool", gg.floor, [bools(3)], TypeError, "floor: not supported for bool"),
    ("cat-0d", lambda a, b: gg.cat([a, b]), [u(), u()], gg.ShapeError, "zero-dimensional"),
    ("where-branch-shapes", gg.where, [bools(3), u(3), u(4)], gg.ShapeError, "where"),
    ("setitem-value-shape", lambda x, v: setitem(x, 0, v), [u(3, 4), u(3)], gg.ShapeError,
     "setitem"),
]


@pytest.mark.parametrize("fn, inputs, error, text", [pytest.param(*e[1:], id=e[0])
                                                    for e in ERRORS])
def test_errors_are_the_same_eager_and_compiled(fn, inputs, error, text):
    with pytest.raises(error, match=text) as eager:
        fn(*tensors(inputs))
    with pytest.raises(error, match=text) as compiled:
        gg.compile(fn)(*tensors(inputs))
    assert str(eager.value) in str(compiled.value)


def test_check_index_rejects_out_of_range_classes_eager_and_compiled():
    bad = gg.tensor([0, 5, 1])
    with pytest.raises(gg.ShapeError, match="class index 5 out of range"):
        gg.one_hot(bad, 3)
    compiled = gg.compile(lambda t: gg.one_hot(t, 3))
    np.testing.assert_array_equal(compiled(gg.tensor([2, 0])).numpy(), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(gg.ShapeError, match="class index 5 out of range"):
        compiled(bad)
    with pytest.raises(gg.ShapeError, match="class index -1 out of range"):
        F.cross_entropy(gg.tensor(LOGITS), gg.tensor([0, -1, 2, 3]))


def test_data_dependent_shapes_are_refused_while_tracing():
    x, m = gg.tensor(u(3, 4)), gg.tensor(bools(3, 4))
    with pytest.raises(gg.TraceError, match="boolean-mask"):
        gg.compile(lambda a, b: a[b])(x, m)
    with pytest.raises(gg.TraceError):
        gg.compile(gg.one_hot)(gg.tensor([0, 2]))
