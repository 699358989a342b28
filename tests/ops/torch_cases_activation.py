"""Torch-oracle rows for the activation functions of torch.nn.functional: values and gradients
on random inputs (with float64 finite differences), at their breakpoints, at +-inf and NaN
(every one of these rows compares gradients too), with their arguments, `inplace=True` on a
computed tensor, and in float16.

Edge rows hold 64 values: torch's CPU kernels run a vectorized loop over blocks of elements
and a scalar loop over the remainder, and for some activations the two disagree on the
gradient at NaN (hardtanh gives 0 or the gradient, elu NaN or the gradient). graphgrad follows
the vectorized loop, which computes all elements of a tensor of 64."""
import numpy as np
from torch_oracle import F32, F64, TorchCase

RNG = np.random.default_rng(53)
F16 = np.dtype(np.float16)
ALL_FLOATS = (F16, F32, F64)
INF, NAN = np.inf, np.nan

EDGES = np.array([-INF, -30.0, -6.0, -3.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 3.0, 6.0, 30.0,
                  INF, NAN])


def u(*shape, lo=-4.0, hi=4.0):
    return RNG.uniform(lo, hi, shape)


def away_from(points, *shape, gap=0.05):
    """Random values at least `gap` from every breakpoint in `points`."""
    x = u(*shape)
    for p in points:
        x = np.where(np.abs(x - p) < gap, p + gap * 2, x)
    return x


def _f(name, **kwargs):
    return lambda m, x: getattr(m.nn.functional, name)(x, **kwargs)


def _inplace(name, **kwargs):
    """F.name(y, inplace=True) on a computed y (a leaf that requires grad cannot be updated)."""
    def fn(m, x):
        y = x * 1.0
        out = getattr(m.nn.functional, name)(y, inplace=True, **kwargs)
        return out, y
    return fn


# name -> (kwargs, breakpoints, takes inplace=)
ACTIVATIONS = {
    "relu": ({}, (0.0,), True), "relu6": ({}, (0.0, 6.0), True),
    "hardtanh": ({}, (-1.0, 1.0), True), "hardtanh-bounds": ({"min_val": -2.0, "max_val": 0.5},
                                                             (-2.0, 0.5), True),
    "hardsigmoid": ({}, (-3.0, 3.0), True), "hardswish": ({}, (-3.0, 3.0), True),
    "elu": ({}, (0.0,), True), "elu-alpha": ({"alpha": 0.5}, (0.0,), True),
    "celu": ({}, (0.0,), True), "celu-alpha": ({"alpha": 2.0}, (0.0,), True),
    "selu": ({}, (0.0,), True), "leaky_relu": ({}, (0.0,), True),
    "leaky_relu-slope": ({"negative_slope": 0.2}, (0.0,), True),
    "silu": ({}, (), True), "mish": ({}, (), True), "softsign": ({}, (0.0,), False),
    "tanhshrink": ({}, (), False), "logsigmoid": ({}, (0.0,), False),
    "softshrink": ({}, (-0.5, 0.5), False), "softshrink-lambd": ({"lambd": 1.0}, (-1.0, 1.0),
                                                                 False),
    "hardshrink": ({}, (-0.5, 0.5), False), "hardshrink-lambd": ({"lambd": 1.5}, (-1.5, 1.5),
                                                                 False),
    "threshold": ({"threshold": 0.5, "value": -2.0}, (0.5,), True),
    "rrelu": ({}, (0.0,), True), "gelu": ({}, (), False),
    "gelu-tanh": ({"approximate": "tanh"}, (), False), "softplus": ({}, (), False),
    "softplus-beta": ({"beta": 2.0, "threshold": 5.0}, (2.5,), False),
    "sigmoid": ({}, (), False), "tanh": ({}, (), False),
}

CASES = []
for key, (kwargs, breaks, inplace) in ACTIVATIONS.items():
    name = key.split("-")[0]
    fn = _f(name, **kwargs)
    CASES.append(TorchCase(f"F.{key}", fn, (away_from(breaks, 3, 5),), dtypes=ALL_FLOATS))
    edges = np.concatenate([EDGES, np.array(breaks)])
    if name == "gelu":
        # torch's vectorized float32 erf makes gelu(+inf) NaN (its float64 and scalar loops
        # give inf, as graphgrad does)
        edges = edges[edges != INF]
    edges = np.resize(edges, 64)
    CASES.append(TorchCase(f"F.{key}-edges", fn, (edges,), gradcheck=False))
    if inplace:
        CASES.append(TorchCase(f"F.{key}-inplace", _inplace(name, **kwargs),
                               (away_from(breaks, 3, 5),), gradcheck=False))
    if name in ("relu", "relu6", "hardtanh", "threshold"):
        CASES.append(TorchCase(f"F.{key}-int", fn, (RNG.integers(-8, 9, (3, 4)),),
                               dtypes=(None,)))

CASES += [
    TorchCase("F.glu", lambda m, x: m.nn.functional.glu(x), (u(3, 4),), dtypes=ALL_FLOATS),
    TorchCase("F.glu-dim", lambda m, x: m.nn.functional.glu(x, dim=0), (u(4, 3),)),
    TorchCase("F.glu-edges", lambda m, x: m.nn.functional.glu(x, 1), (EDGES[:14].reshape(7, 2),),
              gradcheck=False),
    TorchCase("F.prelu", lambda m, x, w: m.nn.functional.prelu(x, w), (u(2, 3, 4), u(3)),
              dtypes=ALL_FLOATS),
    TorchCase("F.prelu-shared-weight", lambda m, x, w: m.nn.functional.prelu(x, w),
              (u(2, 3), u(1))),
    TorchCase("F.prelu-edges", lambda m, x, w: m.nn.functional.prelu(x, w),
              (EDGES.reshape(1, 15, 1), u(15)), gradcheck=False),
    TorchCase("F.prelu-1d", lambda m, x, w: m.nn.functional.prelu(x, w), (u(5), u(1))),
    TorchCase("F.softmin", lambda m, x: m.nn.functional.softmin(x, dim=1), (u(3, 5),),
              dtypes=ALL_FLOATS),
    TorchCase("F.softmin-dtype", lambda m, x: m.nn.functional.softmin(x, 0, dtype=m.float64),
              (u(3, 5),), dtypes=(F32,)),
    TorchCase("F.rrelu-eval-bounds", lambda m, x: m.nn.functional.rrelu(x, 0.1, 0.3),
              (away_from((0.0,), 3, 4),)),
    TorchCase("F.relu_", lambda m, x: m.nn.functional.relu_(x * 1.0), (u(3, 4),)),
    TorchCase("F.elu_", lambda m, x: m.nn.functional.elu_(x * 1.0, 0.3), (u(3, 4),)),
    TorchCase("F.leaky_relu_", lambda m, x: m.nn.functional.leaky_relu_(x * 1.0, 0.3),
              (u(3, 4),)),
    TorchCase("F.hardtanh_", lambda m, x: m.nn.functional.hardtanh_(x * 1.0, -0.5, 0.5),
              (away_from((-0.5, 0.5), 3, 4),)),
    TorchCase("F.threshold_", lambda m, x: m.nn.functional.threshold_(x * 1.0, 0.1, 20.0),
              (away_from((0.1,), 3, 4),)),
    TorchCase("selu_", lambda m, x: m.selu_(x * 1.0), (u(3, 4),)),
    TorchCase("celu_", lambda m, x: m.celu_(x * 1.0, 1.5), (u(3, 4),)),
    TorchCase("rrelu_-eval", lambda m, x: m.rrelu_(x * 1.0), (away_from((0.0,), 3, 4),)),
    TorchCase("hardshrink-method", lambda m, x: x.hardshrink(0.25),
              (away_from((-0.25, 0.25), 3, 4),)),
    TorchCase("prelu-top-level", lambda m, x, w: m.prelu(x, w), (u(2, 3), u(3))),
]
