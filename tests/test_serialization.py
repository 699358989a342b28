"""gg.save / gg.load: round trips, resuming training, atomic saves, and malformed files (every
truncation, flipped bytes, forged headers, pickles) refused with CheckpointError."""
import functools
import hashlib
import json
import os
import pickle
import struct
from collections import OrderedDict

import numpy as np
import pytest

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad import CheckpointError, nn, optim, serialization


def roundtrip(obj, tmp_path, **kwargs):
    path = tmp_path / "obj.ckpt"
    gg.save(obj, path)
    return gg.load(path, **kwargs)


# -- round trips -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "int8",
                                   "uint8", "bool"])
@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (5,), (2, 3, 4)])
def test_tensor_round_trip(dtype, shape, tmp_path):
    rng = np.random.default_rng(0)
    arr = np.asarray(rng.standard_normal(shape) * 10).astype(dtype)
    out = roundtrip({"t": gg.tensor(arr), "a": arr}, tmp_path)
    assert isinstance(out["t"], gg.Tensor) and isinstance(out["a"], np.ndarray)
    for got in (out["t"].numpy(), out["a"]):
        assert got.dtype == arr.dtype and got.shape == arr.shape
        np.testing.assert_array_equal(got, arr)


def test_nested_structure_round_trip(tmp_path):
    obj = {
        "ints": {0: "zero", 7: [1, 2, (3, 4)]}, 2.5: None, None: True, False: -1,
        "floats": [0.1, -0.0, float("inf"), float("-inf"), 1e300],
        "text": "naïve ✓ \"quoted\" \n",
        "numpy scalars": [np.float32(1.5), np.int64(3), np.bool_(True)],
        "nested": [[{"x": gg.tensor([1.0, 2.0])}], ()],
        "big": 2 ** 100,
    }
    out = roundtrip(obj, tmp_path)
    assert out["ints"] == {0: "zero", 7: [1, 2, (3, 4)]}
    assert out[2.5] is None and out[None] is True and out[False] == -1
    assert out["floats"] == obj["floats"] and str(out["floats"][1]) == "-0.0"
    assert out["text"] == obj["text"] and out["big"] == 2 ** 100
    assert out["numpy scalars"] == [1.5, 3, True]
    assert type(out["numpy scalars"][1]) is int and type(out["numpy scalars"][2]) is bool
    assert out["nested"][0][0]["x"].tolist() == [1.0, 2.0] and out["nested"][1] == ()
    assert list(out) == list(obj)                          # key order kept
    nan = roundtrip([float("nan")], tmp_path)[0]
    assert nan != nan


def test_requires_grad_and_as_numpy(tmp_path):
    p = nn.Parameter(gg.tensor([1.0, 2.0]))
    out = roundtrip({"p": p, "i": gg.tensor([1, 2])}, tmp_path)
    assert out["p"].requires_grad and not out["i"].requires_grad
    arrays = gg.load(tmp_path / "obj.ckpt", as_numpy=True)
    assert all(isinstance(v, np.ndarray) for v in arrays.values())


def test_unsupported_objects_are_refused_before_writing(tmp_path):
    path = tmp_path / "x.ckpt"
    for bad, match in [({"f": print}, r"obj\['f'\].*builtin_function"),
                       ({(1, 2): 3}, "key of type tuple"),
                       ([np.array([object()])], "dtype object"),
                       ({"c": np.zeros(2, np.complex64)}, "complex64")]:
        with pytest.raises(TypeError, match=match):
            gg.save(bad, path)
    assert os.listdir(tmp_path) == []


def make_model(seed):
    gg.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 3))


def train(model, opt, steps, compiled):
    rng = np.random.default_rng(1)
    x = gg.tensor(rng.standard_normal((32, 4)).astype(np.float32))
    y = gg.tensor(rng.integers(0, 3, 32))

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    fn = gg.compile(step) if compiled else step
    return [fn(x, y).item() for _ in range(steps)]


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
@pytest.mark.parametrize("make_opt", [
    lambda p: optim.Adam(p, lr=0.01, amsgrad=True),
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1),
], ids=["adam", "sgd"])
def test_model_and_optimizer_resume_identically(make_opt, compiled, tmp_path):
    model = make_model(0)
    opt = make_opt(model.parameters())
    train(model, opt, 5, compiled)
    gg.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "step": 5},
            tmp_path / "ckpt")
    expected = train(model, opt, 5, compiled)

    state = gg.load(tmp_path / "ckpt")
    assert isinstance(state["model"]["0.weight"], gg.Tensor)
    assert all(isinstance(k, int) for k in state["optimizer"]["state"])   # int keys kept
    model2 = make_model(1)                                  # different initial weights
    opt2 = make_opt(model2.parameters())
    model2.load_state_dict(state["model"])
    opt2.load_state_dict(state["optimizer"])
    assert train(model2, opt2, 5, compiled) == expected     # bit-identical continuation


def test_saved_tensors_are_snapshots(tmp_path):
    t = gg.tensor([1.0, 2.0])
    gg.save({"t": t}, tmp_path / "a")
    t.add_(1.0)
    out = gg.load(tmp_path / "a")["t"]
    assert out.tolist() == [1.0, 2.0]
    out.add_(5.0)                                            # loaded tensors are writable
    assert out.tolist() == [6.0, 7.0]


# -- atomic saves ----------------------------------------------------------------------------------

def test_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "model.ckpt"
    gg.save({"w": gg.ones(1000)}, path)
    before = path.read_bytes()

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(serialization.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"):
        gg.save({"w": gg.zeros(1000)}, path)
    monkeypatch.undo()

    def interrupted(arrays):
        yield b"partial"
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization, "_chunks", interrupted)
    with pytest.raises(KeyboardInterrupt):
        gg.save({"w": gg.zeros(1000)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.ckpt"]            # no temporary files left behind


def test_save_replaces_and_respects_umask(tmp_path):
    path = tmp_path / "m.ckpt"
    gg.save([1], path)
    gg.save([2], str(path))
    assert gg.load(path) == [2]
    umask = os.umask(0o022)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask


# -- malformed files -------------------------------------------------------------------------------

def small_checkpoint(tmp_path):
    path = tmp_path / "small.ckpt"
    gg.save({"w": gg.tensor([[1.0, 2.0]]), "state": {0: {"step": gg.tensor(3.0)}},
             "meta": (1, "x", float("inf")), "empty": np.zeros((0, 2))}, path)
    return path.read_bytes()


def load_bytes(tmp_path, blob):
    path = tmp_path / "bad.ckpt"
    path.write_bytes(blob)
    return gg.load(path)


def test_every_truncation_is_refused(tmp_path):
    blob = small_checkpoint(tmp_path)
    for n in range(len(blob)):
        with pytest.raises(CheckpointError):
            load_bytes(tmp_path, blob[:n])
    assert load_bytes(tmp_path, blob)["w"].tolist() == [[1.0, 2.0]]
    with pytest.raises(CheckpointError, match="truncated or extended"):
        load_bytes(tmp_path, blob + b"\0")


def test_every_flipped_byte_is_refused(tmp_path):
    blob = small_checkpoint(tmp_path)
    for i in range(len(blob)):                # preamble, header, padding and data
        for mask in (0x01, 0x80, 0xFF):
            bad = bytearray(blob)
            bad[i] ^= mask
            with pytest.raises(CheckpointError):
                load_bytes(tmp_path, bytes(bad))


def split(blob):
    (n,) = struct.unpack("<Q", blob[8:16])
    return blob[48:48 + n], blob[48 + n:]


def forge(blob, edit):
    """A checkpoint whose header JSON was edited and whose digests were made to match: only
    the structural checks stand between it and the loader."""
    header, data = split(blob)
    text = edit(header.decode("ascii").rstrip())
    raw = text.encode("latin-1") if isinstance(text, str) else text
    return (serialization.MAGIC + struct.pack("<Q", len(raw)) + hashlib.sha256(raw).digest()
            + raw + data)


def edit_json(fn):
    def edit(text):
        header = json.loads(text)
        fn(header)
        return json.dumps(header)
    return edit


def entry(i, **changes):
    return edit_json(lambda h: h["tensors"][i].update(changes))


FORGERIES = {
    "object dtype": (entry(0, dtype="object"), "dtype that is not allowed"),
    "pickled dtype": (entry(0, dtype="O"), "not allowed"),
    "negative dim": (entry(0, shape=[-1, 2]), "invalid shape"),
    "float dim": (entry(0, shape=[1.0, 2]), "invalid shape"),
    "bool dim": (entry(0, shape=[True, 2]), "invalid shape"),
    "huge shape": (entry(0, shape=[2 ** 62, 2 ** 62]), "too large for any array"),
    "zero-size huge shape": (entry(0, shape=[0, 2 ** 62, 2 ** 62], nbytes=0),
                             "too large for any array"),
    "length mismatch": (entry(0, nbytes=4), "does not match"),
    "offset outside": (entry(1, offset=1 << 40), "outside"),
    "negative offset": (entry(1, offset=-64), "invalid offset"),
    "misaligned": (entry(1, offset=3), "misaligned"),
    "overlap": (entry(1, offset=0, dtype="float64", shape=[1], nbytes=8), "overlap"),
    "grad on ints": (entry(0, dtype="int32", requires_grad=True), "requires_grad"),
    "unknown field": (entry(0, code="import os"), "malformed"),
    "tensor twice": (edit_json(lambda h: h["tree"]["$dict"][1][1]["$dict"][0][1]["$dict"][0]
                               .__setitem__(1, {"$tensor": 0})), "twice"),
    "dangling tensor": (edit_json(lambda h: h["tree"]["$dict"][0].__setitem__(1, {"$tensor": 9})),
                        "does not exist"),
    "unknown tag": (edit_json(lambda h: h["tree"]["$dict"].append(["k", {"$eval": "1"}])),
                    "unknown tag"),
    "plain object": (edit_json(lambda h: h["tree"]["$dict"].append(["k", {"a": 1, "b": 2}])),
                     "not a tagged value"),
    "duplicate dict key": (edit_json(lambda h: h["tree"]["$dict"].append(["meta", 1])),
                           "duplicate dict key"),
    "list key": (edit_json(lambda h: h["tree"]["$dict"].append([[1], 1])), "dict key"),
    "bad float": (edit_json(lambda h: h["tree"]["$dict"].append(["k", {"$float": "1e5"}])),
                  "special float"),
    "version": (edit_json(lambda h: h.update(version=2)), "version"),
    "format": (edit_json(lambda h: h.update(format="other")), "does not describe"),
    "extra field": (edit_json(lambda h: h.update(extra=1)), "unexpected header fields"),
    "data size": (edit_json(lambda h: h.update(data_bytes=h["data_bytes"] + 64)),
                  "truncated or extended"),
    "data digest": (edit_json(lambda h: h.update(data_sha256="0" * 64)), "tensor data is corrupt"),
    "unused tensor": (edit_json(lambda h: h["tensors"].append(dict(h["tensors"][2]))),
                      "does not use"),
    "duplicate JSON key": (lambda t: t[:-1] + ',"version":1}', "duplicate key"),
    "not JSON": (lambda t: t[:-1], "not valid JSON"),
    "NaN constant": (lambda t: t.replace('"version":1', '"version":NaN'), "not valid JSON"),
    "overflowing float": (lambda t: t.replace('"version":1', '"version":1e999'),
                          "not valid JSON"),
    "deep nesting": (lambda t: t.replace('"tree":', '"tree":' + "[" * 100000 + "]" * 100000
                                         + ',"x":'), "not valid JSON|deep"),
    "deep tree": (edit_json(lambda h: h.update(tree=functools.reduce(lambda a, _: [a], range(500),
                                                                      1))), "nested more than"),
    "not ascii": (lambda t: t.replace('"x"', '"\xe9"'), "not valid JSON"),
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_forged_headers_are_refused(name, tmp_path):
    edit, match = FORGERIES[name]
    with pytest.raises(CheckpointError, match=match):
        load_bytes(tmp_path, forge(small_checkpoint(tmp_path), edit))


def test_random_header_edits_load_or_raise_checkpoint_error(tmp_path):
    blob = small_checkpoint(tmp_path)
    header = split(blob)[0].decode("ascii").rstrip()
    outcomes = set()
    for i in range(len(header)):
        for c in '0-{]":$':
            try:
                load_bytes(tmp_path, forge(blob, lambda t, i=i, c=c: t[:i] + c + t[i + 1:]))
                outcomes.add("loaded")
            except CheckpointError:
                outcomes.add("refused")
    assert outcomes == {"loaded", "refused"}


def test_header_length_is_bounded(tmp_path):
    blob = small_checkpoint(tmp_path)
    for n in (2 ** 63, 200 * 2 ** 20, len(blob)):
        bad = blob[:8] + struct.pack("<Q", n) + blob[16:]
        with pytest.raises(CheckpointError, match="header length"):
            load_bytes(tmp_path, bad)


def test_foreign_files_are_refused(tmp_path):
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(pickle.dumps({"w": [1.0]}))
    with pytest.raises(CheckpointError, match="pickle"):
        gg.load(evil)
    npy = tmp_path / "objects.npy"
    np.save(npy, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(CheckpointError, match="npy"):
        gg.load(npy)
    npz = tmp_path / "arrays.npz"
    np.savez(npz, a=np.zeros(3))
    with pytest.raises(CheckpointError, match="zip"):
        gg.load(npz)
    for junk in (b"", b"\x89GGC", b"hello world, not a checkpoint"):
        with pytest.raises(CheckpointError, match="not a graphgrad checkpoint"):
            load_bytes(tmp_path, junk)


def test_module_state_dict_round_trip(tmp_path):
    model = make_model(3)
    out = roundtrip(model.state_dict(), tmp_path)
    assert list(out) == list(model.state_dict())
    other = make_model(4)
    other.load_state_dict(out)
    for a, b in zip(model.parameters(), other.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert isinstance(model.state_dict(), OrderedDict) and type(out) is dict
