"""Torch-oracle rows for the in-place forms of the elementwise ops (`x.exp_()`, `x.clamp_min_(m)`,
`x &= y`, `torch.sqrt_(x)`, ...): each row updates a computed tensor in place and returns it,
so the values, the gradient through the update, and the compiled (functionalized) form are all
compared with torch. Every name in graphgrad.ops.methods.INPLACE has a row."""
import numpy as np
from torch_oracle import TorchCase

RNG = np.random.default_rng(59)


def u(*shape, lo=-2.0, hi=2.0):
    return RNG.uniform(lo, hi, shape)


def nonzero(*shape):
    return RNG.choice([-1.0, 1.0], shape) * RNG.uniform(0.3, 2.0, shape)


def ints(*shape, lo=-20, hi=20):
    return RNG.integers(lo, hi, shape)


def off_integers(*shape):
    return RNG.integers(-4, 4, shape) + RNG.uniform(0.1, 0.9, shape)


UNIT = u(3, 4, lo=-0.9, hi=0.9)
POSITIVE = u(3, 4, lo=0.2, hi=2.0)
DOMAIN = {"acos": UNIT, "arccos": UNIT, "asin": UNIT, "arcsin": UNIT, "atanh": UNIT,
          "arctanh": UNIT, "acosh": u(3, 4, lo=1.2, hi=3.0), "arccosh": u(3, 4, lo=1.2, hi=3.0),
          "log": POSITIVE, "log10": POSITIVE, "log1p": POSITIVE, "log2": POSITIVE,
          "sqrt": POSITIVE, "rsqrt": POSITIVE, "logit": u(3, 4, lo=0.1, hi=0.9),
          "reciprocal": nonzero(3, 4), "ceil": off_integers(3, 4), "floor": off_integers(3, 4),
          "trunc": off_integers(3, 4), "fix": off_integers(3, 4), "round": off_integers(3, 4),
          "frac": off_integers(3, 4), "abs": nonzero(3, 4), "absolute": nonzero(3, 4),
          "relu": nonzero(3, 4), "sinc": nonzero(3, 4)}
UNARY = """abs absolute acos acosh arccos arccosh arcsin arcsinh arctan arctanh asin asinh atan
    atanh ceil cos cosh deg2rad erf erfc exp exp2 expm1 fix floor frac log log10 log1p log2 logit
    nan_to_num neg negative rad2deg reciprocal relu round rsqrt sgn sigmoid sign sin sinc sinh
    sqrt square tan tanh trunc""".split()
BINARY = """arctan2 atan2 copysign div divide fmod hypot multiply pow remainder subtract
    true_divide xlogy ldexp""".split()
COMPARISONS = """eq ne lt le gt ge greater greater_equal less less_equal not_equal logical_and
    logical_or logical_xor heaviside floor_divide""".split()
BITWISE = """bitwise_and bitwise_or bitwise_xor bitwise_left_shift bitwise_right_shift""".split()


def _unary(name):
    return lambda m, x: getattr(x * 1.0, name + "_")()


def _binary(name):
    return lambda m, x, y: getattr(x * 1.0, name + "_")(y)


def _no_grad(name):
    return lambda m, x, y: getattr(x.detach() * 1.0, name + "_")(y)


def _bitwise(name):
    return lambda m, x, y: getattr(x.clone(), name + "_")(y)


# torch has no derivative for these in-place forms
NO_INPLACE_DERIVATIVE = {"acosh", "arccosh", "asinh", "arcsinh", "atanh", "arctanh"}


def _unary_row(name):
    fn = _sgn_plus_x if name == "sgn" else _unary(name)
    grad = () if name in NO_INPLACE_DERIVATIVE else None
    return TorchCase(f"{name}_", fn, (DOMAIN.get(name, u(3, 4)),), layouts=False, grad=grad)


def _sgn_plus_x(m, x):
    """torch's zero gradient of sgn is a ZeroTensor without a NumPy form: adding x keeps it
    checkable."""
    return (x * 1.0).sgn_() + x


CASES = [_unary_row(n) for n in UNARY]
CASES += [TorchCase(f"{n}_", _binary(n), (POSITIVE, POSITIVE[0] if n == "xlogy" else nonzero(4)),
                    layouts=False) for n in BINARY]
CASES += [TorchCase(f"{n}_", _no_grad(n), (off_integers(3, 4), off_integers(4)), grad=(),
                    layouts=False) for n in COMPARISONS]
CASES += [TorchCase(f"{n}_", _bitwise(n), (ints(3, 4), RNG.integers(0, 5, 4)), dtypes=(None,),
                    layouts=False) for n in BITWISE]
CASES += [
    TorchCase("bitwise_not_", lambda m, x: x.clone().bitwise_not_(), (ints(3, 4),),
              dtypes=(None,)),
    TorchCase("logical_not_", lambda m, x: x.detach().clone().logical_not_(),
              (np.array([0.0, 1.5, -2.0, np.nan]),), grad=()),
    TorchCase("round_-decimals", lambda m, x: (x * 1.0).round_(decimals=1), (u(3, 4) * 5,),
              gradcheck=False),
    TorchCase("div_-rounding", lambda m, x, y: (x * 1.0).div_(y, rounding_mode="trunc"),
              (u(3, 4) * 4, nonzero(4))),
    TorchCase("clamp_", lambda m, x: (x * 1.0).clamp_(-0.5, 0.5), (off_integers(3, 4) / 4,)),
    TorchCase("clamp_-tensor", lambda m, x, lo: (x * 1.0).clamp_(min=lo), (u(3, 4), u(4))),
    TorchCase("clip_", lambda m, x: (x * 1.0).clip_(max=0.5), (off_integers(3, 4) / 4,)),
    TorchCase("clamp_min_", lambda m, x: (x * 1.0).clamp_min_(0.25), (off_integers(3, 4) / 4,)),
    TorchCase("clamp_max_", lambda m, x, hi: (x * 1.0).clamp_max_(hi), (u(3, 4), u(3, 1))),
    TorchCase("lerp_", lambda m, x, y, w: (x * 1.0).lerp_(y, w), (u(3, 4), u(4), u(3, 4))),
    TorchCase("addcmul_", lambda m, x, a, b: (x * 1.0).addcmul_(a, b, value=0.5),
              (u(3, 4), u(4), u(3, 1))),
    TorchCase("addcdiv_", lambda m, x, a, b: (x * 1.0).addcdiv_(a, b, value=2),
              (u(3, 4), u(4), nonzero(3, 1))),
    TorchCase("nan_to_num_-args", lambda m, x: (x * 1.0).nan_to_num_(0.0, 5.0, -5.0),
              (np.array([np.nan, np.inf, -np.inf, 1.0]),), gradcheck=False),
    TorchCase("pow_-scalar", lambda m, x: (x * 1.0).pow_(3), (u(3, 4),)),
    TorchCase("ipow", lambda m, x: _ipow(x * 1.0), (u(3, 4, lo=0.2),)),
    TorchCase("ifloordiv", lambda m, x: _ifloordiv(x.detach() * 1.0), (off_integers(3, 4),),
              grad=()),
    TorchCase("imod", lambda m, x: _imod(x * 1.0), (off_integers(3, 4),)),
    TorchCase("iand-ior-ixor", lambda m, x, y: _ibitwise(x.clone(), y), (ints(3, 4), ints(4)),
              dtypes=(None,)),
    TorchCase("ishift", lambda m, x, y: _ishift(x.clone(), y), (ints(3, 4), ints(4, lo=0, hi=6)),
              dtypes=(None,)),
    TorchCase("iand-bool", lambda m, x, y: _iand(x.clone(), y), (RNG.random((3, 4)) < 0.5,
                                                                  RNG.random(4) < 0.5),
              dtypes=(None,)),
    TorchCase("torch.exp_", lambda m, x: m.exp_(x * 1.0), (u(3, 4),)),
    TorchCase("torch.sqrt_", lambda m, x: m.sqrt_(x * 1.0), (POSITIVE,)),
    TorchCase("torch.clamp_min_", lambda m, x: m.clamp_min_(x * 1.0, 0.1), (nonzero(3, 4),)),
    TorchCase("torch.relu_", lambda m, x: m.relu_(x * 1.0), (nonzero(3, 4),)),
    TorchCase("torch.round_", lambda m, x: m.round_(x * 1.0), (off_integers(3, 4),)),
    TorchCase("torch.xlogy_", lambda m, x, y: m.xlogy_(x * 1.0, y), (u(3, 4), POSITIVE)),
    TorchCase("torch.threshold_", lambda m, x: m.threshold_(x * 1.0, 0.5, -1.0),
              (off_integers(3, 4) / 3,)),
    TorchCase("int-sqrt-result-stays-int", lambda m, x: x.clone().abs_().neg_().sign_(),
              (ints(3, 4),), dtypes=(None,)),
]


def _ipow(x):
    x **= 2
    return x


def _ifloordiv(x):
    x //= 0.7
    return x


def _imod(x):
    x %= 0.7
    return x


def _ibitwise(x, y):
    x &= y
    x |= 3
    x ^= y
    return x


def _ishift(x, y):
    x <<= y
    x >>= 1
    return x


def _iand(x, y):
    x &= y
    return x
