"""Torch-oracle rows for unary elementwise ops: exponentials and logarithms, trigonometric and
hyperbolic functions, rounding, signs, NaN/inf predicates and nan_to_num.

Each op has a row on random values in its domain (float32 and float64, with float64 finite
differences), a row on edge values (0, -0.0, +-1, +-inf, NaN, values outside the domain; no
finite differences), and rows for integer inputs and float16 where torch takes them.
"""
import numpy as np
from torch_oracle import F32, F64, TorchCase

RNG = np.random.default_rng(41)
F16 = np.dtype(np.float16)
ALL_FLOATS = (F16, F32, F64)
INF, NAN = np.inf, np.nan

EDGES = np.array([-INF, -3.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 3.0, INF, NAN])
UNIT_EDGES = np.array([-INF, -1.5, -1.0, -0.999, -0.25, -0.0, 0.0, 0.25, 0.999, 1.0, 1.5, INF,
                       NAN])
HALVES = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -0.49, 0.51, 1.2345, -7.65, 1e-3])


def u(*shape, lo=-2.0, hi=2.0):
    return RNG.uniform(lo, hi, shape)


def ints(*shape, lo=-9, hi=10):
    return RNG.integers(lo, hi, shape)


def off_integers(*shape):
    return RNG.integers(-4, 4, shape) + RNG.uniform(0.1, 0.9, shape)


# name -> (domain of the random row, edge row input)
UNARY = {
    "exp": (u(3, 4), EDGES), "exp2": (u(3, 4) * 3, EDGES), "expm1": (u(3, 4), EDGES),
    "log": (u(3, 4, lo=0.2), EDGES), "log2": (u(3, 4, lo=0.2), EDGES),
    "log10": (u(3, 4, lo=0.2), EDGES), "log1p": (u(3, 4, lo=-0.5), EDGES),
    "sqrt": (u(3, 4, lo=0.2), EDGES), "rsqrt": (u(3, 4, lo=0.2), EDGES),
    "reciprocal": (u(3, 4, lo=0.3) * np.sign(u(3, 4)), EDGES),
    "sin": (u(3, 4), EDGES), "cos": (u(3, 4), EDGES), "tan": (u(3, 4, lo=-1.2, hi=1.2), EDGES),
    "asin": (u(3, 4, lo=-0.9, hi=0.9), UNIT_EDGES), "acos": (u(3, 4, lo=-0.9, hi=0.9), UNIT_EDGES),
    "atan": (u(3, 4) * 2, EDGES), "sinh": (u(3, 4), EDGES), "cosh": (u(3, 4), EDGES),
    "tanh": (u(3, 4), EDGES), "asinh": (u(3, 4) * 2, EDGES),
    "acosh": (u(3, 4, lo=1.2, hi=4.0), np.array([-1.0, 0.5, 1.0, 1.001, 2.0, INF, -INF, NAN])),
    "atanh": (u(3, 4, lo=-0.9, hi=0.9), UNIT_EDGES),
    "sigmoid": (u(3, 4) * 3, EDGES), "erf": (u(3, 4) * 2, EDGES), "erfc": (u(3, 4) * 2, EDGES),
    "abs": (u(3, 4, lo=0.2) * np.sign(u(3, 4)), EDGES), "neg": (u(3, 4), EDGES),
    "square": (u(3, 4), EDGES), "relu": (u(3, 4, lo=0.2) * np.sign(u(3, 4)), EDGES),
    "deg2rad": (u(3, 4) * 90, EDGES), "rad2deg": (u(3, 4), EDGES),
    "sinc": (u(3, 4, lo=0.1) * np.sign(u(3, 4)), EDGES),
    "logit": (u(3, 4, lo=0.05, hi=0.95), np.array([-0.5, 0.0, 1e-3, 0.5, 0.999, 1.0, 1.5, INF,
                                                    NAN])),
    "sign": (u(3, 4), EDGES), "sgn": (u(3, 4), EDGES),
    "floor": (off_integers(3, 4), EDGES), "ceil": (off_integers(3, 4), EDGES),
    "trunc": (off_integers(3, 4), EDGES), "fix": (off_integers(3, 4), EDGES),
    "frac": (off_integers(3, 4), EDGES), "round": (off_integers(3, 4), HALVES),
    "nan_to_num": (u(3, 4), EDGES),
    "positive": (u(3, 4), EDGES), "negative": (u(3, 4), EDGES), "absolute": (u(3, 4), EDGES),
}
# ops whose edge row has kinks or jumps in every neighbourhood: no finite differences there
PIECEWISE = {"abs", "relu", "sign", "sgn", "floor", "ceil", "trunc", "fix", "frac", "round"}
# integer inputs: torch keeps the dtype (rounding, sign, abs, ...) or gives float32
INT_OK = ["exp", "exp2", "expm1", "log2", "sqrt", "reciprocal", "sin", "tan", "atan", "sinh",
          "asinh", "sigmoid", "erf", "erfc", "abs", "neg", "square", "relu", "sign", "sgn",
          "floor", "ceil", "trunc", "round", "deg2rad", "sinc", "nan_to_num", "logit"]


def _unary(name):
    return lambda m, x: getattr(m, name)(x)


def _zero_grad_visible(name):
    """torch's sgn returns its zero gradient as a ZeroTensor, which has no NumPy form: adding
    x makes it an ordinary tensor and still checks that the gradient of sgn is zero."""
    return lambda m, x: getattr(m, name)(x) + x


CASES = []
for name, (values, edges) in UNARY.items():
    fn = _zero_grad_visible(name) if name == "sgn" else _unary(name)
    CASES.append(TorchCase(f"{name}-values", fn, (values,), dtypes=ALL_FLOATS))
    CASES.append(TorchCase(f"{name}-edges", fn, (edges,), dtypes=(F32, F64), gradcheck=False))
    CASES.append(TorchCase(f"{name}-method", lambda m, x, n=name: getattr(x, n)() * 1.0,
                           (values,), dtypes=(F32,), layouts=False, grad=()))
for name in INT_OK:
    # integer inputs computed in float32: NumPy's float32 kernels may differ by an ulp
    CASES.append(TorchCase(f"{name}-int", _unary(name), (ints(3, 4, lo=-3, hi=4),),
                           dtypes=(None,), rtol=1e-6, atol=1e-6))

CASES += [
    TorchCase("empty-exp2", lambda m, x: m.exp2(x), (u(0, 3),)),
    TorchCase("round-decimals", lambda m, x: m.round(x, decimals=2), (u(3, 4) * 3,),
              dtypes=ALL_FLOATS),
    TorchCase("round-decimals-method", lambda m, x: x.round(decimals=1), (HALVES / 10,),
              gradcheck=False),
    TorchCase("round-negative-decimals", lambda m, x: m.round(x, decimals=-1),
              (np.array([-25.0, -15.0, 5.0, 14.9, 15.0, 25.0, 1234.5, INF, NAN]),),
              dtypes=ALL_FLOATS, gradcheck=False),
    TorchCase("round-decimals-edges", lambda m, x: m.round(x, decimals=3), (EDGES,),
              gradcheck=False),
    TorchCase("frac-negative", lambda m, x: m.frac(x), (-off_integers(3, 4),)),
    TorchCase("logit-eps", lambda m, x: m.logit(x, eps=0.01), (u(3, 4, lo=0.05, hi=0.95),),
              dtypes=ALL_FLOATS),
    TorchCase("logit-eps-edges", lambda m, x: m.logit(x, 1e-3),
              (np.array([-0.5, 0.0, 5e-4, 1e-3, 0.5, 0.999, 0.9995, 1.0, 1.5, INF, NAN]),),
              gradcheck=False),
    TorchCase("nan_to_num-replacements",
              lambda m, x: m.nan_to_num(x, nan=0.5, posinf=9.0, neginf=-7.0),
              (EDGES,), gradcheck=False, dtypes=ALL_FLOATS),
    TorchCase("nan_to_num-posinf-only", lambda m, x: m.nan_to_num(x, posinf=1e3), (EDGES,),
              gradcheck=False, dtypes=ALL_FLOATS),
    TorchCase("sign-bool", lambda m, x: m.sign(x), (RNG.random((3, 4)) < 0.5,)),
    TorchCase("floor-2d-edges", lambda m, x: m.floor(x) + m.ceil(x) * 2,
              (np.stack([EDGES, -EDGES]),), gradcheck=False),
]

# predicates: bool results, no gradient
for name in ("isnan", "isinf", "isfinite", "isposinf", "isneginf", "signbit", "isreal"):
    CASES.append(TorchCase(name, _unary(name), (EDGES,), dtypes=ALL_FLOATS, gradcheck=False))
    CASES.append(TorchCase(f"{name}-int", _unary(name), (ints(3, 4),), dtypes=(None,)))
    CASES.append(TorchCase(f"{name}-method", lambda m, x, n=name: getattr(x, n)(), (EDGES,),
                           dtypes=(F32,), layouts=False, gradcheck=False))
CASES.append(TorchCase("isnan-bool", _unary("isnan"), (RNG.random(5) < 0.5,)))
CASES.append(TorchCase("signbit-bool", _unary("signbit"), (RNG.random(5) < 0.5,)))
