"""Counting and statistics: isin, bincount, histc, cov, corrcoef, quantile and nanquantile,
as compositions of primitives (quantile's gradient flows through sort and gather)."""
import warnings

import numpy as np

from graphgrad.errors import ShapeError
from graphgrad.ir.types import normalize_dim
from graphgrad.ops._core import as_tensor, const, describe, float_operand
from graphgrad.ops.creation import arange, zeros
from graphgrad.ops.elementwise import where
from graphgrad.ops.indexing import index_add
from graphgrad.ops.scatter import gather
from graphgrad.ops.movement import reshape
from graphgrad.ops.rounding import floor, round as round_
from graphgrad.ops.sorting import sort
from graphgrad.ops.statistics import isnan
from graphgrad.tensor import Tensor


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element of `elements` occurs in `test_elements` (either may be a number)."""
    e = as_tensor(elements)
    t = reshape(as_tensor(test_elements), (-1,))
    if t.shape[0]:
        hit = (reshape(e, e.shape + (1,)) == t).any(-1)
    else:
        hit = zeros(*e.shape, dtype=np.bool_)
    return ~hit if invert else hit


def bincount(input, weights=None, minlength=0):
    """Counts (or summed weights) of each non-negative integer of a 1-D tensor. Eager only:
    the result's length depends on the largest value."""
    x = as_tensor(input)
    if x.ndim != 1 or x.dtype.kind not in "iu":
        raise ShapeError(f"bincount: expects a 1-D tensor of non-negative integers, got "
                         f"{describe(x)}")
    data = x._concrete("bincount (its length depends on the largest value)")
    if data.size and data.min() < 0:
        raise ValueError("bincount: input must contain only non-negative integers")
    length = max(int(data.max()) + 1 if data.size else 0, minlength)
    if weights is None:
        return const(np.bincount(data, minlength=length), np.int64)
    w = as_tensor(weights)
    if w.shape != x.shape:
        raise ShapeError(f"bincount: weights {describe(w)} must have the shape of the input "
                         f"{describe(x)}")
    if w.dtype.kind != "f":
        w = w.astype(np.float64)
    return index_add(zeros(length, dtype=w.dtype), 0, x, w)


def histc(input, bins=100, min=0, max=0):
    """Counts in `bins` equal bins over [min, max] (the data's range when min == max); values
    outside are ignored, max falls in the last bin. Not differentiable, as in torch."""
    x = as_tensor(input)
    if x.dtype.kind != "f":
        raise TypeError(f"histc: not implemented for {describe(x)}; use a floating-point tensor")
    if bins <= 0:
        raise ValueError(f"histc: bins must be > 0, got {bins}")
    if min > max:
        raise ValueError(f"histc: max must be larger than min, got min={min}, max={max}")
    flat = reshape(x.detach(), (-1,))
    if min == max and flat.shape[0]:
        lo, hi = flat.min(), flat.max()
    else:
        lo, hi = const(float(min), x.dtype), const(float(max), x.dtype)
    same = lo == hi
    lo, hi = where(same, lo - 1, lo), where(same, hi + 1, hi)
    pos = floor((flat - lo) * bins / (hi - lo)).astype(np.int64)
    pos = where(pos == bins, bins - 1, pos)
    inside = (flat >= lo) & (flat <= hi)
    match = (reshape(pos, (-1, 1)) == arange(bins)) & reshape(inside, (-1, 1))
    return match.astype(x.dtype).sum(0)


def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the variables in the rows of a 2-D input (observations in columns), with
    optional integer frequency and float observation weights (torch's formula)."""
    x = float_operand(input)
    if x.ndim > 2:
        raise ShapeError(f"cov: expected input to have two or fewer dimensions, got {describe(x)}")
    x = reshape(x, (1, -1)) if x.ndim < 2 else x
    n = x.shape[1]
    w = None
    if fweights is not None:
        w = as_tensor(fweights)
    if aweights is not None:
        aw = as_tensor(aweights)
        w = aw if w is None else w * aw
    if w is not None:
        w = w.astype(x.dtype)
        if w.shape != (n,):
            raise ShapeError(f"cov: weights {describe(w)} must be 1-D with {n} observations")
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
        if correction == 0:
            norm = w_sum
        elif aweights is not None:
            norm = w_sum - correction * (w * as_tensor(aweights).astype(x.dtype)).sum() / w_sum
        else:
            norm = w_sum - correction
    else:
        avg = x.mean(1) if n else x.sum(1) / 0.0
        norm = const(float(n - correction), x.dtype)
    if w is None and n - correction <= 0:
        warnings.warn("cov: degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=2)
    norm = where(norm < 0, 0.0, norm)
    centered = x - reshape(avg, (-1, 1))
    other = centered if w is None else centered * w
    c = (centered @ other.T) / norm
    return c.squeeze()


def corrcoef(input):
    """Pearson correlation coefficients of the rows, clipped to [-1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = c.diagonal()
    std = d ** 0.5
    c = c / reshape(std, (-1, 1))
    c = c / reshape(std, (1, -1))
    return c.clamp(-1.0, 1.0)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(name, input, q, dim, keepdim, interpolation, ignore_nan):
    x = as_tensor(input)
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: input tensor must be either float or double dtype, got "
                        f"{describe(x)}")
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"{name}: interpolation must be one of {_INTERPOLATIONS}, got "
                         f"{interpolation!r}")
    scalar_q = not isinstance(q, Tensor) and np.ndim(q) == 0
    qt = as_tensor(q if isinstance(q, Tensor) else np.asarray(q, x.dtype)).astype(x.dtype)
    if qt.ndim > 1:
        raise ShapeError(f"{name}: q must be a scalar or 1D tensor, got {describe(qt)}")
    if not isinstance(q, Tensor):
        values = np.atleast_1d(np.asarray(q, np.float64))
        if ((values < 0) | (values > 1)).any():
            raise ValueError(f"{name}: q values must be in the range [0, 1], got {q}")
    scalar_q = scalar_q or qt.ndim == 0
    if dim is None:
        x, d = reshape(x, (-1,)), 0
    else:
        d = normalize_dim(name, dim, max(x.ndim, 1))
        x = reshape(x, (1,)) if x.ndim == 0 else x
    n = x.shape[d]
    if n == 0:
        raise ShapeError(f"{name}: input tensor cannot be empty along the reduced dim")
    values, _ = sort(x, d)
    values = values.movedim(d, -1)                    # (..., n), NaN last
    qs = reshape(qt, (-1,))                           # (k,)
    lead = values.shape[:-1]
    if ignore_nan:
        count = (~isnan(values)).sum(-1, keepdim=True).astype(x.dtype)    # (..., 1)
        rank = qs * (count - 1)                                            # (..., k)
        empty = count == 0
        rank = where(empty, 0.0, rank)
    else:
        rank = qs * (n - 1)
        rank = rank.expand(lead + (qs.shape[0],)) if lead else rank
    if interpolation == "lower":
        rank = floor(rank)
    elif interpolation == "higher":
        rank = -floor(-rank)
    elif interpolation == "nearest":
        rank = round_(rank)
    below = floor(rank)
    above = -floor(-rank)
    lo_idx = below.astype(np.int64).clamp(0, n - 1)
    hi_idx = above.astype(np.int64).clamp(0, n - 1)
    lo_val, hi_val = gather(values, -1, lo_idx), gather(values, -1, hi_idx)
    if interpolation == "midpoint":
        out = where(below == above, lo_val, lo_val + (hi_val - lo_val) * 0.5)
    else:
        weight = rank - below
        out = lo_val + weight * (hi_val - lo_val)
        out = where(weight == 0, lo_val, out)
    if ignore_nan:
        out = where(empty, float("nan"), out)
    else:
        last = values[..., n - 1:n]
        out = where(isnan(last), float("nan"), out)
    out = out.movedim(-1, 0)                          # (k, ...)
    if keepdim:
        if dim is None:
            out = reshape(out, (qs.shape[0],) + (1,) * max(input.ndim, 0))
        else:
            out = out.unsqueeze(d + 1)
    if scalar_q:
        out = out.squeeze(0)
    return out


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)

