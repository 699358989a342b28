"""Torch-oracle rows for lgamma, digamma, polygamma (orders 0 and 1) and erfinv, including
poles, signed zeros, infinities and NaN."""
import numpy as np
from torch_oracle import F32, F64, TorchCase

RNG = np.random.default_rng(37)
MIXED = np.array([[-2.5, -0.7, 0.4, 1.3], [2.0, 3.7, 7.5, 12.0]])
SMALL = RNG.uniform(0.01, 2, (3, 4))
EDGES = np.array([0.0, -0.0, -1.0, -3.0, np.inf, -np.inf, np.nan, 1e-30, 1e5])

CASES = [
    TorchCase("lgamma", lambda m, x: m.lgamma(x), (MIXED,)),
    TorchCase("Tensor.lgamma-wide", lambda m, x: x.lgamma(), (RNG.uniform(0.01, 60, (3, 5)),)),
    TorchCase("lgamma-edges", lambda m, x: m.lgamma(x), (EDGES,), grad=()),
    TorchCase("lgamma-int", lambda m, x: m.lgamma(x), (np.arange(1, 7),)),
    # torch's trigamma (digamma's gradient) is accurate to ~5e-10 only: looser float64 rtol
    TorchCase("digamma", lambda m, x: m.digamma(x), (MIXED,), rtol=1e-8),
    TorchCase("Tensor.digamma-small", lambda m, x: x.digamma(), (SMALL,), dtypes=(F32,)),
    TorchCase("Tensor.digamma-small-f64", lambda m, x: x.digamma(), (SMALL,), dtypes=(F64,),
              rtol=1e-8),
    TorchCase("digamma-edges", lambda m, x: m.digamma(x), (EDGES,), grad=()),
    TorchCase("polygamma-0", lambda m, x: m.polygamma(0, x), (MIXED,), rtol=1e-8),
    TorchCase("polygamma-1", lambda m, x: m.polygamma(1, x), (MIXED,), grad=(), rtol=1e-8),
    TorchCase("Tensor.polygamma", lambda m, x: x.polygamma(1), (RNG.uniform(0.2, 9, (4,)),),
              grad=(), rtol=1e-8),
    TorchCase("erfinv", lambda m, x: m.erfinv(x), (RNG.uniform(-0.99, 0.99, (3, 4)),)),
    TorchCase("Tensor.erfinv-edges", lambda m, x: x.erfinv(),
              (np.array([1.0, -1.0, 1.5, 0.0, -0.0, np.nan, 0.999999]),), grad=()),
    TorchCase("erfinv-empty", lambda m, x: m.erfinv(x), (np.zeros((0, 2)),)),
]
