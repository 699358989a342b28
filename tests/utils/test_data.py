"""Datasets, DataLoader batching and shuffling, default_collate, argument checks."""
from collections import namedtuple

import numpy as np
import pytest

import graphgrad as gg
from graphgrad.utils.data import (DataLoader, Dataset, Subset, TensorDataset, default_collate,
                                  random_split)


def make_dataset(n=10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64)
    return TensorDataset(gg.tensor(x), gg.tensor(y))


class Squares(Dataset):
    """A per-sample dataset (no fast path): (x, {"y": x ** 2, "name": str})."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return gg.tensor([float(i), 1.0]), {"y": i * i, "name": f"s{i}"}


def test_tensor_dataset_items_and_validation():
    ds = make_dataset(4)
    x, y = ds[2]
    assert isinstance(x, gg.Tensor) and x.tolist() == [6.0, 7.0, 8.0] and y.item() == 2
    assert len(ds) == 4
    with pytest.raises(ValueError, match=r"dimension 0.*\(4, 2\), \(3,\)"):
        TensorDataset(gg.zeros(4, 2), gg.zeros(3))
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(gg.tensor(1.0))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()


def test_sequential_batches_and_partial_last_batch():
    ds = make_dataset(10)
    loader = DataLoader(ds, batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0][0].shape == (4, 3) and batches[0][0].dtype == np.float32
    assert batches[0][1].dtype == np.int64
    dropped = DataLoader(ds, batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [b[1].shape for b in dropped] == [(4,), (4,)]


def test_fast_path_uses_one_fancy_index_and_copies(monkeypatch):
    ds = make_dataset(10)
    calls = []
    original = TensorDataset._take

    def spy(self, indices):
        calls.append(np.array(indices))
        return original(self, indices)

    monkeypatch.setattr(TensorDataset, "_take", spy)

    def per_sample(self, i):
        raise AssertionError("per-sample __getitem__ called")

    monkeypatch.setattr(TensorDataset, "__getitem__", per_sample)
    x, y = next(iter(DataLoader(ds, batch_size=5, shuffle=True, seed=1)))
    assert len(calls) == 1                  # one take for the batch, no per-sample __getitem__
    np.testing.assert_array_equal(y.numpy(), calls[0])
    np.testing.assert_array_equal(x.numpy(), ds.arrays[0][calls[0]])
    x.numpy()[:] = -1                       # a batch never aliases the dataset
    assert ds.arrays[0].min() == 0


def test_shuffle_is_reproducible_and_differs_per_epoch():
    ds = make_dataset(20)

    def epochs(loader, n=3):
        return [np.concatenate([b[1].numpy() for b in loader]).tolist() for _ in range(n)]

    a = epochs(DataLoader(ds, batch_size=6, shuffle=True, seed=123))
    b = epochs(DataLoader(ds, batch_size=6, shuffle=True, seed=123))
    c = epochs(DataLoader(ds, batch_size=6, shuffle=True, generator=np.random.default_rng(123)))
    assert a == b == c
    assert a[0] != a[1] != a[2]
    assert all(sorted(e) == list(range(20)) for e in a)
    assert a[0] != epochs(DataLoader(ds, batch_size=6, shuffle=True, seed=7), 1)[0]
    gg.manual_seed(5)                         # no seed: drawn from graphgrad's generator
    d = epochs(DataLoader(ds, batch_size=6, shuffle=True))
    gg.manual_seed(5)
    assert d == epochs(DataLoader(ds, batch_size=6, shuffle=True))


def test_state_dict_restores_the_shuffle_sequence():
    ds = make_dataset(12)
    loader = DataLoader(ds, batch_size=5, shuffle=True, seed=3)
    list(loader)
    state = loader.state_dict()
    expected = [b[1].tolist() for b in loader]
    other = DataLoader(ds, batch_size=5, shuffle=True, seed=99)
    other.load_state_dict(state)
    assert [b[1].tolist() for b in other] == expected


def test_per_sample_dataset_collates_nested_structures():
    loader = DataLoader(Squares(5), batch_size=2)
    batches = list(loader)
    x, target = batches[0]
    assert x.shape == (2, 2) and x.dtype == np.float32
    assert target["y"].tolist() == [0, 1] and target["y"].dtype == np.int64
    assert target["name"] == ["s0", "s1"]
    assert batches[-1][0].shape == (1, 2)


def test_default_collate_kinds():
    Point = namedtuple("Point", "x y")
    out = default_collate([Point(1.5, np.float64(2.0)), Point(2.5, np.float64(3.0))])
    # Python floats collate to float64, as in torch
    assert isinstance(out, Point) and out.x.dtype == np.float64 and out.y.dtype == np.float64
    assert default_collate([True, False]).dtype == np.bool_
    arrays = default_collate([np.zeros((2, 3), np.int32), np.ones((2, 3), np.int32)])
    assert arrays.shape == (2, 2, 3) and arrays.dtype == np.int32
    lists = default_collate([[1, 2.0], [3, 4.0]])
    assert isinstance(lists, list) and lists[0].tolist() == [1, 3]


@pytest.mark.parametrize("samples, error, match", [
    ([gg.zeros(3), gg.zeros(4)], ValueError, r"ragged.*\(3,\) in sample 0 but \(4,\) in sample 1"),
    ([(gg.zeros(2), 1), (gg.zeros(2),)], ValueError, "2 elements in sample 0 but 1 in sample 1"),
    ([{"a": 1}, {"b": 1}], ValueError, "keys"),
    ([gg.zeros(2), 3], TypeError, "sample 1"),
    ([object(), object()], TypeError, "collate_fn"),
    ([], ValueError, "empty"),
])
def test_default_collate_errors_name_the_problem(samples, error, match):
    with pytest.raises(error, match=match):
        default_collate(samples)


def test_ragged_dataset_error_through_the_loader():
    class Ragged(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return gg.zeros(i + 1), i

    with pytest.raises(ValueError, match="ragged"):
        list(DataLoader(Ragged(), batch_size=2))
    batches = list(DataLoader(Ragged(), batch_size=2, collate_fn=list))
    assert len(batches) == 2 and len(batches[0]) == 2


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(batch_size=0), ValueError, "batch_size must be a positive integer, got 0"),
    (dict(batch_size=-1), ValueError, "got -1"),
    # torch raises ValueError for a batch_size or drop_last of the wrong type
    (dict(batch_size=2.5), ValueError, "batch_size.*2.5"),
    (dict(batch_size="4"), ValueError, "batch_size"),
    (dict(batch_size=True), ValueError, "batch_size"),
    (dict(shuffle="yes"), TypeError, "shuffle"),
    (dict(drop_last=1), ValueError, "drop_last"),
    (dict(collate_fn=3), TypeError, "collate_fn"),
    (dict(seed=1, generator=np.random.default_rng(0)), ValueError, "either"),
    (dict(generator=np.random.RandomState(0)), TypeError, "Generator"),
    (dict(seed=1.5), TypeError, "seed"),
])
def test_loader_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        DataLoader(make_dataset(4), **kwargs)


def test_empty_and_non_dataset_refused():
    with pytest.raises(ValueError, match="empty"):
        DataLoader(TensorDataset(gg.zeros(0, 2)))
    with pytest.raises(TypeError, match="__getitem__"):
        DataLoader(42)


def test_subset_and_random_split_keep_the_fast_path():
    ds = make_dataset(10)
    train, val = random_split(ds, [0.7, 0.3], seed=0)
    assert (len(train), len(val)) == (7, 3)
    assert sorted(train.indices.tolist() + val.indices.tolist()) == list(range(10))
    ys = [b[1].tolist() for b in DataLoader(train, batch_size=4)]
    assert ys == [train.indices[:4].tolist(), train.indices[4:].tolist()]
    assert Subset(ds, [3, 1])[0][1].item() == 3
    with pytest.raises(ValueError, match="summing"):
        random_split(ds, [5, 6])
    with pytest.raises(IndexError):
        Subset(ds, [10])
