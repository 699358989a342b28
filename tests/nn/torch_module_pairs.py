"""A graphgrad module and the torch module of the same class, loaded with the same weights,
run on the same inputs: outputs (nested tuples included), input gradients and the gradient of
every parameter must agree, eagerly and through gg.compile."""
import numpy as np

import graphgrad as gg

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)
FORWARD_TOL = {F32: {"rtol": 1e-4, "atol": 2e-6}, F64: {"rtol": 1e-10, "atol": 1e-12}}
GRAD_TOL = {F32: {"rtol": 1e-3, "atol": 2e-5}, F64: {"rtol": 1e-8, "atol": 1e-10}}


def rand(*shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def numpy_of(t):
    import torch
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    return t.numpy() if isinstance(t, gg.Tensor) else np.asarray(t)


def close(actual, expected, tol, msg=""):
    gg.testing.assert_close(np.atleast_1d(np.asarray(numpy_of(actual), np.float64)),
                            np.atleast_1d(np.asarray(numpy_of(expected), np.float64)),
                            msg=msg, **tol)


def load_torch(gg_module, torch_module, dtype):
    """Copy gg_module's state into torch_module (cast to dtype); the names must agree."""
    import torch
    torch_module.to(torch.float64 if dtype == F64 else torch.float32)
    state = {k: torch.tensor(v.numpy()) for k, v in gg_module.state_dict().items()}
    assert list(state) == list(torch_module.state_dict()), "state dict names or order differ"
    torch_module.load_state_dict(state)
    return torch_module


def leaves(out):
    """The tensors of a (nested) result, in order; None entries are kept as None."""
    if isinstance(out, (tuple, list)):
        return [x for item in out for x in leaves(item)]
    return [out]


def structure(out):
    if isinstance(out, (tuple, list)):
        return tuple(structure(x) for x in out)
    return None if out is None else tuple(out.shape)


def _is_float(t):
    return t.dtype.is_floating_point if hasattr(t.dtype, "is_floating_point") \
        else t.dtype.kind == "f"


def _run(lib, module, arrays, make_args, weights):
    ts = [lib.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    args, kwargs = make_args(lib, *ts)
    out = module(*args, **kwargs)
    floats = [o for o in leaves(out) if o is not None and _is_float(o)]
    if weights is None:
        weights = [rand(*o.shape, seed=50 + i) for i, o in enumerate(floats)]
    loss = sum((o * lib.tensor(w.astype(numpy_of(o).dtype))).sum()
               for o, w in zip(floats, weights))
    loss.backward()
    grads = [None if t.grad is None else numpy_of(t.grad) for t in ts]
    return out, floats, grads, weights


def check_pair(gg_module, torch_module, arrays, dtype, make_args=None, compiled=(False, True),
               grad_tol=None):
    """Forward, input gradients and parameter gradients of gg_module equal torch_module's
    (already holding the same weights) for the float `arrays` cast to `dtype`."""
    import torch
    make_args = make_args or (lambda lib, *ts: (ts, {}))
    arrays = [np.asarray(a).astype(dtype) if np.asarray(a).dtype.kind == "f" else np.asarray(a)
              for a in arrays]
    torch_module.zero_grad()
    ref_out, ref_floats, ref_grads, weights = _run(torch, torch_module, arrays, make_args, None)
    ref_params = dict(torch_module.named_parameters())
    grad_tol = grad_tol or GRAD_TOL[dtype]
    for mode in compiled:
        gg_module.zero_grad()
        fn = gg.compile(gg_module) if mode else gg_module
        out, floats, grads, _ = _run(gg, fn, arrays, make_args, weights)
        label = "compiled" if mode else "eager"
        assert structure(out) == structure(ref_out), f"{label}: {structure(out)}"
        for o, r in zip(floats, ref_floats):
            assert o.dtype == dtype, f"{label}: output dtype {o.dtype}"
            close(o, r, FORWARD_TOL[dtype], f"{label} output: ")
        for i, (g, r) in enumerate(zip(grads, ref_grads)):
            if r is not None:
                close(g, r, grad_tol, f"{label} gradient of input {i}: ")
        for name, p in gg_module.named_parameters():
            ref = ref_params[name].grad
            if ref is None:
                assert p.grad is None or not np.any(p.grad.numpy()), f"{label} {name}.grad"
            else:
                close(p.grad, ref, grad_tol, f"{label} {name}.grad: ")
    return ref_out
