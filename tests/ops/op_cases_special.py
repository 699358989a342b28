"""Op-table entries for the special-function primitives (lgamma, digamma, trigamma, erfinv)
against Python's math module and series. `test_ops.py` collects CASES."""
import math

import numpy as np
from helpers import OpCase as C

import graphgrad as gg

RNG = np.random.default_rng(20260312)
POSITIVE = RNG.uniform(0.3, 6.0, (3, 4))
MIXED = np.array([[-2.5, -0.7, 0.4, 1.3], [2.0, 3.7, 7.5, 12.0]])


def np_digamma(x, h=1e-5):
    """A central difference of math.lgamma (accurate to ~1e-9 away from poles)."""
    f = np.vectorize(math.lgamma)
    x = np.asarray(x, np.float64)
    return (f(x + h) - f(x - h)) / (2 * h)


def np_trigamma(x, terms=200000):
    """sum_k 1 / (x + k)^2, with the tail integral added."""
    k = np.arange(terms)
    return np.array([(1.0 / (v + k) ** 2).sum() + 1.0 / (v + terms) for v in x.ravel()]
                    ).reshape(x.shape)


def np_erfinv(y):
    """Bisection on math.erf."""
    lo, hi = np.full(y.shape, -6.0), np.full(y.shape, 6.0)
    erf = np.vectorize(math.erf)
    for _ in range(80):
        mid = (lo + hi) / 2
        below = erf(mid) < y
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return (lo + hi) / 2


CASES = [
    C("lgamma", "lgamma", gg.lgamma, [MIXED], np.vectorize(math.lgamma)),
    C("digamma", "digamma", gg.digamma, [MIXED], np_digamma, eps=1e-6),
    C("trigamma", "trigamma", lambda x: gg.polygamma(1, x), [POSITIVE], np_trigamma, grad=()),
    C("erfinv", "erfinv", gg.erfinv, [RNG.uniform(-0.95, 0.95, (3, 4))], np_erfinv),
]
