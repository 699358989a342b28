"""Elementwise ops as scalar expressions for the numba backend's generated loops.

Each rule turns an op applied to scalar operand expressions into one expression of the op's
result dtype. Operands are first cast to the dtype NumPy computes in (the result dtype for
arithmetic, the common dtype for comparisons), so float32 math stays float32 as in the NumPy
kernels. An op without a rule here has no native kernel (the runtime falls back to NumPy).
"""
import numpy as np


def dtype_name(dtype):
    dtype = np.dtype(dtype)
    return "np.bool_" if dtype == np.bool_ else f"np.{dtype.name}"


def literal(value, dtype):
    """Source for a scalar constant of `dtype` (exact: floats go through repr)."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return "True" if bool(value) else "False"
    if dtype.kind == "f":
        v = float(value)
        if np.isnan(v):
            text = "np.nan"
        elif np.isinf(v):
            text = "np.inf" if v > 0 else "-np.inf"
        else:
            text = repr(v)
        return f"{dtype_name(dtype)}({text})"
    return f"{dtype_name(dtype)}({int(value)})"


def cast(expr, src, dst):
    src, dst = np.dtype(src), np.dtype(dst)
    if src == dst:
        return expr
    if dst == np.bool_:
        return f"({expr} != 0)"
    return f"{dtype_name(dst)}({expr})"


def typed(expr, out):
    """`expr` computed on operands of dtype `out` has that dtype, except for integers numba
    widens to 64 bits."""
    if out.kind in "iu" and out.itemsize < 8:
        return f"{dtype_name(out)}({expr})"
    return expr


def _arith(symbol):
    def rule(args, dtypes, out):
        if out.kind not in "fiu":
            return None
        a, b = (cast(x, t, out) for x, t in zip(args, dtypes))
        return typed(f"({a} {symbol} {b})", out)
    return rule


def _compare(symbol):
    def rule(args, dtypes, out):
        common = np.result_type(*dtypes)
        a, b = (cast(x, t, common) for x, t in zip(args, dtypes))
        return f"({a} {symbol} {b})"
    return rule


def _ufunc(name, kinds="f"):
    def rule(args, dtypes, out):
        if out.kind not in kinds:
            return None
        operands = ", ".join(cast(x, t, out) for x, t in zip(args, dtypes))
        if out == np.float32 and name in FLOAT32_MATH:
            return f"{FLOAT32_MATH[name]}({operands})"
        return typed(f"{FUNCTIONS.get(name, 'np.' + name)}({operands})", out)
    return rule


# float32 functions the generated loops call instead of numba's scalar C-library calls (they
# vectorize: float32_math.py), and functions NumPy spells differently
FLOAT32_MATH = {"exp": "exp32", "log": "log32", "tanh": "tanh32", "erf": "erf32"}
FUNCTIONS = {"erf": "math.erf"}


def _div(args, dtypes, out):
    if out.kind != "f":
        return None
    a, b = (cast(x, t, out) for x, t in zip(args, dtypes))
    return f"({a} / {b})"


def _neg(args, dtypes, out):
    if out.kind not in "fi":
        return None
    return typed(f"(-{cast(args[0], dtypes[0], out)})", out)


def _relu(args, dtypes, out):
    if out.kind not in "fi":
        return None
    return maximum(cast(args[0], dtypes[0], out), literal(0, out))


def _sigmoid(args, dtypes, out):
    # as the NumPy kernel: split by sign so exp never overflows
    if out.kind != "f":
        return None
    x = cast(args[0], dtypes[0], out)
    one = literal(1, out)
    exp = FLOAT32_MATH["exp"] if out == np.float32 else "np.exp"
    return (f"({one} / ({one} + {exp}(-np.abs({x}))) if {x} >= 0 else "
            f"{exp}(-np.abs({x})) / ({one} + {exp}(-np.abs({x}))))")


def _sign(args, dtypes, out):
    # as the NumPy kernel (torch's sign): (x > 0) - (x < 0), so sign(NaN) and sign(-0.0) are +0
    if out.kind not in "fi":
        return None
    x = args[0]
    positive, negative = (cast(f"({x} {op} 0)", np.bool_, out) for op in (">", "<"))
    return typed(f"({positive} - {negative})", out)


def _where(args, dtypes, out):
    c = cast(args[0], dtypes[0], np.bool_)
    a, b = (cast(x, t, out) for x, t in zip(args[1:], dtypes[1:]))
    return f"({a} if {c} else {b})"


def _cast(args, dtypes, out):
    return cast(args[0], dtypes[0], out)


def _lerp(args, dtypes, out):
    if out.kind != "f":
        return None
    s, e, w = (cast(x, t, out) for x, t in zip(args, dtypes))
    one, half = literal(1, out), literal(0.5, out)
    return (f"({s} + {w} * ({e} - {s}) if np.abs({w}) < {half} else "
            f"{e} - ({e} - {s}) * ({one} - {w}))")


def _pow(args, dtypes, out):
    if out.kind != "f":
        return None
    a, b = (cast(x, t, out) for x, t in zip(args, dtypes))
    return f"np.power({a}, {b})"


def _pow_scalar(args, dtypes, out, exponent):
    if out.kind != "f":
        return None
    x = cast(args[0], dtypes[0], out)
    if exponent == 2:
        return f"({x} * {x})"
    if exponent == -0.5:
        return f"({literal(1, out)} / np.sqrt({x}))"
    return f"np.power({x}, {literal(exponent, out)})"


def maximum(a, b):
    """NumPy's maximum of two scalars (NaN wins), as a conditional: cheaper for numba to
    compile than a ufunc call. `a` and `b` are evaluated more than once: names or literals."""
    return f"({a} if ({a} >= {b} or {a} != {a}) else {b})"


def minimum(a, b):
    return f"({a} if ({a} <= {b} or {a} != {a}) else {b})"


def _extreme(pick):
    def rule(args, dtypes, out):
        if out.kind not in "fiu":
            return None
        return pick(*(cast(x, t, out) for x, t in zip(args, dtypes)))
    return rule


def _logical(symbol):
    def rule(args, dtypes, out):
        a, b = (cast(x, t, np.bool_) for x, t in zip(args, dtypes))
        return f"({a} {symbol} {b})"
    return rule


RULES = {
    "add": _arith("+"), "sub": _arith("-"), "mul": _arith("*"), "div": _div,
    "neg": _neg, "relu": _relu, "sigmoid": _sigmoid, "sign": _sign, "where": _where,
    "cast": _cast,
    "lerp": _lerp, "pow": _pow,
    "lt": _compare("<"), "le": _compare("<="), "gt": _compare(">"), "ge": _compare(">="),
    "eq": _compare("=="), "ne": _compare("!="),
    "logical_and": _logical("and"), "logical_or": _logical("or"),
    "logical_not": lambda a, t, out: f"(not {cast(a[0], t[0], np.bool_)})",
    "maximum": _extreme(maximum), "minimum": _extreme(minimum),
    "abs": _ufunc("abs", "fi"),
    "isnan": lambda a, t, out: f"np.isnan({a[0]})" if t[0].kind == "f" else None,
    "isfinite": lambda a, t, out: f"np.isfinite({a[0]})" if t[0].kind == "f" else None,
}
for _name in ("exp", "log", "tanh", "sqrt", "sin", "cos", "tan", "log1p", "expm1", "exp2",
              "log2", "log10", "floor", "ceil", "trunc", "sinh", "cosh", "arctan", "erf"):
    RULES[_name] = _ufunc(_name)
RULES["atan"] = RULES.pop("arctan")


def scalar_expr(node, args):
    """The expression computing `node` from operand expressions `args`, or None."""
    name = node.op.name
    dtypes = [np.dtype(v.dtype) for v in node.inputs]
    out = np.dtype(node.out.dtype)
    if name == "pow_scalar":
        return _pow_scalar(args, dtypes, out, node.attrs["exponent"])
    rule = RULES.get(name)
    if rule is None or (node.attrs and name != "cast"):
        return None
    return rule(args, dtypes, out)
