"""Torch-oracle rows for the core elementwise, reduction and movement ops."""
import numpy as np
from torch_oracle import TorchCase

RNG = np.random.default_rng(7)


def u(*shape, lo=-2.0, hi=2.0):
    return RNG.uniform(lo, hi, shape)


CASES = [
    TorchCase("add-broadcast", lambda m, a, b: m.add(a, b), (u(3, 4), u(4))),
    TorchCase("mul-empty", lambda m, a, b: a * b, (u(0, 4), u(0, 4))),
    TorchCase("tanh", lambda m, x: m.tanh(x), (u(2, 3),)),
    TorchCase("sum-dim", lambda m, x: x.sum(1, keepdim=True), (u(3, 4, 2),)),
    TorchCase("matmul-batched", lambda m, a, b: a @ b, (u(2, 3, 4), u(4, 5))),
    TorchCase("softmax", lambda m, x: m.nn.functional.softmax(x, dim=-1), (u(3, 5),)),
    TorchCase("argmax", lambda m, x: x.argmax(1), (u(3, 5),), grad=()),
    TorchCase("getitem-slice", lambda m, x: x[1:, ::2], (u(4, 6),)),
]
