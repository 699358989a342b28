"""Torch-oracle rows for the factories (tensor, as_tensor, from_numpy, full, zeros, ones, empty,
*_like, eye, arange, linspace, new_*) and the dtype conversions (float, long, to, type_as, ...):
shapes, dtypes and values, eager and compiled. Random factories are not compared here."""
import numpy as np
from oracle_rows import ONLY64, bools, case, ints, is_torch, u

# Left out for now: linspace with integer dtypes.

CASES = [
    # tensor / as_tensor / from_numpy: Python floats -> float32, ints -> int64, arrays keep dtype
    case("tensor", lambda m: (m.tensor([[1.0, 2.0], [3.0, 4.0]]), m.tensor([1, 2, 3]),
                              m.tensor([True, False]), m.tensor([1, 2.5]), m.tensor(3.5),
                              m.tensor(7), m.tensor(False)), ()),
    case("tensor-dtype", lambda m: (m.tensor([1, 2], dtype=m.float64),
                                    m.tensor([1.7, -2.7], dtype=m.int64),
                                    m.tensor([0.0, 2.0], dtype=m.bool),
                                    m.tensor(3, dtype=m.float32)), ()),
    case("tensor-empty", lambda m: (m.tensor([]), m.tensor([[]]), m.tensor([], dtype=m.int64)),
         ()),
    case("tensor-numpy", lambda m: (m.tensor(np.arange(6.0).reshape(2, 3)),
                                    m.tensor(np.arange(3, dtype=np.int32)),
                                    m.tensor(np.float32(1.5)), m.tensor(np.array([True]))), ()),
    case("as_tensor", lambda m, x: (m.as_tensor([1, 2]), m.as_tensor([1.5]), m.as_tensor(x) * 2,
                                    m.as_tensor(x, dtype=m.float64)), (u(2, 3),)),
    case("from_numpy", lambda m: (m.from_numpy(np.arange(6.0).reshape(2, 3)),
                                  m.from_numpy(np.arange(4, dtype=np.float32)),
                                  m.from_numpy(np.array([1, 2], np.int32)),
                                  m.from_numpy(np.array([[True], [False]])),
                                  m.from_numpy(np.zeros((0, 2)))), ()),
    # full / zeros / ones / empty: sizes as varargs, tuples or lists
    case("full", lambda m: (m.full((2, 3), 1.5), m.full((2,), 4), m.full([1, 2], True),
                            m.full((2, 2), 3, dtype=m.float64), m.full((), -1.0),
                            m.full((0, 3), 2.0), m.full((2,), 2.7, dtype=m.int64)), ()),
    case("zeros", lambda m: (m.zeros(2, 3), m.zeros((2, 3)), m.zeros([4]),
                             m.zeros(2, dtype=m.int64), m.zeros((3,), dtype=m.bool),
                             m.zeros(()), m.zeros(0, 2), m.zeros(2, dtype=m.float64)), ()),
    case("ones", lambda m: (m.ones(2, 3), m.ones((2, 3)), m.ones([4]),
                            m.ones(2, dtype=m.int64), m.ones((3,), dtype=m.bool),
                            m.ones(()), m.ones(0, 2), m.ones(2, dtype=m.float64)), ()),
    # empty: uninitialized in torch, so only shapes and dtypes (after filling) are compared
    case("empty", lambda m: (m.empty(2, 3).zero_(), m.empty((2,), dtype=m.int64).fill_(3),
                             m.empty(0, 2).zero_(), m.empty(()).fill_(1.0)), ()),
    case("zeros_like", lambda m, x, i: (m.zeros_like(x), m.zeros_like(i),
                                        m.zeros_like(x, dtype=m.int64)),
         (u(2, 3), ints(3)), grad=()),
    case("ones_like", lambda m, x, i: (m.ones_like(x), m.ones_like(i),
                                       m.ones_like(x, dtype=m.bool)),
         (u(2, 3), ints(3)), grad=()),
    case("full_like", lambda m, x, i: (m.full_like(x, 2.5), m.full_like(i, 2.7),
                                       m.full_like(x, 3, dtype=m.float64), m.full_like(i, True)),
         (u(2, 3), ints(3)), grad=()),
    case("empty_like", lambda m, x, i: (m.empty_like(x).zero_(), m.empty_like(i).fill_(2),
                                        m.empty_like(x, dtype=m.int64).zero_()),
         (u(2, 3), ints(3)), grad=()),
    case("factories-like-0d-empty", lambda m, x, e: (m.zeros_like(x), m.ones_like(e),
                                                     m.full_like(e, 1.5)), (u(), u(0, 3)),
         grad=(), dtypes=ONLY64),
    case("eye", lambda m: (m.eye(3), m.eye(2, 4), m.eye(4, 2), m.eye(3, dtype=m.int64),
                           m.eye(2, dtype=m.bool), m.eye(0), m.eye(2, dtype=m.float64)), ()),
    case("arange", lambda m: (m.arange(5), m.arange(1, 4), m.arange(0, 1, 0.25), m.arange(5.0),
                              m.arange(10, 0, -3), m.arange(3, dtype=m.float64),
                              m.arange(0), m.arange(1, 2.5, 0.5), m.arange(-2.5, 2.5),
                              m.arange(4, dtype=m.int32)), ()),
    case("linspace", lambda m: (m.linspace(0, 1, 5), m.linspace(-1.0, 1.0, 1),
                                m.linspace(0, 1, 0), m.linspace(2, -2, 4, dtype=m.float64),
                                m.linspace(0.5, 0.5, 3)), ()),
    # new_* take the dtype of the tensor they are called on
    case("new_zeros", lambda m, x, i: (x.new_zeros(2, 3), x.new_zeros((2,)), i.new_zeros(3)),
         (u(2), ints(2)), grad=()),
    case("new_ones", lambda m, x, i: (x.new_ones(2, 3), x.new_ones((2,)), i.new_ones(3)),
         (u(2), ints(2)), grad=()),
    case("new_full", lambda m, x, i: (x.new_full((2, 3), 1.5), i.new_full((2,), 7)),
         (u(2), ints(2)), grad=()),
    case("new_tensor", lambda m, x, i: (x.new_tensor([1, 2]), i.new_tensor([1.5, -2.5]),
                                        x.new_tensor(3.0)), (u(2), ints(2)), grad=()),
]

# -- dtype conversions --------------------------------------------------------------------------


def _astype(m, x, dtype):
    """graphgrad's Tensor.astype is torch's Tensor.to."""
    return x.to(dtype) if is_torch(m) else x.astype(dtype)


_MIXED = np.array([-2.7, -0.5, 0.0, 0.5, 2.7])
CASES += [
    # float32 results: no float64 finite differences
    case("float-double", lambda m, x: (x.float(), x.double(), x.float() * x), (u(2, 3),),
         gradcheck=False),
    case("long-int-bool", lambda m, x: (x.long(), x.int(), x.bool()), (_MIXED,), grad=()),
    case("conversions-int", lambda m, x: (x.float(), x.double(), x.long(), x.int(), x.bool()),
         (ints(2, 3),)),
    case("conversions-bool", lambda m, x: (x.float(), x.long(), x.int(), x.bool()),
         (bools(2, 3),)),
    case("to", lambda m, x: (x.to(m.float64), x.to(m.float32), x.to(m.int64) * 1), (u(2, 3),),
         gradcheck=False),
    case("type", lambda m, x: (x.type(m.float64), x.type(m.int32)), (u(2, 3),)),
    case("astype", lambda m, x: (_astype(m, x, m.float64), _astype(m, x, m.int64)), (u(2, 3),)),
    case("type_as", lambda m, x, y, i: (x.type_as(y), x.type_as(i), i.type_as(x)),
         (u(2, 3), u(2).astype(np.float32), ints(2))),
    case("data", lambda m, x: x.data * x, (u(2, 3),), gradcheck=False),
    case("conversions-0d-empty", lambda m, x, e: (x.double(), x.long(), e.float(), e.bool()),
         (u(), u(0, 2)), dtypes=ONLY64),
]

# -- metadata and Python numbers (gathered into tensors, which the table compares) -------------

CASES += [
    case("metadata", lambda m, x: m.tensor([x.size(1), x.size(-1), x.dim(), x.ndim, x.numel(),
                                            len(x), *x.size(), *x.shape, *x.T.shape]),
         (u(2, 3),), grad=()),
    # item/tolist read values, which a compiled function cannot do
    case("item-tolist", lambda m, x: (m.tensor([x[0, 1].item(), float(x[1, 0]), int(x[0, 0]),
                                                bool(x[0, 0] > 0)]), m.tensor(x.tolist())),
         (u(2, 3),), grad=(), compiled=False),
]
