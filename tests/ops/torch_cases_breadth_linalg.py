"""Torch-oracle rows for inverse and determinants (gg.inverse, det, logdet, slogdet and their
gg.linalg forms)."""
import numpy as np
from torch_oracle import TorchCase

RNG = np.random.default_rng(31)


def well(*batch, n=3):
    return np.eye(n) * 2.0 + RNG.uniform(-0.5, 0.5, batch + (n, n))


NEGATIVE = np.diag([2.0, -1.5, 1.0]) + RNG.uniform(-0.2, 0.2, (3, 3))

CASES = [
    TorchCase("inverse", lambda m, x: m.inverse(x), (well(),)),
    TorchCase("Tensor.inverse-batch", lambda m, x: x.inverse(), (well(2),)),
    TorchCase("linalg.inv", lambda m, x: m.linalg.inv(x), (well(2, 2),)),
    TorchCase("inverse-1x1", lambda m, x: m.inverse(x), (well(n=1),)),
    TorchCase("inverse-empty-batch", lambda m, x: m.inverse(x), (well(0),)),
    TorchCase("det", lambda m, x: m.det(x), (well(),)),
    TorchCase("Tensor.det-batch", lambda m, x: x.det(), (np.stack([well(), NEGATIVE]),)),
    TorchCase("linalg.det", lambda m, x: m.linalg.det(x), (well(2, n=4),)),
    TorchCase("det-empty-matrix", lambda m, x: m.det(x), (np.zeros((2, 0, 0)),)),
    TorchCase("logdet", lambda m, x: m.logdet(x), (well(2),)),
    TorchCase("Tensor.logdet-negative", lambda m, x: x.logdet(), (NEGATIVE,), grad=()),
    TorchCase("slogdet", lambda m, x: m.slogdet(x), (np.stack([well(), NEGATIVE]),)),
    TorchCase("Tensor.slogdet", lambda m, x: x.slogdet(), (well(),)),
    TorchCase("linalg.slogdet", lambda m, x: m.linalg.slogdet(x), (well(3),)),
]
