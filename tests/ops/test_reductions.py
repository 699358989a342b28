"""Reductions, scans, norms, einsum and matrix helpers beyond the oracle table: bad inputs raise
where torch raises (the same error eagerly and compiled), allclose is a Python bool, gg.trace
serves both torch.trace and graph tracing, and einsum lowers to matmul."""
import numpy as np
import pytest

import graphgrad as gg

RNG = np.random.default_rng(5)
INF = float("inf")


def u(*shape):
    return RNG.uniform(-2, 2, shape)


def ints(*shape):
    return RNG.integers(-5, 5, shape)


# (id, fn(m, *tensors), inputs, graphgrad's exception, text in its message); torch raises on the
# same call (checked below when torch is installed)
ERRORS = [
    ("mean-int", lambda m, x: m.mean(x), [ints(3)], TypeError, "floating-point"),
    ("var-int", lambda m, x: m.var(x, 0), [ints(3, 2)], TypeError, "floating-point"),
    ("std_mean-int", lambda m, x: m.std_mean(x), [ints(3)], TypeError, "floating-point"),
    ("nanmean-int", lambda m, x: m.nanmean(x), [ints(3)], TypeError, "floating-point"),
    ("argmax-bool", lambda m, x: m.argmax(x > 0), [u(3)], TypeError, "bool"),
    ("argmin-bool", lambda m, x: (x > 0).argmin(0), [u(3)], TypeError, "bool"),
    ("logcumsumexp-int", lambda m, x: m.logcumsumexp(x, 0), [ints(3)], NotImplementedError,
     "logcumsumexp"),
    ("cumsum-dim", lambda m, x: m.cumsum(x, 2), [u(3, 4)], gg.ShapeError, "dim 2"),
    ("cumsum-no-dim", lambda m, x: m.cumsum(x), [u(3, 4)], TypeError, "dim"),
    ("sum-dim-and-axis", lambda m, x: m.sum(x, dim=1, axis=1), [u(3, 4)], TypeError, "axis"),
    ("sum-positional-and-axis", lambda m, x: x.sum(1, axis=1), [u(3, 4)], TypeError, "dim"),
    ("max-dim-list", lambda m, x: m.max(x, [0]), [u(3, 4)], TypeError, "dim"),
    ("prod-dim-tuple", lambda m, x: m.prod(x, (0, 1)), [u(3, 4)], TypeError, "dim"),
    ("aminmax-dim-tuple", lambda m, x: m.aminmax(x, dim=(0, 1)), [u(3, 4)], TypeError, "dim"),
    ("amin-empty-dim", lambda m, x: m.amin(x, 0), [u(0, 3)], gg.ShapeError, "empty"),
    ("argmin-empty", lambda m, x: m.argmin(x), [u(0, 3)], gg.ShapeError, "empty"),
    ("vector_norm-int", lambda m, x: m.linalg.vector_norm(x), [ints(3)], TypeError,
     "floating-point"),
    ("norm-int", lambda m, x: m.norm(x), [ints(3)], TypeError, "floating-point"),
    ("vector_norm-inf-empty", lambda m, x: m.linalg.vector_norm(x, INF), [u(0, 3)],
     gg.ShapeError, "empty"),
    ("vector_norm-narrowing-dtype", lambda m, x: m.linalg.vector_norm(x, dtype=m.float32),
     [u(3)], TypeError, "narrowing"),
    ("matrix_norm-order", lambda m, x: m.linalg.matrix_norm(x, 3), [u(3, 3)], ValueError,
     "not supported"),
    ("matrix_norm-1d", lambda m, x: m.linalg.matrix_norm(x), [u(3)], gg.ShapeError, "matrix"),
    ("linalg.norm-3d-ord", lambda m, x: m.linalg.norm(x, 2), [u(2, 2, 2)], gg.ShapeError,
     "1-D or 2-D"),
    ("norm-fro-3-dims", lambda m, x: m.norm(x, "nuc", dim=(0, 1, 2)), [u(2, 2, 2)],
     gg.ShapeError, "2-tuple"),
    ("einsum-sizes", lambda m, a, b: m.einsum("ij,jk", a, b), [u(2, 3), u(4, 5)],
     gg.ShapeError, "subscript j has size 4"),
    ("einsum-repeated-sizes", lambda m, a: m.einsum("ii", a), [u(2, 3)], gg.ShapeError,
     "repeated"),
    ("einsum-unknown-output", lambda m, a: m.einsum("ij->k", a), [u(2, 3)], ValueError,
     "does not appear"),
    ("einsum-repeated-output", lambda m, a: m.einsum("ij->ii", a), [u(2, 3)], ValueError,
     "more than once"),
    ("einsum-subscript-count", lambda m, a: m.einsum("ijk", a), [u(2, 3)], gg.ShapeError,
     "number of subscripts"),
    ("einsum-operand-count", lambda m, a: m.einsum("ij,jk", a), [u(2, 3)], ValueError,
     "operand"),
    ("einsum-dtypes", lambda m, a, b: m.einsum("i,i", a, b.long()), [u(3), u(3)], TypeError,
     "dtype"),
    ("tril-1d", lambda m, x: m.tril(x), [u(3)], gg.ShapeError, "at least 2"),
    ("trace-3d", lambda m, x: m.trace(x), [u(2, 2, 2)], gg.ShapeError, "matrix"),
    ("diag-3d", lambda m, x: m.diag(x), [u(2, 2, 2)], gg.ShapeError, "1-D or 2-D"),
    ("outer-2d", lambda m, a, b: m.outer(a, b), [u(2, 2), u(2)], gg.ShapeError, "1-D"),
    ("cross-no-size-3", lambda m, a, b: m.cross(a, b), [u(2, 4), u(2, 4)], gg.ShapeError,
     "size 3"),
    ("cross-dim-size", lambda m, a, b: m.linalg.cross(a, b), [u(3, 2), u(3, 2)], gg.ShapeError,
     "length 3"),
    ("cross-ndim", lambda m, a, b: m.linalg.cross(a, b), [u(4, 1, 3), u(5, 3)],
     gg.ShapeError, "number of dimensions"),
    ("cross-dtypes", lambda m, a, b: m.cross(a, b.long(), dim=0), [u(3), u(3)], TypeError,
     "dtype"),
    ("isclose-dtypes", lambda m, a, b: m.isclose(a, b.double()), [u(3).astype(np.float32), u(3)],
     TypeError, "dtype"),
    ("isclose-negative-rtol", lambda m, a, b: m.isclose(a, b, rtol=-1), [u(3), u(3)], ValueError,
     "rtol"),
]


@pytest.mark.parametrize("fn, inputs, error, text", [pytest.param(*e[1:], id=e[0])
                                                    for e in ERRORS])
def test_bad_inputs_raise_eagerly_and_compiled(fn, inputs, error, text):
    with pytest.raises(error, match=text):
        fn(gg, *[gg.tensor(a) for a in inputs])
    with pytest.raises(error, match=text):
        gg.compile(lambda *xs: fn(gg, *xs))(*[gg.tensor(a) for a in inputs])


@pytest.mark.filterwarnings("ignore::UserWarning")     # torch.cross without dim
@pytest.mark.parametrize("fn, inputs", [pytest.param(*e[1:3], id=e[0]) for e in ERRORS])
def test_torch_raises_on_the_same_inputs(fn, inputs):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception):
        fn(torch, *[torch.from_numpy(np.array(a)) for a in inputs])


# factories: bool ranges are not implemented (as in torch), bad ranges raise
FACTORY_ERRORS = [
    ("linspace-bool", lambda m: m.linspace(0, 1, 5, dtype=m.bool), NotImplementedError),
    ("logspace-bool", lambda m: m.logspace(0, 1, 5, dtype=m.bool), NotImplementedError),
    ("arange-bool", lambda m: m.arange(0, 5, dtype=m.bool), NotImplementedError),
    ("linspace-negative-steps", lambda m: m.linspace(0, 1, -1), gg.ShapeError),
    ("linspace-int8-overflow", lambda m: m.linspace(0, 255, 4, dtype=m.int8), gg.ShapeError),
    ("linspace-uint8-negative-float", lambda m: m.linspace(-3.7, 5.9, 7, dtype=m.uint8),
     gg.ShapeError),
    ("arange-zero-step", lambda m: m.arange(0, 1, 0), gg.ShapeError),
    ("arange-int64-step-truncates-to-zero", lambda m: m.arange(0, 1, 0.5, dtype=m.int64),
     gg.ShapeError),
    ("arange-sign", lambda m: m.arange(5, 0, 1), gg.ShapeError),
    ("arange-infinite", lambda m: m.arange(0, INF), gg.ShapeError),
]


@pytest.mark.parametrize("fn, error", [pytest.param(*e[1:], id=e[0]) for e in FACTORY_ERRORS])
def test_factory_errors(fn, error):
    with pytest.raises(error):
        fn(gg)
    torch = pytest.importorskip("torch")
    with pytest.raises(NotImplementedError if error is NotImplementedError else Exception):
        fn(torch)


def test_allclose_is_a_python_bool_and_needs_values():
    a = gg.tensor([1.0, 2.0])
    assert gg.allclose(a, a + 1e-9) is True
    assert a.allclose(a + 1.0) is False
    with pytest.raises(gg.TraceError):
        gg.compile(lambda x: gg.allclose(x, x))(a)


def test_trace_is_torch_trace_for_tensors_and_the_graph_tracer_for_functions():
    x = gg.tensor(np.arange(9.0).reshape(3, 3))
    assert gg.trace(x).item() == 12.0
    graph = gg.trace(lambda t: t.trace(), x)
    assert isinstance(graph, gg.ir.Graph)


@pytest.mark.parametrize("equation, shapes", [
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("ij,kj->ik", [(3, 4), (5, 4)]),
])
def test_einsum_contractions_become_one_matmul(equation, shapes):
    graph = gg.trace(lambda a, b: gg.einsum(equation, a, b), *[gg.tensor(u(*s)) for s in shapes])
    counts = graph.op_counts()
    assert counts.get("matmul") == 1, counts
    assert not {"mul", "sum", "getitem", "index_add"} & set(counts), counts


def test_named_tuples_have_torch_field_names():
    x = gg.tensor(u(3, 4))
    assert set(x.max(1)._fields) == {"values", "indices"}
    assert x.cummin(0)._fields == ("values", "indices")
    assert gg.aminmax(x)._fields == ("min", "max")
    values, indices = gg.min(x, dim=1, keepdims=True)
    assert values.shape == indices.shape == (3, 1)


# second derivatives (gg.grad of gg.grad) against torch.autograd.grad with create_graph
SECOND_ORDER = {
    "cumsum": lambda m, t: m.cumsum(t, 1),
    "cumprod": lambda m, t: m.cumprod(t, 1),
    "prod": lambda m, t: m.prod(t, 1),
    "prod-all": lambda m, t: m.prod(t),
    "var": lambda m, t: m.var(t, 1),
    "std": lambda m, t: m.std(t),
    "logcumsumexp": lambda m, t: m.logcumsumexp(t, 1),
    "vector_norm-2": lambda m, t: m.linalg.vector_norm(t, 2, 1),
    "vector_norm-3": lambda m, t: m.linalg.vector_norm(t, 3, 0),
    "matrix_norm-nuc": lambda m, t: m.linalg.matrix_norm(t, "nuc"),
    "matrix_norm-2": lambda m, t: m.linalg.matrix_norm(t, 2),
    "einsum": lambda m, t: m.einsum("ij,kj->ik", t, t),
    "cummax": lambda m, t: m.cummax(t, 1).values,
    "diag": lambda m, t: m.diag(t, 1) * m.trace(t),
}


def _positive_away_from_zero(shape, with_zeros):
    x = RNG.uniform(0.3, 1.5, shape) * RNG.choice([-1, 1], shape)
    if with_zeros:
        x[0, 1] = x[2, 2] = 0.0
    return x


@pytest.mark.parametrize("shape", [(3, 4), (4, 3)], ids=["wide", "tall"])
@pytest.mark.parametrize("zeros", [False, True], ids=["", "zeros"])
@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_second_derivatives_match_torch(name, zeros, shape):
    torch = pytest.importorskip("torch")
    if zeros and name == "cumprod":
        pytest.skip("cumprod's second derivative at exact zeros is not torch's (first is)")
    fn = SECOND_ORDER[name]
    x = _positive_away_from_zero(shape, zeros)
    t = torch.tensor(x, requires_grad=True)
    out = fn(torch, t)
    w = RNG.standard_normal(tuple(out.shape))
    v = RNG.standard_normal(shape)
    g, = torch.autograd.grad((out * torch.tensor(w)).sum(), t, create_graph=True)
    want = None
    if g.requires_grad:         # else f is linear: a zero second derivative
        want, = torch.autograd.grad((g * torch.tensor(v)).sum(), t, allow_unused=True)
    want = np.zeros(shape) if want is None or want._is_zerotensor() else want.numpy()

    def first(a):
        return (fn(gg, a) * gg.tensor(w)).sum()

    got = gg.grad(lambda a: (gg.grad(first)(a) * gg.tensor(v)).sum())(gg.tensor(x))
    got = np.zeros(shape) if got is None else got.numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
