"""State dicts in the safetensors format, the one PyTorch models are shared in: `gg.save(sd,
"model.safetensors")` / `gg.load("model.safetensors")` call save_file / load_file here.

A safetensors file holds a flat dict name -> tensor (dtype and shape kept, float16 included)
and optional string metadata: an 8-byte little-endian header length, a JSON header, then the
raw bytes. Reading and writing use the `safetensors` package (extra `graphgrad[safetensors]`).
Before the package reads a file, its header is checked here, so a malformed or unsupported file
raises a CheckpointError saying what is wrong; nothing is returned unless every tensor loads.
Writing is atomic, as gg.save is.
"""
import json
import os
from collections.abc import Mapping

import numpy as np

from graphgrad.errors import CheckpointError
from graphgrad.tensor import Tensor

__all__ = ["save_file", "load_file", "read_metadata"]

# safetensors dtype names <-> NumPy dtypes graphgrad tensors hold
DTYPES = {"BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "I16": np.int16, "I32": np.int32,
          "I64": np.int64, "F16": np.float16, "F32": np.float32, "F64": np.float64}
NAMES = {np.dtype(v): k for k, v in DTYPES.items()}
MAX_HEADER = 100 * 2 ** 20


def _package():
    try:
        import safetensors.numpy
    except ImportError:
        raise ImportError("reading and writing .safetensors files needs the safetensors "
                          "package: pip install 'graphgrad[safetensors]' (or pip install "
                          "safetensors)") from None
    return safetensors.numpy


def _array(name, value):
    if isinstance(value, Tensor):
        value = value._concrete("gg.save")
    elif not isinstance(value, np.ndarray):
        raise TypeError(f"gg.save: a .safetensors file holds a flat dict of tensors, but "
                        f"{name!r} is a {type(value).__name__} (save nested checkpoints to "
                        "another file name, in graphgrad's own format)")
    if value.dtype not in NAMES:
        allowed = ", ".join(str(d) for d in NAMES)
        raise TypeError(f"gg.save: {name!r} has dtype {value.dtype}, which graphgrad does not "
                        f"store in safetensors files (allowed: {allowed})")
    return np.asarray(value, order="C")          # (ascontiguousarray would make 0-d 1-d)


def save_file(tensors, path, metadata=None):
    """Write a flat dict name -> tensor (or NumPy array) to `path`; `metadata` is an optional
    dict of strings stored in the header."""
    from graphgrad.atomic_file import write_atomic
    if not isinstance(tensors, Mapping):
        raise TypeError(f"gg.save: a .safetensors file holds a flat dict name -> tensor, got "
                        f"{type(tensors).__name__}")
    arrays = {}
    for name, value in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"gg.save: safetensors names must be strings, got {name!r}")
        arrays[name] = _array(name, value)
    if metadata is not None and (not isinstance(metadata, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())):
        raise TypeError("gg.save: safetensors metadata must be a dict of strings to strings")
    data = _package().save(arrays, metadata=dict(metadata) if metadata else None)
    write_atomic(os.fspath(path), [data], "gg.save")


def _fail(path, what):
    return CheckpointError(f"gg.load({path!r}): {what}")


def _header(raw, path):
    """The parsed and checked JSON header of the file bytes `raw`."""
    if len(raw) < 8:
        raise _fail(path, f"not a safetensors file (only {len(raw)} bytes)")
    n = int.from_bytes(raw[:8], "little")
    if n > MAX_HEADER or n > len(raw) - 8:
        raise _fail(path, f"not a safetensors file, or truncated: header length {n} does not "
                          f"fit the file's {len(raw)} bytes")
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise _fail(path, f"the header is not valid JSON ({str(e)[:200]})") from None
    if not isinstance(header, dict):
        raise _fail(path, "the header is not a JSON object")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and (not isinstance(metadata, dict) or not all(
            isinstance(v, str) for v in metadata.values())):
        raise _fail(path, "__metadata__ must map strings to strings")
    _check_entries(header, len(raw) - 8 - n, path)
    return header, metadata or {}


def _check_entries(entries, data_size, path):
    spans = []
    for name, e in entries.items():
        if not isinstance(e, dict) or set(e) != {"dtype", "shape", "data_offsets"}:
            raise _fail(path, f"tensor {name!r}: malformed entry {str(e)[:100]}")
        if e["dtype"] not in DTYPES:
            extra = " (NumPy has no bfloat16: convert to float32 before saving, e.g. " \
                    "{k: v.float() for k, v in sd.items()})" if e["dtype"] == "BF16" else ""
            raise _fail(path, f"tensor {name!r} has dtype {e['dtype']}, which graphgrad cannot "
                              f"hold{extra}")
        shape, offsets = e["shape"], e["data_offsets"]
        if not isinstance(shape, list) or not all(
                isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
            raise _fail(path, f"tensor {name!r} has an invalid shape {shape!r}")
        if not (isinstance(offsets, list) and len(offsets) == 2 and
                all(isinstance(o, int) and not isinstance(o, bool) for o in offsets) and
                0 <= offsets[0] <= offsets[1] <= data_size):
            raise _fail(path, f"tensor {name!r}: byte range {offsets!r} lies outside the data "
                              f"area of {data_size} bytes (truncated or corrupt)")
        expected = int(np.prod(shape, dtype=np.int64)) * np.dtype(DTYPES[e["dtype"]]).itemsize
        if offsets[1] - offsets[0] != expected:
            raise _fail(path, f"tensor {name!r}: {offsets[1] - offsets[0]} bytes do not match "
                              f"shape {shape} of {e['dtype']} ({expected} bytes)")
        spans.append((offsets[0], offsets[1], name))
    spans.sort()
    position = 0
    for start, end, name in spans:
        if start != position:
            raise _fail(path, f"tensor {name!r} overlaps another or leaves a gap in the data "
                              "area")
        position = end
    if position != data_size:
        raise _fail(path, f"the data area has {data_size} bytes, the tensors use {position}")


def _read(path):
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    return raw, _header(raw, path)


def load_file(path, as_numpy=False):
    """Read a .safetensors file into a dict name -> Tensor (NumPy arrays with as_numpy=True),
    with each tensor's dtype and shape as stored."""
    package = _package()
    raw, (header, _) = _read(path)
    try:
        arrays = package.load(raw)
    except Exception as e:      # the package's SafetensorError and friends
        raise _fail(os.fspath(path), f"the safetensors package refused it: {e}") from None
    out = {}
    for name, arr in arrays.items():
        arr = arr.reshape(header[name]["shape"])        # a 0-d tensor stays 0-d
        arr = arr if arr.flags.writeable else arr.copy()
        out[name] = arr if as_numpy else Tensor._wrap(arr)
    return out


def read_metadata(path):
    """The string metadata stored in a .safetensors file's header ({} when there is none)."""
    return _read(path)[1][1]
