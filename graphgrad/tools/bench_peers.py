"""Optional peers of `python -m graphgrad bench`, each timed only when installed (never
dependencies): PyTorch eager and `torch.compile` on every workload, JAX `jit` and PyTensor on
the MLPs. Every peer starts from the weights of graphgrad's model for the workload and trains
the same batch with the same step: forward, mean cross-entropy, backward, SGD with momentum
(PyTorch's form: v = momentum * v + g; p -= lr * v). Every function takes the bench module
(`bench`: its workloads, models, data and learning rate) as its first argument."""
import importlib.util

import numpy as np


def installed(name):
    return importlib.util.find_spec(name) is not None


def _mlp_params(bench, workload, seed):
    """[(weight (out, in), bias)] of graphgrad's MLP for `workload`, as float32 arrays."""
    model = bench.build_model(workload, seed)
    return [(m.weight.numpy().copy(), m.bias.numpy().copy())
            for m in model.modules() if type(m).__name__ == "Linear"]


# -- PyTorch -----------------------------------------------------------------------------------

def torch_model(bench, workload, seed=0):
    """The torch.nn twin of graphgrad's model for `workload`, with the same weights."""
    import torch
    from torch import nn
    spec = bench.WORKLOADS[workload]
    gg_model = bench.build_model(workload, seed)
    if spec["kind"] == "mlp":
        layers = []
        for a, b in zip(spec["sizes"][:-1], spec["sizes"][1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        net = nn.Sequential(*layers[:-1])
    elif spec["kind"] == "cnn":
        net = _TorchCNN(1, spec["classes"], spec["image"], spec["channels"])
    else:
        net = _torch_transformer(spec, gg_model)
    state = {k: torch.from_numpy(np.array(v.numpy())) for k, v in gg_model.state_dict().items()}
    net.load_state_dict(state)
    return net


def _TorchCNN(in_channels, classes, image, channels):
    from torch import nn
    c1, c2 = channels

    class CNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(in_channels, c1, 3, padding=1, bias=False), nn.BatchNorm2d(c1),
                nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(c1, c2, 3, padding=1, bias=False), nn.BatchNorm2d(c2), nn.ReLU(),
                nn.MaxPool2d(2))
            self.head = nn.Sequential(nn.Flatten(), nn.Linear(c2 * (image // 4) ** 2, classes))

        def forward(self, x):
            return self.head(self.features(x))
    return CNN()


def _torch_transformer(spec, gg_model):
    import torch
    from torch import nn
    dim, heads, context = spec["dim"], spec["heads"], spec["context"]
    gelu = gg_model.blocks[0].mlp[1].approximate

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1 = nn.LayerNorm(dim)
            self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
            self.ln2 = nn.LayerNorm(dim)
            self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(approximate=gelu),
                                     nn.Linear(4 * dim, dim), nn.Dropout(0.0))

        def forward(self, x, mask):
            h = self.ln1(x)
            a, _ = self.attn(h, h, h, attn_mask=mask, need_weights=False)
            x = x + a
            return x + self.mlp(self.ln2(x))

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(spec["vocab"], dim)
            self.pos = nn.Embedding(context, dim)
            self.blocks = nn.ModuleList([Block() for _ in range(spec["layers"])])
            self.ln_f = nn.LayerNorm(dim)
            self.head = nn.Linear(dim, spec["vocab"])
            self.register_buffer("causal", torch.triu(torch.ones(context, context,
                                                                 dtype=torch.bool), 1),
                                 persistent=False)

        def forward(self, ids):
            n = ids.shape[1]
            x = self.tok(ids) + self.pos(torch.arange(n))
            mask = self.causal[:n, :n]
            for block in self.blocks:
                x = block(x, mask)
            return self.head(self.ln_f(x))
    return LM()


def make_torch_step(bench, workload, compiled, threads, seed=0):
    import torch
    torch.set_num_threads(threads)
    net = torch_model(bench, workload, seed)
    opt = torch.optim.SGD(net.parameters(), lr=bench.LR, momentum=bench.MOMENTUM)

    def step(x, y):
        opt.zero_grad()
        logits = net(x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                 y.reshape(-1))
        loss.backward()
        opt.step()
        return loss

    if compiled:
        torch._dynamo.reset()     # a fresh cache per workload: no recompile-limit fallbacks
        step = torch.compile(step)
    x, y = bench.make_data(workload, seed)
    return step, (torch.from_numpy(x), torch.from_numpy(y))


# -- JAX ---------------------------------------------------------------------------------------

def make_jax_step(bench, workload, seed=0):
    import jax
    import jax.numpy as jnp
    if bench.WORKLOADS[workload]["kind"] != "mlp":
        raise NotImplementedError("JAX is compared on the MLP workloads")
    params = [(jnp.asarray(w), jnp.asarray(b)) for w, b in _mlp_params(bench, workload, seed)]
    velocity = [(jnp.zeros_like(w), jnp.zeros_like(b)) for w, b in params]
    lr, momentum = bench.LR, bench.MOMENTUM

    def loss_fn(params, x, y):
        h = x
        for i, (w, b) in enumerate(params):
            h = h @ w.T + b
            if i < len(params) - 1:
                h = jax.nn.relu(h)
        logp = jax.nn.log_softmax(h)
        return -jnp.take_along_axis(logp, y[:, None], 1).mean()

    @jax.jit
    def update(params, velocity, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        velocity = jax.tree_util.tree_map(lambda v, g: momentum * v + g, velocity, grads)
        params = jax.tree_util.tree_map(lambda p, v: p - lr * v, params, velocity)
        return params, velocity, loss

    state = {"p": params, "v": velocity}

    def step(x, y):
        state["p"], state["v"], loss = update(state["p"], state["v"], x, y)
        loss.block_until_ready()
        return loss

    x, y = bench.make_data(workload, seed)
    return step, (jnp.asarray(x), jnp.asarray(y))


# -- PyTensor ----------------------------------------------------------------------------------

def make_pytensor_step(bench, workload, seed=0):
    """One compiled PyTensor function (its C backend) that returns the loss and updates the
    weights and velocities held in shared variables."""
    import pytensor
    import pytensor.tensor as pt
    if bench.WORKLOADS[workload]["kind"] != "mlp":
        raise NotImplementedError("PyTensor is compared on the MLP workloads")
    lr, momentum = np.float32(bench.LR), np.float32(bench.MOMENTUM)
    shared = []
    for w, b in _mlp_params(bench, workload, seed):
        shared += [pytensor.shared(w), pytensor.shared(b)]
    x, y = pt.matrix("x", dtype="float32"), pt.vector("y", dtype="int64")
    h = x
    for i in range(0, len(shared), 2):
        h = pt.dot(h, shared[i].T) + shared[i + 1]
        if i + 2 < len(shared):
            h = pt.maximum(h, 0)
    logp = h - pt.logsumexp(h, axis=1, keepdims=True)
    loss = -logp[pt.arange(y.shape[0]), y].mean()
    updates = []
    for p, g in zip(shared, pytensor.grad(loss, shared)):
        v = pytensor.shared(np.zeros_like(p.get_value()))
        v_new = momentum * v + g
        updates += [(v, v_new), (p, p - lr * v_new)]
    fn = pytensor.function([x, y], loss, updates=updates)
    xd, yd = bench.make_data(workload, seed)
    return fn, (xd, yd)


# -- the columns -------------------------------------------------------------------------------

COLUMNS = [("torch", "torch*"), ("torch.compile", "torch.compile*"), ("jax.jit", "jax.jit*"),
           ("pytensor", "PyTensor*")]


def peer_makers(bench, workload, threads):
    """(column, maker) of every installed peer that runs `workload`."""
    mlp = bench.WORKLOADS[workload]["kind"] == "mlp"
    makers = []
    if installed("torch"):
        makers.append(("torch", lambda: make_torch_step(bench, workload, False, threads)))
        makers.append(("torch.compile", lambda: make_torch_step(bench, workload, True, threads)))
    if mlp and installed("jax"):
        makers.append(("jax.jit", lambda: make_jax_step(bench, workload)))
    if mlp and installed("pytensor"):
        makers.append(("pytensor", lambda: make_pytensor_step(bench, workload)))
    return makers
