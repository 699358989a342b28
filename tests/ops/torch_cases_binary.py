"""Torch-oracle rows for binary and ternary elementwise ops: division with rounding modes and
remainders, powers (with torch's gradients at 0 ** y and for negative bases), atan2, hypot,
logaddexp, copysign, xlogy, heaviside, fmax/fmin, clamp with tensor bounds, where with Python
scalars, lerp, addcmul/addcdiv, bitwise and logical ops, and dtype promotion.

Edge rows use a grid: every edge value of the first operand against every edge value of the
second (shapes (n, 1) and (m,) broadcast), gradients included.
"""
import numpy as np
from torch_oracle import F32, F64, TorchCase

RNG = np.random.default_rng(43)
F16 = np.dtype(np.float16)
ALL_FLOATS = (F16, F32, F64)
INF, NAN = np.inf, np.nan

EDGES = np.array([-INF, -2.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0, INF, NAN])
EXPONENTS = np.array([-INF, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0, INF, NAN])


def u(*shape, lo=-2.0, hi=2.0):
    return RNG.uniform(lo, hi, shape)


def nonzero(*shape):
    return RNG.choice([-1.0, 1.0], shape) * RNG.uniform(0.3, 2.0, shape)


def ints(*shape, lo=-9, hi=10, dtype=np.int64):
    return RNG.integers(lo, hi, shape).astype(dtype)


def int_divisors(*shape):
    return RNG.choice([-5, -3, -2, -1, 1, 2, 3, 7], shape)


def off_integers(*shape):
    return RNG.integers(-4, 4, shape) + RNG.uniform(0.1, 0.9, shape)


def grid(a, b):
    return a.reshape(-1, 1), b


def bools(*shape):
    return RNG.random(shape) < 0.5


DIVISION = {
    "div": lambda m, a, b: m.div(a, b),
    "true_divide": lambda m, a, b: m.true_divide(a, b),
    "divide-trunc": lambda m, a, b: m.divide(a, b, rounding_mode="trunc"),
    "div-floor": lambda m, a, b: m.div(a, b, rounding_mode="floor"),
    "div-trunc-method": lambda m, a, b: a.div(b, rounding_mode="trunc"),
    "floordiv-operator": lambda m, a, b: a // b,
    "remainder": lambda m, a, b: m.remainder(a, b),
    "mod-operator": lambda m, a, b: a % b,
    "fmod": lambda m, a, b: m.fmod(a, b),
}
NO_GRAD = {"floordiv-operator"}      # torch: floor_divide's derivative is not implemented

CASES = []
for name, fn in DIVISION.items():
    grad = () if name in NO_GRAD else None
    CASES += [
        TorchCase(f"{name}-values", fn, (off_integers(3, 4), nonzero(4) * 0.7), grad=grad,
                  dtypes=ALL_FLOATS, gradcheck=name in ("div", "true_divide")),
        TorchCase(f"{name}-edges", fn, grid(EDGES, EDGES), grad=grad, gradcheck=False),
        TorchCase(f"{name}-int", fn, (ints(3, 4, lo=-20, hi=21), int_divisors(4)),
                  dtypes=(None,)),
        TorchCase(f"{name}-int8", fn, (ints(3, 4, lo=-100, hi=100, dtype=np.int8),
                                       int_divisors(3, 1).astype(np.int8)), dtypes=(None,)),
    ]
CASES += [
    TorchCase("div-int-by-scalar", lambda m, a: m.div(a, 4), (ints(3, 4),), dtypes=(None,)),
    TorchCase("div-floor-int-by-float", lambda m, a: m.div(a, 2.5, rounding_mode="floor"),
              (ints(3, 4),), dtypes=(None,)),
    TorchCase("floordiv-int-reflected", lambda m, a: 17 // a, (int_divisors(3, 4),),
              dtypes=(None,)),
    TorchCase("mod-reflected", lambda m, a: 5.5 % a, (nonzero(3, 4),), grad=()),
    TorchCase("mod-scalar", lambda m, a: a % -0.75, (off_integers(3, 4),)),
    TorchCase("fmod-scalar-int", lambda m, a: m.fmod(a, -3), (ints(3, 4),), dtypes=(None,)),
    TorchCase("div-uint8", lambda m, a, b: m.div(a, b, rounding_mode="floor") + a % b,
              (ints(3, 4, lo=0, hi=255, dtype=np.uint8), ints(4, lo=1, hi=9, dtype=np.uint8)),
              dtypes=(None,)),
]

# -- powers ---------------------------------------------------------------------------------

CASES += [
    TorchCase("pow-values", lambda m, a, b: m.pow(a, b), (u(3, 4, lo=0.2), u(4)),
              dtypes=ALL_FLOATS),
    TorchCase("pow-edges", lambda m, a, b: a ** b, grid(EDGES, EXPONENTS), gradcheck=False),
    TorchCase("pow-negative-base-integer-exponents", lambda m, a, b: a ** b,
              (-u(3, 4, lo=0.5), RNG.integers(-3, 4, (3, 4)).astype(float))),
    TorchCase("pow-int", lambda m, a, b: a ** b, (ints(3, 4, lo=-3, hi=4),
                                                   ints(3, 4, lo=-3, hi=5)), dtypes=(None,)),
    TorchCase("pow-float-base-int-exponent", lambda m, a, b: m.pow(a, b),
              (u(3, 4, lo=0.3), ints(4, lo=-2, hi=4))),
    TorchCase("rpow-edges", lambda m, y: 2.0 ** y, (EXPONENTS,), gradcheck=False),
    TorchCase("rpow-zero-base", lambda m, y: 0.0 ** y, (EXPONENTS,), gradcheck=False),
    TorchCase("rpow-negative-base", lambda m, y: (-2.0) ** y, (EXPONENTS,), gradcheck=False),
    TorchCase("rpow-int", lambda m, y: 3 ** y, (ints(3, 4, lo=0, hi=6),), dtypes=(None,)),
    TorchCase("float_power", lambda m, a, b: m.float_power(a, b), (u(3, 4, lo=0.2), u(4))),
    TorchCase("float_power-scalar", lambda m, a: m.float_power(a, 2), (u(3, 4),),
              dtypes=(F32,)),
    TorchCase("ldexp", lambda m, a, b: m.ldexp(a, b), (u(3, 4), u(4) * 3)),
    # non-negative integer exponents only: torch's gradient is 0 for negative ones, as it
    # computes 2 ** other in integers
    TorchCase("ldexp-int-exponent", lambda m, a, b: m.ldexp(a, b), (u(3, 4), ints(4, lo=0, hi=4))),
]
for exponent in (0.5, 2, 3, -1, -2, 0, 1, 2.5, -0.5, 2.0, 1e-3):
    CASES.append(TorchCase(f"pow-scalar-{exponent}-edges", lambda m, x, e=exponent: x ** e,
                           (EDGES,), gradcheck=False))
    CASES.append(TorchCase(f"pow-scalar-{exponent}-values", lambda m, x, e=exponent: m.pow(x, e),
                           (u(3, 4, lo=0.2),), dtypes=ALL_FLOATS))
CASES += [
    TorchCase("pow-scalar-int-tensor", lambda m, x: x ** 3 + x ** 2.0, (ints(3, 4, lo=-4, hi=5),),
              dtypes=(None,)),
    TorchCase("pow-bool-tensor", lambda m, x: x ** 2, (bools(3, 4),), dtypes=(None,)),
]

# -- binary math ----------------------------------------------------------------------------

BINARY = {
    "atan2": (nonzero(3, 4), nonzero(4)), "arctan2": (nonzero(3, 4), nonzero(4)),
    "hypot": (nonzero(3, 4), nonzero(3, 1)), "logaddexp": (u(3, 4) * 3, u(4) * 3),
    "logaddexp2": (u(3, 4) * 3, u(3, 4)), "copysign": (nonzero(3, 4), nonzero(4)),
    "xlogy": (u(3, 4), u(4, lo=0.3)), "fmax": (u(3, 4), u(3, 4)), "fmin": (u(3, 4), u(4)),
    "maximum": (u(3, 4), u(3, 4)), "minimum": (u(3, 4), u(4)),
}
for name, values in BINARY.items():
    fn = (lambda n: lambda m, a, b: getattr(m, n)(a, b))(name)
    CASES.append(TorchCase(f"{name}-values", fn, values, dtypes=ALL_FLOATS))
    CASES.append(TorchCase(f"{name}-edges", fn, grid(EDGES, EDGES), gradcheck=False))
    CASES.append(TorchCase(f"{name}-method", (lambda n: lambda m, a, b: getattr(a, n)(b))(name),
                           values, dtypes=(F32,), layouts=False))
CASES += [
    TorchCase("atan2-int", lambda m, a, b: m.atan2(a, b), (ints(3, 4), ints(4)), dtypes=(None,),
              rtol=1e-6, atol=1e-6),
    TorchCase("copysign-int-scalar", lambda m, a: m.copysign(a, -1), (ints(3, 4),),
              dtypes=(None,)),
    TorchCase("xlogy-scalar-first", lambda m, y: m.xlogy(2.0, y), (u(3, 4, lo=0.2),)),
    TorchCase("xlogy-int", lambda m, a, b: m.xlogy(a, b), (ints(3, 4, lo=0, hi=4),
                                                           ints(4, lo=0, hi=4)),
              dtypes=(None,), rtol=1e-6, atol=1e-6),
    TorchCase("heaviside", lambda m, a, b: m.heaviside(a, b), grid(EDGES, EDGES), grad=()),
    TorchCase("heaviside-int", lambda m, a, b: m.heaviside(a, b), (ints(3, 4, lo=-2, hi=3),
                                                                   ints(4)), dtypes=(None,)),
]

# -- clamp, where, lerp, addcmul, addcdiv ---------------------------------------------------

X = np.array([-INF, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, INF, NAN, 0.5, 1.0])
LO = np.array([-1.0, -1.0, -1.0, -1.0, 0.0, 0.5, 1.0, 3.0, 0.0, 0.0, NAN, 2.0])
HI = np.array([1.0, 1.0, -1.0, 0.0, 0.0, 1.0, 1.0, 2.5, 1.0, 1.0, 1.0, NAN])
CASES += [
    TorchCase("clamp-tensor-bounds", lambda m, x, lo, hi: m.clamp(x, lo, hi), (X, LO, HI),
              gradcheck=False, dtypes=ALL_FLOATS),
    TorchCase("clamp-tensor-min", lambda m, x, lo: m.clamp(x, min=lo), (X, LO), gradcheck=False),
    TorchCase("clamp-tensor-max", lambda m, x, hi: x.clamp(max=hi), (X, HI), gradcheck=False),
    TorchCase("clamp-min-greater-than-max", lambda m, x, lo, hi: m.clamp(x, lo, hi),
              (u(3, 4), u(3, 4, lo=0.5, hi=1.0), u(4, lo=-1.0, hi=0.0)), gradcheck=False),
    TorchCase("clamp-tensor-broadcast", lambda m, x, lo, hi: m.clip(x, lo, hi),
              (u(2, 3, 4), u(3, 1, lo=-1.5, hi=-0.2), u(4, lo=0.2, hi=1.5))),
    TorchCase("clamp-scalar-edges", lambda m, x: m.clamp(x, -1.0, 1.0), (X,), gradcheck=False),
    TorchCase("clamp_min-scalar", lambda m, x: m.clamp_min(x, 0.5), (X,), gradcheck=False),
    TorchCase("clamp_max-tensor", lambda m, x, hi: x.clamp_max(hi), (X, HI), gradcheck=False),
    TorchCase("clamp-int-tensor-bounds", lambda m, x, lo: m.clamp(x, min=lo),
              (ints(3, 4), ints(4)), dtypes=(None,)),
    TorchCase("clamp-int-float-tensor-bound", lambda m, x, hi: m.clamp(x, max=hi),
              (ints(3, 4), u(4) * 4)),
    TorchCase("where-scalar-false", lambda m, c, x: m.where(c, x, 0.0), (bools(3, 4), X[:4]),
              dtypes=ALL_FLOATS, gradcheck=False),
    TorchCase("where-scalar-true", lambda m, c, x: m.where(c, 2, x), (bools(3, 4), u(4))),
    TorchCase("where-int-and-float-scalar", lambda m, c, x: m.where(c, x, 2.5),
              (bools(3, 4), ints(4).astype(np.int32)), dtypes=(None,)),
    TorchCase("where-int-and-int-scalar", lambda m, c, x: m.where(c, x, 7),
              (bools(3, 4), ints(4).astype(np.int32)), dtypes=(None,)),
    TorchCase("where-two-scalars", lambda m, c: m.where(c, 1.0, 0), (bools(3, 4),),
              dtypes=(None,)),
    TorchCase("where-two-int-scalars", lambda m, c: m.where(c, 1, -1), (bools(3, 4),),
              dtypes=(None,)),
    TorchCase("where-bool-scalars", lambda m, c: m.where(c, True, False), (bools(3, 4),),
              dtypes=(None,)),
    TorchCase("where-method", lambda m, x, c: x.where(c, -x), (u(3, 4), bools(4))),
    TorchCase("where-0d-float64-with-float32", lambda m, c, x, y: m.where(c, x, y),
              (bools(3, 4), u(3, 4).astype(np.float32), np.array(2.5)), dtypes=(None,),
              grad=()),
    TorchCase("lerp", lambda m, a, b, w: m.lerp(a, b, w), (u(3, 4), u(4), u(3, 1, lo=-1, hi=2)),
              dtypes=ALL_FLOATS),
    TorchCase("lerp-scalar-weight", lambda m, a, b: a.lerp(b, 0.3), (u(3, 4), u(3, 4)),
              dtypes=ALL_FLOATS),
    TorchCase("lerp-edges", lambda m, a, b, w: m.lerp(a, b, w),
              (np.array([0.0, 1.0, -INF, 2.0, NAN, 1.0]), np.array([1.0, INF, 1.0, 2.0, 1.0, -3.0]),
               np.array([0.5, 0.25, 0.75, INF, 0.0, -2.0])), gradcheck=False),
    TorchCase("addcmul", lambda m, x, a, b: m.addcmul(x, a, b, value=0.5), (u(3, 4), u(4), u(3, 1)),
              dtypes=ALL_FLOATS),
    TorchCase("addcdiv", lambda m, x, a, b: m.addcdiv(x, a, b, value=-2.0),
              (u(3, 4), u(4), nonzero(3, 1)), dtypes=ALL_FLOATS),
    TorchCase("addcdiv-edges", lambda m, x, a, b: m.addcdiv(x, a, b), grid(EDGES, EDGES)[::-1] +
              (EDGES,), gradcheck=False),
    TorchCase("addcmul-int", lambda m, x, a, b: m.addcmul(x, a, b, value=3),
              (ints(3, 4), ints(4), ints(3, 1)), dtypes=(None,)),
    TorchCase("addcmul-method", lambda m, x, a, b: x.addcmul(a, b), (u(3, 4), u(4), u(3, 4))),
]
