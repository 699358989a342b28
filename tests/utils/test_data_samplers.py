"""Samplers, DistributedSampler, datasets and random_split against torch.utils.data.

Random orders are graphgrad's own, so torch is given graphgrad's permutations (its randperm /
randint replaced by ones that return them): what remains to compare is the structure, which
must be torch's exactly (chaining, cutting, padding, striding, lengths).
"""
import numpy as np
import pytest

import graphgrad as gg
from graphgrad.utils.data import (BatchSampler, ConcatDataset, DistributedSampler, RandomSampler,
                                  SequentialSampler, Subset, SubsetRandomSampler, TensorDataset,
                                  WeightedRandomSampler, random_split)


def _feed_torch(monkeypatch, torch, name, arrays):
    """Make torch.<name> return the given arrays, one per call."""
    it = iter(arrays)
    monkeypatch.setattr(torch, name, lambda *a, **k: torch.as_tensor(next(it), dtype=torch.int64))


@pytest.mark.parametrize("n, batch_size, drop_last", [(10, 3, False), (10, 3, True), (9, 3, True),
                                                      (1, 4, False), (1, 4, True), (0, 2, False)])
def test_sequential_and_batch_sampler_equal_torch(n, batch_size, drop_last):
    torch = pytest.importorskip("torch")
    tdata = torch.utils.data
    ours = BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)
    theirs = tdata.BatchSampler(tdata.SequentialSampler(range(n)), batch_size, drop_last)
    assert list(ours) == list(theirs)
    assert len(ours) == len(theirs)
    assert list(BatchSampler([5, 1, 4], 2, False)) == [[5, 1], [4]]     # any iterable


@pytest.mark.parametrize("n, num_samples", [(7, None), (7, 3), (7, 7), (7, 16), (5, 40), (1, 3)])
def test_random_sampler_without_replacement_chains_permutations_like_torch(
        monkeypatch, n, num_samples):
    torch = pytest.importorskip("torch")
    ours = list(RandomSampler(range(n), num_samples=num_samples,
                              generator=gg.Generator().manual_seed(4)))
    replay = np.random.default_rng(4)
    perms = [replay.permutation(n) for _ in range((num_samples or n) // n + 1)]
    _feed_torch(monkeypatch, torch, "randperm", perms)
    theirs = list(torch.utils.data.RandomSampler(range(n), num_samples=num_samples,
                                                 generator=torch.Generator()))
    assert ours == theirs
    assert len(ours) == (num_samples or n)


@pytest.mark.parametrize("num_samples", [1, 31, 32, 70])
def test_random_sampler_with_replacement_draws_in_chunks_like_torch(monkeypatch, num_samples):
    torch = pytest.importorskip("torch")
    ours = list(RandomSampler(range(9), replacement=True, num_samples=num_samples,
                              generator=np.random.default_rng(2)))
    replay = np.random.default_rng(2)
    chunks = [replay.integers(0, 9, 32) for _ in range(num_samples // 32)]
    chunks.append(replay.integers(0, 9, num_samples % 32))
    _feed_torch(monkeypatch, torch, "randint", chunks)
    theirs = list(torch.utils.data.RandomSampler(range(9), replacement=True,
                                                 num_samples=num_samples,
                                                 generator=torch.Generator()))
    assert ours == theirs and all(0 <= i < 9 for i in ours)


def test_random_sampler_generators_and_reproducibility():
    a = list(RandomSampler(range(50), generator=gg.Generator().manual_seed(1)))
    b = list(RandomSampler(range(50), generator=gg.Generator().manual_seed(1)))
    assert a == b and sorted(a) == list(range(50))
    sampler = RandomSampler(range(50))             # no generator: graphgrad's, per pass
    gg.manual_seed(3)
    first, second = list(sampler), list(sampler)
    gg.manual_seed(3)
    assert list(sampler) == first and first != second


@pytest.mark.parametrize("kwargs", [dict(replacement=1), dict(num_samples=0),
                                    dict(num_samples=2.0), dict(num_samples=-1)])
def test_random_sampler_argument_errors_match_torch(kwargs):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as theirs:
        torch.utils.data.RandomSampler(range(4), **kwargs)
    with pytest.raises(type(theirs.value), match="RandomSampler"):
        RandomSampler(range(4), **kwargs)
    with pytest.raises(TypeError, match="generator"):
        RandomSampler(range(4), generator=3)


def test_subset_random_sampler_structure_equals_torch(monkeypatch):
    torch = pytest.importorskip("torch")
    indices = [10, 3, 7, 22, 5]
    ours = list(SubsetRandomSampler(indices, generator=gg.Generator().manual_seed(9)))
    _feed_torch(monkeypatch, torch, "randperm", [np.random.default_rng(9).permutation(5)])
    assert ours == list(torch.utils.data.SubsetRandomSampler(indices))
    assert sorted(ours) == sorted(indices) and len(SubsetRandomSampler(indices)) == 5


def test_weighted_random_sampler_follows_the_weights():
    weights = [0.0, 1.0, 3.0, 0.0, 4.0]
    draws = list(WeightedRandomSampler(weights, 8000, generator=gg.Generator().manual_seed(0)))
    counts = np.bincount(draws, minlength=5) / 8000
    np.testing.assert_allclose(counts, np.array(weights) / 8, atol=0.02)
    no_repeat = list(WeightedRandomSampler(weights, 3, replacement=False))
    assert sorted(no_repeat) == [1, 2, 4]
    # as torch.multinomial: zero weights are drawn last, once the others are used up
    everything = list(WeightedRandomSampler(weights, 5, replacement=False))
    assert sorted(everything[:3]) == [1, 2, 4] and sorted(everything[3:]) == [0, 3]
    firsts = [next(iter(WeightedRandomSampler([1.0, 9.0], 1, replacement=False)))
              for _ in range(500)]
    assert 0.85 < np.mean(firsts) < 0.95
    assert len(WeightedRandomSampler(gg.tensor(weights), 6)) == 6


@pytest.mark.parametrize("weights, num_samples, replacement", [
    ([1.0, 2.0], 0, True), ([1.0, 2.0], 3, 1), ([[1.0, 2.0]], 2, True),
])
def test_weighted_random_sampler_argument_errors_match_torch(weights, num_samples, replacement):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as theirs:
        torch.utils.data.WeightedRandomSampler(weights, num_samples, replacement)
    with pytest.raises(type(theirs.value)):
        WeightedRandomSampler(weights, num_samples, replacement)


@pytest.mark.parametrize("weights, num_samples, replacement", [
    ([1.0, -2.0], 2, True), ([0.0, 0.0], 2, True), ([1.0, 0.0, 1.0], 4, False),
])
def test_weighted_random_sampler_bad_distributions_raise_like_torch(weights, num_samples,
                                                                    replacement):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as theirs:
        list(torch.utils.data.WeightedRandomSampler(weights, num_samples, replacement))
    with pytest.raises(type(theirs.value)):
        list(WeightedRandomSampler(weights, num_samples, replacement))


def _distributed_cases():
    for n in (0, 1, 5, 8, 11):
        for replicas in (1, 3, 4):
            for drop_last in (False, True):
                yield n, replicas, drop_last


@pytest.mark.parametrize("n, replicas, drop_last", list(_distributed_cases()))
def test_distributed_sampler_pads_and_shards_exactly_like_torch(monkeypatch, n, replicas,
                                                                drop_last):
    torch = pytest.importorskip("torch")
    tds = torch.utils.data.DistributedSampler
    for rank in range(replicas):
        ours = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = tds(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs)
        assert (len(ours), ours.num_samples, ours.total_size) == \
            (len(theirs), theirs.num_samples, theirs.total_size)
    for epoch in (0, 3):                    # shuffled: torch fed graphgrad's permutation
        for rank in range(replicas):
            ours = DistributedSampler(range(n), replicas, rank, seed=5, drop_last=drop_last)
            ours.set_epoch(epoch)
            _feed_torch(monkeypatch, torch, "randperm", [ours._order()])
            theirs = tds(range(n), replicas, rank, seed=5, drop_last=drop_last)
            theirs.set_epoch(epoch)
            assert list(ours) == list(theirs)


def test_distributed_sampler_replicas_cover_the_dataset_once_per_epoch():
    shards = [list(DistributedSampler(range(12), 3, r, seed=1)) for r in range(3)]
    assert sorted(sum(shards, [])) == list(range(12))
    again = [list(DistributedSampler(range(12), 3, r, seed=1)) for r in range(3)]
    assert shards == again                       # every replica computes the same order
    sampler = DistributedSampler(range(12), 3, 0, seed=1)
    sampler.set_epoch(1)
    assert list(sampler) != shards[0]


@pytest.mark.parametrize("kwargs", [dict(num_replicas=2, rank=2), dict(num_replicas=2, rank=-1),
                                    dict(num_replicas=None, rank=0)])
def test_distributed_sampler_errors_match_torch(kwargs, monkeypatch):
    torch = pytest.importorskip("torch")
    # as in torch here: no process group (another test may have joined the MPI world)
    monkeypatch.setattr("graphgrad.utils.data.distributed._world", lambda: None)
    with pytest.raises(Exception) as theirs:
        torch.utils.data.DistributedSampler(range(4), **kwargs)
    with pytest.raises(type(theirs.value)):
        DistributedSampler(range(4), **kwargs)


@pytest.mark.parametrize("lengths", [[0.7, 0.3], [0.5, 0.5], [1 / 3] * 3, [0.1, 0.2, 0.7],
                                     [0.25, 0.75], [1.0], [4, 6], [10, 0]])
def test_random_split_lengths_equal_torch(lengths):
    torch = pytest.importorskip("torch")
    ours = random_split(range(10), lengths, generator=gg.Generator().manual_seed(0))
    theirs = torch.utils.data.random_split(range(10), lengths)
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert sorted(i for s in ours for i in s.indices.tolist()) == list(range(10))


def test_random_split_generators_and_errors():
    torch = pytest.importorskip("torch")
    a = random_split(range(20), [5, 15], generator=gg.Generator().manual_seed(2))
    b = random_split(range(20), [5, 15], generator=np.random.default_rng(2))
    assert a[0].indices.tolist() == b[0].indices.tolist()
    gg.manual_seed(1)
    c = random_split(range(20), [5, 15])
    gg.manual_seed(1)
    assert c[0].indices.tolist() == random_split(range(20), [5, 15])[0].indices.tolist()
    for bad in ([5, 6], [1.5, -0.5], [0.5, 0.6]):
        with pytest.raises(Exception) as theirs:
            torch.utils.data.random_split(range(10), bad)
        with pytest.raises(type(theirs.value)):
            random_split(range(10), bad)


def test_concat_and_subset_index_like_torch():
    torch = pytest.importorskip("torch")
    parts = [list(range(3)), list(range(10, 14)), list(range(20, 22))]
    ours, theirs = ConcatDataset(parts), torch.utils.data.ConcatDataset(parts)
    assert len(ours) == len(theirs) == 9
    assert ours.cumulative_sizes == theirs.cumulative_sizes
    for i in range(-9, 9):
        assert ours[i] == theirs[i]
    with pytest.raises(ValueError):
        ours[-10]
    with pytest.raises(IndexError):
        ours[9]
    ds = TensorDataset(gg.arange(6))
    both = ds + ds
    assert isinstance(both, ConcatDataset) and len(both) == 12 and both[7][0].item() == 1
    sub = Subset(ds, [4, 0, 2])
    assert [s[0].item() for s in sub.__getitems__([2, 0])] == [2, 4]
