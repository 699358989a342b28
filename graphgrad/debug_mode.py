"""`gg.compile(mode="debug")`: run compiled and eager, check they agree, keep the eager result."""
import numpy as np

from graphgrad import pytree, rng
from graphgrad.tensor import Tensor
from graphgrad.testing import assert_close


def _state_of(entry, leaves):
    """The outside tensors a compiled entry reads or writes, with their current arrays."""
    from graphgrad.tracing import GradSource, TensorSource
    tensors = {}
    for s in entry.sources:
        if isinstance(s, (TensorSource, GradSource)):
            tensors[id(s.tensor)] = s.tensor
    for sink in entry.sinks:
        t = leaves[sink.target] if isinstance(sink.target, int) else sink.target
        tensors[id(t)] = t
    return list(tensors.values())


def _snapshot(tensors):
    # copies: compiled steps update state arrays in place
    return [(t, t._data.copy(), t._grad, None if t._grad is None else t._grad._data.copy())
            for t in tensors]


def _restore(snapshot):
    for t, data, grad, grad_data in snapshot:
        t._data = data
        t._grad = grad
        if grad is not None:
            grad._data = grad_data


def run_debug(compiled, args, kwargs):
    leaves, treedef = pytree.flatten((args, kwargs))
    entry = compiled._entry(args, kwargs, leaves, treedef)
    tensors = _state_of(entry, leaves)
    before = _snapshot(tensors)
    rng_state = rng.get_state()
    compiled_out = entry.run(leaves)
    compiled_state = _snapshot(tensors)
    _restore(before)
    rng.set_state(rng_state)
    eager_out = compiled.fn(*args, **kwargs)
    c_leaves = pytree.flatten(compiled_out)[0]
    e_leaves = pytree.flatten(eager_out)[0]
    if len(c_leaves) != len(e_leaves):
        raise AssertionError(f"debug mode: compiled returned {len(c_leaves)} values, eager "
                             f"{len(e_leaves)}")
    for i, (c, e) in enumerate(zip(c_leaves, e_leaves)):
        if isinstance(c, Tensor):
            assert_close(c, e, rtol=1e-4, atol=1e-5, msg=f"debug mode, output {i}: ")
    for (t, data, grad, grad_data) in compiled_state:
        assert_close(data, t._data, rtol=1e-4, atol=1e-5,
                     msg=f"debug mode, state tensor {t.shape}: ")
        if grad_data is not None and t._grad is not None:
            assert_close(grad_data, np.asarray(t._grad._data), rtol=1e-4, atol=1e-5,
                         msg=f"debug mode, grad of {t.shape}: ")
    return eager_out
