"""PyTorch as the oracle: one table row runs the same function on torch and on graphgrad.

graphgrad speaks PyTorch's names, so a row's function takes the library as its first argument
and is written once: `lambda m, x: m.cumsum(x, dim=1)` runs as `torch.cumsum` and as
`gg.cumsum`. For every row and float dtype the checks are:

- forward: values, dtype and shape equal torch's (eagerly, and compiled on two calls);
- gradients: of sum(out * w) for a fixed random w, eager and compiled, equal torch's;
- float64 central finite differences agree with graphgrad's gradient (`gradcheck`);
- layouts: the same row on non-contiguous inputs (a strided view shared with NumPy).

Rows live in `tests/ops/torch_cases_*.py` (a list `CASES` in each); `test_torch_oracle.py`
collects them. Without torch installed those tests are skipped.
"""
import dataclasses
from typing import Callable, Optional

import numpy as np

import graphgrad as gg

F32 = np.dtype(np.float32)
F64 = np.dtype(np.float64)

# tolerances by result dtype: (rtol, atol)
TOLERANCE = {np.dtype(np.float16): (1e-2, 1e-2), F32: (2e-5, 2e-5), F64: (1e-10, 1e-10)}


@dataclasses.dataclass
class TorchCase:
    """One row of the torch-oracle table.

    `fn(m, *tensors)` is written with names torch and graphgrad share (`m` is the module:
    `torch` or `graphgrad`; `m.nn.functional` is F in both). `inputs` are NumPy arrays; float
    arrays are cast to each dtype in `dtypes`, integer and bool arrays are used as they are.
    `grad`: positions of the inputs to differentiate (None: every float input, (): none).
    """
    id: str
    fn: Callable
    inputs: tuple
    grad: Optional[tuple] = None
    dtypes: tuple = (F32, F64)
    compiled: bool = True        # False: data-dependent result shapes (eager only)
    gradcheck: bool = True       # float64 finite differences (off for kinks, sorts, ties)
    layouts: bool = True         # also on non-contiguous inputs
    rtol: Optional[float] = None
    atol: Optional[float] = None

    def __post_init__(self):
        self.inputs = tuple(np.asarray(a) for a in self.inputs)

    @property
    def grad_positions(self):
        if self.grad is not None:
            return tuple(self.grad)
        return tuple(i for i, a in enumerate(self.inputs) if a.dtype.kind == "f")

    def arrays(self, dtype):
        return [a.astype(dtype) if a.dtype.kind == "f" and dtype is not None else a.copy()
                for a in self.inputs]

    def tolerance(self, dtype):
        rtol, atol = TOLERANCE.get(np.dtype(dtype), (1e-5, 1e-5))
        return (self.rtol if self.rtol is not None else rtol,
                self.atol if self.atol is not None else atol)


def strided(array):
    """A non-contiguous view holding the same values: every other element of a wider array
    along the last axis (0-d and empty arrays are returned as they are)."""
    if array.ndim == 0 or array.size == 0:
        return array
    wide = np.zeros(array.shape[:-1] + (2 * array.shape[-1],), array.dtype)
    wide[..., ::2] = array
    view = wide[..., ::2]
    assert not view.flags.c_contiguous or array.shape[-1] == 1
    return view


def as_list(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


def _numpy_dtype(torch_dtype):
    import torch
    return np.dtype(torch.empty((), dtype=torch_dtype).numpy().dtype)


def run_torch(case, arrays, positions):
    """(outputs as arrays, gradients as arrays or None) from torch, for weights `ws` set by
    `weights_for` on these outputs."""
    import torch
    ts = [torch.from_numpy(a.copy()) for a in arrays]
    for i in positions:
        ts[i].requires_grad_(True)
    outs = as_list(case.fn(torch, *ts))
    return ts, outs


def run_graphgrad(case, arrays, positions, compiled=None, share=False):
    """`share`: the tensors share fresh strided copies of `arrays` (in-place ops write them)."""
    ts = [gg.from_numpy(strided(a)) if share else gg.tensor(a) for a in arrays]
    for i in positions:
        ts[i].requires_grad_(True)
    fn = compiled if compiled is not None else (lambda *xs: case.fn(gg, *xs))
    return ts, as_list(fn(*ts))


def weights_for(outs, seed=11):
    """A fixed random cotangent per float output (None for the others)."""
    rng = np.random.default_rng(seed)
    ws = []
    for o in outs:
        dtype = _dtype_of(o)
        ws.append(rng.uniform(-1, 1, tuple(o.shape)).astype(dtype) if dtype.kind == "f"
                  else None)
    return ws


def _dtype_of(t):
    return t.dtype if isinstance(t.dtype, np.dtype) else _numpy_dtype(t.dtype)


def _array(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def backward_weighted(lib, outs, ws):
    total = None
    for o, w in zip(outs, ws):
        if w is None or not o.requires_grad:
            continue
        term = (o * lib.from_numpy(w)).sum()
        total = term if total is None else total + term
    if total is not None:
        total.backward()
    return total is not None


def compare_outputs(case, dtype, got, want, what):
    assert len(got) == len(want), f"{what}: {len(got)} outputs, torch gives {len(want)}"
    rtol, atol = case.tolerance(dtype if dtype is not None else F64)
    for k, (g, w) in enumerate(zip(got, want)):
        if not hasattr(w, "shape"):                      # a Python number (e.g. allclose)
            assert g == w, f"{what}, output {k}: {g!r}, torch {w!r}"
            continue
        g_arr, w_arr = _array(g), _array(w)
        assert g_arr.dtype == w_arr.dtype, f"{what}, output {k}: dtype {g_arr.dtype}, " \
                                           f"torch {w_arr.dtype}"
        assert g_arr.shape == w_arr.shape, f"{what}, output {k}: shape {g_arr.shape}, " \
                                           f"torch {w_arr.shape}"
        if w_arr.dtype.kind == "f":
            np.testing.assert_allclose(g_arr, w_arr, rtol=rtol, atol=atol, equal_nan=True,
                                       err_msg=f"{what}, output {k}")
        else:
            np.testing.assert_array_equal(g_arr, w_arr, err_msg=f"{what}, output {k}")


def compare_grads(case, dtype, got_inputs, want_inputs, what):
    rtol, atol = case.tolerance(dtype)
    for i in case.grad_positions:
        want = want_inputs[i].grad
        got = got_inputs[i].grad
        if want is None:
            assert got is None or not np.any(got.numpy()), f"{what}: input {i} has a gradient, " \
                                                            "torch has none"
            continue
        assert got is not None, f"{what}: input {i} has no gradient, torch has one"
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=rtol, atol=atol,
                                   equal_nan=True, err_msg=f"{what}: gradient of input {i}")


def check_case(case, dtype, layout="contiguous"):
    """Forward and gradients against torch, eager and compiled, for one dtype and layout."""
    arrays = case.arrays(dtype)
    share = layout == "strided"
    positions = case.grad_positions
    t_inputs, t_outs = run_torch(case, [strided(a) for a in arrays] if share else arrays,
                                 positions)
    ws = weights_for(t_outs)
    has_grad = backward_weighted(__import__("torch"), t_outs, ws)

    g_inputs, g_outs = run_graphgrad(case, arrays, positions, share=share)
    compare_outputs(case, dtype, g_outs, t_outs, f"{case.id} eager {layout}")
    if has_grad:
        backward_weighted(gg, g_outs, ws)
        compare_grads(case, dtype, g_inputs, t_inputs, f"{case.id} eager {layout}")

    if case.compiled:
        compiled = gg.compile(lambda *xs: case.fn(gg, *xs))
        for call in range(2):
            c_inputs, c_outs = run_graphgrad(case, arrays, positions, compiled, share=share)
            compare_outputs(case, dtype, c_outs, t_outs,
                            f"{case.id} compiled {layout} call {call}")
            if has_grad:
                backward_weighted(gg, c_outs, ws)
                compare_grads(case, dtype, c_inputs, t_inputs,
                              f"{case.id} compiled {layout} call {call}")


def check_gradcheck(case):
    """graphgrad's float64 gradients against central finite differences."""
    arrays = case.arrays(F64)
    positions = case.grad_positions
    if not positions:
        return
    fixed = {i: gg.tensor(a) for i, a in enumerate(arrays) if i not in positions}

    def fn(*xs):
        it = iter(xs)
        full = [fixed[i] if i in fixed else next(it) for i in range(len(arrays))]
        outs = [o for o in as_list(case.fn(gg, *full))
                if hasattr(o, "dtype") and o.dtype.kind == "f"]
        return outs[0] if len(outs) == 1 else gg.cat([o.reshape(-1) for o in outs])

    inputs = [gg.tensor(arrays[i], requires_grad=True) for i in positions]
    gg.testing.gradcheck(fn, inputs)
