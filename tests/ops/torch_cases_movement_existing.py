"""Torch-oracle rows for shape and movement ops (gg.* and Tensor methods): reshape, view,
flatten, permute, transpose, squeeze, expand, cat, stack, split, chunk, T/mT."""
import numpy as np
from oracle_rows import ONLY64, bools, case, ints, is_torch, u


def _view(m, x, *shape):
    """gg.view(x, ...) is torch's x.view(...)."""
    return x.view(*shape) if is_torch(m) else m.view(x, *shape)


def _expand(m, x, *sizes):
    return x.expand(*sizes) if is_torch(m) else m.expand(x, *sizes)


def _expand_as(m, x, other):
    return x.expand_as(other) if is_torch(m) else m.expand_as(x, other)


CASES = [
    # reshape / view
    case("reshape", lambda m, x: (m.reshape(x, (4, 3)), m.reshape(x, (-1,)),
                                  m.reshape(x, (2, -1, 3))), (u(3, 4),)),
    case("reshape-method", lambda m, x: (x.reshape(4, 3), x.reshape((2, 6)), x.reshape(-1, 2)),
         (u(3, 4),)),
    case("reshape-0d", lambda m, x: (m.reshape(x, (1, 1)), x.reshape(-1), x.reshape(())),
         (u(),), dtypes=ONLY64),
    case("reshape-empty", lambda m, x: (m.reshape(x, (3, 0)), x.reshape(5, 0, 2)), (u(0, 3),),
         dtypes=ONLY64),
    case("reshape-int", lambda m, x: (m.reshape(x, (4, 3)), x.reshape(-1)), (ints(3, 4),)),
    case("reshape-bool", lambda m, x: x.reshape(2, 6), (bools(3, 4),)),
    case("view", lambda m, x: (_view(m, x, 4, 3), _view(m, x, -1)), (u(3, 4),)),
    case("view-method", lambda m, x: (x.view(2, 6), x.view((-1, 4))), (u(3, 4),)),
    case("view_as", lambda m, x, y: x.view_as(y), (u(3, 4), u(2, 6))),
    case("reshape_as", lambda m, x, y: x.reshape_as(y), (u(3, 4), u(6, 2))),
    # flatten
    case("flatten", lambda m, x: (m.flatten(x), m.flatten(x, 1), m.flatten(x, 0, 1),
                                  m.flatten(x, -2, -1)), (u(2, 3, 2),)),
    case("flatten-method", lambda m, x: (x.flatten(), x.flatten(1)), (u(2, 3, 2),)),
    case("flatten-0d", lambda m, x: m.flatten(x), (u(),), dtypes=ONLY64),
    case("flatten-empty", lambda m, x: (m.flatten(x), x.flatten(1)), (u(2, 0, 3),),
         dtypes=ONLY64),
    case("flatten-int", lambda m, x: m.flatten(x), (ints(2, 3),)),
    # permute, transpose, t, T, mT
    case("permute", lambda m, x: (m.permute(x, (2, 0, 1)), m.permute(x, (-1, 1, 0))),
         (u(2, 3, 4),)),
    case("permute-method", lambda m, x: (x.permute(1, 2, 0), x.permute((0, 2, 1))),
         (u(2, 3, 4),)),
    case("permute-empty", lambda m, x: x.permute(1, 0), (u(0, 3),), dtypes=ONLY64),
    case("permute-0d", lambda m, x: x.permute(()), (u(),), dtypes=ONLY64),
    case("transpose", lambda m, x: (m.transpose(x, 0, 2), m.transpose(x, -1, 1),
                                    m.transpose(x, 1, 1)), (u(2, 3, 4),)),
    case("transpose-method", lambda m, x: x.transpose(0, 1), (u(2, 3),)),
    case("transpose-int", lambda m, x: m.transpose(x, 0, 1), (ints(2, 3),)),
    case("t", lambda m, x, v: (m.t(x), m.t(v)), (u(2, 3), u(3))),
    case("t-method", lambda m, x: x.t(), (u(2, 3),)),
    case("t-0d", lambda m, x: m.t(x), (u(),), dtypes=ONLY64),
    case("T", lambda m, x, y: (x.T, y.T), (u(2, 3), u(3))),
    case("mT", lambda m, x: x.mT, (u(2, 3, 4),)),
    # squeeze, unsqueeze
    case("squeeze", lambda m, x: (m.squeeze(x), m.squeeze(x, 0), m.squeeze(x, 1),
                                  m.squeeze(x, -1), m.squeeze(x, (0, 3))), (u(1, 3, 1, 1),)),
    case("squeeze-method", lambda m, x: (x.squeeze(), x.squeeze(2)), (u(1, 3, 1),)),
    case("squeeze-0d", lambda m, x: (m.squeeze(x), m.squeeze(x, 0)), (u(),), dtypes=ONLY64),
    case("squeeze-empty", lambda m, x: (m.squeeze(x), m.squeeze(x, 0)), (u(0, 1, 3),),
         dtypes=ONLY64),
    case("unsqueeze", lambda m, x: (m.unsqueeze(x, 0), m.unsqueeze(x, 2), m.unsqueeze(x, -1),
                                    m.unsqueeze(x, -3)), (u(3, 4),)),
    case("unsqueeze-method", lambda m, x: x.unsqueeze(1), (u(3, 4),)),
    case("unsqueeze-0d", lambda m, x: (m.unsqueeze(x, 0), m.unsqueeze(x, -1)), (u(),),
         dtypes=ONLY64),
    case("unsqueeze-int", lambda m, x: m.unsqueeze(x, 1), (ints(3),)),
    # expand, expand_as, broadcast_to
    case("expand", lambda m, x: (_expand(m, x, 2, 3, 4), _expand(m, x, -1, 4),
                                 _expand(m, x, (2, 3, -1))), (u(3, 1),)),
    case("expand-method", lambda m, x: (x.expand(3, 4), x.expand((2, 3, 4))), (u(3, 1),)),
    case("expand-0d", lambda m, x: _expand(m, x, 2, 3), (u(),), dtypes=ONLY64),
    case("expand-empty", lambda m, x: (_expand(m, x, 0, 3), x.expand(2, 0, 3)), (u(1, 3),),
         dtypes=ONLY64),
    case("expand_as", lambda m, x, y: _expand_as(m, x, y), (u(3, 1), u(2, 3, 4))),
    case("expand_as-method", lambda m, x, y: x.expand_as(y), (u(4), u(3, 4))),
    case("broadcast_to", lambda m, x: (m.broadcast_to(x, (2, 3, 4)), m.broadcast_to(x, (3, 4))),
         (u(3, 1),)),
    case("broadcast_to-method", lambda m, x: x.broadcast_to((2, 4)), (u(4),)),
    case("broadcast_to-0d", lambda m, x: m.broadcast_to(x, (2, 2)), (u(),), dtypes=ONLY64),
    case("broadcast_to-int", lambda m, x: m.broadcast_to(x, (2, 3)), (ints(3),)),
]

# -- cat, stack, split, chunk -------------------------------------------------------------------

for _name in ("cat", "concat", "concatenate"):
    CASES += [
        case(_name, lambda m, a, b, _n=_name: (getattr(m, _n)([a, b]),
                                               getattr(m, _n)((a, b, a), dim=1),
                                               getattr(m, _n)([a, b], -1)), (u(2, 3), u(2, 3))),
    ]
CASES += [
    case("cat-uneven", lambda m, a, b: (m.cat([a, b], 1), m.cat([b.t(), a.t()])),
         (u(2, 3), u(2, 1))),
    case("cat-one", lambda m, a: m.cat([a]) * 2, (u(2, 3),)),
    case("cat-empty", lambda m, a, b: (m.cat([a, b]), m.cat([b, b], 1)), (u(0, 3), u(2, 3)),
         dtypes=ONLY64),
    case("cat-promote", lambda m, a, b, c: (m.cat([a, b]), m.cat([b, c])),
         (u(2, 3), ints(1, 3), bools(2, 3))),
    case("cat-int", lambda m, a, b: m.cat([a, b], 1), (ints(2, 3), ints(2, 2))),
    case("cat-int32-int64", lambda m, a, b: m.cat([a, b]), (ints(2, 3, dtype=np.int32),
                                                            ints(1, 3))),
    case("stack", lambda m, a, b: (m.stack([a, b]), m.stack((a, b, a), dim=1),
                                   m.stack([a, b], -1)), (u(2, 3), u(2, 3))),
    case("stack-0d", lambda m, a, b: m.stack([a, b, a]), (u(), u()), dtypes=ONLY64),
    case("stack-empty", lambda m, a, b: m.stack([a, b], 1), (u(0, 3), u(0, 3)), dtypes=ONLY64),
    case("stack-promote", lambda m, a, b: m.stack([a, b]), (u(3), ints(3))),
    case("stack-int", lambda m, a, b: m.stack([a, b]), (ints(2, 3), ints(2, 3))),
]

for _name in ("split", "chunk"):
    _arg = 2
    CASES += [
        case(_name, lambda m, x, _n=_name: (*getattr(m, _n)(x, 2), *getattr(m, _n)(x, 3, 1),
                                            *getattr(m, _n)(x, 2, dim=-1)), (u(5, 4),)),
        case(f"{_name}-method", lambda m, x, _n=_name: getattr(x, _n)(2, 1), (u(3, 5),)),
        case(f"{_name}-empty", lambda m, x, _n=_name: getattr(m, _n)(x, 2, 1), (u(0, 4),),
             dtypes=ONLY64),
        case(f"{_name}-int", lambda m, x, _n=_name: getattr(m, _n)(x, 2), (ints(5, 2),)),
    ]
CASES += [
    case("split-sections", lambda m, x: (*m.split(x, [1, 3, 0, 1]), *x.split((2, 2), 1)),
         (u(5, 4),)),
    case("split-larger", lambda m, x: m.split(x, 7), (u(5, 2),)),
    case("chunk-more-than-size", lambda m, x: (*m.chunk(x, 4), *m.chunk(x, 6, 1)), (u(3, 4),)),
    case("view-dtype", lambda m, x: (x.view(m.int32), x.view(m.uint8), x.view(m.float16),
                                     x.reshape(3, 4).view(m.float64)), (u(12),),
         dtypes=(np.dtype("float32"),), gradcheck=False),
    case("narrow", lambda m, x: (m.narrow(x, 0, 1, 3), x.narrow(1, -3, 2), x.narrow(-1, 4, 0)),
         (u(5, 4),)),
    # iterating over a tensor gives its rows; a one-element integer tensor is a Python index
    case("iter", lambda m, x: tuple(x), (u(3, 2),)),
    case("index", lambda m, i: m.tensor([[10, 20, 30][i], range(5)[i[0]]]), (np.array([2]),),
         compiled=False),
]
