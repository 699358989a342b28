"""PyTorch's device API on a CPU-only library: gg.device, Tensor.device / .to / .cpu / .cuda,
device= on every factory, Module.to, gg.cuda and gg.backends, checked against torch (CPU build)
where torch defines the behaviour."""
import numpy as np
import pytest

import graphgrad as gg
from graphgrad import nn


@pytest.mark.parametrize("args", [("cpu",), ("cpu", 0), ("cpu:0",), ("cpu:3",), ("cuda",),
                                  ("cuda:1",), ("mps",), ("cuda", 2), ("meta",)])
def test_device_objects_equal_torchs(args):
    torch = pytest.importorskip("torch")
    ours, theirs = gg.device(*args), torch.device(*args)
    assert (ours.type, ours.index) == (theirs.type, theirs.index)
    assert str(ours) == str(theirs) and repr(ours) == repr(theirs)
    assert gg.device(ours) == ours and hash(gg.device(str(ours))) == hash(ours)


@pytest.mark.parametrize("args", [("foo",), ("cpu", -1), ("cpu:0", 0), ("cpu:x",), ("CPU",),
                                  (" cpu",), (1.5,), (True,), (0,), (1,)])
def test_bad_devices_raise_like_torch(args):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as theirs:
        torch.device(*args)
    with pytest.raises(type(theirs.value)):
        gg.device(*args)


def test_device_basics():
    assert gg.device("cpu") != gg.device("cpu", 0) and gg.device("cpu") != "cpu"
    with pytest.raises(AttributeError):
        gg.device("cpu").type = "cuda"
    with gg.device("cpu"):
        assert gg.get_default_device() == gg.device("cpu")
    gg.set_default_device("cpu")
    with pytest.raises(gg.DeviceError, match="runs on the CPU"):
        gg.set_default_device("cuda")
    import pickle
    assert pickle.loads(pickle.dumps(gg.device("cpu", 1))) == gg.device("cpu:1")


FACTORIES = {
    "tensor": lambda d: gg.tensor([1.0, 2.0], device=d),
    "as_tensor": lambda d: gg.as_tensor([1, 2], device=d),
    "zeros": lambda d: gg.zeros(2, 3, device=d),
    "ones": lambda d: gg.ones(2, device=d),
    "full": lambda d: gg.full((2,), 3.0, device=d),
    "empty": lambda d: gg.empty(2, device=d),
    "eye": lambda d: gg.eye(3, device=d),
    "arange": lambda d: gg.arange(5, device=d),
    "linspace": lambda d: gg.linspace(0, 1, 5, device=d),
    "rand": lambda d: gg.rand(2, device=d),
    "randn": lambda d: gg.randn(2, device=d),
    "randint": lambda d: gg.randint(0, 5, (3,), device=d),
    "randperm": lambda d: gg.randperm(4, device=d),
    "zeros_like": lambda d: gg.zeros_like(gg.ones(2), device=d),
    "ones_like": lambda d: gg.ones_like(gg.ones(2), device=d),
    "full_like": lambda d: gg.full_like(gg.ones(2), 7, device=d),
    "empty_like": lambda d: gg.empty_like(gg.ones(2), device=d),
    "rand_like": lambda d: gg.rand_like(gg.ones(2), device=d),
    "randn_like": lambda d: gg.randn_like(gg.ones(2), device=d),
    "new_zeros": lambda d: gg.ones(2).new_zeros(3, device=d),
    "new_ones": lambda d: gg.ones(2).new_ones((3,), device=d),
    "new_full": lambda d: gg.ones(2).new_full((3,), 2.0, device=d),
    "new_empty": lambda d: gg.ones(2).new_empty(3, device=d),
    "new_tensor": lambda d: gg.ones(2).new_tensor([1, 2], device=d),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_every_factory_takes_a_cpu_device_and_refuses_others(name):
    make = FACTORIES[name]
    for device in (None, "cpu", "cpu:0", gg.device("cpu"), gg.device("cpu", 1)):
        t = make(device)
        assert t.device == gg.device("cpu") and not t.is_cuda
    for device in ("cuda", "cuda:0", "mps", 0, gg.device("cuda")):
        with pytest.raises(RuntimeError, match=f"{name}.*graphgrad runs on the CPU"):
            make(device)
    with pytest.raises(RuntimeError):
        make("tpu")


def test_factories_inside_compile_take_device():
    f = gg.compile(lambda x: x + gg.ones(3, device="cpu") + gg.zeros_like(x, device="cpu"))
    np.testing.assert_allclose(f(gg.ones(3)).numpy(), [2.0, 2.0, 2.0])


def test_new_methods_follow_torch():
    torch = pytest.importorskip("torch")
    base_t = torch.ones(2, dtype=torch.float64)
    base_g = gg.ones(2, dtype=gg.float64)
    cases = [
        lambda b: b.new_zeros(2, 3), lambda b: b.new_zeros((2,), dtype=b.dtype),
        lambda b: b.new_ones(1), lambda b: b.new_full((2,), 5), lambda b: b.new_empty((0, 2)),
        lambda b: b.new_tensor([1, 2]), lambda b: b.new_tensor([1.5], requires_grad=True),
    ]
    for case in cases:
        t, g = case(base_t), case(base_g)
        assert tuple(t.shape) == g.shape and str(t.dtype)[6:] == str(g.dtype)
        assert t.requires_grad == g.requires_grad
    assert base_g.new_zeros(2, dtype=gg.int64).dtype == np.int64


def test_tensor_to_overloads_match_torch():
    torch = pytest.importorskip("torch")
    calls = [
        lambda t, m: t.to("cpu"), lambda t, m: t.to(m.device("cpu")),
        lambda t, m: t.to(m.float64), lambda t, m: t.to("cpu", m.float64),
        lambda t, m: t.to(device="cpu", dtype=m.int64), lambda t, m: t.to(dtype=m.float16),
        lambda t, m: t.to(m.zeros(1, dtype=m.int32)), lambda t, m: t.to("cpu", non_blocking=True),
        lambda t, m: t.to(m.float32, copy=True), lambda t, m: t.to("cpu", m.float32, True, True),
        lambda t, m: t.cpu(), lambda t, m: t.to(None),
    ]
    for call in calls:
        tt, gt = torch.tensor([1.5, -2.0]), gg.tensor([1.5, -2.0])
        t_out, g_out = call(tt, torch), call(gt, gg)
        assert (t_out is tt) == (g_out is gt)
        assert str(t_out.dtype)[6:] == str(g_out.dtype)
        assert g_out.tolist() == t_out.tolist() and g_out.device == gg.device("cpu")


@pytest.mark.parametrize("call", [
    lambda t, m: t.to("cuda"), lambda t, m: t.to("cuda:0", m.float64), lambda t, m: t.cuda(),
    lambda t, m: t.to("mps"), lambda t, m: t.to(m.device("cuda")), lambda t, m: t.to("foo"),
    lambda t, m: t.to(m.float64, m.float64), lambda t, m: t.to("cpu", "cpu"),
    lambda t, m: t.to([1]),
])
def test_tensor_to_errors_are_catchable_like_torch(call):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as theirs:
        call(torch.ones(2), torch)
    # a CPU-only torch raises AssertionError for CUDA; graphgrad raises the RuntimeError
    expected = RuntimeError if type(theirs.value) is AssertionError else type(theirs.value)
    with pytest.raises(expected):
        call(gg.ones(2), gg)


def test_to_keeps_autograd_and_works_traced():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    y = x.to("cpu", gg.float64)
    (y * y).sum().backward()
    assert y.dtype == np.float64 and x.grad.tolist() == [2.0, 4.0]
    f = gg.compile(lambda a: a.to("cpu").to(gg.float64).cpu() * 2)
    assert f(gg.ones(2)).dtype == np.float64
    assert gg.ones(1).get_device() == -1 and gg.ones(1).is_cpu


def build(lib):
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4))


def test_module_to_matches_torch():
    torch = pytest.importorskip("torch")
    for call in (lambda m, lib: m.to("cpu"), lambda m, lib: m.to(lib.float64),
                 lambda m, lib: m.to("cpu", lib.float64),
                 lambda m, lib: m.to(device="cpu", dtype=lib.float64, non_blocking=True),
                 lambda m, lib: m.to(lib.zeros(1, dtype=lib.float64)),
                 lambda m, lib: m.cpu(), lambda m, lib: m.to(lib.device("cpu"))):
        t, g = build(torch), build(gg)
        assert call(t, torch) is t and call(g, gg) is g
        t_dtypes = [str(v.dtype)[6:] for v in t.state_dict().values()]
        assert t_dtypes == [str(v.dtype) for v in g.state_dict().values()]
    for call in (lambda m, lib: m.to(lib.int64), lambda m, lib: m.to("cuda"),
                 lambda m, lib: m.cuda(), lambda m, lib: m.to("mps")):
        with pytest.raises(Exception) as theirs:
            call(build(torch), torch)
        expected = RuntimeError if type(theirs.value) is AssertionError else type(theirs.value)
        g = build(gg)
        with pytest.raises(expected):
            call(g, gg)
        assert all(v.dtype == np.float32 for k, v in g.state_dict().items()
                   if "num_batches" not in k)


def test_module_to_casts_in_place_and_trains():
    model = nn.Linear(2, 1)
    weight = model.weight
    model.to("cpu", gg.float64)
    assert model.weight is weight and weight.dtype == np.float64
    loss = model(gg.ones(3, 2, dtype=gg.float64)).sum()
    loss.backward()
    assert model.weight.grad.dtype == np.float64


def test_cuda_and_backends_answer_like_a_cpu_only_torch():
    torch = pytest.importorskip("torch")
    assert gg.cuda.is_available() is torch.cuda.is_available() is False
    assert gg.cuda.device_count() == torch.cuda.device_count() == 0
    assert gg.cuda.is_initialized() is False
    assert gg.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert gg.backends.mps.is_built() is False
    assert gg.backends.cudnn.is_available() is False and gg.backends.cudnn.version() is None
    gg.cuda.manual_seed(0)
    gg.cuda.manual_seed_all(0)
    gg.cuda.empty_cache()
    for call in (gg.cuda.synchronize, gg.cuda.current_device, gg.cuda.get_device_name,
                 lambda: gg.cuda.set_device(0)):
        with pytest.raises(RuntimeError, match="CPU"):
            call()
    saved = (gg.backends.cudnn.benchmark, gg.backends.cudnn.deterministic)
    gg.backends.cudnn.benchmark = True
    gg.backends.cudnn.deterministic = True
    gg.backends.cuda.matmul.allow_tf32 = True
    gg.backends.cudnn.benchmark, gg.backends.cudnn.deterministic = saved
    with gg.backends.cudnn.flags(enabled=False, deterministic=True):
        assert gg.backends.cudnn.enabled is False and gg.backends.cudnn.deterministic is True
    assert gg.backends.cudnn.enabled is True


def test_the_common_device_idiom_runs():
    device = gg.device("cuda" if gg.cuda.is_available() else "cpu")
    model = nn.Linear(3, 2).to(device)
    x = gg.randn(4, 3).to(device, non_blocking=True)
    out = model(x)
    assert out.device == device and out.device.type == "cpu"


def test_generator_object():
    g = gg.Generator()
    assert g.manual_seed(5) is g and g.initial_seed() == 5 and g.device == gg.device("cpu")
    state = g.get_state()
    a = gg.randperm(6, generator=g).tolist()
    g.set_state(state)
    assert gg.randperm(6, generator=g).tolist() == a
    assert isinstance(g.seed(), int)
    with pytest.raises(TypeError):
        g.manual_seed(1.5)
    with pytest.raises(RuntimeError):
        gg.Generator(device="cuda").manual_seed(1)
