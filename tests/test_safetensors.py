"""gg.save / gg.load of .safetensors files: dtypes and metadata kept, PyTorch state dicts load
into the same graphgrad model (parameter and buffer names match) and back, malformed files raise
CheckpointError, and a missing package names the extra to install."""
import json
import struct
import sys

import numpy as np
import pytest

import graphgrad as gg
from graphgrad import nn

safetensors = pytest.importorskip("safetensors")


def state_of_every_dtype():
    return {
        "f16": gg.tensor(np.array([1.5, -2.25, 65504.0], np.float16)),
        "f32": gg.randn(2, 3),
        "f64": gg.tensor(np.arange(4.0)),
        "i64_scalar": gg.tensor(np.array(7, np.int64)),
        "i32": gg.tensor(np.array([[1, 2]], np.int32)),
        "i16": np.array([-3, 4], np.int16),
        "i8": np.array([-1], np.int8),
        "u8": gg.tensor(np.array([0, 255], np.uint8)),
        "bool": gg.tensor([True, False]),
        "empty": gg.zeros(0, 3),
    }


def test_round_trip_keeps_dtypes_shapes_values_and_metadata(tmp_path):
    path = tmp_path / "state.safetensors"
    state = state_of_every_dtype()
    gg.save(state, path, metadata={"format": "pt", "step": "12"})
    loaded = gg.load(path)
    assert set(loaded) == set(state)
    for name, value in state.items():
        expected = np.asarray(value)
        got = loaded[name]
        assert isinstance(got, gg.Tensor)
        assert got.dtype == expected.dtype and got.shape == expected.shape, name
        np.testing.assert_array_equal(got.numpy(), expected)
    assert gg.safetensors_format.read_metadata(path) == {"format": "pt", "step": "12"}
    arrays = gg.load(str(path), as_numpy=True)
    assert isinstance(arrays["f16"], np.ndarray) and arrays["f16"].dtype == np.float16
    loaded["f32"].add_(1.0)                  # loaded tensors are writable, independent copies
    gg.save({"x": gg.ones(1)}, tmp_path / "plain.SAFETENSORS")
    assert gg.safetensors_format.read_metadata(tmp_path / "plain.SAFETENSORS") == {}


def test_files_are_readable_by_the_safetensors_package(tmp_path):
    from safetensors.numpy import load_file
    path = tmp_path / "state.safetensors"
    state = state_of_every_dtype()
    gg.save(state, path)
    theirs = load_file(str(path))
    for name, value in state.items():
        np.testing.assert_array_equal(theirs[name], np.asarray(value))
        assert theirs[name].dtype == np.asarray(value).dtype


def build(lib):
    torch_nn = lib.nn

    class Net(torch_nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch_nn.Conv2d(3, 4, 3, padding=1)
            self.bn = torch_nn.BatchNorm2d(4)
            self.emb = torch_nn.Embedding(10, 8)
            self.norm = torch_nn.LayerNorm(8)
            self.bn1 = torch_nn.BatchNorm1d(16)
            self.head = torch_nn.Sequential(torch_nn.Linear(4 * 5 * 5 + 8, 16), torch_nn.ReLU())
            self.out = torch_nn.Linear(16, 3)

        def forward(self, img, ids):
            h = self.bn(self.conv(img)).relu().flatten(1)
            e = self.norm(self.emb(ids)).mean(1)
            return self.out(self.bn1(self.head(lib.cat([h, e], 1))))

    return Net()


def inputs(lib):
    rng = np.random.default_rng(0)
    img = rng.standard_normal((6, 3, 5, 5)).astype(np.float32)
    ids = rng.integers(0, 10, (6, 4))
    return lib.tensor(img), lib.tensor(ids)


def train_a_little(lib, model):
    """Run forwards in training mode so that the BatchNorm buffers move off their defaults."""
    model.train()
    with lib.no_grad():
        for _ in range(3):
            model(*inputs(lib))
    model.eval()


def test_torch_state_dict_loads_into_the_graphgrad_model(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file
    torch.manual_seed(0)
    theirs = build(torch)
    train_a_little(torch, theirs)
    path = tmp_path / "torch.safetensors"
    save_file(theirs.state_dict(), str(path))
    ours = build(gg)
    assert list(ours.state_dict()) == list(theirs.state_dict())     # names and order
    state = gg.load(path)
    assert state["bn.num_batches_tracked"].dtype == np.int64
    assert state["bn.num_batches_tracked"].shape == ()
    assert state["bn.num_batches_tracked"].item() == 3
    ours.load_state_dict(state)
    for name, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[name].numpy(), value.numpy(), name)
    ours.eval()
    with torch.no_grad():
        expected = theirs(*inputs(torch)).numpy()
    np.testing.assert_allclose(ours(*inputs(gg)).numpy(), expected, rtol=1e-5, atol=1e-5)
    step = gg.compile(lambda img, ids: ours(img, ids))
    np.testing.assert_allclose(step(*inputs(gg)).numpy(), expected, rtol=1e-5, atol=1e-5)


def test_graphgrad_state_dict_loads_into_the_torch_model(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file
    gg.manual_seed(1)
    ours = build(gg)
    train_a_little(gg, ours)
    path = tmp_path / "gg.safetensors"
    gg.save(ours.state_dict(), path)
    state = load_file(str(path))
    assert state["bn1.num_batches_tracked"].dtype == torch.int64
    assert state["bn1.num_batches_tracked"].shape == () and state["bn1.num_batches_tracked"] == 3
    assert state["bn1.running_var"].dtype == torch.float32
    theirs = build(torch)
    result = theirs.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    theirs.eval()
    with torch.no_grad():
        got = theirs(*inputs(torch)).numpy()
    np.testing.assert_allclose(got, ours(*inputs(gg)).numpy(), rtol=1e-5, atol=1e-5)


def test_float16_torch_tensors_come_back_bit_for_bit(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file, save_file
    half = {"w": torch.randn(4, 3).half(), "b": torch.tensor([1e-4, 6e4]).half()}
    save_file(half, str(tmp_path / "a.safetensors"))
    state = gg.load(tmp_path / "a.safetensors")
    assert state["w"].dtype == np.float16
    gg.save(state, tmp_path / "b.safetensors")
    back = load_file(str(tmp_path / "b.safetensors"))
    for k in half:
        assert back[k].dtype == torch.float16 and torch.equal(back[k], half[k])


def test_a_wrong_shape_loads_nothing(tmp_path):
    model = nn.Linear(3, 2)
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    gg.save({"weight": gg.zeros(2, 4), "bias": gg.ones(2)}, tmp_path / "bad.safetensors")
    with pytest.raises(gg.ShapeError, match=r"weight: shape \(2, 4\)"):
        model.load_state_dict(gg.load(tmp_path / "bad.safetensors"))
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])


def _file(header, data=b"", length=None):
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw) if length is None else length) + raw + data


GOOD = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}


@pytest.mark.parametrize("content, match", [
    (b"", "only 0 bytes"),
    (b"\x01\x02", "only 2 bytes"),
    (_file(GOOD, bytes(8), length=10 ** 9), "header length"),
    (struct.pack("<Q", 5) + b"{nope", "not valid JSON"),
    (_file([1, 2]), "not a JSON object"),
    (_file(GOOD, bytes(4)), "outside the data area"),
    (_file(GOOD, bytes(12)), "the tensors use 8"),
    (_file({"a": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}, bytes(4)),
     "BF16.*bfloat16"),
    (_file({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, bytes(8)),
     "do not match shape"),
    (_file({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, bytes(8)),
     "invalid shape"),
    (_file({"a": {"dtype": "F32", "shape": [2]}}, bytes(8)), "malformed entry"),
    (_file({**GOOD, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, bytes(12)),
     "overlaps"),
    (_file({**GOOD, "__metadata__": {"k": 1}}, bytes(8)), "strings to strings"),
])
def test_malformed_files_raise_checkpoint_error(tmp_path, content, match):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(gg.CheckpointError, match=match):
        gg.load(path)


def test_bfloat16_torch_file_names_the_fix(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file
    save_file({"w": torch.ones(2, dtype=torch.bfloat16)}, str(tmp_path / "bf.safetensors"))
    with pytest.raises(gg.CheckpointError, match=r"'w' has dtype BF16.*float32"):
        gg.load(tmp_path / "bf.safetensors")


@pytest.mark.parametrize("obj, kwargs, match", [
    ({"a": {"b": gg.ones(1)}}, {}, "flat dict"),
    ([gg.ones(1)], {}, "flat dict"),
    ({1: gg.ones(1)}, {}, "names must be strings"),
    ({"a": gg.ones(1)}, {"metadata": {"k": 3}}, "metadata"),
    ({"a": np.array(["x"])}, {}, "dtype"),
])
def test_save_refuses_what_safetensors_cannot_hold_and_leaves_the_file(tmp_path, obj, kwargs,
                                                                      match):
    path = tmp_path / "keep.safetensors"
    gg.save({"old": gg.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=match):
        gg.save(obj, path, **kwargs)
    assert path.read_bytes() == before
    with pytest.raises(TypeError, match="only stored in .safetensors"):
        gg.save({"a": gg.ones(1)}, tmp_path / "x.ckpt", metadata={"k": "v"})


def test_missing_package_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match=r"graphgrad\[safetensors\]"):
        gg.save({"a": gg.ones(1)}, tmp_path / "a.safetensors")
    assert not list(tmp_path.iterdir())
