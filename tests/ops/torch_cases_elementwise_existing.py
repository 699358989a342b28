"""Torch-oracle rows for the elementwise functions (gg.* and their Tensor methods): unary math,
binary arithmetic, comparisons, logic, where, clamp, casts."""
import numpy as np
from oracle_rows import (ONLY64, away, binary_rows, bools, case, ints, is_torch, pos, u,
                         unary_rows)

# -- unary math: functions and methods --------------------------------------------------------

FLOAT_UNARY = [
    # name, function row, method row, input maker
    ("exp", lambda m, x: m.exp(x), lambda m, x: x.exp(), u),
    ("log", lambda m, x: m.log(x), lambda m, x: x.log(), pos),
    ("log1p", lambda m, x: m.log1p(x), lambda m, x: x.log1p(), pos),
    ("sqrt", lambda m, x: m.sqrt(x), lambda m, x: x.sqrt(), pos),
    ("rsqrt", lambda m, x: m.rsqrt(x), lambda m, x: x.rsqrt(), pos),
    ("tanh", lambda m, x: m.tanh(x), lambda m, x: x.tanh(), u),
    ("sigmoid", lambda m, x: m.sigmoid(x), lambda m, x: x.sigmoid(), u),
    ("sin", lambda m, x: m.sin(x), lambda m, x: x.sin(), u),
    ("cos", lambda m, x: m.cos(x), lambda m, x: x.cos(), u),
    ("erf", lambda m, x: m.erf(x), lambda m, x: x.erf(), u),
]

CASES = []
for _name, _fn, _method, _make in FLOAT_UNARY:
    CASES += unary_rows(_name, _fn, make=_make)
    CASES.append(case(f"{_name}-method", _method, (_make(2, 3),)))

CASES += [
    # special values: log(0) = -inf, sqrt(0) gradient = inf, sigmoid saturation, erf tails
    case("log-zero-and-negative", lambda m, x: m.log(x), (np.array([0.0, -1.0, 1.0]),),
         grad=(), layouts=False),
    case("sigmoid-extremes", lambda m, x: m.sigmoid(x), (np.array([-800.0, -30.0, 0.0, 30.0,
                                                                  800.0]),), gradcheck=False),
    case("erf-tails", lambda m, x: m.erf(x), (np.array([-7.0, -3.0, -2.6, 2.4, 5.9, 6.5]),)),
    case("tanh-large", lambda m, x: m.tanh(x), (np.array([-50.0, 50.0, 0.0]),),
         gradcheck=False),
]

# neg / abs / sign / relu / square accept integers; torch refuses bool for neg, abs and relu
CASES += unary_rows("neg", lambda m, x: m.neg(x), bool_ok=False)
CASES += unary_rows("abs", lambda m, x: m.abs(x), make=away, bool_ok=False)
CASES += unary_rows("sign", lambda m, x: m.sign(x), make=away, bool_ok=False, grad=())
CASES += unary_rows("relu", lambda m, x: m.relu(x), make=away, bool_ok=False)
CASES += unary_rows("square", lambda m, x: m.square(x), bool_ok=False)
CASES += [
    case("neg-method", lambda m, x: x.neg(), (u(2, 3),)),
    case("abs-method", lambda m, x: x.abs(), (away(2, 3),)),
    case("sign-method", lambda m, x: x.sign(), (away(2, 3),), grad=()),
    case("relu-method", lambda m, x: x.relu(), (away(2, 3),)),
    case("square-method", lambda m, x: x.square(), (u(2, 3),)),
    # at 0 torch's gradients are abs: 0, relu: 0
    case("abs-relu-at-zero", lambda m, x: (m.abs(x), m.relu(x)),
         (np.array([0.0, -0.0, -1.0, 2.0]),), gradcheck=False),
]

# Rows where graphgrad does not match torch yet, left out of the table: move them into CASES
# once it does. sign has torch's zero gradient and takes bool tensors; bool ** 2 and
# square(bool) are int64; int ** int stays integer; the logical ops take numbers (nonzero is
# True).
LEFT_OUT = [
    case("sign-grad", lambda m, x: (m.sign(x), x.sign()), (away(3, 4),)),
    case("sign-bool", lambda m, x: m.sign(x), (bools(3, 4),)),
    case("square-bool", lambda m, x: (m.square(x), x ** 2, m.pow(x, 3)), (bools(3, 4),)),
    case("pow-int-int", lambda m, a, b: (m.pow(a, b), a ** b), (ints(2, 3), ints(3, lo=0, hi=4))),
    case("logical-numbers", lambda m, a, b: (m.logical_and(a, b), m.logical_or(a, b),
                                             m.logical_not(a)), (ints(2, 3, lo=-1, hi=2), u(3)),
         grad=()),
]

# -- binary arithmetic ------------------------------------------------------------------------

CASES += binary_rows("add", lambda m, a, b: m.add(a, b))
CASES += binary_rows("sub", lambda m, a, b: m.sub(a, b), bool_ok=False)
CASES += binary_rows("mul", lambda m, a, b: m.mul(a, b))
CASES += binary_rows("div", lambda m, a, b: m.div(a, b), make_b=away)
CASES += binary_rows("true_divide", lambda m, a, b: m.true_divide(a, b), make_b=away)
CASES += binary_rows("maximum", lambda m, a, b: m.maximum(a, b))
CASES += binary_rows("minimum", lambda m, a, b: m.minimum(a, b))
# floor_divide and remainder: piecewise constant / linear, so no finite differences across jumps
CASES += binary_rows("floor_divide", lambda m, a, b: m.floor_divide(a, b), make_b=away,
                     bool_ok=False, grad=(), gradcheck=False)
CASES += binary_rows("remainder", lambda m, a, b: m.remainder(a, b), make_a=away, make_b=away,
                     bool_ok=False)
CASES += [
    case("add-method-alpha", lambda m, a, b: a.add(b, alpha=2), (u(3, 4), u(4))),
    case("sub-method-alpha", lambda m, a, b: a.sub(b, alpha=0.5), (u(3, 4), u(4))),
    case("mul-method", lambda m, a, b: a.mul(b), (u(3, 4), u(3, 1))),
    case("div-method", lambda m, a, b: a.div(b), (u(3, 4), away(4))),
    case("maximum-method", lambda m, a, b: a.maximum(b), (u(3, 4), u(4))),
    case("minimum-method", lambda m, a, b: a.minimum(b), (u(3, 4), u(4))),
    case("add-scalar", lambda m, a: (m.add(a, 2), m.add(a, 2.5), m.mul(a, 3)), (u(2, 3),)),
    case("add-scalar-int", lambda m, a: (m.add(a, 2), m.add(a, 2.5), m.mul(a, True)),
         (ints(2, 3),)),
    case("div-int-int", lambda m, a, b: m.div(a, b), (ints(2, 3), ints(3, lo=1))),
    case("div-bool-scalar", lambda m, a: m.div(a, 2), (bools(2, 3),)),
    # ties: torch splits the gradient of maximum/minimum evenly between equal operands
    case("maximum-ties", lambda m, a, b: (m.maximum(a, b), m.minimum(a, b)),
         (np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0])), gradcheck=False),
    case("maximum-nan", lambda m, a, b: (m.maximum(a, b), m.minimum(a, b)),
         (np.array([np.nan, 1.0]), np.array([0.0, np.nan])), grad=(), layouts=False),
    case("remainder-signs", lambda m, a, b: m.remainder(a, b),
         (np.array([5.5, -5.5, 5.5, -5.5]), np.array([2.0, 2.0, -2.0, -2.0])), grad=(0,)),
    case("floor_divide-signs", lambda m, a, b: m.floor_divide(a, b),
         (np.array([7, -7, 7, -7]), np.array([2, 2, -2, -2]))),
    case("div-by-zero", lambda m, a, b: m.div(a, b),
         (np.array([1.0, -1.0, 0.0]), np.array([0.0, 0.0, 0.0])), grad=(), layouts=False),
]

# pow: the gradient with respect to a tensor exponent is left out here (grad=(0,))
CASES += [
    case("pow-tensor", lambda m, a, b: m.pow(a, b), (pos(3, 4), u(3, 4)), grad=(0,)),
    case("pow-broadcast", lambda m, a, b: m.pow(a, b), (pos(2, 1, 3), u(3)), grad=(0,),
         dtypes=ONLY64),
    case("pow-scalar", lambda m, a: (m.pow(a, 2), m.pow(a, 3), m.pow(a, 0.5), m.pow(a, -1.5),
                                     m.pow(a, 0), m.pow(a, 1)), (pos(2, 3),)),
    case("pow-scalar-negative-base", lambda m, a: (m.pow(a, 2), m.pow(a, 3), m.pow(a, -2)),
         (away(2, 3),)),
    case("pow-zero-base", lambda m, a: (m.pow(a, 2), m.pow(a, 0), m.pow(a, 1)),
         (np.array([0.0, 1.0, -2.0]),), gradcheck=False),
    case("pow-scalar-base", lambda m, a: m.pow(2.0, a), (u(2, 3),)),
    case("pow-method", lambda m, a, b: a.pow(b), (pos(2, 3), u(3)), grad=(0,)),
    case("pow-int", lambda m, a: (m.pow(a, 2), m.pow(a, 3), m.pow(a, 0.5)),
         (ints(2, 3, lo=0),)),
    case("pow-0d", lambda m, a, b: m.pow(a, b), (pos(), u(3)), grad=(0,), dtypes=ONLY64),
    case("pow-empty", lambda m, a: m.pow(a, 3), (u(0, 2),), dtypes=ONLY64),
]

# -- comparisons and logic (no gradient) ------------------------------------------------------

_TIES = (np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]), np.array([2.0, 2.0, 2.0]))
for _name in ("eq", "ne", "lt", "le", "gt", "ge"):
    CASES += binary_rows(_name, lambda m, a, b, _n=_name: getattr(m, _n)(a, b), grad=())
    CASES += [case(f"{_name}-ties", lambda m, a, b, _n=_name: getattr(m, _n)(a, b), _TIES,
                   grad=(), dtypes=ONLY64),
              case(f"{_name}-method", lambda m, a, b, _n=_name: getattr(a, _n)(b),
                   (u(2, 3), u(3)), grad=()),
              case(f"{_name}-scalar", lambda m, a, _n=_name: (getattr(m, _n)(a, 1),
                                                            getattr(m, _n)(a, 0.5)),
                   (ints(2, 3),))]

for _name in ("logical_and", "logical_or"):
    def _fn(m, a, b, _n=_name):
        return getattr(m, _n)(a, b)
    CASES += [case(_name, _fn, (bools(3, 4), bools(4))),
              case(f"{_name}-0d", _fn, (bools(3), bools())),
              case(f"{_name}-empty", _fn, (bools(0, 3), bools(3))),
              case(f"{_name}-method", lambda m, a, b, _n=_name: getattr(a, _n)(b),
                   (bools(2, 3), bools(2, 3))),
              ]
# logical ops on numbers: see LEFT_OUT
CASES += [
    case("logical_not", lambda m, a: m.logical_not(a), (bools(3, 4),)),
    case("logical_not-0d", lambda m, a: m.logical_not(a), (bools(),)),
    case("logical_not-method", lambda m, a: a.logical_not(), (bools(2, 3),)),
]

# -- where, clamp -----------------------------------------------------------------------------

CASES += [
    case("where", lambda m, c, a, b: m.where(c, a, b), (bools(3, 4), u(3, 4), u(3, 4))),
    case("where-broadcast", lambda m, c, a, b: m.where(c, a, b), (bools(3, 1), u(4), u(2, 1, 1)),
         dtypes=ONLY64),
    case("where-0d", lambda m, c, a, b: m.where(c, a, b), (bools(), u(3), u()), dtypes=ONLY64),
    case("where-empty", lambda m, c, a, b: m.where(c, a, b), (bools(0, 3), u(3), u(0, 1)),
         dtypes=ONLY64),
    case("where-scalars", lambda m, c, a: (m.where(c, a, 0.0), m.where(c, 1.5, a)),
         (bools(3, 4), u(3, 4))),
    case("where-int", lambda m, c, a, b: (m.where(c, a, b), m.where(c, a, 0)),
         (bools(3, 4), ints(3, 4), ints(4))),
    case("where-mixed", lambda m, c, a, b: m.where(c, a, b), (bools(3, 4), u(3, 4), ints(4))),
    case("where-bool", lambda m, c, a, b: m.where(c, a, b), (bools(3, 4), bools(3, 4),
                                                             bools(4))),
]

for _name in ("clamp", "clip"):
    CASES += [
        case(_name, lambda m, x, _n=_name: (getattr(m, _n)(x, -0.5, 0.7),
                                            getattr(m, _n)(x, min=0.1),
                                            getattr(m, _n)(x, max=-0.1)), (away(3, 4),)),
        case(f"{_name}-method", lambda m, x, _n=_name: getattr(x, _n)(-0.5, 0.5), (away(2, 3),)),
        case(f"{_name}-tensor-bounds", lambda m, x, lo, hi, _n=_name: getattr(m, _n)(x, lo, hi),
             (u(3, 4), u(4, lo=-2, hi=-0.5), u(3, 1, lo=0.5, hi=2))),
        case(f"{_name}-int", lambda m, x, _n=_name: (getattr(m, _n)(x, -2, 3),
                                                     getattr(m, _n)(x, 0.5)), (ints(3, 4),)),
        case(f"{_name}-0d", lambda m, x, _n=_name: getattr(m, _n)(x, -1, 1), (u(),),
             dtypes=ONLY64),
        case(f"{_name}-empty", lambda m, x, _n=_name: getattr(m, _n)(x, -1, 1), (u(0, 3),),
             dtypes=ONLY64),
    ]
CASES += [
    # at a bound torch passes the gradient through (x >= min and x <= max)
    case("clamp-at-bounds", lambda m, x: m.clamp(x, -1.0, 1.0),
         (np.array([-1.0, 1.0, 0.0, 2.0]),), gradcheck=False),
    case("clamp-min-above-max", lambda m, x: m.clamp(x, 1.0, -1.0), (u(2, 3),), gradcheck=False),
]

# -- casts, clone, detach ---------------------------------------------------------------------


def _cast(m, x, dtype):
    """graphgrad's gg.cast(x, dtype) is torch's x.to(dtype)."""
    return x.to(getattr(m, dtype)) if is_torch(m) else m.cast(x, getattr(m, dtype))


CASES += [
    case("cast-float", lambda m, x: (_cast(m, x, "float64"), _cast(m, x, "float32")), (u(3, 4),),
         gradcheck=False),
    case("cast-to-int", lambda m, x: (_cast(m, x, "int64"), _cast(m, x, "int32"),
                                      _cast(m, x, "bool")),
         (np.array([-2.7, -0.5, 0.0, 0.5, 2.7]),), grad=()),
    case("cast-from-int", lambda m, x: (_cast(m, x, "float32"), _cast(m, x, "bool"),
                                        _cast(m, x, "int32")), (ints(3, 4),)),
    case("cast-from-bool", lambda m, x: (_cast(m, x, "float64"), _cast(m, x, "int64")),
         (bools(3, 4),)),
    case("cast-empty", lambda m, x: _cast(m, x, "int64"), (u(0, 2),), grad=(), dtypes=ONLY64),
    case("clone", lambda m, x: m.clone(x), (u(3, 4),)),
    case("clone-method", lambda m, x: x.clone() * 2, (u(3, 4),)),
    case("clone-int", lambda m, x: m.clone(x), (ints(3, 4),)),
    # detach cuts the gradient, so finite differences of the whole function do not apply
    case("detach", lambda m, x: (m.detach(x), x * m.detach(x)), (u(3, 4),), gradcheck=False),
    case("detach-method", lambda m, x: x * x.detach(), (u(3, 4),), gradcheck=False),
]
