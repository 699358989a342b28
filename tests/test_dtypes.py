"""The dtype API against torch: names, promote_types/result_type/can_cast over every pair of
dtypes, finfo/iinfo, the default dtype, the Tensor's dtype and layout methods, and float16
arithmetic rounded like torch's."""
import itertools

import numpy as np
import pytest

import graphgrad as gg
from graphgrad import nn

torch = pytest.importorskip("torch")

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
ALIASES = {"half": "float16", "float": "float32", "double": "float64", "short": "int16",
           "int": "int32", "long": "int64"}


def torch_dtype(dtype):
    return getattr(torch, np.dtype(dtype).name if np.dtype(dtype) != np.bool_ else "bool")


def as_np(torch_dtype_):
    return np.dtype(torch.empty((), dtype=torch_dtype_).numpy().dtype)


@pytest.mark.parametrize("name", NAMES + list(ALIASES))
def test_dtype_names_are_torchs(name):
    assert getattr(gg, name) == as_np(getattr(torch, name))
    assert isinstance(getattr(gg, name), gg.dtype)


@pytest.mark.parametrize("a, b", list(itertools.product(NAMES, NAMES)))
def test_promote_types_and_can_cast_match_torch(a, b):
    ga, gb, ta, tb = getattr(gg, a), getattr(gg, b), getattr(torch, a), getattr(torch, b)
    assert gg.promote_types(ga, gb) == as_np(torch.promote_types(ta, tb))
    assert gg.can_cast(ga, gb) == torch.can_cast(ta, tb)


def _operand(kind, name, lib):
    """A tensor with dimensions, a 0-d tensor, or a Python number of dtype `name`."""
    values = {"bool": True, "uint8": 3, "int8": -3, "int16": 3, "int32": 3, "int64": 3,
              "float16": 1.5, "float32": 1.5, "float64": 1.5}
    if kind == "number":
        return {"bool": True, "int64": 2, "float32": 2.5}[name]
    data = np.array([values[name]] * (2 if kind == "dim" else 1), dtype=getattr(np, name)
                    if name != "bool" else np.bool_)
    data = data if kind == "dim" else data.reshape(())
    return lib.from_numpy(data)


OPERANDS = [("dim", n) for n in NAMES] + [("0d", n) for n in NAMES] + \
    [("number", n) for n in ("bool", "int64", "float32")]


@pytest.mark.parametrize("x, y", list(itertools.product(OPERANDS, OPERANDS)),
                         ids=lambda o: f"{o[0]}-{o[1]}")
def test_result_type_and_arithmetic_promotion_match_torch(x, y):
    if x[0] == y[0] == "number":
        pytest.skip("torch.result_type needs a tensor")
    tx, ty = _operand(*x, torch), _operand(*y, torch)
    gx, gy = _operand(*x, gg), _operand(*y, gg)
    want = as_np(torch.result_type(tx, ty))
    assert gg.result_type(gx, gy) == want
    if want != np.bool_:                       # torch refuses bool + bool
        assert (gx + gy).dtype == as_np((tx + ty).dtype)
        assert gg.where(gg.tensor(True), gx, gy).dtype == as_np(
            torch.where(torch.tensor(True), tx, ty).dtype)


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_matches_torch(name):
    got, want = gg.finfo(getattr(gg, name)), torch.finfo(getattr(torch, name))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(got, field) == getattr(want, field), field
    assert got.dtype == want.dtype
    assert repr(got) == repr(want)
    assert gg.finfo().dtype == "float32"
    with pytest.raises(TypeError, match="iinfo"):
        gg.finfo(gg.int32)


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_matches_torch(name):
    got, want = gg.iinfo(getattr(gg, name)), torch.iinfo(getattr(torch, name))
    assert (got.bits, got.max, got.min, got.dtype) == (want.bits, want.max, want.min, want.dtype)
    assert repr(got) == repr(want)
    with pytest.raises(TypeError):
        gg.iinfo(gg.bool)


@pytest.fixture
def float64_default():
    gg.set_default_dtype(gg.float64)
    try:
        yield
    finally:
        gg.set_default_dtype(gg.float32)


def test_set_default_dtype_changes_what_python_floats_become(float64_default):
    assert gg.get_default_dtype() == gg.float64
    assert gg.tensor([1.5]).dtype == gg.float64
    assert gg.zeros(2).dtype == gg.rand(2).dtype == gg.full((2,), 0.5).dtype == gg.float64
    assert (gg.tensor([1, 2]) * 0.5).dtype == gg.float64
    assert gg.exp(gg.tensor([1])).dtype == gg.float64
    assert nn.Linear(2, 3).weight.dtype == gg.float64
    assert nn.PReLU().weight.dtype == gg.float64
    assert gg.finfo().dtype == "float64"
    assert (gg.tensor([1.0], dtype=gg.float32) * 2.5).dtype == gg.float32


def test_set_default_dtype_takes_only_floats():
    with pytest.raises(TypeError, match="only floating-point"):
        gg.set_default_dtype(gg.int32)
    assert gg.get_default_dtype() == gg.float32


CASTS = {"half": "float16", "short": "int16", "char": "int8", "byte": "uint8", "int": "int32",
         "float": "float32", "double": "float64", "long": "int64", "bool": "bool"}


@pytest.mark.parametrize("method, name", CASTS.items())
def test_cast_methods_match_torch(method, name):
    data = np.array([-1.5, 0.0, 2.7, 300.0], np.float32)
    got = getattr(gg.tensor(data), method)()
    want = getattr(torch.from_numpy(data), method)()
    assert got.dtype == as_np(want.dtype) == getattr(gg, name)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    traced = gg.compile(lambda t: getattr(t, method)())(gg.tensor(data))
    np.testing.assert_array_equal(traced.numpy(), want.numpy())


@pytest.mark.parametrize("name", NAMES)
def test_type_names_match_torch(name):
    t = gg.zeros(2, dtype=getattr(gg, name))
    want = torch.zeros(2, dtype=getattr(torch, name)).type()
    assert t.type() == want.replace("torch.", "graphgrad.")
    assert t.type(want).dtype == t.dtype                       # 'torch.FloatTensor' works too
    assert gg.zeros(2).type(t.type()).dtype == t.dtype
    assert gg.zeros(2).type(getattr(gg, name)).dtype == t.dtype


def test_type_rejects_unknown_names():
    with pytest.raises(TypeError, match="unknown tensor type name"):
        gg.zeros(2).type("graphgrad.ComplexTensor")


def test_layout_and_size_queries_match_torch():
    data = np.arange(12, dtype=np.float64).reshape(3, 4)
    for gt, tt in ((gg.from_numpy(data), torch.from_numpy(data)),
                   (gg.from_numpy(data[:, ::2]), torch.from_numpy(data)[:, ::2]),
                   (gg.from_numpy(data.T), torch.from_numpy(data).T)):
        assert gt.is_contiguous() == tt.is_contiguous()
        c = gt.contiguous()
        assert c.is_contiguous() and (c is gt) == (tt.contiguous() is tt)
        np.testing.assert_array_equal(c.numpy(), tt.contiguous().numpy())
        assert (gt.element_size(), gt.itemsize, gt.nbytes) == \
            (tt.element_size(), tt.itemsize, tt.nbytes)
    t = gg.tensor([1, 2], dtype=gg.int16)
    assert not t.is_floating_point() and gg.zeros(1).is_floating_point()
    assert gg.is_floating_point(gg.zeros(1, dtype=gg.float16))
    assert not gg.is_floating_point(t)
    assert gg.is_tensor(t) and not gg.is_tensor(np.zeros(2)) and not gg.is_tensor(3)
    assert not t.is_complex() and t.is_signed() and not t.byte().is_signed()


def test_contiguous_and_is_contiguous_inside_compile():
    @gg.compile
    def f(x):
        assert x.is_contiguous()
        return x.contiguous() * 2.0

    np.testing.assert_array_equal(f(gg.from_numpy(np.ones((2, 4))[:, ::2])).numpy(),
                                  np.full((2, 2), 2.0))


def test_float16_arithmetic_is_rounded_like_torch():
    rng = np.random.default_rng(3)
    a = rng.uniform(-100, 100, 200).astype(np.float16)
    b = rng.uniform(0.01, 3, 200).astype(np.float16)
    ga, gb, ta, tb = gg.tensor(a), gg.tensor(b), torch.from_numpy(a), torch.from_numpy(b)
    for fn in (lambda x, y: x + y, lambda x, y: x * y, lambda x, y: x / y, lambda x, y: x - y,
               lambda x, y: x.abs().sqrt() * y, lambda x, y: gg_or_torch(x).exp2(y / 8)):
        got, want = fn(ga, gb), fn(ta, tb)
        assert got.dtype == np.float16
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    # a Python float is rounded to float16 first (torch keeps it in float32): within an ulp
    got, want = ga * 0.1 + gb, ta * 0.1 + tb
    assert got.dtype == np.float16
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=2e-3, atol=1e-2)


def gg_or_torch(x):
    return gg if isinstance(x, gg.Tensor) else torch
