"""The fast kernels (stride-1 convolution by shifted GEMMs, max pool over tiling windows, GEMV
sums, sorted row accumulation) against the general kernels they stand in for."""
import importlib

import numpy as np
import pytest

import graphgrad as gg
import graphgrad.testing  # noqa: F401
import graphgrad.nn.functional as F
from graphgrad.ops import (conv_kernels, conv_shift, index_kernels, pooling,
                           reduce_kernels, scratch)

RNG = np.random.default_rng(7)


def _conv_all(x, w, g, geom, general=False, monkeypatch=None):
    if general:
        monkeypatch.setattr(conv_shift, "_MAX_COLUMN_BYTES", -1)
    out = conv_kernels.conv_out(np.empty(g.shape, x.dtype), x, w, **geom)
    dx = conv_kernels.input_grad_out(np.empty_like(x), g, w, x_shape=x.shape, **geom)
    dw = conv_kernels.weight_grad_out(np.empty_like(w), x, g, w_shape=w.shape, **geom)
    if general:
        monkeypatch.undo()
    return out, dx, dw


@pytest.mark.parametrize("x_shape, w_shape, padding, dilation", [
    ((3, 4, 9, 8), (5, 4, 3, 3), (1, 1, 1, 1), (1, 1)),
    ((2, 1, 10, 7), (6, 1, 3, 2), (0, 2, 1, 0), (1, 1)),        # one input channel, asymmetric
    ((2, 3, 11, 9), (4, 3, 3, 3), (2, 2, 2, 2), (2, 2)),        # dilation
    ((1, 2, 5, 5), (3, 2, 1, 1), (0, 0, 0, 0), (1, 1)),         # 1x1
    ((2, 2, 4, 5, 6), (3, 2, 2, 3, 2), (1, 0, 1, 1, 0, 1), (1, 1, 1)),   # 3-D
])
def test_shifted_gemm_convolution_equals_im2col(x_shape, w_shape, padding, dilation,
                                                monkeypatch):
    x, w = RNG.standard_normal(x_shape), RNG.standard_normal(w_shape)
    nd = len(x_shape) - 2
    geom = dict(stride=(1,) * nd, padding=padding, dilation=dilation, groups=1)
    out_size = tuple(n + padding[2 * i] + padding[2 * i + 1] - dilation[i] * (k - 1)
                     for i, (n, k) in enumerate(zip(x_shape[2:], w_shape[2:])))
    g = RNG.standard_normal((x_shape[0], w_shape[0]) + out_size)
    assert conv_shift.applies(x.shape, w.shape, geom["stride"], 1, 8)
    fast = _conv_all(x, w, g, geom)
    general = _conv_all(x, w, g, geom, general=True, monkeypatch=monkeypatch)
    for a, b in zip(fast, general):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_shifted_gemm_convolution_in_many_blocks(monkeypatch):
    x, w = RNG.standard_normal((5, 3, 12, 10)), RNG.standard_normal((4, 3, 3, 2))
    g = RNG.standard_normal((5, 4, 12, 10))
    geom = dict(stride=(1, 1), padding=(1, 1, 1, 0), dilation=(1, 1), groups=1)
    whole = _conv_all(x, w, g, geom)
    monkeypatch.setattr(conv_shift, "_BLOCK_BYTES", 1)          # 256 positions a block
    assert len(conv_shift._blocks(conv_shift._Plan(x.shape, (3, 2), (1, 1, 1, 0), (1, 1)),
                                  18, 8)) > 1
    for a, b in zip(_conv_all(x, w, g, geom), whole):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_shifted_gemm_convolution_reuses_scratch_without_carrying_values_over(monkeypatch):
    """Geometries with the same flat scratch shape but different zero borders, called in
    turns (each reuses the other's arrays if the keys were too coarse), equal the general
    kernels on every call, and the outputs are never the scratch arrays."""
    x = RNG.standard_normal((2, 3, 6, 6))
    w = RNG.standard_normal((4, 3, 3, 3))
    geoms = [dict(stride=(1, 1), padding=p, dilation=(1, 1), groups=1)
             for p in [(1, 1, 1, 1), (2, 0, 0, 2), (0, 2, 2, 0)]]     # one padded size: 8x8
    grads = [RNG.standard_normal((2, 4, 6, 6)) for _ in geoms]
    wants = [_conv_all(x, w, g, geom, general=True, monkeypatch=monkeypatch)
             for g, geom in zip(grads, geoms)]
    for _ in range(2):
        for g, geom, want in zip(grads, geoms, wants):
            got = _conv_all(x, w, g, geom)
            for a, b in zip(got, want):
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
            held = list(scratch._cache().values())
            assert not any(np.shares_memory(a, h) for a in got for h in held)


def test_general_convolution_kernels_reuse_scratch_without_carrying_values_over():
    """Strided and grouped convolutions (the im2col kernels), with geometries whose padded
    copies share a shape, called in turns: every call equals a call with no scratch kept."""
    x = RNG.standard_normal((2, 4, 7, 7))
    cases = [((4, 2, 3, 3), dict(stride=(2, 2), padding=(1, 1, 1, 1), dilation=(1, 1), groups=2)),
             ((4, 2, 3, 3), dict(stride=(2, 2), padding=(2, 0, 0, 2), dilation=(1, 1), groups=2)),
             ((4, 4, 2, 2), dict(stride=(3, 3), padding=(1, 1, 1, 1), dilation=(1, 1), groups=1))]
    inputs = []
    for w_shape, geom in cases:
        size = [(7 + geom["padding"][2 * i] + geom["padding"][2 * i + 1] - w_shape[2 + i])
                // geom["stride"][i] + 1 for i in range(2)]
        w, g = RNG.standard_normal(w_shape), RNG.standard_normal((2, w_shape[0], *size))
        scratch.clear()
        inputs.append((w, g, geom, _conv_all(x, w, g, geom)))
    for _ in range(2):
        for w, g, geom, want in inputs:
            for a, b in zip(_conv_all(x, w, g, geom), want):
                np.testing.assert_array_equal(a, b)


def test_scratch_arrays_are_per_thread_and_bounded(monkeypatch):
    import threading
    mine = scratch.scratch("test-key", (4, 4), np.float32)
    assert scratch.scratch("test-key", (4, 4), np.float32) is mine
    theirs = []
    t = threading.Thread(target=lambda: theirs.append(scratch.scratch("test-key", (4, 4),
                                                                      np.float32)))
    t.start()
    t.join()
    assert theirs[0] is not mine
    monkeypatch.setattr(scratch, "_BUDGET_BYTES", 3 * 64)
    for i in range(5):
        scratch.scratch(("test-budget", i), (4, 4), np.float32)
    assert sum(a.nbytes for a in scratch._cache().values()) <= 3 * 64
    scratch.clear()
    assert not scratch._cache()


def test_shifted_gemm_convolution_takes_strided_inputs_and_float32():
    x = RNG.standard_normal((4, 9, 3, 8)).astype(np.float32).transpose(0, 2, 1, 3)
    w = RNG.standard_normal((2, 3, 3, 3)).astype(np.float32)
    got = F.conv2d(gg.tensor(x), gg.tensor(w), padding=1).numpy()
    want = F.conv2d(gg.tensor(np.ascontiguousarray(x).astype(np.float64)),
                    gg.tensor(w.astype(np.float64)), padding=1).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_convolution_gradients_by_finite_differences():
    x = gg.tensor(RNG.standard_normal((2, 2, 5, 4)), requires_grad=True)
    w = gg.tensor(RNG.standard_normal((3, 2, 3, 2)), requires_grad=True)
    assert gg.testing.gradcheck(lambda x, w: F.conv2d(x, w, padding=(1, 1), dilation=(1, 2)),
                                 (x, w))


def _pool_general(fn, *args, monkeypatch, **attrs):
    monkeypatch.setattr(pooling.pool_kernels, "tiles", lambda *a, **k: None)
    try:
        return fn(*args, **attrs)
    finally:
        monkeypatch.undo()


@pytest.mark.parametrize("shape, kernel", [((2, 3, 8, 6), (2, 2)), ((2, 2, 9, 7), (3, 2)),
                                           ((1, 2, 4, 6, 6), (2, 3, 2))])
@pytest.mark.parametrize("ties", [True, False], ids=["ties", "distinct"])
def test_tiled_max_pool_equals_the_general_kernel_with_ties(shape, kernel, ties, monkeypatch):
    x = RNG.standard_normal(shape)
    if ties:
        x = np.maximum(x, 0).round(1)                           # many tied maxima
    attrs = dict(kernel=kernel, stride=kernel, padding=(0,) * len(kernel),
                 dilation=(1,) * len(kernel), ceil_mode=False)
    out_size = tuple(n // k for n, k in zip(shape[2:], kernel))
    assert pooling.pool_kernels.tiles(x, out_size, **attrs) is not None
    out = np.empty(shape[:2] + out_size)
    g = RNG.standard_normal(out.shape)
    fast = (pooling._max_pool_out(out.copy(), x, **attrs),
            pooling._max_pool_backward_out(np.empty(shape), g, x, **attrs))
    general = (_pool_general(pooling._max_pool_out, out.copy(), x, monkeypatch=monkeypatch,
                             **attrs),
               _pool_general(pooling._max_pool_backward_out, np.empty(shape), g, x,
                             monkeypatch=monkeypatch, **attrs))
    for a, b in zip(fast, general):
        np.testing.assert_array_equal(a, b)


def test_tiled_max_pool_nan_and_strided_input_match_torch():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 3, 6, 8))
    x[0, 1, 2, 3] = x[1, 2, 0, 0] = x[1, 2, 1, 1] = np.nan
    x = x.transpose(0, 1, 3, 2)
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.max_pool2d(xt, 2)
    yt.backward(torch.ones_like(yt))
    xg = gg.tensor(x, requires_grad=True)
    y = F.max_pool2d(xg, 2)
    y.backward(gg.ones_like(y))
    np.testing.assert_array_equal(y.numpy(), yt.detach().numpy())
    np.testing.assert_array_equal(xg.grad.numpy(), xt.grad.numpy())


@pytest.mark.parametrize("shape, dims", [((50, 7), (0,)), ((4, 5, 30), (2,)),
                                         ((6, 3, 5, 7), (0, 2, 3)), ((6, 4, 20), (0, 1)),
                                         ((6, 8, 9, 10), (0, 1, 2, 3)), ((40, 9), (1,))])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gemv_sums_equal_numpy(shape, dims, dtype):
    x = RNG.standard_normal(shape).astype(dtype)
    split = reduce_kernels.gemv_split(x.shape, x.dtype, dims)
    assert split is not None
    got = reduce_kernels.gemv_sum(x, split, np.sum(x, axis=dims).shape)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(got, np.sum(x.astype(np.float64), axis=dims), rtol=tol,
                               atol=tol)
    assert got.dtype == dtype
    np.testing.assert_allclose(gg.tensor(x).sum(dims).numpy(), got, rtol=tol, atol=tol)
    assert reduce_kernels.gemv_sum(np.asfortranarray(x), split, got.shape) is None


def test_gemv_sums_are_not_used_for_middle_axes_ints_or_tiny_arrays():
    assert reduce_kernels.gemv_split((40, 50, 60), np.float32, (1,)) is None
    assert reduce_kernels.gemv_split((400, 5), np.int64, (0,)) is None
    assert reduce_kernels.gemv_split((4, 5), np.float64, (0,)) is None
    assert reduce_kernels.gemv_split((16, 16), np.float32, (0, 1)) is None   # a small total
    x = RNG.standard_normal((30, 40)).astype(np.float32)
    np.testing.assert_allclose(gg.tensor(x.T).sum(0).numpy(), x.T.sum(0), rtol=1e-5, atol=1e-5)
    x[3, 2] = np.inf
    assert np.isinf(gg.tensor(x).sum(0).numpy()[2])


@pytest.mark.parametrize("shape, dims", [((1, 300), (0,)), ((300, 1), (1,)),
                                         ((1, 20, 30), (0,)), ((50, 7), (0,)), ((40, 9), (1,))])
@pytest.mark.parametrize("compiled", [False, True])
def test_sums_never_return_a_view_of_their_input(shape, dims, compiled):
    # summing only size-1 axes once returned a reshaped view: writing the sum wrote x
    x = gg.ones(shape)
    f = (lambda t: t.sum(dims))
    f = gg.compile(f) if compiled else f
    for _ in range(2):
        s = f(x)
        assert not np.shares_memory(s.numpy(), x.numpy())
        s += 1
        assert x.sum().item() == np.prod(shape)
    # the schedule's kernel, chosen once per shape; it also takes non-contiguous arrays
    a = x.numpy()
    k = reduce_kernels.sum_kernel(a.shape, a.dtype, dims, np.sum(a, axis=dims).shape)
    np.testing.assert_allclose(k(a), np.sum(a, axis=dims))
    assert not np.shares_memory(k(a), a)
    np.testing.assert_allclose(k(np.asfortranarray(a)), np.sum(a, axis=dims))


def test_sorted_row_accumulation_equals_add_at():
    view = RNG.standard_normal((10, 4, 3))
    index = RNG.integers(-10, 10, (6, 5))
    value = RNG.standard_normal((6, 5, 4, 3))
    want = view.copy()
    np.add.at(want, (index,), value)
    got = view.copy()
    assert index_kernels.add_rows(got, (index,), value)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)
    got = view.copy()
    assert index_kernels.add_rows(got, (index,), value[:, :1, :1])      # broadcast value
    want = view.copy()
    np.add.at(want, (index,), value[:, :1, :1])
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)
    got, want = view.copy(), view.copy()
    assert index_kernels.add_rows(got, (np.arange(10),), value[0, :1].repeat(10, 0) * 0 + 2.0)
    want += 2.0
    np.testing.assert_array_equal(got, want)                             # distinct rows
    strided = np.zeros((4, 10)).T
    assert index_kernels.add_rows(strided, (index.reshape(-1)[:12],), 1.0)
    assert not index_kernels.add_rows(view.copy(), (np.array([0, 10] * 5),), 1.0)


def test_embedding_gradient_and_out_of_range():
    emb = gg.nn.Embedding(7, 3)
    ids = gg.tensor(RNG.integers(0, 7, (4, 9)))
    emb(ids).sum().backward()
    want = np.bincount(ids.numpy().reshape(-1), minlength=7)[:, None] * np.ones(3)
    np.testing.assert_allclose(emb.weight.grad.numpy(), want)
    with pytest.raises(gg.OutOfRangeError):
        gg.zeros(5).index_put_((gg.tensor(np.array([0, 1, 2, 3, 4, 5, 6, 7, 9])),),
                               gg.ones(9), accumulate=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_short_last_axis_max_and_min_equal_numpy(dtype):
    x = (RNG.standard_normal((70, 5, 31)) * 10).astype(dtype)
    if dtype != np.int32:
        x[2, 3, 7] = np.nan
        x[4, 1, :] = -np.inf
    for fn, ufunc in ((np.amax, np.maximum), (np.amin, np.minimum)):
        got = reduce_kernels.last_axis_extreme(ufunc, x, (2,), (70, 5))
        np.testing.assert_array_equal(got, fn(x, axis=2))
    np.testing.assert_array_equal(gg.tensor(x).amax(-1, keepdim=True).numpy(),
                                  np.amax(x, -1, keepdims=True))
    assert reduce_kernels.last_axis_extreme(np.maximum, x, (1,), (70, 33)) is None
    # short arrays of longer rows: NumPy's reduce is quicker than a pass per column
    assert reduce_kernels.last_axis_extreme(np.maximum, x[:1], (2,), (1, 5)) is None


def test_softmax_kernels_over_masked_rows_match_torch():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((3, 4, 16, 16)).astype(np.float32)
    x[..., np.triu_indices(16, 1)[0], np.triu_indices(16, 1)[1]] = -np.inf
    for fn in ("softmax", "log_softmax"):
        got = getattr(F, fn)(gg.tensor(x), dim=-1).numpy()
        want = getattr(torch.nn.functional, fn)(torch.from_numpy(x), dim=-1).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", [(32, 2), (64, 10), (3, 5, 7), (300, 3), (4, 40)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", ["log_softmax", "softmax"])
def test_schedule_softmax_kernels_equal_the_general_kernels(shape, dtype, op):
    from graphgrad.ir.types import TensorType
    softmax = importlib.import_module("graphgrad.ops.softmax")
    x = RNG.standard_normal(shape).astype(dtype)
    x.reshape(-1, shape[-1])[1, :] = -np.inf          # a fully masked row: NaN, as in torch
    x.reshape(-1, shape[-1])[0, 1] = np.nan
    record = softmax.LOG_SOFTMAX if op == "log_softmax" else softmax.SOFTMAX
    dims = (len(shape) - 1,)
    types = (TensorType(shape, np.dtype(dtype)),)
    kernel, into = record.make_kernel(types, {"dims": dims}), record.make_out_kernel(
        {"dims": dims}, types)
    tol = 1e-12 if dtype == np.float64 else 2e-6
    with np.errstate(invalid="ignore"):
        expected = record.out_impl(np.empty_like(x), x, dims=dims)
        np.testing.assert_allclose(kernel(x), expected, rtol=tol, atol=tol)
        np.testing.assert_allclose(into(np.empty_like(x), x), expected, rtol=tol, atol=tol)
        np.testing.assert_allclose(into(x.copy(), x), expected, rtol=tol, atol=tol)
        inplace = x.copy()
        np.testing.assert_allclose(into(inplace, inplace), expected, rtol=tol, atol=tol)
        strided = np.empty(shape[:-1] + (2 * shape[-1],), dtype)[..., ::2]
        np.testing.assert_allclose(into(strided, x[..., ::-1][..., ::-1]), expected, rtol=tol,
                                   atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("zero_at", ["a", "b"])
@pytest.mark.parametrize("size", [16, 4096])
def test_masked_where_kernel_is_bitwise_numpys_where(dtype, zero_at, size):
    from graphgrad.ops.elementwise import _where_out
    v = RNG.standard_normal(size).astype(dtype)
    v[:6] = [np.inf, -np.inf, np.nan, -0.0, 0.0, -2.0]
    c = RNG.standard_normal(size) < 0
    c[:6] = [True, False, True, False, True, True]
    zero = np.zeros((), dtype)
    args = (c, v, zero) if zero_at == "b" else (c, zero, v)
    expected = np.where(*args)
    got = _where_out(np.empty(size, dtype), *args)                 # into a new buffer
    assert np.array_equal(got.view(np.uint8), expected.view(np.uint8))
    inplace = v.copy()                                             # over the kept operand
    got = _where_out(inplace, c, inplace, zero) if zero_at == "b" else \
        _where_out(inplace, c, zero, inplace)
    assert got is inplace and np.array_equal(got.view(np.uint8), expected.view(np.uint8))


def test_relu_gradient_zeros_are_positive_as_in_torch():
    # the masked kernel once multiplied by the mask: -3.0 * 0 gave -0.0 where torch has +0.0
    for n in (16, 4096):
        x = gg.tensor(np.full(n, -1.0), requires_grad=True)
        (x.relu() * -3.0).sum().backward()
        assert not np.signbit(x.grad.numpy()).any()


@pytest.mark.parametrize("contiguous", [True, False])
def test_sequence_matmul_as_one_product_compiled_equals_eager_and_torch(contiguous):
    # (B, T, K) @ (K, N): one 2-D product in the compiled runtime, and the weight gradient
    # one (K, B*T) @ (B*T, N) product; values and gradients as eagerly and as torch
    x = RNG.standard_normal((3, 5, 4))
    x = x if contiguous else np.ascontiguousarray(x.transpose(1, 0, 2)).transpose(1, 0, 2)
    w = RNG.standard_normal((4, 6))

    def step(a, b):
        out = a @ b
        (out * out).sum().backward()
        return out

    results = []
    for run in (step, gg.compile(step)):
        a, b = gg.tensor(x, requires_grad=True), gg.tensor(w, requires_grad=True)
        out = run(a, b)
        results.append((out.numpy(), a.grad.numpy(), b.grad.numpy()))
    for got, want in zip(results[1], results[0]):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    try:
        import torch
    except ImportError:
        return
    a, b = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    out = a @ b
    (out * out).sum().backward()
    for got, want in zip(results[1], (out.detach(), a.grad, b.grad)):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-12)


def test_sequence_matmul_weight_gradient_by_finite_differences():
    x = gg.tensor(RNG.standard_normal((2, 3, 4)), requires_grad=True)
    w = gg.tensor(RNG.standard_normal((4, 5)), requires_grad=True)
    assert gg.testing.gradcheck(lambda a, b: ((a @ b) ** 2).sum(), (x, w))


@pytest.mark.parametrize("a_shape, b_shape", [
    ((3, 5, 4), (4, 6)), ((2, 3, 5, 4), (4, 6)), ((0, 5, 4), (4, 6)), ((3, 5, 0), (0, 6)),
    ((1, 5, 4), (2, 4, 6)), ((5, 4), (4, 6))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_eager_matmul_runs_leading_dims_as_one_product(a_shape, b_shape, dtype):
    from graphgrad.ops.linalg import MATMUL
    a = (RNG.standard_normal(a_shape) * 4).astype(dtype)
    b = (RNG.standard_normal(b_shape) * 4).astype(dtype)
    strided = np.swapaxes(np.swapaxes(a, 0, -2).copy(), 0, -2) if a.ndim > 2 else a
    for x in (a, strided):
        got = MATMUL.impl(x, b)
        assert got.shape == np.matmul(x, b).shape and got.dtype == dtype
        np.testing.assert_allclose(got, np.matmul(x, b), rtol=1e-5 if dtype == np.float32
                                   else 1e-12)
    # compiled schedules still call NumPy's ufunc inline
    assert MATMUL.ufunc is np.matmul and MATMUL.out_impl is not None


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_eager_softmax_runs_the_compiled_kernel_of_its_shape(log, dtype):
    sm = importlib.import_module("graphgrad.ops.softmax")
    generic = sm._log_softmax_out if log else sm._softmax_out
    fn = F.log_softmax if log else F.softmax
    x = (RNG.standard_normal((6, 5, 7)) * 3).astype(dtype)
    x[1, 2] = -np.inf
    x[2, 0, 3] = np.nan
    x[3, 1] = [np.inf] + [0.0] * 6
    for a in (x, x.transpose(2, 0, 1), x[:, ::2]):             # contiguous and strided
        for dim in range(-a.ndim, a.ndim):
            got = fn(gg.tensor(a), dim).numpy()
            with np.errstate(invalid="ignore"):
                want = generic(np.empty_like(a), a, dims=(dim % a.ndim,))
            assert got.dtype == dtype
            np.testing.assert_allclose(got, want, rtol=1e-6 if dtype != np.float16 else 1e-3,
                                       atol=1e-7 if dtype != np.float16 else 1e-3)
