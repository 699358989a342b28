"""gg.save / gg.load: a safe checkpoint format (no pickle, no code runs on load).

Layout of one file (all integers little-endian):

    bytes  0..8    magic  b"\\x89GGCKPT\\n"
    bytes  8..16   header length H (uint64)
    bytes 16..48   SHA-256 of the header bytes
    bytes 48..48+H header: ASCII JSON, padded with spaces so the data starts 64-byte aligned
    then           the data area: raw C-order tensor bytes, each tensor 64-byte aligned

The header is {"format": "graphgrad.checkpoint", "version": 1, "tree": ..., "tensors": [...],
"data_bytes": n, "data_sha256": hex}. Each tensor entry gives dtype (a name from an allow-list),
shape, byte offset into the data area, byte length, kind ("tensor" or "ndarray") and
requires_grad. The tree is JSON where JSON can say it; everything else is a one-key object:
{"$tensor": i}, {"$tuple": [...]}, {"$dict": [[key, value], ...]} (every dict: keys keep their
types, so the int parameter ids of an optimizer's state_dict stay ints), {"$float": "nan" |
"inf" | "-inf"}. NumPy scalars are stored as Python numbers, OrderedDicts load as dicts.

load() checks the magic, the header's size, digest, JSON, every dtype / shape / offset / length
and the file size before it allocates any tensor memory, then checks the data digest. Anything
malformed raises graphgrad.CheckpointError saying what is wrong.
"""
import functools
import hashlib
import itertools
import json
import math
import os
import struct

import numpy as np

from graphgrad.atomic_file import write_atomic
from graphgrad.errors import CheckpointError
from graphgrad.tensor import Tensor

__all__ = ["save", "load"]

MAGIC = b"\x89GGCKPT\n"
FORMAT = "graphgrad.checkpoint"
VERSION = 1
ALIGN = 64
PREFIX = len(MAGIC) + 8 + 32
MAX_HEADER = 100 * 2 ** 20
MAX_DEPTH = 200
MAX_NDIM = 64
DTYPES = {name: np.dtype(name).newbyteorder("<") for name in (
    "bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64")}
KEY_TYPES = (str, int, float, bool, type(None))


# -- saving ------------------------------------------------------------------------------------

class _Encoder:
    def __init__(self):
        self.arrays = []
        self.entries = []
        self.data_bytes = 0

    def encode(self, obj, path, depth=0):
        if depth > MAX_DEPTH:
            raise ValueError(f"gg.save: {path} is nested more than {MAX_DEPTH} levels deep")
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, (Tensor, np.ndarray)):
            return self.add_array(obj, path)
        if isinstance(obj, (int, np.integer)) and not isinstance(obj, np.bool_):
            return int(obj)
        if isinstance(obj, np.bool_):
            return bool(obj)
        if isinstance(obj, (float, np.floating)):
            obj = float(obj)
            return obj if math.isfinite(obj) else {"$float": repr(obj)}
        if isinstance(obj, dict):
            pairs = []
            for k, v in obj.items():
                if isinstance(k, np.generic):
                    k = k.item()
                if not isinstance(k, KEY_TYPES):
                    raise TypeError(f"gg.save: {path} has a key of type {type(k).__name__}; "
                                    "keys must be str, int, float, bool or None")
                pairs.append([self.encode(k, path, depth + 1),
                              self.encode(v, f"{path}[{k!r}]", depth + 1)])
            return {"$dict": pairs}
        if isinstance(obj, list):
            return [self.encode(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(obj)]
        if isinstance(obj, tuple):
            return {"$tuple": [self.encode(v, f"{path}[{i}]", depth + 1)
                               for i, v in enumerate(obj)]}
        raise TypeError(f"gg.save: cannot save {path} of type {type(obj).__name__}; checkpoints "
                        "hold tensors, NumPy arrays, numbers, strings, bools, None and "
                        "dicts/lists/tuples of them")

    def add_array(self, obj, path):
        if isinstance(obj, Tensor):
            arr = obj._concrete("gg.save")
            kind, requires_grad = "tensor", bool(obj.requires_grad)
        else:
            arr, kind, requires_grad = obj, "ndarray", False
        name = next((n for n, d in DTYPES.items() if d == arr.dtype.newbyteorder("<")), None)
        if name is None:
            raise TypeError(f"gg.save: {path} has dtype {arr.dtype}, which checkpoints do not "
                            f"store (allowed: {', '.join(DTYPES)})")
        arr = np.asarray(arr, dtype=DTYPES[name], order="C")   # keeps 0-d arrays 0-d
        offset = -(-self.data_bytes // ALIGN) * ALIGN
        self.arrays.append((offset, arr))
        self.entries.append({"dtype": name, "shape": list(arr.shape), "offset": offset,
                             "nbytes": arr.nbytes, "kind": kind, "requires_grad": requires_grad})
        self.data_bytes = offset + arr.nbytes
        return {"$tensor": len(self.entries) - 1}


def _chunks(arrays):
    """The data area as byte chunks: padding and each array's bytes, in order."""
    position = 0
    for offset, arr in arrays:
        if offset > position:
            yield bytes(offset - position)
        if arr.nbytes:
            yield arr.reshape(-1).view(np.uint8)
        position = offset + arr.nbytes


def _build(obj):
    enc = _Encoder()
    tree = enc.encode(obj, "obj")
    digest = hashlib.sha256()
    for chunk in _chunks(enc.arrays):
        digest.update(chunk)
    header = {"format": FORMAT, "version": VERSION, "tree": tree, "tensors": enc.entries,
              "data_bytes": enc.data_bytes, "data_sha256": digest.hexdigest()}
    text = json.dumps(header, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    raw = text.encode("ascii")
    raw += b" " * (-(PREFIX + len(raw)) % ALIGN)
    prefix = MAGIC + struct.pack("<Q", len(raw)) + hashlib.sha256(raw).digest()
    return prefix + raw, enc.arrays


def save(obj, path, *, metadata=None):
    """Write `obj` (tensors, arrays, numbers, strings, None, nested dicts/lists/tuples: a state
    dict, an optimizer state dict, a training checkpoint) to `path`, atomically: the data goes
    to a temporary file in the same folder, is flushed and fsynced, then renamed over `path`.
    On any error the temporary file is removed and an existing `path` is left untouched.
    A path ending in `.safetensors` writes a flat state dict in the safetensors format (with
    optional string `metadata`), which PyTorch's safetensors loaders read."""
    path = os.fspath(path)
    if is_safetensors(path):
        from graphgrad import safetensors_format
        return safetensors_format.save_file(obj, path, metadata)
    if metadata is not None:
        raise TypeError("gg.save: metadata= is only stored in .safetensors files")
    head, arrays = _build(obj)
    write_atomic(path, itertools.chain([head], _chunks(arrays)), "gg.save")


def is_safetensors(path):
    return isinstance(path, str) and path.lower().endswith(".safetensors")


def _what_is_it(start):
    if start[:1] == b"\x80" and start[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "not a graphgrad checkpoint: it looks like a pickle file (graphgrad never unpickles)"
    if start.startswith(b"\x93NUMPY"):
        return "not a graphgrad checkpoint: it looks like a NumPy .npy file"
    if start.startswith(b"PK\x03\x04"):
        return "not a graphgrad checkpoint: it looks like a zip / .npz / torch.save file"
    return f"not a graphgrad checkpoint (bad magic bytes {start[:8]!r})"


def _no_duplicates(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r} in a JSON object")
        out[k] = v
    return out


def _parse_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:20]} out of range")
    return value


def _reject_constant(name):
    raise ValueError(f"{name} is not allowed in the header")


def _is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def _check_entries(entries, data_bytes, fail):
    if not isinstance(entries, list):
        raise fail("header 'tensors' is not a list")
    spans = []
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or set(e) != {"dtype", "shape", "offset", "nbytes", "kind",
                                                 "requires_grad"}:
            raise fail(f"tensor entry {i} is malformed")
        if not isinstance(e["dtype"], str) or e["dtype"] not in DTYPES:
            raise fail(f"tensor {i} has a dtype that is not allowed: {e['dtype']!r}")
        shape = e["shape"]
        if not isinstance(shape, list) or len(shape) > MAX_NDIM or \
                not all(_is_int(d) and d >= 0 for d in shape):
            raise fail(f"tensor {i} has an invalid shape {shape!r} (non-negative ints expected)")
        if math.prod(max(d, 1) for d in shape) * DTYPES[e["dtype"]].itemsize > _MAX_BYTES:
            raise fail(f"tensor {i} has a shape {shape} too large for any array (even a "
                       "zero-size one)")
        offset, nbytes = e["offset"], e["nbytes"]
        if not (_is_int(offset) and _is_int(nbytes) and offset >= 0 and nbytes >= 0):
            raise fail(f"tensor {i} has an invalid offset/length {offset!r}/{nbytes!r}")
        expected = math.prod(shape) * DTYPES[e["dtype"]].itemsize
        if nbytes != expected:
            raise fail(f"tensor {i}: byte length {nbytes} does not match shape {shape} of "
                       f"{e['dtype']} ({expected} bytes)")
        if offset % ALIGN or offset + nbytes > data_bytes:
            raise fail(f"tensor {i}: bytes {offset}..{offset + nbytes} are misaligned or outside "
                       f"the data area of {data_bytes} bytes")
        if e["kind"] not in ("tensor", "ndarray") or not isinstance(e["requires_grad"], bool):
            raise fail(f"tensor entry {i} has an invalid kind or requires_grad")
        if e["requires_grad"] and not e["dtype"].startswith("float"):
            raise fail(f"tensor {i}: requires_grad on a {e['dtype']} tensor")
        if nbytes:
            spans.append((offset, offset + nbytes, i))
    spans.sort()
    for (_, end, i), (start, _, j) in zip(spans, spans[1:]):
        if start < end:
            raise fail(f"tensors {i} and {j} overlap in the data area")


def _check_tree(node, n_tensors, seen, fail, depth=0):
    """Structure check of the encoded tree (no allocation), collecting tensor references."""
    if depth > MAX_DEPTH:
        raise fail(f"the tree is nested more than {MAX_DEPTH} levels deep")
    if node is None or isinstance(node, (bool, int, float, str)):
        return
    if isinstance(node, list):
        for x in node:
            _check_tree(x, n_tensors, seen, fail, depth + 1)
        return
    if not isinstance(node, dict) or len(node) != 1:
        raise fail("the tree holds a JSON object that is not a tagged value")
    (tag, value), = node.items()
    if tag == "$tensor":
        if not _is_int(value) or not 0 <= value < n_tensors:
            raise fail(f"the tree refers to tensor {value!r}, which does not exist")
        if value in seen:
            raise fail(f"tensor {value} is referred to twice")
        seen.add(value)
    elif tag == "$float":
        if value not in ("nan", "inf", "-inf"):
            raise fail(f"invalid special float {value!r}")
    elif tag == "$tuple":
        if not isinstance(value, list):
            raise fail("a tuple node is not a list")
        _check_tree(value, n_tensors, seen, fail, depth + 1)
    elif tag == "$dict":
        if not isinstance(value, list):
            raise fail("a dict node is not a list of pairs")
        keys = set()
        for pair in value:
            if not isinstance(pair, list) or len(pair) != 2:
                raise fail("a dict node holds something other than [key, value] pairs")
            key = pair[0]
            if isinstance(key, dict) and set(key) == {"$float"}:
                _check_tree(key, n_tensors, seen, fail, depth + 1)
                key = float(key["$float"])
            elif not isinstance(key, KEY_TYPES):
                raise fail(f"a dict key is not a str, number, bool or None: {key!r}")
            if key in keys and not (isinstance(key, float) and math.isnan(key)):
                raise fail(f"duplicate dict key {key!r}")
            keys.add(key)
            _check_tree(pair[1], n_tensors, seen, fail, depth + 1)
    else:
        raise fail(f"unknown tag {tag!r} in the tree")


# NumPy refuses shapes whose size in bytes, counting zero dims as one, overflows this
_MAX_BYTES = np.iinfo(np.intp).max


# -- loading -----------------------------------------------------------------------------------

def _fail(path, what):
    return CheckpointError(f"gg.load({path!r}): {what}")


def _read_header(f, path, size):
    fail = functools.partial(_fail, path)
    start = f.read(PREFIX)
    if len(start) < len(MAGIC) or start[:len(MAGIC)] != MAGIC:
        raise fail(_what_is_it(start) if len(start) >= len(MAGIC) else
                   f"not a graphgrad checkpoint (only {size} bytes)")
    if len(start) < PREFIX:
        raise fail(f"truncated: {size} bytes, shorter than the {PREFIX}-byte preamble")
    (n,) = struct.unpack("<Q", start[8:16])
    if n > MAX_HEADER or n > size - PREFIX:
        raise fail(f"header length {n} is larger than the file ({size} bytes) allows or over "
                   f"the {MAX_HEADER}-byte limit (truncated or corrupt)")
    raw = f.read(n)
    if len(raw) != n or hashlib.sha256(raw).digest() != start[16:48]:
        raise fail("the header is corrupt (its SHA-256 digest does not match)")
    try:
        header = json.loads(raw.decode("ascii"), object_pairs_hook=_no_duplicates,
                            parse_float=_parse_float, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as e:
        raise fail(f"the header is not valid JSON ({str(e)[:200]})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise fail("the header does not describe a graphgrad checkpoint")
    if header.get("version") != VERSION:
        raise fail(f"unsupported checkpoint version {header.get('version')!r} (this graphgrad "
                   f"reads version {VERSION})")
    if set(header) != {"format", "version", "tree", "tensors", "data_bytes", "data_sha256"}:
        raise fail(f"unexpected header fields {sorted(header)}")
    data_bytes = header["data_bytes"]
    if not _is_int(data_bytes) or data_bytes < 0 or not isinstance(header["data_sha256"], str):
        raise fail("invalid data size or digest in the header")
    if PREFIX + n + data_bytes != size:
        raise fail(f"the file has {size} bytes, the header describes "
                   f"{PREFIX + n + data_bytes} (truncated or extended)")
    _check_entries(header["tensors"], data_bytes, fail)
    seen = set()
    _check_tree(header["tree"], len(header["tensors"]), seen, fail)
    if len(seen) != len(header["tensors"]):
        raise fail("the header lists tensors that the tree does not use")
    return header


def _decode(node, arrays):
    if isinstance(node, list):
        return [_decode(x, arrays) for x in node]
    if not isinstance(node, dict):
        return node
    (tag, value), = node.items()
    if tag == "$tensor":
        return arrays[value]
    if tag == "$float":
        return float(value)
    if tag == "$tuple":
        return tuple(_decode(x, arrays) for x in value)
    return {_decode(k, arrays): _decode(v, arrays) for k, v in value}


def load(path, as_numpy=False):
    """Read a checkpoint written by gg.save. Tensors come back as graphgrad Tensors (keeping
    requires_grad) and arrays as NumPy arrays, in the saved structure; with as_numpy=True every
    tensor is a NumPy array. Raises graphgrad.CheckpointError for anything malformed. A path
    ending in `.safetensors` reads a safetensors file (a flat dict of tensors)."""
    path = os.fspath(path)
    if is_safetensors(path):
        from graphgrad import safetensors_format
        return safetensors_format.load_file(path, as_numpy=as_numpy)
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        header = _read_header(f, path, size)
        data = bytearray(header["data_bytes"])
        if f.readinto(data) != len(data):
            raise _fail(path, "the file changed while it was read")
    if hashlib.sha256(data).hexdigest() != header["data_sha256"]:
        raise _fail(path, "the tensor data is corrupt (its SHA-256 digest does not match)")
    arrays = []
    for e in header["tensors"]:
        dtype = DTYPES[e["dtype"]]
        native = dtype.newbyteorder("=")
        if e["nbytes"] == 0:
            arr = np.empty(tuple(e["shape"]), native)
        else:
            count = e["nbytes"] // dtype.itemsize
            arr = np.frombuffer(data, dtype, count, e["offset"]).reshape(tuple(e["shape"]))
            arr = arr.astype(native, copy=False)
        if e["kind"] == "ndarray" or as_numpy:
            arrays.append(arr)
        else:
            t = Tensor._wrap(arr)
            if e["requires_grad"]:
                t.requires_grad_(True)
            arrays.append(t)
    return _decode(header["tree"], arrays)
