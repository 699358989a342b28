"""Eager autograd semantics: every gradient is checked against one computed by hand in NumPy."""
import numpy as np
import pytest

import graphgrad as gg


def close(t, expected, rtol=1e-6, atol=1e-7):
    assert isinstance(t, gg.Tensor)
    np.testing.assert_allclose(t.numpy(), expected, rtol=rtol, atol=atol)


# -- accumulation -----------------------------------------------------------------------------

def test_gradients_accumulate_over_two_backward_calls():
    xv = np.array([1.0, -2.0, 3.0], np.float32)
    x = gg.tensor(xv, requires_grad=True)
    (x * x).sum().backward()
    close(x.grad, 2 * xv)
    (x * 3.0).sum().backward()
    close(x.grad, 2 * xv + 3.0)


def test_value_used_twice_accumulates():
    xv = np.array([0.5, -1.5, 2.0], np.float32)
    x = gg.tensor(xv, requires_grad=True)
    y = x * x + x           # x reaches the sum by three edges
    z = y * y               # y is used twice by one op
    z.sum().backward()
    close(x.grad, 2 * (xv * xv + xv) * (2 * xv + 1), rtol=1e-6)


def test_shared_subexpression_on_two_paths():
    xv = np.array([[0.3, -0.7], [1.1, 0.2]])
    x = gg.tensor(xv, requires_grad=True)
    h = x.exp()
    loss = (h * 2.0).sum() + (h * x).sum()
    loss.backward()
    close(x.grad, 2 * np.exp(xv) + np.exp(xv) * xv + np.exp(xv), rtol=1e-12)


def test_unused_leaf_keeps_grad_none():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    unused = gg.tensor([3.0, 4.0], requires_grad=True)
    (x * 2.0).sum().backward()
    assert unused.grad is None
    close(x.grad, [2.0, 2.0])


# -- the root and its gradient ------------------------------------------------------------------

def test_backward_with_gradient_for_non_scalar_root():
    xv = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)
    gv = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 3.0]], np.float32)
    x = gg.tensor(xv, requires_grad=True)
    y = x * x * 3.0
    y.backward(gradient=gg.tensor(gv))
    close(x.grad, gv * 6 * xv)


def test_non_scalar_root_without_gradient_raises():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(gg.AutogradError, match="scalar outputs.*gradient"):
        (x * 2.0).backward()
    assert x.grad is None


def test_gradient_of_wrong_shape_raises_shape_error():
    x = gg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(gg.ShapeError, match=r"\(2,\).*\(3,\)"):
        (x * 2.0).backward(gg.tensor([1.0, 1.0]))
    with pytest.raises(TypeError, match="Tensor"):
        (x * 2.0).backward(np.ones(3))
    assert x.grad is None


def test_backward_of_tensor_without_grad_raises():
    with pytest.raises(gg.AutogradError, match="does not require grad"):
        gg.tensor([1.0, 2.0]).sum().backward()


def test_backward_twice_without_retain_graph_names_op_and_option():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    loss = x.exp().sum()
    loss.backward()
    with pytest.raises(gg.AutogradError, match=r"sum.*second time.*retain_graph=True"):
        loss.backward()
    close(x.grad, np.exp([1.0, 2.0]), rtol=1e-6)   # the failed call added nothing


def test_retain_graph_allows_a_second_backward():
    xv = np.array([0.1, 0.2, 0.3])
    x = gg.tensor(xv, requires_grad=True)
    loss = (x.exp() * x).sum()
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    np.testing.assert_allclose(first, np.exp(xv) * (xv + 1), rtol=1e-12)
    loss.backward(retain_graph=True)
    close(x.grad, 2 * first, rtol=1e-12)
    loss.backward()
    close(x.grad, 3 * first, rtol=1e-12)


# -- grad mode ----------------------------------------------------------------------------------

def test_no_grad_and_enable_grad_as_context_managers():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    with gg.no_grad():
        y = x * 2.0
        assert not gg.is_grad_enabled()
        with gg.enable_grad():
            z = x * 3.0
            assert gg.is_grad_enabled()
        w = x * 4.0
    assert gg.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None
    assert not w.requires_grad
    z.sum().backward()
    close(x.grad, [3.0, 3.0])


def test_grad_mode_decorators():
    x = gg.tensor([1.0, 2.0], requires_grad=True)

    @gg.no_grad()
    def frozen(t):
        return t * 2.0

    @gg.enable_grad()
    def recorded(t):
        return t * 2.0

    @gg.set_grad_enabled(False)
    def frozen_too(t):
        return t * 2.0

    assert not frozen(x).requires_grad
    assert not frozen_too(x).requires_grad
    assert gg.is_grad_enabled()              # decorating changes nothing by itself
    with gg.no_grad():
        out = recorded(x)
        assert not gg.is_grad_enabled()      # restored after the call
    assert out.requires_grad
    out.sum().backward()
    close(x.grad, [2.0, 2.0])


def test_bare_no_grad_decorator():
    @gg.no_grad
    def frozen(t):
        return t * 2.0

    @gg.enable_grad
    def recorded(t):
        return t * 2.0

    assert not frozen(gg.tensor([1.0], requires_grad=True)).requires_grad
    with gg.no_grad():
        assert recorded(gg.tensor([1.0], requires_grad=True)).requires_grad


def test_set_grad_enabled_context_manager_and_function_call():
    x = gg.tensor([1.0], requires_grad=True)
    with gg.set_grad_enabled(False):
        assert not (x * 2.0).requires_grad
        with gg.set_grad_enabled(True):
            assert (x * 2.0).requires_grad
        assert not gg.is_grad_enabled()
    assert gg.is_grad_enabled()
    try:
        gg.set_grad_enabled(False)           # as a plain call it switches the mode, like torch
        assert not gg.is_grad_enabled()
        assert not (x * 2.0).requires_grad
    finally:
        gg.set_grad_enabled(True)
    assert gg.is_grad_enabled()


def test_grad_mode_restored_after_exception():
    @gg.no_grad()
    def fails():
        raise KeyError("boom")

    with pytest.raises(KeyError):
        fails()
    assert gg.is_grad_enabled()
    with pytest.raises(ValueError), gg.no_grad():
        raise ValueError("boom")
    assert gg.is_grad_enabled()


def test_detach_stops_gradients():
    xv = np.array([1.0, -2.0, 0.5], np.float32)
    x = gg.tensor(xv, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    (x * x.detach()).sum().backward()
    close(x.grad, xv)                        # not 2 x
    np.testing.assert_array_equal(d.numpy(), xv)


# -- requires_grad and .grad ----------------------------------------------------------------------

def test_requires_grad_on_integer_tensor_raises_type_error():
    t = gg.tensor([1, 2, 3])
    with pytest.raises(TypeError, match="floating-point"):
        t.requires_grad_()
    with pytest.raises(TypeError, match="floating-point"):
        gg.tensor([1, 2], requires_grad=True)
    assert not t.requires_grad


def test_grad_is_a_tensor_with_the_leaf_shape_and_dtype():
    for dtype in (gg.float32, gg.float64):
        x = gg.tensor(np.ones((2, 3), dtype), requires_grad=True)
        (x * 2.0).sum().backward()
        assert isinstance(x.grad, gg.Tensor)
        assert x.grad.shape == (2, 3) and x.grad.dtype == dtype
        assert not x.grad.requires_grad
        close(x.grad, np.full((2, 3), 2.0))


def test_grads_of_different_leaves_are_independent_arrays():
    a = gg.tensor([1.0, 2.0], requires_grad=True)
    b = gg.tensor([3.0, 4.0], requires_grad=True)
    seed = gg.tensor([1.0, 1.0])
    (a + b).backward(seed)           # add passes the same gradient array to both inputs
    a.grad.numpy()[0] = 100.0
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(seed.numpy(), [1.0, 1.0])


# -- in-place -------------------------------------------------------------------------------------

def test_in_place_on_leaf_requiring_grad_raises_under_grad_mode():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(gg.AutogradError, match="leaf.*no_grad"):
        x.add_(1.0)
    with pytest.raises(gg.AutogradError):
        x += 1.0
    with pytest.raises(gg.AutogradError):
        x[0] = 5.0
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])


def test_in_place_on_leaf_allowed_under_no_grad():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    with gg.no_grad():
        x.mul_(3.0)
        x += 1.0
        x[1] = 0.5
    np.testing.assert_array_equal(x.numpy(), [4.0, 0.5])
    assert x.requires_grad and x.is_leaf
    (x * x).sum().backward()
    close(x.grad, [8.0, 1.0])


def test_saved_output_mutated_in_place_raises_at_backward():
    x = gg.tensor([0.5, 1.0], requires_grad=True)
    h = x.exp()             # exp saves its output for backward
    loss = h.sum()
    h.mul_(2.0)
    with pytest.raises(gg.AutogradError, match="exp.*modified by an in-place operation"):
        (loss + h.sum()).backward()


def test_saved_input_mutated_in_place_raises_at_backward():
    w = gg.tensor([1.0, 2.0], requires_grad=True)
    x = gg.tensor([3.0, 4.0], requires_grad=True)
    loss = (w * x).sum()    # mul saves both inputs
    with gg.no_grad():
        w.add_(1.0)
    with pytest.raises(gg.AutogradError, match="mul.*input 0.*in-place.*version 1, expected 0"):
        loss.backward()


def test_in_place_on_non_leaf_gives_correct_gradients():
    xv = np.array([1.0, -2.0, 0.5], np.float32)
    x = gg.tensor(xv, requires_grad=True)
    h = x * 2.0
    h += 1.0                # mul's gradient does not read its output: allowed, as in torch
    assert h.grad_fn is not None and not h.is_leaf
    (h * h).sum().backward()
    close(x.grad, 2 * (2 * xv + 1) * 2)


def test_mutating_a_value_no_gradient_rule_reads_is_allowed():
    xv = np.array([1.0, 2.0])
    x = gg.tensor(xv, requires_grad=True)
    b = x * 3.0
    c = b + 1.0             # add reads only the shapes of its inputs
    b.mul_(5.0)
    (c * c).sum().backward()
    close(x.grad, 2 * (3 * xv + 1) * 3, rtol=1e-12)


def test_setitem_on_non_leaf_routes_gradients():
    xv = np.array([1.0, 2.0, 3.0])
    x = gg.tensor(xv, requires_grad=True)
    y = gg.tensor(4.0, dtype=gg.float64, requires_grad=True)
    h = x * 2.0
    h[1] = y * 3.0          # position 1 now depends on y, not on x
    (h * h).sum().backward()
    close(x.grad, [8.0 * xv[0], 0.0, 8.0 * xv[2]], rtol=1e-12)
    close(y.grad, 2 * (3 * 4.0) * 3, rtol=1e-12)


# -- leaving graphgrad, dtypes ---------------------------------------------------------------------

def test_item_numpy_tolist():
    t = gg.tensor([[1.5, 2.0], [3.0, -4.25]])
    assert t.tolist() == [[1.5, 2.0], [3.0, -4.25]]
    arr = t.numpy()
    assert isinstance(arr, np.ndarray) and arr.dtype == np.float32
    np.testing.assert_array_equal(arr, [[1.5, 2.0], [3.0, -4.25]])
    assert gg.tensor(2.5).item() == 2.5 and isinstance(gg.tensor(2.5).item(), float)
    assert gg.tensor([7]).item() == 7 and isinstance(gg.tensor([7]).item(), int)
    assert (gg.tensor([1.0, 2.0], requires_grad=True) * 2.0).sum().item() == 6.0
    with pytest.raises(gg.ShapeError, match="one-element"):
        t.item()


def test_dtype_rules():
    assert gg.tensor(1.5).dtype == gg.float32
    assert gg.tensor([1.0, 2.0]).dtype == gg.float32
    assert gg.tensor(3).dtype == gg.int64
    assert gg.tensor([1, 2]).dtype == gg.int64
    assert gg.tensor([True, False]).dtype == gg.bool
    assert gg.tensor(np.zeros(2, np.float64)).dtype == gg.float64
    assert gg.tensor(np.zeros(2, np.int32)).dtype == gg.int32
    assert gg.tensor(np.zeros(2, np.float32)).dtype == gg.float32
    assert gg.tensor([1.0], dtype=gg.float64).dtype == gg.float64
    ints, floats = gg.tensor([1, 2]), gg.tensor([0.5, 0.25])
    assert (ints + floats).dtype == gg.float32
    assert (ints + 1.5).dtype == gg.float32
    assert (ints * 2).dtype == gg.int64
    assert (gg.tensor([1.0], dtype=gg.float64) + 1).dtype == gg.float64
    assert (floats * gg.tensor([2.0], dtype=gg.float64)).dtype == gg.float64
    np.testing.assert_array_equal((ints + floats).numpy(), [1.5, 2.25])


def test_tensor_copies_its_numpy_input_and_from_numpy_shares_it():
    arr = np.ones(3, np.float32)
    t = gg.tensor(arr)
    shared = gg.from_numpy(arr)
    copied = gg.tensor(shared)
    arr[0] = 5.0
    np.testing.assert_array_equal(t.numpy(), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(shared.numpy(), [5.0, 1.0, 1.0])
    np.testing.assert_array_equal(copied.numpy(), [1.0, 1.0, 1.0])


def test_int_plus_float_gradient_flows_to_float_operand():
    ints = gg.tensor([1, 2, 3])
    w = gg.tensor([0.5, 0.5, 0.5], requires_grad=True)
    out = (ints * w + ints).sum()
    assert out.dtype == gg.float32
    out.backward()
    close(w.grad, [1.0, 2.0, 3.0])


def test_float64_gradients_are_exact():
    xv = np.array([0.1, 0.7, -0.3])
    x = gg.tensor(xv, requires_grad=True)
    assert x.dtype == gg.float64
    (x.tanh() * x.sigmoid()).sum().backward()
    s = 1 / (1 + np.exp(-xv))
    expected = (1 - np.tanh(xv) ** 2) * s + np.tanh(xv) * s * (1 - s)
    assert x.grad.dtype == gg.float64
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-14)


# -- broadcasting ----------------------------------------------------------------------------------

def test_backward_through_broadcasting():
    rng = np.random.default_rng(0)
    av, bv = rng.standard_normal((3, 1)), rng.standard_normal(4)
    cv, gv = np.float64(0.5), rng.standard_normal((2, 3, 4))
    a = gg.tensor(av, requires_grad=True)
    b = gg.tensor(bv, requires_grad=True)
    c = gg.tensor(cv, requires_grad=True)
    d = gg.tensor(rng.standard_normal((2, 1, 1)), requires_grad=True)
    dv = d.numpy()
    out = a * b + c * d                      # (3, 1), (4,), (), (2, 1, 1) -> (2, 3, 4)
    assert out.shape == (2, 3, 4)
    out.backward(gg.tensor(gv))
    close(a.grad, (gv * bv).sum(axis=(0, 2))[:, None], rtol=1e-12)
    close(b.grad, (gv * av).sum(axis=(0, 1)), rtol=1e-12)
    close(c.grad, (gv * dv).sum(), rtol=1e-12)
    close(d.grad, (gv * cv).sum(axis=(1, 2), keepdims=True), rtol=1e-12)
    assert c.grad.shape == () and d.grad.shape == (2, 1, 1)


def test_backward_through_linear_layer_with_broadcast_bias():
    rng = np.random.default_rng(1)
    xv = rng.standard_normal((5, 3)).astype(np.float32)
    wv = rng.standard_normal((2, 3)).astype(np.float32)
    bv = rng.standard_normal(2).astype(np.float32)
    yv = rng.standard_normal((5, 2)).astype(np.float32)
    w = gg.tensor(wv, requires_grad=True)
    b = gg.tensor(bv, requires_grad=True)
    r = gg.tensor(xv) @ w.T + b - gg.tensor(yv)
    (r * r).mean().backward()
    rv = xv @ wv.T + bv - yv
    close(w.grad, 2 / rv.size * rv.T @ xv, rtol=1e-5, atol=1e-6)
    close(b.grad, 2 / rv.size * rv.sum(0), rtol=1e-5, atol=1e-6)
