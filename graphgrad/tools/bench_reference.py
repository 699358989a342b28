"""Hand-written NumPy training steps for the benchmark's MLP workloads: the practical floor for a
NumPy runtime (same math as graphgrad's step: ReLU MLP, mean softmax cross-entropy, SGD with
momentum), plus the GEMM-only floor (the step's matrix products alone)."""
import numpy as np


class NumpyMLP:
    """A ReLU MLP trained with SGD + momentum, written directly with NumPy, no allocation of
    activations or gradients after the first step (out= everywhere, like a careful human)."""

    def __init__(self, weights, biases, lr=0.01, momentum=0.9):
        self.w = [np.array(w, np.float32) for w in weights]        # (out, in), as nn.Linear
        self.b = [np.array(b, np.float32) for b in biases]
        self.vw = [np.zeros_like(w) for w in self.w]
        self.vb = [np.zeros_like(b) for b in self.b]
        self.lr = np.float32(lr)
        self.momentum = np.float32(momentum)
        self._buffers = None

    def _allocate(self, batch):
        acts = [np.empty((batch, w.shape[0]), np.float32) for w in self.w]
        grads_in = [np.empty((batch, w.shape[1]), np.float32) for w in self.w]
        self.gw = [np.empty_like(w) for w in self.w]
        self.gb = [np.empty_like(b) for b in self.b]
        self._buffers = (batch, acts, grads_in)

    def step(self, x, y):
        if self._buffers is None or self._buffers[0] != len(x):
            self._allocate(len(x))
        _, acts, grads_in = self._buffers
        n_layers = len(self.w)
        h = x
        for i in range(n_layers):
            z = acts[i]
            np.matmul(h, self.w[i].T, out=z)
            z += self.b[i]
            if i < n_layers - 1:
                np.maximum(z, 0, out=z)
            h = z
        logits = acts[-1]
        shifted = logits - logits.max(1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(1, keepdims=True)
        rows = np.arange(len(y))
        loss = float(np.log(total[:, 0]).mean() - shifted[rows, y].mean())
        g = exp
        g /= total
        g[rows, y] -= 1.0
        g *= np.float32(1.0 / len(y))
        for i in range(n_layers - 1, -1, -1):
            prev = acts[i - 1] if i > 0 else x
            np.matmul(g.T, prev, out=self.gw[i])
            np.sum(g, axis=0, out=self.gb[i])
            if i > 0:
                gin = grads_in[i]
                np.matmul(g, self.w[i], out=gin)
                gin *= prev > 0
                g = gin
        for p, v, gp in zip(self.w + self.b, self.vw + self.vb, self.gw + self.gb):
            v *= self.momentum
            v += gp
            p -= self.lr * v
        return loss


class GemmOnly:
    """Just the matrix products of one MLP training step, into preallocated arrays."""

    def __init__(self, sizes, batch):
        rng = np.random.default_rng(0)
        self.w = [rng.standard_normal((b, a)).astype(np.float32)
                  for a, b in zip(sizes[:-1], sizes[1:])]
        self.acts = [np.empty((batch, w.shape[0]), np.float32) for w in self.w]
        self.gin = [np.empty((batch, w.shape[1]), np.float32) for w in self.w]
        self.gw = [np.empty_like(w) for w in self.w]
        self.g = rng.standard_normal((batch, sizes[-1])).astype(np.float32)

    def step(self, x, y):
        h = x
        for w, z in zip(self.w, self.acts):
            np.matmul(h, w.T, out=z)
            h = z
        g = self.g
        for i in range(len(self.w) - 1, -1, -1):
            prev = self.acts[i - 1] if i > 0 else x
            np.matmul(g.T, prev, out=self.gw[i])
            if i > 0:
                np.matmul(g, self.w[i], out=self.gin[i])
                g = self.gin[i]
        return 0.0
