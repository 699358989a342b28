"""Layers against torch from the same weights: build both, copy torch's parameters into the
graphgrad layer, and compare outputs and the gradients of the input and of every parameter,
eagerly and compiled."""
import numpy as np

import graphgrad as gg

TOL = {np.float32: 2e-5, np.float64: 1e-10}


def copy_weights(layer, torch_layer):
    state = {k: gg.tensor(v.detach().numpy()) for k, v in torch_layer.state_dict().items()}
    layer.load_state_dict(state)


def _outputs(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


def check_layer(torch, make, make_torch, inputs, dtype=np.float64, extra=()):
    """`make()` / `make_torch(torch.nn)` build the layers; `inputs` are arrays (float ones get
    gradients); `extra` are further call arguments used as they are (e.g. indices)."""
    tol = TOL[dtype]
    t_layer = make_torch(torch.nn).to(torch.float64 if dtype == np.float64 else torch.float32)
    arrays = [a.astype(dtype) if a.dtype.kind == "f" else a for a in inputs]
    ts = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    t_outs = _outputs(t_layer(*ts, *[torch.tensor(e) for e in extra]))
    rng = np.random.default_rng(5)
    ws = [rng.standard_normal(tuple(o.shape)).astype(dtype) if o.dtype.is_floating_point
          else None for o in t_outs]
    sum(((o * torch.tensor(w)).sum() for o, w in zip(t_outs, ws) if w is not None)).backward()
    for compiled in (False, True):
        layer = make()
        if dtype == np.float64:
            layer = layer.double()
        copy_weights(layer, t_layer)
        fn = gg.compile(layer) if compiled else layer
        for _ in range(2 if compiled else 1):
            layer.zero_grad()
            xs = [gg.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
            outs = _outputs(fn(*xs, *[gg.tensor(e) for e in extra]))
            assert len(outs) == len(t_outs)
            for o, t in zip(outs, t_outs):
                assert o.shape == tuple(t.shape) and o.dtype == t.detach().numpy().dtype
                np.testing.assert_allclose(o.numpy(), t.detach().numpy(), rtol=tol, atol=tol)
            sum((o * gg.tensor(w)).sum() for o, w in zip(outs, ws) if w is not None).backward()
            for x, t in zip(xs, ts):
                if t.grad is not None:
                    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=tol,
                                               atol=tol)
            t_params = dict(t_layer.named_parameters())
            for name, p in layer.named_parameters():
                np.testing.assert_allclose(p.grad.numpy(), t_params[name].grad.numpy(),
                                           rtol=tol, atol=tol, err_msg=name)
