"""Public test helpers: finite-difference gradient checks and closeness assertions."""
import numpy as np

from graphgrad.modes import enable_grad
from graphgrad.tensor import Tensor


def _array(x):
    if isinstance(x, Tensor):
        return np.asarray(x._concrete("assert_close"))
    return np.asarray(x)


def assert_close(actual, expected, rtol=None, atol=None, msg=""):
    """Like torch.testing.assert_close: shapes equal, values within atol + rtol * |expected|.
    Default tolerances follow the dtype (float32: 1.3e-6 / 1e-5, float64: 1e-7 / 1e-7)."""
    a, e = _array(actual), _array(expected)
    if a.shape != e.shape:
        raise AssertionError(f"{msg}shapes differ: {a.shape} vs {e.shape}")
    if rtol is None or atol is None:
        low = np.float32 if np.float32 in (a.dtype, e.dtype) else np.float64
        d_rtol, d_atol = (1.3e-6, 1e-5) if low == np.float32 else (1e-7, 1e-7)
        rtol = d_rtol if rtol is None else rtol
        atol = d_atol if atol is None else atol
    if a.dtype.kind in "fc" or e.dtype.kind in "fc":
        a64, e64 = a.astype(np.float64), e.astype(np.float64)
        nan_ok = np.isnan(a64) == np.isnan(e64)
        close = np.isclose(a64, e64, rtol=rtol, atol=atol, equal_nan=True)
        if not (nan_ok.all() and close.all()):
            bad = np.atleast_1d(~close)
            diff = np.atleast_1d(np.abs(a64 - e64))
            # the worst element: a NaN mismatch first, then the largest difference
            score = np.where(bad, np.where(np.isnan(diff), np.inf, diff), -1.0)
            flat = int(np.argmax(score))
            where = np.unravel_index(flat, bad.shape)
            worst = diff[where]
            got, want = float(np.atleast_1d(a64)[where]), float(np.atleast_1d(e64)[where])
            index = tuple(int(i) for i in where) if a.ndim else ()
            raise AssertionError(
                f"{msg}{int(bad.sum())} of {max(a.size, 1)} elements differ (rtol={rtol}, "
                f"atol={atol}); worst at {index}: {got!r} vs {want!r} (max abs diff {worst:.3g})")
    elif not np.array_equal(a, e):
        raise AssertionError(f"{msg}values differ: {a!r} vs {e!r}")


def numerical_grad(fn, inputs, eps=1e-6):
    """Central finite differences of sum(fn(*inputs) * w) for a fixed random w, per input."""
    base = [np.array(_array(x), dtype=np.float64) for x in inputs]
    out0 = _array(fn(*[Tensor(b) for b in base]))
    w = np.random.default_rng(0).standard_normal(out0.shape)
    grads = []
    for k, b in enumerate(base):
        g = np.zeros_like(b)
        flat = b.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            plus = float((_array(fn(*[Tensor(x) for x in base])) * w).sum())
            flat[i] = old - eps
            minus = float((_array(fn(*[Tensor(x) for x in base])) * w).sum())
            flat[i] = old
            g.reshape(-1)[i] = (plus - minus) / (2 * eps)
        grads.append(g)
    return grads, w


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Compare autograd gradients of `fn` with central finite differences (float64).

    `fn` takes tensors and returns a tensor; every input is checked. Returns True, or raises
    AssertionError naming the input and the worst element (False if raise_exception=False).
    """
    inputs = [np.array(_array(x), dtype=np.float64) for x in inputs]
    numeric, w = numerical_grad(fn, inputs, eps)
    ts = [Tensor(x, requires_grad=True) for x in inputs]
    with enable_grad():
        out = fn(*ts)
        (out * Tensor(w.astype(np.float64))).sum().backward()
    try:
        for i, (t, n) in enumerate(zip(ts, numeric)):
            analytic = np.zeros_like(n) if t.grad is None else t.grad.numpy()
            assert_close(analytic, n, rtol=rtol, atol=atol, msg=f"gradcheck, input {i}: ")
    except AssertionError:
        if raise_exception:
            raise
        return False
    return True
