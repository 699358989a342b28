"""The numba backend: every native kernel against the reference interpreter, fallbacks to
NumPy kernels, whole training steps against eager, the on-disk cache."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad import nn, optim
from graphgrad.compiler.debug import explain
from graphgrad.dispatch import bind
from graphgrad.ir.interpret import interpret
from graphgrad.ops.convolution import conv2d_input, conv2d_weight
from graphgrad.ops.pooling import MAX_POOL2D_BACKWARD
from graphgrad.passes import DEFAULT_PASSES, run_passes
from graphgrad.runtime import Schedule


numba = pytest.importorskip("numba")
from graphgrad.runtime.native import NumbaExecutable  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def _cache_dir(tmp_path_factory):
    """Generated modules go to a private folder, shared by this module's tests."""
    folder = str(tmp_path_factory.mktemp("numba-cache"))
    previous = os.environ.get("GRAPHGRAD_CACHE_DIR")
    os.environ["GRAPHGRAD_CACHE_DIR"] = folder
    yield folder
    if previous is None:
        del os.environ["GRAPHGRAD_CACHE_DIR"]
    else:
        os.environ["GRAPHGRAD_CACHE_DIR"] = previous


def _torch_or_none():
    """torch for the oracle parts of tests whose own checks run without it."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def _arrays(shapes, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for s in shapes:
        if isinstance(s, tuple) and len(s) == 2 and isinstance(s[1], type):
            s, dt = s
        else:
            dt = dtype
        out.append(rng.standard_normal(s).astype(dt))
    return out


def check_native(fn, *arrays, native=True, passes=DEFAULT_PASSES, rtol=2e-5, atol=2e-6):
    """fn traced on `arrays`, optimized, run by the numba backend == the interpreter on the
    traced graph. With `native`, no instruction may fall back to NumPy."""
    traced = gg.trace(fn, *[gg.tensor(a) for a in arrays])
    graph, _ = run_passes(traced, passes)
    exe = NumbaExecutable(Schedule(graph))
    if native:
        assert exe.fallbacks == [], exe.describe()
    got = exe(*[a.copy() for a in arrays])
    want = interpret(traced, [a.copy() for a in arrays])
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype, (g, w)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)
    return exe


UNARY = [gg.exp, gg.tanh, gg.relu, gg.sigmoid, gg.erf, gg.abs, gg.neg, lambda x: x ** 2,
         lambda x: gg.log(x.abs() + 0.5), lambda x: gg.sqrt(x.abs()), lambda x: x.abs() ** 1.5,
         lambda x: x.abs() ** -0.5, gg.sin, gg.cos, lambda x: gg.log1p(x.abs()), gg.expm1,
         gg.floor, gg.ceil, gg.sign]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_kernels(dtype):
    # one graph holding every op: one compilation
    check_native(lambda x: tuple(f(x) for f in UNARY), *_arrays([(4, 5)], dtype), passes=[])


def test_float32_exp_log_tanh_erf_are_the_vectorizing_versions():
    x = np.linspace(-12, 12, 4097, dtype=np.float32)
    x[::9] = np.resize([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-40, -3e-39, 100.0, -100.0],
                       x[::9].shape)
    exe = check_native(lambda a: (a.exp(), (a.abs() + 1e-3).log(), a.tanh(), gg.erf(a),
                                  gg.sigmoid(a), F.softmax(a.reshape(17, 241), -1),
                                  gg.sign(a)), x, passes=[], rtol=3e-7, atol=0)
    for name in ("exp32(", "log32(", "tanh32(", "erf32("):
        assert name in exe.module_source
    signs = exe(x.copy())[-1]                   # torch's sign: +0.0 for -0.0 and NaN
    assert not np.signbit(signs[(x == 0) | np.isnan(x)]).any()
    check_native(gg.sign, np.array([-3, 0, 5], np.int64), passes=[], rtol=0, atol=0)
    exe = check_native(lambda a: (a.exp(), a.tanh()), x.astype(np.float64), passes=[])
    kernels = exe.module_source.split("\n\n\n", 1)[1]          # after the imports
    assert "np.exp(" in kernels and "exp32(" not in kernels


BINARY = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b,
          gg.maximum, gg.minimum, lambda a, b: gg.where(a > b, a, b),
          lambda a, b: (a < b).float() + (a <= b).float() * 2 + (a >= b).float() * 3
          + (a == b).float() + (a != b).float(),
          lambda a, b: gg.lerp(a, b, 0.3), lambda a, b: gg.lerp(a, b, 0.8),
          lambda a, b: a.abs() ** b]


@pytest.mark.parametrize("shapes", [((4, 5), (4, 5)), ((4, 5), (5,)), ((3, 1, 5), (4, 1)),
                                    ((4, 5), ())])
def test_binary_kernels_with_broadcasting(shapes):
    check_native(lambda a, b: tuple(f(a, b) for f in BINARY), *_arrays(shapes), passes=[])


def test_fused_chains_scalars_and_dtypes():
    x, y = _arrays([(6, 7), (7,)])
    exe = check_native(lambda a, b: gg.tanh(a * 2.0 + b).sum() * 0.5 + (a - b).exp().mean(),
                       x, y)
    assert "for i0 in range(6):" in exe.source      # readable loops over static shapes
    check_native(lambda a, b: (a * b + 1.0).relu(), *_arrays([(3, 4), (3, 4)], np.float64))
    ints = np.arange(12, dtype=np.int64).reshape(3, 4)
    check_native(lambda a, b: (a * 2 + 1, (a > 5).float() * b), ints, x[:3, :4].copy())


@pytest.mark.parametrize("m,k,n", [(5, 3, 4), (64, 48, 40), (33, 70, 20)])
def test_matmul_loops_and_blas(m, k, n):
    a, b, w, bias = _arrays([(m, k), (k, n), (n, k), (n,)])
    check_native(lambda a, b: a @ b, a, b, rtol=1e-4, atol=1e-5)
    # matmul + bias + activation fused, a transposed weight, the backward's products
    check_native(lambda a, w, bias: gg.relu(a @ w.T + bias), a, w, bias, rtol=1e-4,
                 atol=1e-5)
    check_native(lambda a, b: a.T @ (a @ b), a, b, rtol=1e-4, atol=1e-4)
    check_native(lambda a, b: (a @ b).double(), a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.filterwarnings("ignore::numba.core.errors.NumbaPerformanceWarning")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gemm_of_every_layout_equals_numpy(dtype):
    """The generated code's BLAS call (NumPy's own CBLAS where NumPy exports it): row-major,
    transposed and strided operands, empty products."""
    import ctypes
    from numba import njit
    from graphgrad.runtime.native import support
    exported = hasattr(ctypes.CDLL(np._core._multiarray_umath.__file__), "scipy_cblas_sgemm64_")
    assert support.NUMPY_CBLAS == exported         # NumPy's wheels: its own OpenBLAS is used
    run = njit(lambda a, b, out: support.gemm(a, b, out))
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((6, 9)) * 4).astype(dtype)
    b = (rng.standard_normal((9, 4)) * 4).astype(dtype)
    for a_ in (a, np.asfortranarray(a), np.repeat(a, 2, axis=1)[:, ::2], a[:, :0]):
        b_all = (b, np.asfortranarray(b), np.repeat(b, 3, axis=0)[::3], b[:0])
        for b_ in b_all:
            if a_.shape[1] != b_.shape[0]:
                continue
            out = np.full((6, 4), 7, dtype)
            run(a_, b_, out)
            np.testing.assert_allclose(out, a_ @ b_, rtol=1e-5)


@pytest.mark.parametrize("rows", [3, 40])
def test_a_product_later_in_its_fused_group(rows):
    """(a + b) + x @ W as one group whose product is not its first op (a transformer's input
    gradient): the product goes into an array of its own first, by loops or BLAS."""
    a, b, x, w = _arrays([(2, rows, 6), (2, rows, 6), (2, rows, 5), (5, 6)])
    exe = check_native(lambda a, b, x, w: ((a * b).exp() + x @ w) * 2.0, a, b, x, w,
                       rtol=1e-5, atol=1e-5)
    assert [ins.node.op.name for ins in exe.schedule.instructions] == ["fused"]


@pytest.mark.parametrize("b,t,d", [(2, 3, 4), (4, 32, 16)])
def test_batched_matmuls(b, t, d):
    """Attention's products: a linear layer over (batch, time, features) as one product of
    all rows, and per-head products of strided (permuted) views, with their gradients."""
    x, w, bias = _arrays([(b, t, 4 * d), (4 * d, 4 * d), (4 * d,)])
    w *= np.float32(0.5 / d ** 0.5)           # an initialised layer's scale
    exe = check_native(lambda x, w, bias: gg.relu(x @ w.T + bias), x, w, bias, rtol=1e-4,
                       atol=1e-5)
    assert f"reshaped(v0, ({b * t}, {4 * d}))" in exe.source

    def attention(x, w):
        h = (x @ w).reshape(b, t, 4, d)
        q, k = h.permute(0, 2, 1, 3), h.permute(0, 2, 3, 1)
        scores = F.softmax(q @ k * 0.5, -1)
        return scores @ q, scores.transpose(-1, -2) @ q
    exe = check_native(attention, x, w, rtol=1e-4, atol=1e-5)
    assert "for b1 in range(4):" in exe.source
    # the gradients through the per-head products, on the numba backend, equal eager
    grads = []
    for backend in (None, "numba"):
        xt, wt = gg.tensor(x, requires_grad=True), gg.tensor(w, requires_grad=True)

        def step(x):
            loss = (attention(x, wt)[0] ** 2).sum()
            loss.backward()
            return loss
        if backend:
            step = gg.compile(step, backend=backend)
        step(xt)
        grads.append((xt.grad.numpy(), wt.grad.numpy()))
    exe = next(iter(step.entries.values())).forward_exe
    assert not [r for _, r in exe.fallbacks if "matmul" in r], exe.describe()
    for got, want in zip(grads[1], grads[0]):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5 * np.abs(want).max())


@pytest.mark.parametrize("dims,keep", [(None, False), (0, False), (1, True), ((0, 2), False),
                                       (2, False), ((1, 2), True), (-1, True)])
def test_reductions(dims, keep):
    (x,) = _arrays([(3, 4, 5)])
    if dims is None:
        check_native(lambda a: a.sum() + a.amax(), x)
        return
    check_native(lambda a: a.sum(dims, keepdim=keep), x)
    check_native(lambda a: a.amax(dims, keepdim=keep), x)
    check_native(lambda a: (a > 0).sum(dims, keepdim=keep), x)
    # float sums over trailing runs of a strided view (a transposed input) and in float64
    check_native(lambda a: a.transpose(0, 2).sum(dims, keepdim=keep), x)
    check_native(lambda a: a.sum(dims, keepdim=keep), x.astype(np.float64), rtol=1e-12)


def test_bias_gradient_and_row_sums_call_the_cached_helpers():
    """Sums over leading dims (bias gradients) and over trailing runs (layer norm rows) are
    calls of one cached helper each, not loops in the segment (each cost 0.1 s of compile
    time)."""
    (x,) = _arrays([(6, 5, 7)])
    exe = check_native(lambda a: a.sum((0, 1)) * 2.0, x)
    assert "column_sums(reshaped(" in exe.module_source
    exe = check_native(lambda a: a.sum(-1, keepdim=True) + a, x)
    assert "row_sums(reshaped(" in exe.module_source
    # a strided input is copied first, as before
    check_native(lambda a: a.transpose(0, 2).sum((0, 1)), x)
    check_native(lambda a: a.transpose(0, 2).sum(-1), x)


@pytest.mark.parametrize("keep", [False, True])
def test_reductions_around_kept_middle_dims(keep):
    """Batch norm's statistics, (N, C, H, W) over (0, 2, 3), and other reduced dims on both
    sides of kept ones: adjacent reduced dims merged into partial results along the last
    axis; NaN wins amax as in NumPy."""
    (x,) = _arrays([(4, 3, 5, 6)])
    for dims in [(0, 2, 3), (0, 1, 3), (0, 3), (1, 3)]:
        check_native(lambda a: a.sum(dims, keepdim=keep), x)
        check_native(lambda a: a.amax(dims, keepdim=keep), x)
        check_native(lambda a: (a > 0).sum(dims, keepdim=keep), x)
    x[1, 2, 3, 4] = np.nan
    exe = check_native(lambda a: a.amax((0, 2, 3), keepdim=keep), x)
    assert "for i2 in range(30):" in exe.source               # H and W as one run


def test_per_channel_values_are_computed_once_per_channel():
    """A batch-norm-like gradient step: the loops run over (N, C, H * W), a per-channel
    expression is computed in the channel loop rather than per element, and the result is
    bitwise the interpreter's."""
    x, g, s, t = _arrays([(4, 3, 5, 6), (4, 3, 5, 6), (1, 3, 1, 1), (1, 3, 1, 1)])
    exe = check_native(lambda x, g, s, t: x * s + g * (t / (s * 2.0)) - t * 3.0, x, g, s, t,
                       rtol=0, atol=0)
    src = exe.source
    inner = src.index("for i2 in range(30):")
    channel = src.rindex("for i1 in range(3):", 0, inner)
    assert "/" in src[channel:inner] and "/" not in src[inner:src.index("store(", inner)]


@pytest.mark.parametrize("shape", [(7,), (4, 6), (2, 3, 5)])
def test_softmax_and_log_softmax(shape):
    (x,) = _arrays([shape])
    check_native(lambda a: (F.softmax(a, -1), F.log_softmax(a * 30.0, -1)), x)
    # written over their operand's dying buffer
    check_native(lambda a: (F.softmax(a * 2.0, -1) * 3.0, F.log_softmax(a * 30.0, -1) * 3.0), x)


def test_softmax_rows_with_nan_and_infinities_are_the_numpy_kernels():
    """A NaN first or later in a row makes the row NaN; +inf gives NaN rows, -inf a zero
    (softmax) or -inf (log-softmax); a row all -inf is NaN: as the NumPy kernels and torch."""
    x = _arrays([(6, 19)])[0]
    x[0, 0] = x[1, 7] = np.nan
    x[2, 3] = np.inf
    x[3, 5] = -np.inf
    x[4] = -np.inf
    exe = check_native(lambda a: (F.softmax(a, -1), F.log_softmax(a, -1)), x)
    softmax, log_softmax = exe(x)
    assert np.isnan(softmax[[0, 1, 2, 4]]).all() and np.isnan(log_softmax[[0, 1, 2, 4]]).all()
    assert softmax[3, 5] == 0 and log_softmax[3, 5] == -np.inf
    assert np.isfinite(softmax[5]).all() and np.isfinite(log_softmax[5]).all()
    torch = _torch_or_none()
    if torch is None:
        return                    # the checks above ran: no skip
    tx = torch.from_numpy(x)
    np.testing.assert_allclose(softmax, torch.softmax(tx, -1).numpy(), rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(log_softmax, torch.log_softmax(tx, -1).numpy(), rtol=2e-6,
                               atol=1e-6)


def test_views_reshape_permute_broadcast():
    (x,) = _arrays([(2, 3, 4)])
    check_native(lambda a: (a.permute(2, 0, 1) * 1.0, a.reshape(6, 4) + 1.0,
                            a.transpose(0, 1).reshape(-1) * 2.0,
                            a.reshape(2, 12).T + gg.zeros(5, 12, 2)), x)


def test_cross_entropy_and_its_index_check():
    x, = _arrays([(8, 5)])
    y = np.array([0, 4, 2, 1, 3, 3, 0, 1])
    check_native(lambda a, t: F.cross_entropy(a, t), x, y)
    traced = gg.trace(lambda a, t: F.cross_entropy(a, t), gg.tensor(x), gg.tensor(y))
    exe = NumbaExecutable(Schedule(run_passes(traced, DEFAULT_PASSES)[0]))
    with pytest.raises(gg.errors.GraphgradError, match="class index 7 out of range"):
        exe(x, np.where(y == 3, 7, y))


def test_cross_entropy_of_reshaped_targets_checks_them_natively():
    """A language model's (batch, time) targets, flattened: checked natively, and a bad
    target raises the NumPy kernel's error, found in the input the reshape reads."""
    x, = _arrays([(2, 4, 5)])
    y = np.array([[0, 4, 2, 1], [3, 3, 0, 1]])

    def loss(a, t):
        return F.cross_entropy(a.reshape(-1, 5), t.reshape(-1))
    exe = check_native(loss, x, y)
    with pytest.raises(gg.errors.GraphgradError, match="class index -2 out of range"):
        exe(x, np.where(y == 4, -2, y))


def test_float32_activations_and_their_gradients_match_torch():
    """The numba backend's own float32 exp, log, tanh and erf (float32_math.py), through the
    activations built on them, against torch's values and gradients."""
    torch = pytest.importorskip("torch")
    x = (np.random.default_rng(0).standard_normal((64, 257)) * 3).astype(np.float32)
    weights = np.random.default_rng(1).standard_normal((8,) + x.shape).astype(np.float32)

    def activations(a, lib):
        f = lib.nn.functional
        return [f.gelu(a), f.gelu(a, approximate="tanh"), f.softmax(a, -1),
                f.log_softmax(a, -1), lib.sigmoid(a), lib.tanh(a), lib.exp(a / 4),
                lib.log(a.abs() + 1e-3)]

    def step(a):
        outs = activations(a, gg)
        sum(((o * gg.tensor(wt)).sum() for o, wt in zip(outs, weights)), gg.zeros(())).backward()
        return tuple(outs)
    native = gg.compile(step, backend="numba")
    a = gg.tensor(x, requires_grad=True)
    got = [o.numpy() for o in native(a)]
    assert next(iter(native.entries.values())).forward_exe.fallbacks == []
    t = torch.tensor(x, requires_grad=True)
    want = activations(t, torch)
    sum((o * torch.tensor(wt)).sum() for o, wt in zip(want, weights)).backward()
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w.detach().numpy(), rtol=2e-6, atol=2e-6)
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_embedding_rows_and_slices_and_their_gradients():
    """Rows picked by an index tensor (an embedding), slices (a packed projection's parts),
    and their gradients (rows and slices added back), against the interpreter and eager."""
    w, = _arrays([(10, 6)])
    rows = np.array([[1, 9, -1], [3, 3, 0]])
    exe = check_native(lambda w, i: (w[i] * 2.0, w[gg.arange(3)] + 1.0, w[2:8:2] * 3.0,
                                     w[-3:]), w, rows)
    assert "raise CheckFailed" in exe.source

    def step(i):
        emb = gg.tensor(w, requires_grad=True)
        loss = ((emb[i] * emb[gg.arange(3)]).sum() + (emb[1:4] ** 2).sum() + emb[::3].sum()
                + (emb[-4:, 1::2] ** 3).sum())
        loss.backward()
        return loss, emb.grad
    eager = [t.numpy() for t in step(gg.tensor(rows))]
    native = gg.compile(step, backend="numba")
    got = [t.numpy() for t in native(gg.tensor(rows))]
    entry = next(iter(native.entries.values()))
    assert entry.forward_exe.fallbacks == [], entry.forward_exe.describe()
    for a, b in zip(got, eager):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_a_row_out_of_range_raises_the_numpy_kernels_error(backend):
    w, = _arrays([(10, 6)])
    emb = gg.tensor(w, requires_grad=True)

    def step(i):
        loss = (emb[i] ** 2).sum()
        loss.backward()
        return loss
    compiled = gg.compile(step, backend=backend)
    compiled(gg.tensor(np.array([[1, 2], [3, 4]])))
    if backend == "numba":                  # the gather and its gradient are native
        assert next(iter(compiled.entries.values())).forward_exe.fallbacks == []
    before = emb.grad.numpy().copy()
    with pytest.raises(gg.errors.OutOfRangeError,
                       match=r"getitem: index 12 is out of bounds for axis 0 with size 10 "
                             r"\(tensor of shape \(10, 6\)\)"):
        compiled(gg.tensor(np.array([[1, 2], [12, -11]])))
    np.testing.assert_array_equal(emb.grad.numpy(), before)


def test_ops_without_native_kernel_run_on_numpy_between_segments():
    x, = _arrays([(4, 5)])
    exe = check_native(lambda a: (gg.cumsum(a * 2.0, 1) + 1.0).exp().sum(0), x, native=False)
    assert [ins.node.op.name for ins, _ in exe.fallbacks] == ["cumsum"]
    assert len(exe.segments) == 2
    assert "cumsum" in "\n".join(exe.describe())


@pytest.mark.parametrize("shape,k", [((2, 3, 8, 8), 2), ((2, 2, 7, 9), 2), ((1, 2, 9, 9), 3)])
def test_max_pool_windows_tiling_the_input_run_natively(shape, k):
    """Forward and gradient as native loops, bitwise the interpreter: ReLU's ties go to the
    first maximum, a NaN wins (the last NaN of a window), rows and columns no window covers and
    unpicked positions get +0.0."""
    x = np.maximum(_arrays([shape])[0], 0)
    x.reshape(-1)[5] = np.nan
    x.reshape(-1)[6] = np.nan
    attrs = {"kernel": (k, k), "stride": (k, k), "padding": (0, 0), "dilation": (1, 1),
             "ceil_mode": False}

    def f(x):
        y = F.max_pool2d(x, k)
        return y, bind(MAX_POOL2D_BACKWARD, -y.abs() - 1.0, x, **attrs)
    for dtype in (np.float32, np.float64):
        exe = check_native(f, x.astype(dtype), rtol=0, atol=0)
        got = exe(x.astype(dtype))[1]
        assert not np.signbit(got[got == 0]).any()
    # windows past the input (ceil_mode) stay on NumPy
    exe = check_native(lambda x: F.max_pool2d(x, 2, ceil_mode=True), x[..., :7, :7].copy(),
                       native=False)
    assert [ins.node.op.name for ins, _ in exe.fallbacks] == ["max_pool2d"]


def test_numpy_kernels_between_segments_write_into_their_planned_buffers():
    """A padding (no native kernel) writes into its planned buffer, as in the NumPy backend,
    and the values read after it by native code are right, over repeated calls."""
    x, = _arrays([(2, 3, 8, 8)])
    exe = check_native(lambda x: (F.pad(x * 3.0, (1, 2, 0, 1)).relu() * 2.0).sum((0, 2, 3)),
                       x, native=False)
    pad = next(i for i, ins in enumerate(exe.schedule.instructions)
               if ins.node.op.name == "pad")
    assert [ins.node.op.name for ins, _ in exe.fallbacks] == ["pad"]
    assert f"= o{pad}(b" in exe.source
    first = exe(x)[0].copy()
    for _ in range(3):
        np.testing.assert_array_equal(exe(x)[0], first)


# x, weight, stride, padding, dilation, groups
CONVOLUTIONS = [
    ((2, 3, 8, 8), (4, 3, 3, 3), 1, 1, 1, 1),               # 'same' 3x3: the shifted columns
    ((2, 3, 7, 9), (4, 3, 3, 3), 2, 1, 1, 1),               # strided
    ((2, 2, 9, 8), (3, 2, 3, 2), 1, 0, 1, 1),               # no padding, a 3x2 kernel
    ((1, 2, 9, 9), (2, 2, 3, 3), 1, 3, 3, 1),               # dilated
    ((2, 4, 6, 6), (6, 2, 3, 3), 1, 1, 1, 2),               # groups
    ((2, 4, 6, 5), (4, 1, 3, 3), (2, 1), (1, 2), 1, 4),     # depthwise, mixed geometry
    ((2, 3, 5, 5), (2, 3, 4, 4), 1, "same", 1, 1),          # even kernel: uneven padding
    ((2, 1, 4, 4), (2, 1, 5, 5), 1, 2, 1, 1),               # kernel wider than the input
    ((2, 2, 5, 7), (3, 2, 3, 3), (1, 3), (2, 0), (2, 1), 1),
]


@pytest.mark.parametrize("case", CONVOLUTIONS, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_convolution_and_its_gradients_run_natively(case, dtype):
    x_shape, w_shape, stride, padding, dilation, groups = case
    geom = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    x, w = _arrays([x_shape, w_shape], dtype)
    y_shape = F.conv2d(gg.tensor(x), gg.tensor(w), **geom).shape
    g, = _arrays([y_shape], dtype, seed=1)

    def f(x, w, g):
        return (F.conv2d(x, w, **geom), conv2d_input(x.shape, w, g, **geom),
                conv2d_weight(x, w.shape, g, **geom))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    exe = check_native(f, x, w, g, rtol=tol, atol=tol)
    assert exe.module_source.count("conv2d") >= 3
    # and eager graphgrad, and torch where installed: the same values
    eager = f(gg.tensor(x), gg.tensor(w), gg.tensor(g))
    for got, want in zip(exe(x, w, g), eager):
        np.testing.assert_allclose(got, want.numpy(), rtol=tol, atol=tol)
    torch = _torch_or_none()
    if torch is None:
        return                    # the checks above ran: no skip
    tx, tw, tg = (torch.from_numpy(a) for a in (x, w, g))
    want = [torch.nn.functional.conv2d(tx, tw, **geom)]
    if not isinstance(geom["padding"], str):        # torch.nn.grad takes no 'same'
        want += [torch.nn.grad.conv2d_input(tx.shape, tw, tg, **geom),
                 torch.nn.grad.conv2d_weight(tx, tw.shape, tg, **geom)]
    for got, expected in zip(exe(x, w, g), want):
        np.testing.assert_allclose(got, expected.numpy(), rtol=tol * 10, atol=tol * 10)


def test_1d_and_transposed_convolutions_run_natively():
    x, w1, w2 = _arrays([(2, 3, 11), (4, 3, 3), (3, 2, 3, 3)])
    check_native(lambda x, w: F.conv1d(x, w, stride=2, padding=1), x, w1, rtol=1e-5, atol=1e-5)
    x2, = _arrays([(2, 3, 5, 6)])
    check_native(lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
                 x2, w2, rtol=1e-5, atol=1e-5)


def test_convolutions_with_large_columns_and_3d_ones_stay_on_numpy():
    x, w = _arrays([(1, 64, 96, 96), (8, 64, 3, 3)])
    exe = check_native(lambda x, w: F.conv2d(x, w, padding=1), x, w, native=False,
                       rtol=1e-4, atol=1e-4)
    assert [ins.node.op.name for ins, _ in exe.fallbacks] == ["conv2d"]
    x3, w3 = _arrays([(1, 2, 4, 4, 4), (2, 2, 3, 3, 3)])
    exe = check_native(lambda x, w: F.conv3d(x, w), x3, w3, native=False, rtol=1e-5, atol=1e-5)
    assert [ins.node.op.name for ins, _ in exe.fallbacks] == ["conv3d"]


def _train(backend, make_model, make_opt, steps, batch=16, classes=3, features=6, seed=0):
    gg.manual_seed(seed)
    model = make_model()
    opt = make_opt(model.parameters())

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    if backend is not None:
        step = gg.compile(step, backend=backend)
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(steps):
        x = gg.tensor(rng.standard_normal((batch, features)).astype(np.float32))
        y = gg.tensor(rng.integers(0, classes, batch))
        losses.append(float(step(x, y)))
    return losses, [p.numpy().copy() for p in model.parameters()], step


MODELS = {
    "relu-sgd-momentum": (lambda: nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3)),
                          lambda p: optim.SGD(p, lr=0.05, momentum=0.9)),
    "tanh-adam": (lambda: nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(),
                                        nn.Linear(8, 3)),
                  lambda p: optim.Adam(p, lr=1e-2)),
    "sigmoid-sgd": (lambda: nn.Sequential(nn.Linear(6, 40), nn.Sigmoid(), nn.Linear(40, 3)),
                    lambda p: optim.SGD(p, lr=0.1)),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_training_equals_eager(name):
    make_model, make_opt = MODELS[name]
    eager, eager_params, _ = _train(None, make_model, make_opt, 30)
    native, native_params, step = _train("numba", make_model, make_opt, 30)
    np.testing.assert_allclose(native, eager, rtol=1e-4, atol=1e-5)
    for a, b in zip(native_params, eager_params):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)
    entry = next(iter(step.entries.values()))
    assert isinstance(entry.forward_exe, NumbaExecutable)
    assert entry.forward_exe.fallbacks == [], entry.forward_exe.describe()
    assert "backend numba: " in explain(step, entry, out=None)


def _batch():
    rng = np.random.default_rng(0)
    return (gg.tensor(rng.standard_normal((16, 6)).astype(np.float32)),
            gg.tensor(rng.integers(0, 3, 16)))


def test_compiled_forward_with_compiled_backward():
    model = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3))
    fwd = gg.compile(model, backend="numba")
    x, y = _batch()
    loss = F.cross_entropy(fwd(x), y)
    loss.backward()
    grads = [p.grad.numpy().copy() for p in model.parameters()]
    for p in model.parameters():
        p.grad = None
    F.cross_entropy(model(x), y).backward()
    for g, p in zip(grads, model.parameters()):
        np.testing.assert_allclose(g, p.grad.numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.slow
def test_second_process_loads_from_the_disk_cache(tmp_path):
    script = textwrap.dedent("""
        import time, numpy as np
        start = time.perf_counter()
        import graphgrad as gg
        from graphgrad.tools.bench import make_step
        gg.config.backend = "numba"
        step, args = make_step("small", "compiled")
        step(*args)
        entry = step.entry_for(*args)
        assert type(entry.forward_exe).__name__ == "NumbaExecutable"
        print(entry.forward_exe.build_seconds)
    """)
    env = dict(os.environ, GRAPHGRAD_CACHE_DIR=str(tmp_path))
    run = [sys.executable, "-c", script]
    cold = float(subprocess.run(run, env=env, capture_output=True, text=True,
                                check=True).stdout)
    modules = sorted(os.listdir(tmp_path / "numba"))
    warm = float(subprocess.run(run, env=env, capture_output=True, text=True,
                                check=True).stdout)
    files = os.listdir(tmp_path / "numba")
    assert sorted(files) == modules         # the second process generated no module of its own
    assert any(f.endswith(".py") for f in files) and "__pycache__" in files
    assert any(f.endswith(".nbi") for f in os.listdir(tmp_path / "numba" / "__pycache__"))
    assert warm < cold / 2, (cold, warm)


def test_building_does_not_import_scipy_linalg_and_leaves_its_imports_ordinary(tmp_path):
    """numba's BLAS module is loaded on its own while a step is built (importing the package
    `scipy.linalg` costs more than loading a cached step), then handed back: importing it or
    its package afterwards, or during a build, works as it always does."""
    script = textwrap.dedent("""
        import sys, numpy as np
        import graphgrad as gg
        from graphgrad.runtime.native.scipy_blas import blas_loaded_alone
        x = np.arange(12, dtype=np.float32).reshape(3, 4)
        f = gg.compile(lambda a: (a @ a.T).relu(), backend="numba")
        np.testing.assert_array_equal(f(gg.tensor(x)).numpy(), x @ x.T)
        assert "scipy.linalg" not in sys.modules, "the package was imported"
        assert "scipy.linalg.cython_blas" not in sys.modules, "the module was not handed back"
        with blas_loaded_alone():
            import scipy.linalg             # imported while the module is loaded alone
        import scipy.linalg.cython_blas
        assert scipy.linalg.cython_blas is sys.modules["scipy.linalg.cython_blas"]
        assert "sgemm" in scipy.linalg.cython_blas.__pyx_capi__
        np.testing.assert_allclose(scipy.linalg.inv(np.eye(2) * 2), np.eye(2) / 2)
        print("ok")
    """)
    env = dict(os.environ, GRAPHGRAD_CACHE_DIR=str(tmp_path))
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert run.stdout.strip() == "ok", run.stderr


def test_a_changed_helper_changes_the_generated_modules_name(monkeypatch):
    """numba's cache only sees a generated module's own file: the module's source names a
    digest of the helpers it inlines, so code built with an older helper is never loaded."""
    import graphgrad.runtime.native as native
    (x,) = _arrays([(4, 5)])
    exe = check_native(lambda a: a.exp() * 2.0, x)
    assert f"helpers {native._helpers_digest()}" in exe.module_source
    monkeypatch.setattr(native, "_helpers_digest", lambda: "0123456789ab")
    again = check_native(lambda a: a.exp() * 2.0, x)
    assert "helpers 0123456789ab" in again.module_source
    assert again.module.__name__ != exe.module.__name__


def test_the_generated_source_does_not_depend_on_where_the_arenas_lie(monkeypatch):
    """Buffers are named by their place in the memory plan, not by their addresses: the same
    graph gives the same module (and numba's cached code) in every process, wherever malloc
    put the arenas."""
    import graphgrad.runtime.memory as memory
    (x,) = _arrays([(64, 32)])
    fn = lambda a: ((a * 2.0).tanh() @ a.T).exp().sum(axis=1)
    first = check_native(fn, x)
    aligned = memory._aligned_bytes
    # an arena starting 16 bytes into the array that owns it, as malloc may hand out
    monkeypatch.setattr(memory, "_aligned_bytes", lambda n: aligned(n + 16)[16:])
    again = check_native(fn, x)
    assert again.module_source == first.module_source
    assert again.module.__name__ == first.module.__name__


def _kernel(source, ops):
    """The source of the generated elementwise kernel computing `ops` (its comment line)."""
    start = source.index(f"# {ops}\n")
    return source[start:source.index("store(out, o)", start)]


def test_results_written_over_an_operand_read_it_through_the_result_array():
    """A state updated in place, and a result planned into its operand's dying buffer, read
    that operand as the array they write (a second pointer to the same memory fails LLVM's
    overlap check: the loop never vectorized, 4.6x slower on a momentum update)."""
    (x,) = _arrays([(6, 7)])
    exe = check_native(lambda a: ((a.exp() * 2.0 - 1.0) * (a.exp() * 2.0 - 1.0)
                                  .sum(1, keepdim=True)).sum(0), x)
    mul = _kernel(exe.source, "mul")
    assert "(out, a0):" in mul and "o = flat(out)" in mul and "(o[i0 * 7 + i1] * e0)" in mul

    rng = np.random.default_rng(2)
    velocity = gg.from_numpy(rng.standard_normal((8, 5)).astype(np.float32))
    start = velocity.numpy().copy()
    compiled = gg.compile(lambda g: velocity.mul_(0.9).add_(g).sum(), backend="numba")
    g = rng.standard_normal((8, 5)).astype(np.float32)
    compiled(gg.from_numpy(g))
    exe = next(iter(compiled.entries.values())).forward_exe
    update = _kernel(exe.source, "mul+add")
    assert "(out, a0):" in update and "(o[k] * np.float32(0.89" in update
    np.testing.assert_allclose(velocity.numpy(), start * np.float32(0.9) + g, rtol=1e-6)


def test_arguments_and_state_of_any_layout():
    """Flat loops copy a non-contiguous operand, and an update of a non-contiguous state
    array is copied back into it."""
    rng = np.random.default_rng(1)
    w = gg.from_numpy(np.asfortranarray(rng.standard_normal((5, 4)).astype(np.float32)))
    v = gg.from_numpy(rng.standard_normal((4, 5)).astype(np.float32).T)   # a transposed view

    def update(x):
        w.sub_(x * 0.5 + w * 0.1)         # (5, 4) F-ordered, like x
        return (x.exp() + 1.0).sum(0)

    x = rng.standard_normal((4, 5)).astype(np.float32).T                  # F-ordered argument
    compiled = gg.compile(lambda x: update(x) + v.sum(), backend="numba")
    w0 = w.numpy().copy()
    out = compiled(gg.from_numpy(x))
    exe = next(iter(compiled.entries.values())).forward_exe
    assert isinstance(exe, NumbaExecutable) and exe.fallbacks == [], exe.describe()
    assert w.numpy().flags.f_contiguous and not w.numpy().flags.c_contiguous
    xs = x
    np.testing.assert_allclose(w.numpy(), w0 - (xs * 0.5 + w0 * 0.1), rtol=1e-6)
    np.testing.assert_allclose(out.numpy(), (np.exp(xs) + 1.0).sum(0) + v.numpy().sum(),
                               rtol=1e-5)


def test_segments_are_optimized_at_o2_and_kernels_at_numbas_level(monkeypatch, tmp_path):
    """A segment's module (its kernels linked in, already optimized) is optimized at -O2,
    kernels at numba's own level."""
    from numba.core import codegen, config
    from graphgrad.runtime.native import llvm_level
    levels = {}

    def record(self):
        levels[self.name] = int(config.OPT)
    monkeypatch.setattr(codegen.CPUCodeLibrary, "_optimize_final_module", record)
    monkeypatch.setattr(config, "OPT", type(config.OPT)(3))
    llvm_level.install()                        # wraps the recorder
    monkeypatch.setenv("GRAPHGRAD_CACHE_DIR", str(tmp_path))
    import graphgrad.runtime.native as native
    monkeypatch.setattr(native, "_helpers_digest", lambda: "levels")    # a module of its own
    (x,) = _arrays([(5, 3)])
    NumbaExecutable(Schedule(run_passes(gg.trace(lambda a: (a.tanh() * 3.0).exp(),
                                                 gg.tensor(x)), DEFAULT_PASSES)[0]))
    assert levels.get("segment0") == 2 and levels.get("wide_kernel0") == 3, levels
    assert config.OPT == 3


def test_loops_of_exp_log_tanh_erf_ask_for_the_widest_vectors():
    """Kernels that call the float32 exp/log/tanh/erf (and the softmax rows) carry LLVM's
    "prefer-vector-width"="512" (1.5-1.75x faster on AVX-512 CPUs); plain arithmetic, where
    wider vectors only lengthen the scalar remainder of short loops, keeps LLVM's default."""
    (x,) = _arrays([(6, 4)])
    exe = check_native(lambda a: ((a * 3.0) @ a.T).exp().softmax(-1), x)
    names = {n for n in dir(exe.module) if "kernel" in n}
    assert any(n.startswith("wide_kernel") for n in names), names
    assert any(n.startswith("kernel") for n in names), names
    for name in names:
        ir = "".join(getattr(exe.module, name).inspect_llvm().values())
        assert ('"prefer-vector-width"="512"' in ir) == name.startswith("wide_"), name
