"""Torch-oracle rows for reductions and scans: integer extremes (min/argmin/amin/cummin of the
most negative int32, uint8 zeros), torch's keyword aliases (axis=, keepdims=, dim lists and
tuples, named-tuple results), cumsum/cumprod/cummax/cummin/logcumsumexp, prod, std_mean,
var_mean, nansum, nanmean, count_nonzero and aminmax, with zero-size and keepdim variants."""
import warnings

import numpy as np
from torch_oracle import TorchCase

RNG = np.random.default_rng(20250301)
NAN = float("nan")


def u(*shape, lo=-2.0, hi=2.0):
    return RNG.uniform(lo, hi, shape)


def distinct(*shape):
    """Values at least 0.1 apart: no ties, so every gradient is smooth."""
    n = int(np.prod(shape))
    return (RNG.permutation(n) * 0.3 - n * 0.15 + RNG.uniform(0, 0.05, n)).reshape(shape)


def ints(dtype, *shape, lo=-50, hi=50):
    return RNG.integers(lo, hi, shape).astype(dtype)


def with_zeros(*shape, count=2):
    x = u(*shape)
    flat = x.reshape(-1)
    flat[RNG.choice(flat.size, count, replace=False)] = 0.0
    return x


def int_extremes(dtype):
    """A (3, 4) array holding the smallest and largest values of `dtype` (and a zero)."""
    info = np.iinfo(dtype)
    x = RNG.integers(max(info.min, -100), min(info.max, 100), (3, 4)).astype(dtype)
    x[0, 1], x[1, 3], x[2, 0], x[2, 2] = info.min, info.max, 0, info.min
    return x


def quietly(fn, *args, **kwargs):
    """`fn(*args)` without warnings (torch warns about the variance of an empty slice)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


INT_DTYPES = (np.int64, np.int32, np.int16, np.int8, np.uint8)
NONE = (None,)          # integer-only rows: no float dtype to cast to

# -- integer extremes: min/argmin and friends without negation tricks ---------------------------

EXTREMES = []
for _dt in INT_DTYPES:
    _name, _x = np.dtype(_dt).name, int_extremes(_dt)
    EXTREMES += [
        TorchCase(f"min-{_name}", lambda m, x: m.min(x), (_x,), dtypes=NONE),
        TorchCase(f"max-{_name}", lambda m, x: x.max(), (_x,), dtypes=NONE),
        TorchCase(f"argmin-{_name}", lambda m, x: m.argmin(x), (_x,), dtypes=NONE),
        TorchCase(f"argmax-dim-{_name}", lambda m, x: x.argmax(1), (_x,), dtypes=NONE),
        TorchCase(f"min-dim-{_name}", lambda m, x: tuple(m.min(x, 1)), (_x,), dtypes=NONE),
        TorchCase(f"max-dim-{_name}", lambda m, x: tuple(x.max(0, keepdim=True)), (_x,),
                  dtypes=NONE),
        TorchCase(f"amin-{_name}", lambda m, x: m.amin(x, (0, 1)), (_x,), dtypes=NONE),
        TorchCase(f"amin-dim-{_name}", lambda m, x: x.amin(0), (_x,), dtypes=NONE),
        TorchCase(f"aminmax-{_name}", lambda m, x: tuple(m.aminmax(x, dim=1)), (_x,),
                  dtypes=NONE),
        TorchCase(f"cummin-{_name}", lambda m, x: tuple(m.cummin(x, 1)), (_x,), dtypes=NONE),
        TorchCase(f"cummax-{_name}", lambda m, x: tuple(x.cummax(0)), (_x,), dtypes=NONE),
        TorchCase(f"sum-{_name}", lambda m, x: x.sum(1), (_x,), dtypes=NONE),
        TorchCase(f"cumsum-{_name}", lambda m, x: m.cumsum(x, 1), (_x,), dtypes=NONE),
        TorchCase(f"prod-{_name}", lambda m, x: m.prod(x, 0), (_x,), dtypes=NONE),
        TorchCase(f"cumprod-{_name}", lambda m, x: x.cumprod(1), (_x,), dtypes=NONE),
        TorchCase(f"count_nonzero-{_name}", lambda m, x: m.count_nonzero(x, 0), (_x,),
                  dtypes=NONE),
        TorchCase(f"any-all-{_name}", lambda m, x: (m.any(x, 1), x.all(0)), (_x,),
                  dtypes=NONE),
    ]

FLOAT_EXTREMES = [
    TorchCase("min-float-inf", lambda m, x: (m.min(x), m.argmin(x), x.amin(1)),
              (np.array([[1.0, -np.inf, 3.0], [np.inf, 0.0, -1.0]]),), gradcheck=False),
    TorchCase("min-max-nan", lambda m, x: (m.min(x, 1).values, m.argmin(x, 1), x.amax(1),
                                           x.argmax(1)),
              (np.array([[1.0, NAN, 3.0], [2.0, 0.0, -1.0]]),), gradcheck=False),
    TorchCase("max-bool", lambda m, b: (m.max(b), b.amin(0), *b.max(1)),
              (np.array([[True, False], [True, True]]),), dtypes=NONE),
]

# -- keyword aliases and dim forms --------------------------------------------------------------

X = distinct(2, 3, 4)
B = RNG.random((2, 3, 4)) < 0.5
ALIASES = [
    TorchCase("sum-axis-keepdims", lambda m, x: m.sum(x, axis=1, keepdims=True), (X,)),
    TorchCase("sum-axis-list", lambda m, x: x.sum(axis=[0, 2]), (X,)),
    TorchCase("sum-dim-list-keepdim", lambda m, x: m.sum(x, [0, 2], keepdim=True), (X,)),
    TorchCase("sum-dtype", lambda m, x: x.sum(1, dtype=m.float64), (X,)),
    TorchCase("mean-axis-tuple", lambda m, x: m.mean(x, axis=(0, 2), keepdims=True), (X,)),
    TorchCase("mean-dim-list", lambda m, x: x.mean([0, 1]), (X,)),
    TorchCase("mean-int-dtype", lambda m, x: x.mean(1, dtype=m.float64),
              (ints(np.int64, 3, 4),), dtypes=NONE),
    TorchCase("max-axis", lambda m, x: tuple(x.max(axis=1)), (X,)),
    TorchCase("max-named-tuple", lambda m, x: (x.max(1).values, x.max(dim=1).indices), (X,)),
    TorchCase("min-axis-keepdims", lambda m, x: tuple(m.min(x, axis=0, keepdims=True)), (X,)),
    TorchCase("min-named-tuple", lambda m, x: (m.min(x, -1).indices, m.min(x, -1).values),
              (X,)),
    TorchCase("amax-axis-tuple-keepdims", lambda m, x: m.amax(x, axis=(0, 1), keepdims=True),
              (X,)),
    TorchCase("amin-axis-list", lambda m, x: x.amin(axis=[0, 2]), (X,)),
    TorchCase("argmax-axis-keepdims", lambda m, x: m.argmax(x, axis=1, keepdims=True), (X,),
              grad=()),
    TorchCase("argmin-axis", lambda m, x: x.argmin(axis=-1), (X,), grad=()),
    TorchCase("all-axis-tuple-keepdims", lambda m, b: b.all(axis=(0, 1), keepdims=True), (B,),
              dtypes=NONE),
    TorchCase("any-axis", lambda m, b: m.any(b, axis=1), (B,), dtypes=NONE),
    TorchCase("all-any-uint8", lambda m, x: (x.all(1), m.any(x, 0)),
              (ints(np.uint8, 3, 4, lo=0, hi=3),), dtypes=NONE),
    TorchCase("std-axis-keepdims", lambda m, x: m.std(x, axis=1, keepdims=True), (X,)),
    TorchCase("std-dim-list", lambda m, x: x.std([0, 1]), (X,)),
    TorchCase("var-axis-correction", lambda m, x: x.var(axis=0, correction=0), (X,)),
    TorchCase("var-unbiased-positional", lambda m, x: (m.var(x, False), x.std(1, True, True)),
              (X,)),
    TorchCase("logsumexp-axis-keepdims", lambda m, x: m.logsumexp(x, axis=1, keepdims=True),
              (X,)),
    TorchCase("logsumexp-dim-list", lambda m, x: x.logsumexp([0, 1]), (X,)),
    TorchCase("logsumexp-int", lambda m, x: m.logsumexp(x, 1), (ints(np.int64, 3, 4),),
              dtypes=NONE),
    TorchCase("prod-axis-keepdims", lambda m, x: x.prod(axis=1, keepdims=True), (X,)),
    TorchCase("nansum-axis-keepdims", lambda m, x: m.nansum(x, axis=(0, 1), keepdims=True),
              (X,)),
    TorchCase("nanmean-axis", lambda m, x: x.nanmean(axis=1, keepdims=True), (X,)),
    TorchCase("cumsum-axis", lambda m, x: x.cumsum(axis=1), (X,)),
    TorchCase("cummax-axis", lambda m, x: tuple(m.cummax(x, axis=2)), (X,)),
    TorchCase("count_nonzero-axis", lambda m, x: m.count_nonzero(x, axis=1),
              (with_zeros(3, 4, count=4),), grad=()),
    TorchCase("aminmax-axis-keepdims", lambda m, x: tuple(m.aminmax(x, axis=1, keepdims=True)),
              (X,)),
    TorchCase("std_mean-axis", lambda m, x: m.std_mean(x, axis=1, keepdims=True), (X,)),
    TorchCase("var_mean-axis-tuple", lambda m, x: m.var_mean(x, axis=(0, 2)), (X,)),
]

# -- scans --------------------------------------------------------------------------------------

SCANS = [
    TorchCase("cumsum", lambda m, x: m.cumsum(x, 1), (u(3, 5),)),
    TorchCase("cumsum-dim0-3d", lambda m, x: x.cumsum(0), (u(3, 2, 4),)),
    TorchCase("cumsum-negative-dim", lambda m, x: m.cumsum(x, -1), (u(2, 3, 4),)),
    TorchCase("cumsum-dtype", lambda m, x: m.cumsum(x, 1, dtype=m.float64), (u(3, 4),)),
    TorchCase("cumsum-0d", lambda m, x: m.cumsum(x, 0), (u(),)),
    TorchCase("cumsum-empty", lambda m, x: m.cumsum(x, 1), (u(0, 3),)),
    TorchCase("cumsum-empty-dim", lambda m, x: m.cumsum(x, 0), (u(0, 3),)),
    TorchCase("cumsum-bool", lambda m, b: m.cumsum(b, 1), (B,), dtypes=NONE),
    TorchCase("cumsum-inplace", lambda m, x: x.clone().cumsum_(1) * 1.0, (u(3, 4),)),
    TorchCase("cumsum-inplace-int32", lambda m, x: x.clone().cumsum_(0),
              (ints(np.int32, 3, 4),), dtypes=NONE),
    TorchCase("cumprod", lambda m, x: m.cumprod(x, 1), (u(3, 5, lo=0.5, hi=1.5),)),
    TorchCase("cumprod-negative", lambda m, x: x.cumprod(-1), (u(2, 3, 4),)),
    TorchCase("cumprod-one-zero", lambda m, x: m.cumprod(x, 1),
              (np.array([[1.5, 0.0, 2.0, -1.0], [0.5, 2.0, 0.0, 3.0], [0.0, 1.2, 2.0, -0.5]]),)),
    TorchCase("cumprod-two-zeros", lambda m, x: m.cumprod(x, 1),
              (np.array([[1.5, 0.0, 2.0, 0.0, 3.0], [0.0, 0.0, 2.0, 1.0, -1.0]]),)),
    TorchCase("cumprod-zeros-dim0", lambda m, x: m.cumprod(x, 0), (with_zeros(4, 3, count=3),)),
    TorchCase("cumprod-dtype", lambda m, x: m.cumprod(x, 0, dtype=m.float64), (u(3, 2),)),
    TorchCase("cumprod-0d", lambda m, x: x.cumprod(0), (u(),)),
    TorchCase("cumprod-empty", lambda m, x: m.cumprod(x, 0), (u(0, 3),)),
    TorchCase("cumprod-inplace", lambda m, x: x.clone().cumprod_(0) * 1.0, (u(3, 2),)),
    TorchCase("logcumsumexp", lambda m, x: m.logcumsumexp(x, 1), (u(3, 5),)),
    TorchCase("logcumsumexp-dim0", lambda m, x: x.logcumsumexp(0), (u(4, 3, 2),)),
    TorchCase("logcumsumexp-wide-range", lambda m, x: m.logcumsumexp(x, -1),
              (np.array([[-1000.0, 0.0, -500.0, 1000.0], [5.0, -3.0, 80.0, 79.0]]),)),
    TorchCase("logcumsumexp-0d", lambda m, x: m.logcumsumexp(x, 0), (u(),)),
    TorchCase("logcumsumexp-empty", lambda m, x: m.logcumsumexp(x, 1), (u(2, 0),)),
    TorchCase("cummax", lambda m, x: tuple(m.cummax(x, 1)), (distinct(3, 5),)),
    TorchCase("cummax-dim0", lambda m, x: tuple(x.cummax(0)), (distinct(4, 3),)),
    TorchCase("cummax-ties", lambda m, x: tuple(m.cummax(x, 1)),
              (np.array([[2.0, 2.0, 1.0, 3.0, 3.0], [1.0, 1.0, 1.0, 0.0, 1.0]]),),
              gradcheck=False),
    TorchCase("cummax-nan", lambda m, x: tuple(m.cummax(x, 1)),
              (np.array([[1.0, NAN, 2.0, NAN, 0.5], [NAN, 1.0, 3.0, 2.0, 5.0]]),),
              gradcheck=False),
    TorchCase("cummin", lambda m, x: tuple(m.cummin(x, -1)), (distinct(3, 5),)),
    TorchCase("cummin-ties", lambda m, x: tuple(x.cummin(1)),
              (np.array([[2.0, 2.0, 3.0, 1.0, 1.0], [0.0, 1.0, 0.0, 0.0, -1.0]]),),
              gradcheck=False),
    TorchCase("cummin-nan", lambda m, x: tuple(m.cummin(x, 1)),
              (np.array([[1.0, NAN, 0.0, NAN], [3.0, 2.0, NAN, 5.0]]),), gradcheck=False),
    TorchCase("cummax-0d", lambda m, x: tuple(m.cummax(x, 0)), (u(),)),
    TorchCase("cummin-empty", lambda m, x: tuple(m.cummin(x, 1)), (u(0, 4),)),
    TorchCase("cummax-bool", lambda m, b: tuple(m.cummax(b, 1)), (B[0],), dtypes=NONE),
]

# -- prod, statistics ---------------------------------------------------------------------------

STATS = [
    TorchCase("prod", lambda m, x: m.prod(x), (u(3, 4, lo=0.5, hi=1.5),)),
    TorchCase("prod-dim", lambda m, x: x.prod(1), (u(3, 4),)),
    TorchCase("prod-dim-keepdim", lambda m, x: m.prod(x, 0, keepdim=True), (u(3, 4),)),
    TorchCase("prod-one-zero", lambda m, x: m.prod(x, 1),
              (np.array([[2.0, 0.0, 3.0], [1.5, -2.0, 0.5], [0.0, 0.0, 1.0]]),)),
    TorchCase("prod-all-one-zero", lambda m, x: x.prod(), (np.array([[2.0, 0.0], [3.0, -1.0]]),)),
    TorchCase("prod-all-two-zeros", lambda m, x: x.prod(), (np.array([[0.0, 2.0], [0.0, 1.0]]),)),
    TorchCase("prod-dtype", lambda m, x: m.prod(x, dtype=m.float64), (u(2, 3),)),
    TorchCase("prod-int-dtype-float", lambda m, x: m.prod(x, 1, dtype=m.float32),
              (ints(np.int64, 3, 4, lo=-3, hi=4),), dtypes=NONE),
    TorchCase("prod-bool", lambda m, b: (m.prod(b), b.prod(1)), (B[0],), dtypes=NONE),
    TorchCase("prod-0d", lambda m, x: (m.prod(x), m.prod(x, 0)), (u(),)),
    TorchCase("prod-empty", lambda m, x: (m.prod(x), x.prod(0), x.prod(1)), (u(0, 3),)),
    TorchCase("std_mean", lambda m, x: m.std_mean(x), (u(3, 4),)),
    TorchCase("std_mean-dim-keepdim", lambda m, x: m.std_mean(x, 1, keepdim=True), (u(3, 4),)),
    TorchCase("std_mean-correction", lambda m, x: m.std_mean(x, (0, 2), correction=0),
              (u(2, 3, 4),)),
    TorchCase("std_mean-unbiased", lambda m, x: m.std_mean(x, 1, False, True), (u(3, 4),)),
    TorchCase("var_mean", lambda m, x: m.var_mean(x, 0), (u(3, 4),)),
    TorchCase("var_mean-unbiased-positional", lambda m, x: m.var_mean(x, False), (u(3, 4),)),
    TorchCase("var_mean-correction-2", lambda m, x: m.var_mean(x, -1, correction=2,
                                                               keepdim=True), (u(2, 3, 5),)),
    TorchCase("var_mean-empty", lambda m, x: quietly(m.var_mean, x, 1), (u(0, 3),)),
    TorchCase("nansum", lambda m, x: m.nansum(x),
              (np.array([[1.0, NAN, 3.0], [NAN, -2.0, 0.5]]),)),
    TorchCase("nansum-dim", lambda m, x: x.nansum(1, keepdim=True),
              (np.array([[1.0, NAN, 3.0], [NAN, NAN, NAN]]),)),
    TorchCase("nansum-int", lambda m, x: m.nansum(x, 0), (ints(np.int32, 3, 4),), dtypes=NONE),
    TorchCase("nansum-dtype", lambda m, x: m.nansum(x, dtype=m.float64), (u(3, 2),)),
    TorchCase("nanmean", lambda m, x: m.nanmean(x, 1),
              (np.array([[1.0, NAN, 3.0], [NAN, NAN, NAN], [0.5, -1.0, 2.0]]),),
              gradcheck=False),
    TorchCase("nanmean-all", lambda m, x: x.nanmean(),
              (np.array([[1.0, NAN, 3.0], [NAN, 2.0, 0.5]]),)),
    TorchCase("nanmean-empty", lambda m, x: m.nanmean(x, 0), (u(0, 3),)),
    TorchCase("count_nonzero", lambda m, x: m.count_nonzero(x), (with_zeros(3, 4, count=5),),
              grad=()),
    TorchCase("count_nonzero-dims", lambda m, x: x.count_nonzero((0, 2)),
              (with_zeros(2, 3, 4, count=9),), grad=()),
    TorchCase("count_nonzero-bool-nan", lambda m, x: m.count_nonzero(x, 1),
              (np.array([[0.0, NAN, 1.0], [-0.0, 0.0, 2.0]]),), grad=()),
    TorchCase("count_nonzero-empty", lambda m, x: (m.count_nonzero(x), m.count_nonzero(x, 1)),
              (u(0, 3),), grad=()),
    TorchCase("aminmax-empty-kept", lambda m, x: tuple(m.aminmax(x, dim=1)), (u(0, 3),)),
    TorchCase("aminmax", lambda m, x: tuple(m.aminmax(x)), (distinct(3, 4),)),
    TorchCase("aminmax-dim", lambda m, x: tuple(x.aminmax(dim=0)), (distinct(3, 4),)),
    TorchCase("aminmax-keepdim", lambda m, x: tuple(m.aminmax(x, keepdim=True)),
              (distinct(3, 4),)),
    TorchCase("aminmax-ties", lambda m, x: tuple(m.aminmax(x, dim=1)),
              (np.array([[3.0, 3.0, 1.0], [2.0, 5.0, 5.0]]),), gradcheck=False),
    TorchCase("amin-ties", lambda m, x: (m.amin(x, 1), x.min()),
              (np.array([[3.0, 1.0, 1.0], [2.0, 2.0, 5.0]]),), gradcheck=False),
    # edge cases where torch's gradient rules differ from the plain chain rule
    TorchCase("max-dim-ties-gradient-to-index", lambda m, x: (x.max(1).values, m.min(x, 0)[0]),
              (np.array([[3.0, 3.0, 1.0], [2.0, 1.0, 2.0]]),), gradcheck=False),
    TorchCase("std-constant-slice", lambda m, x: (m.std(x, 1), x.std(0, keepdim=True)),
              (np.array([[1.5, 1.5, 1.5], [0.5, -1.0, 2.0], [2.0, 2.0, 2.0]]),),
              gradcheck=False),
    TorchCase("var-no-degrees-of-freedom", lambda m, x: quietly(m.var, x, correction=2),
              (np.array([1.0, 2.0]),), gradcheck=False),
    TorchCase("var-dim-no-degrees-of-freedom",
              lambda m, x: quietly(m.var, x, 1, correction=3), (u(2, 2),), gradcheck=False),
    TorchCase("std_mean-no-degrees-of-freedom",
              lambda m, x: quietly(m.std_mean, x, 0), (np.array([[1.0, 2.0]]),),
              gradcheck=False),
    TorchCase("cumprod-size-1-dim-inf-nan", lambda m, x: m.cumprod(x, 0),
              (np.array([[np.inf, NAN, -np.inf, 0.5]]),), gradcheck=False),
    TorchCase("amin-empty-kept", lambda m, x: m.amin(x, 1), (u(0, 3),)),
    TorchCase("logsumexp-empty-dim", lambda m, x: m.logsumexp(x, 0), (u(0, 3),)),
    TorchCase("sum-keepdim-empty", lambda m, x: (x.sum(0, keepdim=True), m.mean(x, 1)),
              (u(0, 3),)),
]

CASES = EXTREMES + FLOAT_EXTREMES + ALIASES + SCANS + STATS
