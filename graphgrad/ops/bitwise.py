"""Bitwise ops on integer and bool tensors (`bitwise_and`, `bitwise_or`, `bitwise_xor`,
`bitwise_not`, shifts) and `logical_xor`, plus the operators `& | ^ ~ << >>` with their
reflected and in-place forms. On bool tensors `&`, `|`, `^`, `~` are the logical ops, as in
torch. Shifts by a negative amount or by the bit width or more give 0 (or -1 for a negative
number shifted right), as in torch."""
import numpy as np

from graphgrad.errors import DTypeError
from graphgrad.dispatch import bind
from graphgrad.ops._core import broadcast_infer, defop, describe, operands
from graphgrad.ops.elementwise import LOGICAL_AND, LOGICAL_NOT, LOGICAL_OR, _bool_infer, truth
from graphgrad.tensor import Tensor


def _integer_infer(name):
    base = broadcast_infer(name)

    def infer(*xs):
        if any(x.dtype.kind not in "iu" for x in xs):
            what = "integer" if "shift" in name else "integer or bool"
            raise DTypeError(f"{name}: expects {what} tensors, got "
                            f"{', '.join(describe(x) for x in xs)}")
        return base(*xs)
    return infer


def _binary(name, ufunc):
    return defop(name, _integer_infer(name), ufunc, elementwise=True)


# integer kernels; bool operands go to the logical primitives instead
BITWISE_AND = _binary("bitwise_and", np.bitwise_and)
BITWISE_OR = _binary("bitwise_or", np.bitwise_or)
BITWISE_XOR = _binary("bitwise_xor", np.bitwise_xor)
BITWISE_LEFT_SHIFT = _binary("bitwise_left_shift", np.left_shift)
BITWISE_RIGHT_SHIFT = _binary("bitwise_right_shift", np.right_shift)
BITWISE_NOT = defop("bitwise_not", _integer_infer("bitwise_not"), np.invert, elementwise=True)
LOGICAL_XOR = defop("logical_xor", _bool_infer("logical_xor"), np.logical_xor, elementwise=True)


def _on_bools(logical_op, bitwise_op, *xs):
    """On bool tensors the bitwise ops are the logical ones (and are recorded as such)."""
    return bind(logical_op if xs[0].dtype == np.bool_ else bitwise_op, *xs)


def bitwise_and(input, other):
    return _on_bools(LOGICAL_AND, BITWISE_AND, *operands(input, other))


def bitwise_or(input, other):
    return _on_bools(LOGICAL_OR, BITWISE_OR, *operands(input, other))


def bitwise_xor(input, other):
    return _on_bools(LOGICAL_XOR, BITWISE_XOR, *operands(input, other))


def bitwise_not(input):
    return _on_bools(LOGICAL_NOT, BITWISE_NOT, input)


def bitwise_left_shift(input, other):
    return bind(BITWISE_LEFT_SHIFT, *operands(input, other))


def bitwise_right_shift(input, other):
    return bind(BITWISE_RIGHT_SHIFT, *operands(input, other))


def logical_xor(input, other):
    return bind(LOGICAL_XOR, truth(input), truth(other))


_OPERATORS = {"and": bitwise_and, "or": bitwise_or, "xor": bitwise_xor,
              "lshift": bitwise_left_shift, "rshift": bitwise_right_shift}


def _operator(fn):
    return lambda self, other: fn(self, other)


def _reflected(fn):
    return lambda self, other: fn(other, self)


def _in_place(fn, name):
    return lambda self, other: self._inplace(lambda s: fn(s, other), name)


def _attach_methods():
    for name, fn in _OPERATORS.items():
        setattr(Tensor, f"__{name}__", _operator(fn))
        setattr(Tensor, f"__r{name}__", _reflected(fn))
        setattr(Tensor, f"__i{name}__", _in_place(fn, f"__i{name}__"))
    Tensor.__invert__ = bitwise_not
    for fn in (bitwise_and, bitwise_or, bitwise_xor, bitwise_not, bitwise_left_shift,
               bitwise_right_shift, logical_xor):
        setattr(Tensor, fn.__name__, fn)


_attach_methods()
