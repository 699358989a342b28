"""Op-table entries (NumPy references) for the elementwise primitives beyond the core ones:
division with rounding and remainders, powers of integers, rounding, bitwise and logical ops,
NaN/inf predicates, signs, trigonometric, exponential and logarithmic functions, clamping with
tensor bounds, lerp, fmax/fmin and the activation primitives.

Inputs keep away from kinks and jumps so that float64 finite differences apply; edge values
(0, +-inf, NaN, bounds) are checked against torch in torch_cases_elementwise.py.
"""
import math

import numpy as np
from helpers import OpCase

import graphgrad as gg
import graphgrad.nn.functional as F

RNG = np.random.default_rng(20250301)


def u(*shape, lo=-2.0, hi=2.0):
    return RNG.uniform(lo, hi, shape)


def pos(*shape, lo=0.5, hi=2.0):
    return RNG.uniform(lo, hi, shape)


def nonzero(*shape):
    return RNG.choice([-1.0, 1.0], shape) * RNG.uniform(0.2, 2.0, shape)


def ints(*shape, lo=-9, hi=10):
    return RNG.integers(lo, hi, shape)


def bools(*shape):
    return RNG.random(shape) < 0.5


def off_integers(*shape, scale=3.0):
    """Values whose quotients by 0.7 stay away from integers (no jump of floor/trunc)."""
    return (RNG.integers(-4, 4, shape) + RNG.uniform(0.15, 0.85, shape)) * 0.7 * scale / 3.0


def np_trunc_div(a, b):
    return np.trunc(a / b).astype(np.result_type(a, b))


def np_c_div(a, b):
    return (np.sign(a) * np.sign(b) * (np.abs(a) // np.abs(b))).astype(np.result_type(a, b))


def np_xlogy(x, y):
    return np.where(x == 0, 0.0, x * np.log(y))


def np_hardswish(x):
    return x * np.clip(x + 3, 0, 6) / 6


def np_softshrink(x, lambd=0.5):
    return np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, 0.0))


def np_elu(x, alpha=1.0, scale=1.0, input_scale=1.0):
    return np.where(x <= 0, np.expm1(x * input_scale) * alpha * scale, x * scale)


C = OpCase
INT_A, INT_B = ints(3, 4), np.array([[3, -2, 5, -4]] * 3)
DIV_A = off_integers(3, 4)
CLAMP_X = u(3, 4)
CLAMP_LO = CLAMP_X - np.where(bools(3, 4), 0.3, -0.3)     # x is 0.3 above or below each bound
CLAMP_HI = CLAMP_LO + np.where(bools(3, 4), 0.8, -0.8)    # some max below min, as torch allows

DIVISION = [
    C("div_trunc", "div_trunc", lambda a, b: gg.div(a, b, rounding_mode="trunc"),
      [DIV_A, np.full((3, 4), 0.7)], np_trunc_div),
    C("div_trunc-int", "div_trunc", lambda a, b: a.div(b, rounding_mode="trunc"),
      [INT_A, INT_B], np_c_div),
    C("div_floor-method", "floor_divide", lambda a, b: a.div(b, rounding_mode="floor"),
      [DIV_A, np.full((4,), -0.7)], np.floor_divide),
    C("fmod", "fmod", gg.fmod, [DIV_A, np.full((3, 4), 0.7)], np.fmod),
    C("fmod-int", "fmod", gg.fmod, [INT_A, INT_B], np.fmod),
    C("fmod-scalar", "fmod", lambda x: x.fmod(-0.7), [DIV_A], lambda x: np.fmod(x, -0.7)),
    C("pow-int-tensor", "pow", lambda a, b: a ** b,
      [ints(3, 4, lo=-3, hi=4), ints(3, 4, lo=0, hi=4)], np.power),
    C("pow-int-negative-exponents", "pow", gg.pow,
      [np.array([2, -3, 1, -1, -1, 0]), np.array([-1, -2, -5, -3, -2, 3])],
      lambda a, b: np.array([0, 0, 1, -1, 1, 0])),
]

ROUNDING = [
    C("floor", "floor", gg.floor, [off_integers(3, 4)], np.floor),
    C("ceil", "ceil", lambda x: x.ceil(), [off_integers(3, 4)], np.ceil),
    C("trunc", "trunc", gg.trunc, [off_integers(3, 4)], np.trunc),
    C("fix", "trunc", gg.fix, [off_integers(3, 4)], np.trunc),
    C("round", "round", gg.round, [off_integers(3, 4)], np.round),
    C("round-half-to-even", "round", lambda x: gg.round(x.detach()),
      [np.array([0.5, 1.5, 2.5, -0.5, -2.5])], np.round, grad=()),
    C("round-decimals", "round", lambda x: gg.round(x, decimals=2), [u(3, 4) + 0.001],
      lambda x: np.round(x, 2)),
    C("round-negative-decimals", "round", lambda x: x.round(decimals=-1), [u(3, 4) * 40 + 2.3],
      lambda x: np.round(x, -1)),
    C("frac", "trunc", gg.frac, [off_integers(3, 4)], lambda x: x - np.trunc(x)),
]

BITWISE = [
    C(name, name, getattr(gg, name), [ints(3, 4), ints(4)], ref)
    for name, ref in [("bitwise_and", np.bitwise_and), ("bitwise_or", np.bitwise_or),
                      ("bitwise_xor", np.bitwise_xor)]
] + [
    C("bitwise_not", "bitwise_not", gg.bitwise_not, [ints(3, 4)], np.invert),
    C("bitwise_not-operator", "bitwise_not", lambda x: ~x, [ints(3, 4)], np.invert),
    C("bitwise_left_shift", "bitwise_left_shift", lambda a, b: a << b,
      [ints(3, 4), ints(3, 4, lo=0, hi=8)], np.left_shift),
    C("bitwise_right_shift", "bitwise_right_shift", gg.bitwise_right_shift,
      [ints(3, 4, lo=-300, hi=300), ints(4, lo=0, hi=8)], np.right_shift),
    C("bitwise_and-operator-scalar", "bitwise_and", lambda x: x & 6, [ints(3, 4)],
      lambda x: x & 6),
    C("bitwise_or-reflected", "bitwise_or", lambda x: 5 | x, [ints(3, 4)], lambda x: 5 | x),
    C("logical_xor", "logical_xor", gg.logical_xor, [bools(3, 4), bools(4)], np.logical_xor),
    C("logical_xor-operator", "logical_xor", lambda a, b: a ^ b, [bools(3, 4), bools(3, 4)],
      np.logical_xor),
    C("logical_and-of-floats", "logical_and", gg.logical_and,
      [np.array([0.0, 1.5, np.nan, -2.0]), np.array([1.0, 0.0, 3.0, -1.0])],
      np.logical_and, grad=()),
]

PREDICATES = [
    C(name, name, getattr(gg, name),
      [np.array([0.0, -1.5, np.inf, -np.inf, np.nan, 3.0])], ref, grad=())
    for name, ref in [("isnan", np.isnan), ("isinf", np.isinf), ("isfinite", np.isfinite),
                      ("signbit", np.signbit)]
] + [
    C("isnan-int", "isnan", gg.isnan, [ints(3, 4)], np.isnan),
    C("signbit-negative-zero", "signbit", gg.signbit, [np.array([0.0, -0.0, -1.0])],
      np.signbit, grad=()),
    C("nan_to_num", "nan_to_num", gg.nan_to_num, [u(3, 4)], np.nan_to_num),
    C("nan_to_num-values", "nan_to_num", lambda x: gg.nan_to_num(x, 0.5, 9.0, -9.0),
      [u(3, 4)], np.nan_to_num),
    C("heaviside", "heaviside", gg.heaviside, [np.array([-1.5, 0.0, 2.0, 0.0]), u(4)],
      np.heaviside, grad=()),
    C("copysign", "copysign", gg.copysign, [nonzero(3, 4), u(4)], np.copysign),
    C("copysign-scalar", "copysign", lambda x: x.copysign(-1.0), [nonzero(3, 4)],
      lambda x: np.copysign(x, -1.0)),
]

UNARY_MATH = [
    C("tan", "tan", gg.tan, [u(3, 4, lo=-1.2, hi=1.2)], np.tan),
    C("asin", "asin", gg.asin, [u(3, 4, lo=-0.9, hi=0.9)], np.arcsin),
    C("acos", "acos", gg.arccos, [u(3, 4, lo=-0.9, hi=0.9)], np.arccos),
    C("atan", "atan", gg.atan, [u(3, 4) * 2], np.arctan),
    C("sinh", "sinh", gg.sinh, [u(3, 4)], np.sinh),
    C("cosh", "cosh", gg.cosh, [u(3, 4)], np.cosh),
    C("asinh", "asinh", gg.asinh, [u(3, 4) * 2], np.arcsinh),
    C("acosh", "acosh", gg.acosh, [pos(3, 4, lo=1.2, hi=4.0)], np.arccosh),
    C("atanh", "atanh", gg.arctanh, [u(3, 4, lo=-0.9, hi=0.9)], np.arctanh),
    C("expm1", "expm1", gg.expm1, [u(3, 4)], np.expm1),
    C("exp2", "exp2", gg.exp2, [u(3, 4) * 3], np.exp2),
    C("log2", "log2", gg.log2, [pos(3, 4)], np.log2),
    C("log10", "log10", gg.log10, [pos(3, 4)], np.log10),
    C("reciprocal", "reciprocal", gg.reciprocal, [nonzero(3, 4)], np.reciprocal),
    C("reciprocal-int-gives-float32", "reciprocal", gg.reciprocal, [np.array([1, -2, 4])],
      lambda x: (1.0 / x).astype(np.float32)),
    C("logit", "logit", gg.logit, [pos(3, 4, lo=0.05, hi=0.95)], lambda p: np.log(p / (1 - p))),
    C("logit-eps", "logit", lambda p: gg.logit(p, eps=0.1), [pos(3, 4, lo=0.15, hi=0.85)],
      lambda p: np.log(p / (1 - p))),
]

BINARY_MATH = [
    C("atan2", "atan2", gg.atan2, [nonzero(3, 4), nonzero(4)], np.arctan2),
    C("hypot", "hypot", gg.hypot, [nonzero(3, 4), nonzero(3, 1)], np.hypot),
    C("logaddexp", "logaddexp", gg.logaddexp, [u(3, 4) * 3, u(4) * 3], np.logaddexp),
    C("logaddexp2", "logaddexp2", gg.logaddexp2, [u(3, 4) * 3, u(3, 4)], np.logaddexp2),
    C("xlogy", "xlogy", gg.xlogy, [u(3, 4), pos(4)], np_xlogy),
    C("xlogy-zeros", "xlogy", gg.xlogy, [np.array([0.0, 0.0, 1.5]), np.array([0.5, 2.0, 3.0])],
      np_xlogy),
    C("fmax", "fmax", gg.fmax, [u(3, 4), u(3, 4) + 5.0 * bools(3, 4)], np.fmax),
    C("fmin", "fmin", gg.fmin, [u(3, 4), u(4) + 5.0 * bools(4)], np.fmin),
    C("lerp", "lerp", gg.lerp, [u(3, 4), u(3, 4), u(4, lo=-0.5, hi=1.5)],
      lambda a, b, w: a + w * (b - a)),
    C("lerp-scalar-weight", "lerp", lambda a, b: a.lerp(b, 0.75), [u(3, 4), u(1, 4)],
      lambda a, b: a + 0.75 * (b - a)),
    C("clamp_tensor", "clamp_tensor", gg.clamp, [CLAMP_X, CLAMP_LO, CLAMP_HI],
      lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi)),
    C("clamp_tensor-min", "clamp_tensor", lambda x, lo: x.clamp_min(lo), [CLAMP_X, CLAMP_LO],
      np.maximum),
    C("clamp_tensor-max-broadcast", "clamp_tensor", lambda x, hi: gg.clamp(x, max=hi),
      [CLAMP_X, CLAMP_HI[0]], np.minimum),
]

ACTIVATIONS = [
    C("hardtanh", "hardtanh", F.hardtanh, [u(3, 4) * 0.9 + np.where(bools(3, 4), 0.5, -0.5)],
      lambda x: np.clip(x, -1, 1)),
    C("relu6", "hardtanh", F.relu6, [u(3, 4) * 4 + 2.5], lambda x: np.clip(x, 0, 6)),
    C("hardsigmoid", "hardsigmoid", F.hardsigmoid, [u(3, 4) * 2.4 + np.sign(u(3, 4)) * 1.5],
      lambda x: np.clip(x + 3, 0, 6) / 6),
    C("hardswish", "hardswish", F.hardswish, [u(3, 4) * 2.4 + np.sign(u(3, 4)) * 1.5],
      np_hardswish),
    C("softshrink", "softshrink", F.softshrink, [nonzero(3, 4) * 1.5], np_softshrink),
    C("hardshrink", "hardshrink", lambda x: F.hardshrink(x, 0.3), [nonzero(3, 4)],
      lambda x: np.where(np.abs(x) > 0.3, x, 0.0)),
    C("threshold", "threshold", lambda x: F.threshold(x, 0.1, -2.0), [nonzero(3, 4)],
      lambda x: np.where(x <= 0.1, -2.0, x)),
    C("celu", "elu", lambda x: F.celu(x, 0.5), [nonzero(3, 4)],
      lambda x: np_elu(x, 0.5, 1.0, 2.0)),
    C("selu", "elu", F.selu, [nonzero(3, 4)],
      lambda x: np_elu(x, 1.6732632423543772, 1.0507009873554805)),
    C("mish", "mish", F.mish, [u(3, 4) * 3], lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    C("logsigmoid", "logsigmoid", F.logsigmoid, [u(3, 4) * 5],
      lambda x: -np.logaddexp(0, -x)),
    C("softsign", "softsign", F.softsign, [nonzero(3, 4)], lambda x: x / (1 + np.abs(x))),
    C("sinc", "sinc", gg.sinc, [nonzero(3, 4)],
      lambda x: np.sin(math.pi * x) / (math.pi * x)),
]

LAYOUT = [
    C("contiguous", "contiguous", lambda x: x.T.contiguous() * 2.0, [u(3, 4)],
      lambda x: np.ascontiguousarray(x.T) * 2.0, eager_only=True),
    C("view_dtype", "view_dtype", lambda x: x.view(gg.int8), [ints(3, 4).astype(np.int32)],
      lambda x: x.view(np.int8), grad=()),
]

CASES = LAYOUT + DIVISION + ROUNDING + BITWISE + PREDICATES + UNARY_MATH + BINARY_MATH + ACTIVATIONS
