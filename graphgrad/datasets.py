"""Small generated datasets (no downloads): XOR and interleaved spirals."""
import numpy as np

from graphgrad.tensor import Tensor


def xor():
    """The four XOR points: x (4, 2) float32 in {0, 1}, y (4,) int64."""
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    return Tensor(x), Tensor(y)


def spiral(n=100, classes=3, noise=0.2, seed=0):
    """`classes` interleaved spiral arms of `n` points each (the CS231n toy problem).

    Returns x (n*classes, 2) float32 and y (n*classes,) int64, shuffled with `seed`.
    """
    if n <= 0 or classes <= 0:
        raise ValueError(f"spiral: n and classes must be positive, got {n}, {classes}")
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for k in range(classes):
        r = np.linspace(0.0, 1.0, n)
        t = np.linspace(k * 4.0, (k + 1) * 4.0, n) + rng.standard_normal(n) * noise
        xs.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        ys.append(np.full(n, k))
    x = np.concatenate(xs).astype(np.float32)
    y = np.concatenate(ys).astype(np.int64)
    order = rng.permutation(len(y))
    return Tensor(x[order]), Tensor(y[order])
