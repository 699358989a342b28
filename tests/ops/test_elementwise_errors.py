"""Bad inputs of the elementwise ops: the same exception, naming the op and the operands,
eagerly and compiled, and nothing changed. Integer division by zero raises as in torch (a
RuntimeError), also when the divisor is only known while the compiled graph runs."""
import numpy as np
import pytest

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad import nn

RNG = np.random.default_rng(5)


def u(*shape):
    return RNG.uniform(-2, 2, shape)


def ints(*shape):
    return RNG.integers(-5, 6, shape)


def bools(*shape):
    return RNG.random(shape) < 0.5


ERRORS = [
    ("bitwise_or-float", lambda a, b: a | b, [u(3), ints(3)], TypeError, "bitwise_or"),
    ("invert-float", lambda a: ~a, [u(3)], TypeError, "bitwise_not"),
    ("lshift-bool", lambda a, b: a << b, [bools(3), bools(3)], TypeError, "bitwise_left_shift"),
    ("rshift-float", gg.bitwise_right_shift, [u(3), ints(3)], TypeError, "integer tensors"),
    ("hypot-int", gg.hypot, [ints(3), ints(3)], TypeError, "hypot: expects floating-point"),
    ("logaddexp-int", gg.logaddexp, [ints(3), ints(3)], TypeError, "logaddexp"),
    ("pow-bool", lambda a, b: a ** b, [bools(3), bools(3)], TypeError, "pow: not supported"),
    ("floor_divide-bool", lambda a, b: a // b, [bools(3), bools(3)], TypeError, "floor_divide"),
    ("remainder-bool", gg.remainder, [bools(3), bools(3)], TypeError, "remainder"),
    ("round-int-decimals", lambda a: gg.round(a, decimals=1), [ints(3)], TypeError,
     "round: decimals"),
    ("frac-int", gg.frac, [ints(3)], TypeError, "frac: expects a floating-point"),
    ("ceil-bool", gg.ceil, [bools(3)], TypeError, "ceil: not supported for bool"),
    ("heaviside-dtypes", gg.heaviside, [u(3), ints(3)], TypeError, "heaviside: input and values"),
    ("lerp-int", gg.lerp, [ints(3), ints(3), ints(3)], TypeError, "lerp: expects floating"),
    ("addcdiv-int", gg.addcdiv, [ints(3), ints(3), ints(3)], TypeError, "addcdiv: integer div"),
    ("addcmul-int-float-value", lambda a, b, c: gg.addcmul(a, b, c, value=0.5),
     [ints(3), ints(3), ints(3)], TypeError, "addcmul: a float value"),
    ("clamp-bool", lambda a: gg.clamp(a, 0, 1), [bools(3)], TypeError, "clamp: not supported"),
    ("clamp-tensor-shapes", gg.clamp, [u(3), u(4), u(3)], gg.ShapeError, "clamp: shapes"),
    ("atan2-shapes", gg.atan2, [u(3), u(2)], gg.ShapeError, "atan2: shapes"),
    ("glu-odd", lambda x: F.glu(x, 1), [u(2, 3)], gg.ShapeError, "glu: halving dimension"),
    ("prelu-weight", F.prelu, [u(2, 3), u(2)], gg.ShapeError, "prelu: weight"),
    ("div-rounding-mode", lambda a, b: gg.div(a, b, rounding_mode="round"), [u(3), u(3)],
     ValueError, "rounding_mode must be"),
    ("sqrt_-int", lambda a: a.clone().sqrt_(), [ints(3)], TypeError, "sqrt_: result type"),
    ("bitwise_and_-bool-into-int", lambda a, b: b.clone().__iand__(a * 1.5), [u(3), ints(3)],
     TypeError, "bitwise_and"),
    ("softshrink-negative", lambda x: F.softshrink(x, -1.0), [u(3)], ValueError, "lambda"),
]


@pytest.mark.parametrize("fn, inputs, error, text", [pytest.param(*e[1:], id=e[0])
                                                    for e in ERRORS])
def test_errors_are_the_same_eager_and_compiled(fn, inputs, error, text):
    with pytest.raises(error, match=text) as eager:
        fn(*[gg.tensor(a) for a in inputs])
    with pytest.raises(error, match=text) as compiled:
        gg.compile(fn)(*[gg.tensor(a) for a in inputs])
    assert str(eager.value) in str(compiled.value)


INT_DIVISIONS = {
    "floor_divide": lambda a, b: a // b,
    "div-trunc": lambda a, b: gg.div(a, b, rounding_mode="trunc"),
    "div-floor": lambda a, b: a.div(b, rounding_mode="floor"),
    "remainder": lambda a, b: a % b,
    "fmod": gg.fmod,
}


@pytest.mark.parametrize("fn", INT_DIVISIONS.values(), ids=INT_DIVISIONS.keys())
def test_integer_division_by_zero_raises_eagerly_and_compiled(fn):
    a, b = gg.tensor([7, -7, 3]), gg.tensor([2, 0, 1])
    for run in (fn, gg.compile(fn)):
        with pytest.raises(RuntimeError, match="integer division by zero") as info:
            run(a, b)
        assert isinstance(info.value, ZeroDivisionError)
    np.testing.assert_array_equal(gg.compile(fn)(a, gg.tensor([2, 3, 1])).numpy(),
                                  fn(a, gg.tensor([2, 3, 1])).numpy())


def test_integer_division_by_zero_in_place_changes_nothing():
    a = gg.tensor([7, -7, 3])
    with pytest.raises(ZeroDivisionError):
        a.floor_divide_(gg.tensor([1, 0, 1]))
    np.testing.assert_array_equal(a.numpy(), [7, -7, 3])
    state = gg.tensor([1, 2, 3])

    @gg.compile
    def step(d):
        state.remainder_(d)
        return state

    with pytest.raises(ZeroDivisionError):
        step(gg.tensor([1, 0, 1]))
    np.testing.assert_array_equal(state.numpy(), [1, 2, 3])
    step(gg.tensor([2, 2, 2]))
    np.testing.assert_array_equal(state.numpy(), [1, 0, 1])


def test_float_division_by_zero_gives_ieee_values_like_torch():
    a, b = gg.tensor([1.0, -1.0, 0.0, 5.0]), gg.tensor([0.0, 0.0, 0.0, -0.0])
    np.testing.assert_array_equal((a // b).numpy(), [np.inf, -np.inf, np.nan, -np.inf])
    np.testing.assert_array_equal((a % b).numpy(), [np.nan] * 4)
    np.testing.assert_array_equal(gg.div(a, b, rounding_mode="trunc").numpy(),
                                  [np.inf, -np.inf, np.nan, -np.inf])


def test_bfloat16_is_refused_with_a_clear_message():
    with pytest.raises(AttributeError, match="NumPy has no bfloat16"):
        gg.bfloat16
    assert not hasattr(gg, "bfloat16")
    with pytest.raises(TypeError, match="bfloat16"):
        gg.zeros(2).type("bfloat16")


def test_hardtanh_module_checks_its_bounds():
    with pytest.raises(ValueError, match="max_val"):
        nn.Hardtanh(1.0, -1.0)
    with pytest.raises(ValueError, match="min_val"):
        F.hardtanh(gg.zeros(2), 2.0, 1.0)


def test_inplace_on_a_leaf_that_requires_grad_is_refused():
    x = gg.tensor([1.0, -2.0], requires_grad=True)
    for fn in (lambda t: t.exp_(), lambda t: F.relu(t, inplace=True), lambda t: t.clamp_min_(0),
               lambda t: nn.Hardswish(inplace=True)(t)):
        with pytest.raises(gg.AutogradError, match="in-place"):
            fn(x)
    np.testing.assert_array_equal(x.numpy(), [1.0, -2.0])
