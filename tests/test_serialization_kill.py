"""Checkpoints under hostile conditions (SPEC section 10), beyond tests/test_serialization.py:
a saving process killed with SIGKILL in the middle of a write, a disk that fills up at any
point of a save, and pickle payloads that must be refused without running anything."""
import errno
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import graphgrad as gg
from graphgrad import CheckpointError, serialization

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

PAUSED_SAVER = textwrap.dedent("""
    import sys, time
    import numpy as np
    import graphgrad as gg
    from graphgrad import serialization

    path = sys.argv[1]
    real_chunks = serialization._chunks
    uses = []

    def paused(arrays):
        uses.append(1)
        for k, chunk in enumerate(real_chunks(arrays)):
            yield chunk
            if len(uses) == 2 and k == 0:      # the second pass writes the file
                print("writing", flush=True)
                time.sleep(3600)                # a slow disk: killed here

    serialization._chunks = paused
    big = np.arange(4_000_000, dtype=np.float64)
    gg.save({"w": big, "v": big + 1.0, "step": 2}, path)    # paused between w and v
""")

LOOPING_SAVER = textwrap.dedent("""
    import sys
    import numpy as np
    import graphgrad as gg

    path = sys.argv[1]
    i = 1
    while True:
        gg.save({"w": np.full(2_000_000, float(i)), "step": i}, path)
        print(i, flush=True)
        i += 1
""")


def _spawn(source, path):
    return subprocess.Popen([sys.executable, "-c", source, str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _kill(proc):
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    proc.stdout.close()
    proc.stderr.close()


def _previous(tmp_path):
    path = tmp_path / "model.ckpt"
    gg.save({"w": np.zeros(1000), "step": 1}, path)
    return path, path.read_bytes()


def _temp_files(folder):
    return sorted(name for name in os.listdir(folder) if name != "model.ckpt")


def test_kill_in_the_middle_of_a_write_keeps_the_previous_file(tmp_path):
    path, before = _previous(tmp_path)
    proc = _spawn(PAUSED_SAVER, path)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "writing", proc.stderr.read()
        assert _temp_files(tmp_path), "the save should be writing a temporary file now"
    finally:
        _kill(proc)
    assert path.read_bytes() == before
    out = gg.load(path)
    assert out["step"] == 1 and out["w"].shape == (1000,)


def test_kill_at_a_random_moment_of_a_save_loop_never_tears_the_file(tmp_path):
    path, _ = _previous(tmp_path)
    rng = np.random.default_rng(0)
    for _ in range(3):
        proc = _spawn(LOOPING_SAVER, path)
        try:
            completed = int(proc.stdout.readline())       # one save done; the next under way
            time.sleep(float(rng.uniform(0.0, 0.05)))
        finally:
            _kill(proc)
        out = gg.load(path)                               # complete, digests match
        assert out["step"] >= completed
        np.testing.assert_array_equal(out["w"], np.full(2_000_000, float(out["step"])))


def test_kill_leaves_no_temporary_file_behind_after_the_next_save(tmp_path):
    path, _ = _previous(tmp_path)
    proc = _spawn(PAUSED_SAVER, path)
    try:
        assert proc.stdout.readline().strip() == "writing"
    finally:
        _kill(proc)
    gg.save({"w": np.ones(10), "step": 3}, path)
    assert _temp_files(tmp_path) == []
    assert gg.load(path)["step"] == 3


# -- a full disk at every point of a save ---------------------------------------------------------

class _FullDisk:
    """A file object over the real one that runs out of space after `budget` bytes, or at
    flush time (data buffered until then)."""

    def __init__(self, real, budget, fail_flush):
        self.real = real
        self.budget = budget
        self.fail_flush = fail_flush

    def write(self, data):
        data = memoryview(data).cast("B")
        if len(data) > self.budget:
            self.real.write(data[:self.budget])
            self.budget = 0
            raise OSError(errno.ENOSPC, "No space left on device")
        self.budget -= len(data)
        return self.real.write(data)

    def flush(self):
        if self.fail_flush:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.real.flush()

    def fileno(self):
        return self.real.fileno()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.real.close()
        return False


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("where", ["create", "header", "data", "flush", "fsync", "replace"])
def test_full_disk_keeps_the_previous_file(where, tmp_path, monkeypatch):
    path, before = _previous(tmp_path)
    big = {"w": np.arange(200_000, dtype=np.float64), "step": 2}
    real_fdopen = os.fdopen
    if where == "create":
        real_open = os.open
        monkeypatch.setattr(serialization.os, "open",
                            lambda p, flags, *a: _no_space() if str(p).endswith(".tmp")
                            else real_open(p, flags, *a))
    elif where in ("header", "data", "flush"):
        budget = {"header": 10, "data": 100_000, "flush": 10 ** 9}[where]
        monkeypatch.setattr(serialization.os, "fdopen", lambda fd, mode="r", *a, **k:
                            _FullDisk(real_fdopen(fd, mode, *a, **k), budget, where == "flush"))
    elif where == "fsync":
        monkeypatch.setattr(serialization.os, "fsync", _no_space)
    else:
        monkeypatch.setattr(serialization.os, "replace", _no_space)
    with pytest.raises(OSError) as info:
        gg.save(big, path)
    assert info.value.errno == errno.ENOSPC                 # the real cause reaches the user
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert _temp_files(tmp_path) == []
    gg.save(big, path)                                        # space again: the save works
    assert gg.load(path)["step"] == 2


# -- foreign files are refused without running anything -----------------------------------------

class _Payload:
    """Unpickling this creates the file `marker` (stands in for arbitrary code)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _refuse(path, marker, match):
    with pytest.raises(CheckpointError, match=match):
        gg.load(path)
    with pytest.raises(CheckpointError, match=match):
        gg.load(path, as_numpy=True)
    assert not os.path.exists(marker), "loading ran code from the file"


def test_pickle_payload_is_refused_without_running(tmp_path):
    marker = tmp_path / "pwned"
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        path = tmp_path / f"evil{protocol}.pkl"
        path.write_bytes(pickle.dumps({"w": _Payload(marker)}, protocol=protocol))
        assert not marker.exists()
        _refuse(path, marker, "pickle")


def test_object_array_npy_and_npz_are_refused_without_running(tmp_path):
    marker = tmp_path / "pwned"
    objects = np.array([_Payload(marker), None], dtype=object)
    npy = tmp_path / "objects.npy"
    np.save(npy, objects, allow_pickle=True)
    npz = tmp_path / "objects.npz"
    np.savez(npz, a=objects)
    assert not marker.exists()
    _refuse(npy, marker, "npy")
    _refuse(npz, marker, "zip")


def test_pickle_renamed_to_a_checkpoint_name_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.ckpt"
    path.write_bytes(b"\x89GGCKPT\n" + pickle.dumps(_Payload(marker)))   # right magic, junk
    with pytest.raises(CheckpointError):
        gg.load(path)
    assert not marker.exists()
