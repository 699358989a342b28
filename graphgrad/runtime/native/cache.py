"""Generated native modules on disk, so that numba's own cache (`cache=True`, beside the
module) lets a second process load the compiled segments instead of compiling them again.

A module's file name is a hash of its source, and the source spells out everything the code
depends on (ops, shapes, dtypes, constants, buffer offsets, the numba version): the same graph
gives the same file, a different one another file. Files are written atomically and never
rewritten, so numba's cache index (keyed by the file's timestamp) stays valid.
"""
import hashlib
import importlib.util
import os
import sys
import tempfile

from graphgrad.atomic_file import write_atomic

_FALLBACK_DIR = []


def cache_dir():
    """GRAPHGRAD_CACHE_DIR/numba, else ~/.cache/graphgrad/numba (XDG_CACHE_HOME respected);
    a temporary folder when neither can be written."""
    root = os.environ.get("GRAPHGRAD_CACHE_DIR")
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"),
                                                               ".cache")
        root = os.path.join(base, "graphgrad")
    folder = os.path.join(root, "numba")
    try:
        os.makedirs(folder, exist_ok=True)
        if os.access(folder, os.W_OK):
            return folder
    except OSError:
        pass
    if not _FALLBACK_DIR:
        _FALLBACK_DIR.append(tempfile.mkdtemp(prefix="graphgrad-numba-"))
    return _FALLBACK_DIR[0]


def load_module(source):
    """The module with this source, written under the cache folder if it is not there yet."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:24]
    name = f"graphgrad_native_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    path = os.path.join(cache_dir(), name + ".py")
    if not _same_file(path, source):
        write_atomic(path, [source.encode()], "graphgrad native module")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module         # numba's cache and pickled exceptions find it by name
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _same_file(path, source):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read() == source
    except OSError:
        return False
