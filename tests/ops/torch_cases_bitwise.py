"""Torch-oracle rows for bitwise and logical ops (integer and bool tensors, Python numbers,
reflected operators, shifts past the bit width), and for dtype promotion between tensors of
different dtypes, 0-d tensors and Python numbers (torch.result_type)."""
import numpy as np
from torch_oracle import TorchCase

RNG = np.random.default_rng(47)
INF, NAN = np.inf, np.nan


def ints(*shape, lo=-50, hi=50, dtype=np.int64):
    return RNG.integers(lo, hi, shape).astype(dtype)


def bools(*shape):
    return RNG.random(shape) < 0.5


def u(*shape):
    return RNG.uniform(-2.0, 2.0, shape)


NATIVE = (None,)
SHIFTS = np.array([0, 1, 7, 8, 31, 63, 64, 65, 100, -1, -64])
OPERATORS = {
    "and": lambda m, a, b: a & b, "or": lambda m, a, b: a | b, "xor": lambda m, a, b: a ^ b,
    "bitwise_and": lambda m, a, b: m.bitwise_and(a, b),
    "bitwise_or": lambda m, a, b: m.bitwise_or(a, b),
    "bitwise_xor": lambda m, a, b: a.bitwise_xor(b),
}

CASES = []
for name, fn in OPERATORS.items():
    CASES += [
        TorchCase(f"{name}-int", fn, (ints(3, 4), ints(4)), dtypes=NATIVE),
        TorchCase(f"{name}-bool", fn, (bools(3, 4), bools(3, 1)), dtypes=NATIVE),
        TorchCase(f"{name}-bool-int", fn, (bools(3, 4), ints(4)), dtypes=NATIVE),
        TorchCase(f"{name}-uint8-int8", fn, (ints(3, 4, lo=0, hi=255, dtype=np.uint8),
                                             ints(4, lo=-128, hi=127, dtype=np.int8)),
                  dtypes=NATIVE),
    ]
CASES += [
    TorchCase("invert-int", lambda m, a: ~a, (ints(3, 4),), dtypes=NATIVE),
    TorchCase("invert-bool", lambda m, a: ~a, (bools(3, 4),), dtypes=NATIVE),
    TorchCase("invert-uint8", lambda m, a: m.bitwise_not(a),
              (ints(3, 4, lo=0, hi=255, dtype=np.uint8),), dtypes=NATIVE),
    TorchCase("and-scalar", lambda m, a: (a & 6) | (3 & a), (ints(3, 4),), dtypes=NATIVE),
    TorchCase("or-bool-scalar", lambda m, a: (a | False) ^ True, (bools(3, 4),), dtypes=NATIVE),
    TorchCase("xor-reflected", lambda m, a: 5 ^ a, (ints(3, 4),), dtypes=NATIVE),
    TorchCase("lshift", lambda m, a, b: a << b, (ints(11, 1, lo=-5, hi=6), SHIFTS),
              dtypes=NATIVE),
    TorchCase("rshift", lambda m, a, b: a >> b, (ints(11, 1, lo=-500, hi=500), SHIFTS),
              dtypes=NATIVE),
    TorchCase("shift-int8", lambda m, a, b: m.bitwise_left_shift(a, b) + (a >> b),
              (ints(3, 4, lo=-128, hi=127, dtype=np.int8), ints(4, lo=0, hi=9, dtype=np.int8)),
              dtypes=NATIVE),
    TorchCase("shift-scalars", lambda m, a: (a << 2) + (1 << a) + m.bitwise_right_shift(a, 1),
              (ints(3, 4, lo=0, hi=20),), dtypes=NATIVE),
    TorchCase("logical_xor", lambda m, a, b: m.logical_xor(a, b), (bools(3, 4), bools(4)),
              dtypes=NATIVE),
]

# logical ops take any dtype: nonzero (and NaN) is True
FLOAT_TRUTH = np.array([0.0, -0.0, 1.5, -2.0, INF, NAN])
for name in ("logical_and", "logical_or", "logical_xor"):
    CASES.append(TorchCase(f"{name}-floats", (lambda n: lambda m, a, b: getattr(m, n)(a, b))(name),
                           (FLOAT_TRUTH.reshape(-1, 1), FLOAT_TRUTH), grad=()))
    CASES.append(TorchCase(f"{name}-int-and-float", (lambda n: lambda m, a, b: getattr(a, n)(b))(
        name), (ints(3, 4, lo=-1, hi=2), FLOAT_TRUTH[:4]), grad=()))
CASES.append(TorchCase("logical_not-floats", lambda m, a: m.logical_not(a), (FLOAT_TRUTH,),
                       grad=()))
CASES.append(TorchCase("logical_not-int", lambda m, a: a.logical_not(), (ints(3, 4, lo=-1, hi=2),),
                       dtypes=NATIVE))

# -- promotion ------------------------------------------------------------------------------

PROMOTION = [
    ("int32+float-scalar", lambda m, a: a + 2.5, (ints(3, 4, dtype=np.int32),)),
    ("int32+int-scalar", lambda m, a: a * 3, (ints(3, 4, dtype=np.int32),)),
    ("bool+int-scalar", lambda m, a: a + 1, (bools(3, 4),)),
    ("bool+float-scalar", lambda m, a: a * 0.5, (bools(3, 4),)),
    ("bool+bool-scalar", lambda m, a: a & True, (bools(3, 4),)),
    ("uint8+int8", lambda m, a, b: a + b, (ints(3, 4, lo=0, hi=100, dtype=np.uint8),
                                           ints(4, lo=-50, hi=50, dtype=np.int8))),
    ("int16+uint8", lambda m, a, b: a - b, (ints(3, 4, dtype=np.int16),
                                            ints(4, lo=0, hi=50, dtype=np.uint8))),
    ("int32+int64-0d", lambda m, a, b: a + b, (ints(3, 4, dtype=np.int32), np.array(7))),
    ("int32+float64-0d", lambda m, a, b: a * b, (ints(3, 4, dtype=np.int32), np.array(1.5))),
    ("float16+float64-0d", lambda m, a, b: a + b, (u(3, 4).astype(np.float16), np.array(0.25))),
    ("float32+float64-0d", lambda m, a, b: a * b, (u(3, 4).astype(np.float32), np.array(0.1))),
    ("float16+float32", lambda m, a, b: a + b, (u(3, 4).astype(np.float16),
                                                u(4).astype(np.float32))),
    ("int64+float16", lambda m, a, b: a + b, (ints(3, 4), u(4).astype(np.float16))),
    ("float16-0d+int32", lambda m, a, b: a + b, (np.array(1.5, np.float16),
                                                 ints(4, dtype=np.int32))),
    ("0d+0d", lambda m, a, b: a + b, (np.array(3, np.int32), np.array(1.5, np.float16))),
    ("int32-div-int32", lambda m, a, b: a / b, (ints(3, 4, dtype=np.int32),
                                                ints(4, lo=1, hi=9, dtype=np.int32))),
    ("where-float16-scalar", lambda m, c, a: m.where(c, a, 1.0), (bools(3, 4),
                                                                  u(4).astype(np.float16))),
    ("maximum-int-float", lambda m, a, b: m.maximum(a, b), (ints(3, 4), u(4).astype(np.float32))),
]
CASES += [TorchCase(f"promote-{name}", fn, inputs, dtypes=NATIVE, grad=(), layouts=False)
          for name, fn, inputs in PROMOTION]
