"""Torch-oracle rows for indexing: `x[...]` and `x[...] = v` with ints, slices, None,
Ellipsis, integer-array and bool-mask indices (gg.getitem / gg.setitem are the functional
forms), and masked_fill."""
import numpy as np
from oracle_rows import ONLY64, bools, case, ints, is_torch, u

# Left out for now: index tensors separated by a slice (x[i, :, j]).

_I = np.array([2, 0, 2, -1])                 # repeated and negative indices
_J = np.array([[0, 1], [2, 2]])
_MASK = np.array([[True, False, True, False], [False, False, True, True],
                  [True, True, False, False]])


def _getitem(m, x, index):
    return x[index] if is_torch(m) else m.getitem(x, index)


CASES = [
    # ints and slices
    case("getitem-int", lambda m, x: (x[1], x[-1], x[0, 2], x[2][-3], x[-1, -1]), (u(3, 4),)),
    case("getitem-slices", lambda m, x: (x[1:], x[:, ::2], x[1:3, -2:], x[:-1, 1::3], x[::2]),
         (u(3, 4),)),
    case("getitem-slice-empty", lambda m, x: (x[:, 1:1], x[5:], x[2:1], x[:, -1:0]),
         (u(3, 4),), dtypes=ONLY64),
    case("getitem-slice-clamped", lambda m, x: (x[-10:], x[1:100], x[:, -100:2]), (u(3, 4),)),
    case("getitem-int-slice", lambda m, x: (x[1, 1:], x[:, 0], x[0, ::2]), (u(3, 4, 2),)),
    # None and Ellipsis
    case("getitem-none", lambda m, x: (x[None], x[:, None], x[None, 1, None], x[..., None]),
         (u(3, 4),)),
    case("getitem-ellipsis", lambda m, x: (x[..., 1], x[..., 1:], x[1, ...], x[1, ..., 0],
                                           x[...]), (u(2, 3, 4),)),
    case("getitem-0d", lambda m, x: (x[None], x[...], x[None, ..., None]), (u(),),
         dtypes=ONLY64),
    case("getitem-empty", lambda m, x: (x[:, 1], x[1:], x[..., None]), (u(0, 3),),
         dtypes=ONLY64),
    # integer arrays (the gradient accumulates over repeated indices)
    case("getitem-int-array", lambda m, x, i: (x[i], x[:, i], x[..., i]), (u(3, 4), _I[:3])),
    case("getitem-int-list", lambda m, x: (x[[0, 2]], x[[1, 1, 0]], x[:, [3, 0]]), (u(3, 4),)),
    case("getitem-int-array-2d", lambda m, x, j: (x[j], x[1:, j]), (u(3, 4), _J)),
    case("getitem-int-arrays-adjacent", lambda m, x, i, j: (x[i, j], x[1:, i, j]),
         (u(3, 3, 4), np.array([0, 2, 1]), np.array([2, 2, 0]))),
    case("getitem-int-arrays-broadcast", lambda m, x, i, j: x[i, j],
         (u(3, 4), np.array([[0], [2]]), np.array([1, 3, 3]))),
    case("getitem-int-array-0d", lambda m, x, i: (x[i], x[:, i]), (u(3, 4), np.array(1))),
    case("getitem-int-array-empty", lambda m, x, i: (x[i], x[:, i]),
         (u(3, 4), np.zeros(0, np.int64))),
    case("getitem-int-array-none", lambda m, x, i: (x[None, i], x[i, None]), (u(3, 4), _I[:2])),
    case("getitem-int-array-int32", lambda m, x, i: x[i], (u(3, 4), _I.astype(np.int32))),
    # bool masks: data-dependent shapes, so eager only
    case("getitem-mask", lambda m, x, k: x[k], (u(3, 4), _MASK), compiled=False),
    case("getitem-mask-rows", lambda m, x, k: (x[k], x[:, k[:3]]),
         (u(3, 3), np.array([True, False, True, True])[:3]), compiled=False),
    case("getitem-mask-all-false", lambda m, x, k: x[k], (u(3, 4), np.zeros((3, 4), bool)),
         compiled=False),
    # integer, bool and 0-d tensors being indexed; the functional form
    case("getitem-int-tensor-mixed", lambda m, x, i: (x[1], x[:, 1:], x[i], x[None]),
         (ints(3, 4), _I)),
    case("getitem-of-bool-tensor", lambda m, x: (x[1], x[:, ::2]), (bools(3, 4),)),
    case("getitem", lambda m, x, i: (_getitem(m, x, (1, slice(None, None, 2))),
                                     _getitem(m, x, i), _getitem(m, x, (None, Ellipsis, 0))),
         (u(3, 4), _I)),
]


def _setter(index):
    """`x[index] = v` on a copy of x, returned (gradients flow to x and v)."""
    def fn(m, x, v):
        y = x.clone()
        y[index] = v
        return y
    return fn


def _set_scalar(index, value):
    def fn(m, x):
        y = x.clone()
        y[index] = value
        return y
    return fn


def _setitem(m, x, index, v):
    if not is_torch(m):
        return m.setitem(x, index, v)
    y = x.clone()
    y[index] = v
    return y


CASES += [
    case("setitem-int-row", _setter(1), (u(3, 4), u(4))),
    case("setitem-int-pair", _setter((1, -1)), (u(3, 4), u())),
    case("setitem-slice", _setter((slice(1, None), slice(None, None, 2))), (u(3, 4), u(2, 2))),
    case("setitem-slice-broadcast", _setter((slice(None), slice(1, 3))), (u(3, 4), u(2))),
    case("setitem-ellipsis", _setter((Ellipsis, 0)), (u(2, 3, 4), u(3))),
    case("setitem-none", _setter((None, 1)), (u(3, 4), u(1, 4))),
    case("setitem-int-array", _setter(np.array([2, 0])), (u(3, 4), u(2, 4))),
    case("setitem-int-array-col", _setter((slice(None), np.array([3, 1]))), (u(3, 4), u(3, 1))),
    case("setitem-int-arrays", _setter((np.array([0, 2]), np.array([1, 3]))), (u(3, 4), u(2))),
    case("setitem-empty", _setter(slice(1, 1)), (u(3, 4), u(4)), dtypes=ONLY64),
    case("setitem-0d", _setter(Ellipsis), (u(), u()), dtypes=ONLY64),
    case("setitem-scalar", _set_scalar((slice(None), 0), 2.5), (u(3, 4),)),
    case("setitem-scalar-int", _set_scalar((0, slice(1, None)), 7), (u(3, 4),)),
    case("setitem-int-tensor", _setter((slice(None), 1)), (ints(3, 4), ints(3))),
    case("setitem-int-tensor-float-value", _set_scalar(0, 2.7), (ints(3, 4),)),
    case("setitem-bool-tensor", _setter(np.array([0, 2])), (bools(3, 4), bools(4))),
    # bool masks: eager only
    case("setitem-mask-scalar-value", lambda m, x, k: _set_scalar(k, -1.0)(m, x), (u(3, 4), _MASK),
         compiled=False),
    case("setitem-mask-value", _setter(_MASK), (u(3, 4), u(6)), compiled=False),
    case("setitem-mask-rows", _setter(np.array([True, False, True])), (u(3, 4), u(4)),
         compiled=False),
    case("setitem", lambda m, x, v: (_setitem(m, x, (0, slice(1, 3)), v),
                                     _setitem(m, x, (Ellipsis, 1), 0.5)), (u(3, 4), u(2))),
]

# -- masked_fill --------------------------------------------------------------------------------


def _masked_fill_F(m, x, mask, value):
    """F.masked_fill (graphgrad's) is torch's Tensor.masked_fill."""
    return x.masked_fill(mask, value) if is_torch(m) else \
        m.nn.functional.masked_fill(x, mask, value)


CASES += [
    case("masked_fill", lambda m, x, k: (m.masked_fill(x, k, -2.0), m.masked_fill(x, k, 3)),
         (u(3, 4), bools(3, 4))),
    case("masked_fill-method", lambda m, x, k: x.masked_fill(k, 0.5), (u(3, 4), bools(4))),
    case("masked_fill-F", lambda m, x, k: _masked_fill_F(m, x, k, -1.0), (u(3, 4), bools(3, 1))),
    case("masked_fill-tensor-value", lambda m, x, k, v: m.masked_fill(x, k, v),
         (u(3, 4), bools(3, 4), u())),
    case("masked_fill-inf", lambda m, x, k: m.softmax(m.masked_fill(x, k, float("-inf")), 1),
         (u(3, 4), np.array([False, True, False, True]))),
    case("masked_fill-0d", lambda m, x, k: m.masked_fill(x, k, 1.0), (u(), bools()),
         dtypes=ONLY64),
    case("masked_fill-empty", lambda m, x, k: m.masked_fill(x, k, 1.0), (u(0, 3), bools(3)),
         dtypes=ONLY64),
    case("masked_fill-int-tensor", lambda m, x, k: (m.masked_fill(x, k, 9), x.masked_fill(k, True)),
         (ints(3, 4), bools(4))),
    case("masked_fill-bool", lambda m, x, k: m.masked_fill(x, k, True), (bools(3, 4), bools(4))),
]

# Rows where graphgrad does not match torch yet, left out of the table: move them into CASES
# once it does. A 0-d bool mask adds a dim holding x (True) or nothing (False).
LEFT_OUT = [
    case("getitem-mask-0d", lambda m, x: (x[m.tensor(True)], x[m.tensor(False)]), (u(3),),
         compiled=False),
]
