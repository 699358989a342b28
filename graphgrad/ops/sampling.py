"""Random sampling from given probabilities and distributions: the multinomial primitive,
bernoulli and normal, and the in-place fills uniform_, normal_, bernoulli_.

Like gg.rand, they draw from graphgrad's generator (gg.manual_seed reproduces them) and are
random graph nodes inside compiled functions, drawing new numbers at every call. Samples carry
no gradient.
"""
import numpy as np

from graphgrad import rng
from graphgrad.dispatch import bind
from graphgrad.errors import DTypeError, ShapeError
from graphgrad.ir.types import TensorType
from graphgrad.ops._core import as_tensor, defop, describe
from graphgrad.tensor import Tensor


def _multinomial_infer(probs, *, num_samples, replacement):
    if probs.dtype.kind != "f":
        raise DTypeError(f"multinomial: expects floating-point probabilities, got "
                        f"{describe(probs)}")
    if len(probs.shape) not in (1, 2):
        raise ShapeError(f"multinomial: probabilities must be 1-D or 2-D, got {describe(probs)}")
    n = probs.shape[-1]
    if num_samples <= 0:
        raise ValueError(f"multinomial: cannot sample {num_samples} <= 0 samples")
    if n == 0:
        raise ShapeError(f"multinomial: no categories to sample from in {describe(probs)}")
    if not replacement and num_samples > n:
        raise ValueError(f"multinomial: cannot sample {num_samples} > {n} categories without "
                         f"replacement")
    return TensorType(tuple(probs.shape[:-1]) + (num_samples,), np.dtype(np.int64))


def _multinomial_impl(probs, *, num_samples, replacement):
    p = probs.reshape(-1, probs.shape[-1]).astype(np.float64)
    if not np.isfinite(p).all() or (p < 0).any():
        raise RuntimeError("multinomial: the probabilities contain inf, nan or an element < 0")
    if (p.sum(1) <= 0).any():
        raise RuntimeError("multinomial: invalid distribution (sum of probabilities <= 0)")
    gen = rng.generator()
    rows, n = p.shape
    if replacement:
        cdf = np.cumsum(p, 1)
        cdf /= cdf[:, -1:]
        offset = np.arange(rows)[:, None]
        u = gen.random((rows, num_samples))
        # one search over all rows: row r's cdf is shifted into [r, r + 1]
        found = np.searchsorted((cdf + offset).ravel(), (u + offset).ravel(), side="right")
        out = np.minimum(found.reshape(rows, num_samples) - offset * n, n - 1)
    else:
        if ((p > 0).sum(1) < num_samples).any():
            raise RuntimeError("multinomial: invalid distribution (with replacement=False, "
                               f"fewer than {num_samples} categories have a nonzero probability)")
        # exponential races: the k earliest arrivals are a sample without replacement
        with np.errstate(divide="ignore"):
            keys = gen.standard_exponential((rows, n)) / p
        out = np.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    return out.astype(np.int64).reshape(tuple(probs.shape[:-1]) + (num_samples,))


MULTINOMIAL = defop("multinomial", _multinomial_infer, _multinomial_impl, random=True)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Category indices drawn with probabilities proportional to the rows of `input` (1-D or
    2-D); without replacement, each category at most once per row."""
    return bind(MULTINOMIAL, as_tensor(input), num_samples=int(num_samples),
                replacement=bool(replacement))


def bernoulli(input, p=None, *, generator=None):
    """1 with probability `input` (or `p`), else 0, in input's dtype."""
    from graphgrad.ops.creation import rand
    from graphgrad.ops.elementwise import cast
    input = as_tensor(input)
    if input.dtype.kind != "f":
        raise DTypeError(f"bernoulli: expects floating-point probabilities, got "
                        f"{describe(input)}")
    probs = input.detach() if p is None else p
    return cast(rand(input.shape, dtype=input.dtype) < probs, input.dtype)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, requires_grad=False):
    """Normal samples: elementwise for tensor `mean` / `std` (broadcast together), or a tensor
    of `size` for numbers."""
    from graphgrad.ops.creation import randn
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        if size is not None:
            raise TypeError("normal: size is only for a number mean and std")
        mean_t = mean if isinstance(mean, Tensor) else None
        std_t = std if isinstance(std, Tensor) else None
        like = mean_t if mean_t is not None else std_t
        shape = np.broadcast_shapes(*(t.shape for t in (mean_t, std_t) if t is not None))
        out = (mean + std * randn(shape, dtype=like.dtype)).detach()
        return out
    if size is None:
        raise DTypeError("normal: give a size for a number mean and std")
    out = randn(size, dtype=dtype) * float(std) + float(mean)
    return out.requires_grad_(True) if requires_grad else out


def _uniform_(self, a=0.0, b=1.0, *, generator=None):
    from graphgrad.ops.creation import rand
    return self._inplace(lambda s: rand(s.shape, dtype=s.dtype) * (b - a) + a, "uniform_")


def _normal_(self, mean=0.0, std=1.0, *, generator=None):
    from graphgrad.ops.creation import randn
    return self._inplace(lambda s: randn(s.shape, dtype=s.dtype) * std + mean, "normal_")


def _bernoulli_(self, p=0.5, *, generator=None):
    from graphgrad.ops.creation import rand
    from graphgrad.ops.elementwise import cast
    like = self.dtype if self.dtype.kind == "f" else np.dtype(np.float32)
    return self._inplace(lambda s: cast(rand(s.shape, dtype=like) < p, s.dtype), "bernoulli_")


def _attach_methods():
    Tensor.multinomial = multinomial
    Tensor.bernoulli = bernoulli
    Tensor.uniform_ = _uniform_
    Tensor.normal_ = _normal_
    Tensor.bernoulli_ = _bernoulli_


_attach_methods()
