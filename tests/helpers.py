"""Table-driven op checks. An `OpCase` is one entry of the op table in `test_ops.py`: a function
of tensors built from public API calls, its input arrays and a NumPy reference. The `check_*`
functions test one entry: forward values and dtypes, shape rules against kernels, gradients
against central finite differences, and eager mode against compiled mode.
"""
import dataclasses
from typing import Callable, Optional

import numpy as np
import pytest

import graphgrad as gg
from graphgrad.ir.op import REGISTRY

F32 = np.dtype(np.float32)
F64 = np.dtype(np.float64)
FLOAT_DTYPES = (F32, F64)
GRADCHECK = {"eps": 1e-6, "atol": 1e-5, "rtol": 1e-3}


@dataclasses.dataclass
class OpCase:
    """One row of the op table.

    `inputs` are NumPy arrays; float arrays are cast to the dtype under test (integer and bool
    arrays are used as they are). `ref` takes the same (cast) arrays and returns the expected
    result (a tuple for functions returning several tensors). `grad` lists the positions of the
    differentiable inputs: None means every float input, () means the result has no gradient.
    """
    id: str
    op: str
    fn: Callable
    inputs: tuple
    ref: Callable
    grad: Optional[tuple] = None
    out_dtype: Optional[np.dtype] = None   # dtype of float results when not the input dtype
    eager_only: bool = False               # not traceable (data-dependent shapes)
    only: Optional[tuple] = None           # restrict the float dtypes tested
    eps: float = GRADCHECK["eps"]          # finite-difference step (float32 results need more)

    def __post_init__(self):
        self.inputs = tuple(np.asarray(a) for a in self.inputs)

    @property
    def float_positions(self):
        return tuple(i for i, a in enumerate(self.inputs) if a.dtype.kind == "f")

    @property
    def grad_positions(self):
        return self.float_positions if self.grad is None else tuple(self.grad)

    @property
    def dtypes(self):
        """The float dtypes to test: both when there are float inputs, else just None."""
        if not self.float_positions:
            return (None,)
        return FLOAT_DTYPES if self.only is None else tuple(self.only)

    @property
    def primitive(self):
        return self.op in REGISTRY

    def arrays(self, dtype):
        if dtype is None:
            return [a.copy() for a in self.inputs]
        return [a.astype(dtype) if a.dtype.kind == "f" else a.copy() for a in self.inputs]


def dtype_id(dtype):
    return "native" if dtype is None else np.dtype(dtype).name


def as_list(result):
    """A function result (a tensor or a tuple of tensors) as a list."""
    if isinstance(result, (tuple, list)):
        return list(result)
    return [result]


def tensors(arrays, requires_grad=()):
    return [gg.tensor(a, requires_grad=i in requires_grad) for i, a in enumerate(arrays)]


def tolerances(dtype, out=None):
    """float32 tolerances when the tested dtype or the result's dtype is float32."""
    if dtype == F32 or (out is not None and np.dtype(out.dtype) == F32):
        return {"rtol": 2e-5, "atol": 1e-5}
    return {"rtol": 1e-9, "atol": 1e-12}


def float_outputs(outs):
    return [o for o in outs if o.dtype.kind == "f"]


def weights_for(outs, dtype, seed=7):
    """A fixed random cotangent per float output, so every output element is checked."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(o.shape).astype(dtype or o.dtype) for o in float_outputs(outs)]


def weighted_loss(fn, n_inputs):
    """loss(*inputs, *weights) = sum_k (float_output_k * weight_k).sum(), a scalar."""
    def loss(*args):
        xs, ws = args[:n_inputs], args[n_inputs:]
        total = None
        for o, w in zip(float_outputs(as_list(fn(*xs))), ws):
            term = (o * w).sum()
            total = term if total is None else total + term
        return total
    return loss


def single_output(fn):
    """`fn` with its float outputs flattened into one tensor (gradcheck wants one tensor)."""
    def wrapped(*xs):
        outs = float_outputs(as_list(fn(*xs)))
        if len(outs) == 1:
            return outs[0]
        return gg.cat([o.reshape(-1) for o in outs])
    return wrapped


def assert_same_values(actual, expected, tol, msg=""):
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, f"{msg}shape {actual.shape} != {expected.shape}"
    if expected.dtype.kind == "f" or actual.dtype.kind == "f":
        gg.testing.assert_close(actual.astype(np.float64), expected.astype(np.float64),
                                msg=msg, **tol)
    else:
        np.testing.assert_array_equal(actual, expected, err_msg=msg)


def expected_dtype(case, dtype, ref):
    if ref.dtype.kind != "f":
        return ref.dtype
    if case.out_dtype is not None:
        return np.dtype(case.out_dtype)
    return dtype if dtype is not None else F32


# -- checks -------------------------------------------------------------------------------------

def check_forward(case, dtype):
    """Eager result == NumPy reference, with the dtype the op promises."""
    arrays = case.arrays(dtype)
    outs = as_list(case.fn(*tensors(arrays)))
    refs = [np.asarray(r) for r in as_list(case.ref(*arrays))]
    assert len(outs) == len(refs), f"{len(outs)} outputs, reference has {len(refs)}"
    for k, (out, ref) in enumerate(zip(outs, refs)):
        assert isinstance(out, gg.Tensor), f"output {k} is a {type(out).__name__}"
        assert out.shape == ref.shape, f"output {k}: shape {out.shape}, expected {ref.shape}"
        want = expected_dtype(case, dtype, ref)
        assert out.dtype == want, f"output {k}: dtype {out.dtype}, expected {want}"
        assert_same_values(out.numpy(), ref, tolerances(dtype, out), f"output {k}: ")


def run_graph(graph, arrays):
    """Reference interpreter: run every node's NumPy kernel on raw arrays, checking that each
    kernel's result has exactly the shape and dtype its `infer` rule (and the graph) says."""
    env = dict(zip(graph.inputs, arrays))
    assert len(graph.inputs) == len(arrays), \
        f"graph has {len(graph.inputs)} inputs, {len(arrays)} arrays given"
    with np.errstate(all="ignore"):
        for node in graph.nodes:
            args = [env[v] for v in node.inputs]
            rule = node.op.infer(*args, **node.attrs)
            out = np.asarray(node.op.impl(*args, **node.attrs))
            where = f"{node.op.name} on {[(a.shape, a.dtype.name) for a in args]}"
            assert out.shape == tuple(rule.shape), \
                f"{where}: kernel shape {out.shape}, rule says {tuple(rule.shape)}"
            assert out.dtype == np.dtype(rule.dtype), \
                f"{where}: kernel dtype {out.dtype}, rule says {np.dtype(rule.dtype)}"
            assert out.shape == node.out.shape and out.dtype == node.out.dtype, \
                f"{where}: kernel gives {out.shape} {out.dtype}, graph says {node.out.type}"
            env[node.out] = out
    return [env[v] for v in graph.outputs]


def check_rules(case, dtype):
    """Trace the entry, run its graph node by node through `impl`, compare with `infer` and with
    eager mode; for a primitive entry the graph must contain that primitive. For a
    differentiable entry the same is done for the traced gradient graph."""
    arrays = case.arrays(dtype)
    graph = gg.trace(case.fn, *tensors(arrays))
    outs = run_graph(graph, arrays)
    eager = as_list(case.fn(*tensors(arrays)))
    assert len(outs) == len(eager)
    for k, (o, e) in enumerate(zip(outs, eager)):
        assert o.dtype == e.dtype, f"output {k}: graph dtype {o.dtype}, eager {e.dtype}"
        assert_same_values(o, e.numpy(), tolerances(dtype, out=e), f"graph output {k}: ")
    if case.primitive:
        assert case.op in graph.op_counts(), f"{case.op} is not in the graph: {graph}"
    pos = case.grad_positions
    if pos and dtype is not None:
        ws = weights_for(eager, dtype)
        loss = weighted_loss(case.fn, len(arrays))
        grad_graph = gg.trace(gg.grad(loss, argnums=pos), *tensors(arrays), *map(gg.tensor, ws))
        grads = run_graph(grad_graph, arrays + ws)
        for i, g in zip(pos, grads):
            assert g.shape == arrays[i].shape and g.dtype == arrays[i].dtype, \
                f"gradient of input {i}: {g.shape} {g.dtype} for {arrays[i].shape} " \
                f"{arrays[i].dtype}"
        expect = eager_grads(case, dtype, ws)
        for i, g, e in zip(pos, grads, expect):
            assert_same_values(g, e, tolerances(dtype), f"traced gradient of input {i}: ")


def check_gradcheck(case):
    """Autograd == central finite differences (float64) for every differentiable input."""
    pos = case.grad_positions
    arrays = case.arrays(F64)
    fixed = {i: gg.tensor(a) for i, a in enumerate(arrays) if i not in pos}
    fn = single_output(case.fn)

    def of_differentiable(*xs):
        it = iter(xs)
        return fn(*[fixed[i] if i in fixed else next(it) for i in range(len(arrays))])

    tol = {**GRADCHECK, "eps": case.eps}
    assert gg.testing.gradcheck(of_differentiable, [arrays[i] for i in pos], **tol)


def eager_grads(case, dtype, ws):
    """Gradients of the weighted loss from eager autograd (zeros for unused inputs)."""
    arrays = case.arrays(dtype)
    pos = case.grad_positions
    ts = tensors(arrays, requires_grad=pos)
    loss = weighted_loss(case.fn, len(arrays))(*ts, *map(gg.tensor, ws))
    loss.backward()
    return [np.zeros_like(arrays[i]) if ts[i].grad is None else ts[i].grad.numpy() for i in pos]


def check_compiled_forward(case, dtype):
    """`gg.compile(fn)` gives the eager values and dtypes, on two calls (cache hit too)."""
    arrays = case.arrays(dtype)
    eager = as_list(case.fn(*tensors(arrays)))
    compiled = gg.compile(case.fn)
    for call in range(2):
        outs = as_list(compiled(*tensors(arrays)))
        assert len(outs) == len(eager)
        for k, (c, e) in enumerate(zip(outs, eager)):
            assert c.shape == e.shape and c.dtype == e.dtype, \
                f"call {call}, output {k}: compiled {c.shape} {c.dtype}, eager {e.shape} {e.dtype}"
            assert_same_values(c.numpy(), e.numpy(), tolerances(dtype, out=e),
                               f"call {call}, output {k}: ")
    info = compiled.cache_info()
    assert (info.traces, info.hits) == (1, 1), info


def check_compiled_grads(case, dtype):
    """Compiled gradients == eager autograd gradients, along two compiled paths:
    `gg.grad` of the weighted loss, and a compiled forward whose outputs carry a compiled
    backward run by eager `.backward()`."""
    arrays = case.arrays(dtype)
    pos = case.grad_positions
    eager_outs = as_list(case.fn(*tensors(arrays)))
    ws = weights_for(eager_outs, dtype)
    expect = eager_grads(case, dtype, ws)
    tol = tolerances(dtype)
    loss = weighted_loss(case.fn, len(arrays))
    grads = gg.grad(loss, argnums=pos)(*tensors(arrays), *map(gg.tensor, ws))
    for i, g, e in zip(pos, grads, expect):
        assert g.dtype == arrays[i].dtype, f"gg.grad of input {i}: dtype {g.dtype}"
        assert_same_values(g.numpy(), e, tol, f"gg.grad of input {i}: ")

    ts = tensors(arrays, requires_grad=pos)
    outs = as_list(gg.compile(case.fn)(*ts))
    for o in float_outputs(outs):
        assert o.requires_grad, "a compiled float output of differentiable inputs needs grad"
    total = None
    for o, w in zip(float_outputs(outs), ws):
        term = (o * gg.tensor(w)).sum()
        total = term if total is None else total + term
    total.backward()
    for i, e in zip(pos, expect):
        got = np.zeros_like(arrays[i]) if ts[i].grad is None else ts[i].grad.numpy()
        assert_same_values(got, e, tol, f"compiled backward of input {i}: ")


def check_no_grad(case, dtype):
    """With every float input requiring grad, the result still carries no gradient, eagerly
    and compiled; calling backward on it is an error."""
    arrays = case.arrays(dtype)
    req = case.float_positions
    outs = as_list(case.fn(*tensors(arrays, requires_grad=req)))
    for k, o in enumerate(outs):
        assert isinstance(o, gg.Tensor), f"output {k} is a {type(o).__name__}"
        assert not o.requires_grad and o.grad_fn is None, f"eager output {k} requires grad"
        with pytest.raises(gg.AutogradError, match="does not require grad"):
            o.sum().backward()
    if not case.eager_only:
        outs = as_list(gg.compile(case.fn)(*tensors(arrays, requires_grad=req)))
        for k, o in enumerate(outs):
            assert not o.requires_grad, f"compiled output {k} requires grad"


# -- shared training setups -------------------------------------------------------------------

def small_mlp(sizes=(4, 8, 3)):
    """Linear-ReLU-Linear (the model most compiler tests train)."""
    from graphgrad import nn
    return nn.Sequential(nn.Linear(sizes[0], sizes[1]), nn.ReLU(), nn.Linear(sizes[1], sizes[2]))


def class_batch(n=16, features=4, classes=3):
    """Random inputs with integer class targets."""
    return gg.randn(n, features), gg.tensor(np.arange(n) % classes)


def training_step(model, opt, loss_fn=None, compiled=False):
    """The usual step: zero_grad, forward, loss, backward, optimizer step; returns the loss."""
    import graphgrad.nn.functional as F
    loss_fn = loss_fn or F.cross_entropy

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return gg.compile(step) if compiled else step
