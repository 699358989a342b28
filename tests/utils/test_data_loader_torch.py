"""DataLoader and default_collate against torch: the same dataset code, written once for both
libraries, gives batches of the same structure, container types, dtypes and values; argument
errors are the same exception types."""
import collections

import numpy as np
import pytest

import graphgrad as gg
from graphgrad.utils import data as gdata

torch = pytest.importorskip("torch")
tdata = torch.utils.data

Point = collections.namedtuple("Point", "x y")


def canon(x):
    """A library-neutral picture of a batch: container types, tensor dtypes and values."""
    if isinstance(x, (gg.Tensor, torch.Tensor)):
        return ("tensor", str(x.dtype).replace("torch.", ""), tuple(x.shape), x.tolist())
    if isinstance(x, dict):
        return (type(x).__name__, {k: canon(v) for k, v in x.items()})
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [canon(v) for v in x])
    return (type(x).__name__, x)


def make_dataset(lib, sample):
    base = gdata.Dataset if lib is gg else tdata.Dataset

    class Samples(base):
        def __len__(self):
            return 7

        def __getitem__(self, i):
            return sample(lib, i)

    return Samples()


SAMPLES = {
    "tensor_and_int": lambda lib, i: (lib.tensor([float(i), 2.0 * i]), i),
    "python_floats_bools": lambda lib, i: (i * 0.5, i % 2 == 0, [i, i + 1]),
    "dict_nested": lambda lib, i: {"x": lib.ones(2, 3) * i,
                                   "meta": {"id": i, "name": f"s{i}", "w": np.float32(i)}},
    "numpy": lambda lib, i: (np.full((2,), i, np.int32), np.float64(i) / 3, np.arange(3.0) + i),
    "namedtuple": lambda lib, i: Point(lib.tensor(i), float(i)),
    "ordered_dict": lambda lib, i: collections.OrderedDict(b=i, a=lib.tensor([i], dtype=None)),
    "int_then_float_list": lambda lib, i: [i, 1.5],
    "bytes_and_str": lambda lib, i: (b"x" * i, "y"),
    "uint8_and_bool_arrays": lambda lib, i: (np.full(3, i, np.uint8), np.array([i > 2, False])),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
@pytest.mark.parametrize("batch_size, drop_last", [(3, False), (3, True), (None, False)])
def test_batches_equal_torch(name, batch_size, drop_last):
    sample = SAMPLES[name]
    ours = gdata.DataLoader(make_dataset(gg, sample), batch_size=batch_size, drop_last=drop_last)
    theirs = tdata.DataLoader(make_dataset(torch, sample), batch_size=batch_size,
                              drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert [canon(b) for b in ours] == [canon(b) for b in theirs]


def test_tensor_dataset_fast_path_equals_torch():
    x = np.arange(30, dtype=np.float32).reshape(10, 3)
    y = np.arange(10) % 3
    ours = gdata.DataLoader(gdata.TensorDataset(gg.tensor(x), gg.tensor(y)), batch_size=4)
    theirs = tdata.DataLoader(tdata.TensorDataset(torch.tensor(x), torch.tensor(y)),
                              batch_size=4)
    assert [canon(b) for b in ours] == [canon(b) for b in theirs]


@pytest.mark.parametrize("kind", ["sampler", "batch_sampler"])
def test_custom_samplers_equal_torch(kind):
    sample = SAMPLES["tensor_and_int"]
    if kind == "sampler":
        kwargs = dict(sampler=[6, 0, 3, 3, 1], batch_size=2)
    else:
        kwargs = dict(batch_sampler=[[6, 0], [3], [1, 2, 4]])
    ours = gdata.DataLoader(make_dataset(gg, sample), **kwargs)
    theirs = tdata.DataLoader(make_dataset(torch, sample), **kwargs)
    assert [canon(b) for b in ours] == [canon(b) for b in theirs]
    assert len(ours) == len(theirs)


def test_iterable_dataset_batches_equal_torch():
    def stream(base):
        class Stream(base):
            def __iter__(self):
                return iter(range(10))

            def __len__(self):
                return 10
        return Stream()

    for kwargs in (dict(batch_size=4), dict(batch_size=4, drop_last=True),
                   dict(batch_size=None)):
        ours = gdata.DataLoader(stream(gdata.IterableDataset), **kwargs)
        theirs = tdata.DataLoader(stream(tdata.IterableDataset), **kwargs)
        assert [canon(b) for b in ours] == [canon(b) for b in theirs]
        assert len(ours) == len(theirs)


@pytest.mark.parametrize("samples", [
    [1, 2], [1.5, 2], [True, False], [np.int16(1), np.int16(2)], [np.float32(1), np.float32(2)],
    [(1, 2.0), (3, 4.0)], [{"a": 1}, {"a": 2}], [[1, [2.5]], [3, [4.5]]], ["a", "b"],
])
def test_default_collate_and_convert_equal_torch(samples):
    assert canon(gdata.default_collate(samples)) == \
        canon(tdata.default_collate(samples))
    for s in samples:
        assert canon(gdata.default_convert(s)) == canon(tdata.default_convert(s))
    arrays = [np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32)]
    assert canon(gdata.default_convert(arrays)) == canon(tdata.default_convert(arrays))


@pytest.mark.parametrize("samples", [
    [np.zeros(3), np.zeros(4)],
    [(1, 2), (1,)],
    [object(), object()],
    [np.array(["a"]), np.array(["b"])],
])
def test_default_collate_errors_are_catchable_like_torch(samples):
    with pytest.raises(Exception) as theirs:
        tdata.default_collate(samples)
    with pytest.raises(type(theirs.value), match="default_collate"):
        gdata.default_collate(samples)


class _Five(gdata.Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return i


@pytest.mark.parametrize("kwargs", [
    dict(batch_size=0), dict(batch_size=-2), dict(batch_size=1.5), dict(drop_last="no"),
    dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2),
    dict(persistent_workers=True), dict(sampler=[0, 1], shuffle=True),
    dict(batch_sampler=[[0]], batch_size=2), dict(batch_sampler=[[0]], drop_last=True),
    dict(batch_sampler=[[0]], shuffle=True), dict(batch_size=None, drop_last=True),
    dict(num_workers=1, multiprocessing_context="nope"),
    dict(multiprocessing_context="fork"),
])
def test_argument_errors_match_torch(kwargs):
    with pytest.raises(Exception) as theirs:
        tdata.DataLoader(list(range(5)), **kwargs)
    with pytest.raises(type(theirs.value), match="DataLoader"):
        gdata.DataLoader(_Five(), **kwargs)


def test_iterable_dataset_refuses_shuffle_and_samplers_like_torch():
    class Stream(gdata.IterableDataset):
        def __iter__(self):
            return iter(range(3))

    for kwargs in (dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])):
        with pytest.raises(ValueError, match="IterableDataset"):
            gdata.DataLoader(Stream(), **kwargs)
    assert [b.tolist() for b in gdata.DataLoader(Stream(), shuffle=False)] == [[0], [1], [2]]


def test_module_paths_are_torchs():
    from graphgrad.utils.data import dataloader, dataset, distributed, sampler
    assert dataloader.DataLoader is gdata.DataLoader
    assert dataloader.default_collate is gdata.default_collate
    assert dataloader.get_worker_info is gdata.get_worker_info
    assert dataset.TensorDataset is gdata.TensorDataset
    assert sampler.BatchSampler is gdata.BatchSampler
    assert distributed.DistributedSampler is gdata.DistributedSampler
    for name in tdata.__all__:
        if name in ("Dataset", "DataLoader", "Sampler", "IterableDataset", "TensorDataset",
                    "Subset", "ConcatDataset", "ChainDataset", "random_split", "RandomSampler",
                    "SequentialSampler", "SubsetRandomSampler", "WeightedRandomSampler",
                    "BatchSampler", "DistributedSampler", "default_collate", "default_convert",
                    "get_worker_info"):
            assert hasattr(gdata, name), name
