"""Random sampling: multinomial, bernoulli, normal, randperm and the in-place fills uniform_,
normal_, bernoulli_. Shapes and dtypes as torch's; distributions; gg.manual_seed reproduces the
draws eagerly and compiled; a compiled function draws new numbers at every call."""
import numpy as np
import pytest

import graphgrad as gg

PROBS = np.array([[0.0, 1.0, 2.0, 7.0], [5.0, 0.0, 0.0, 5.0]])

SAMPLERS = [
    ("multinomial-replacement", lambda m, p: m.multinomial(p, 6, replacement=True)),
    ("multinomial", lambda m, p: m.multinomial(p, 2)),
    ("multinomial-1d-method", lambda m, p: p.flatten().multinomial(4)),
    ("bernoulli", lambda m, p: m.bernoulli(p / 10)),
    ("bernoulli-p", lambda m, p: m.bernoulli(p, 0.3)),
    ("normal-tensors", lambda m, p: m.normal(p, p + 1)),
    ("normal-tensor-mean", lambda m, p: m.normal(p, 2.0)),
    ("normal-size", lambda m, p: m.normal(1.0, 2.0, (3, 2))),
    ("randperm", lambda m, p: m.randperm(5)),
    ("uniform_", lambda m, p: p.clone().uniform_(-1, 2)),
    ("normal_", lambda m, p: p.clone().normal_(3.0, 0.5)),
    ("bernoulli_", lambda m, p: p.clone().bernoulli_(0.25)),
    ("bernoulli_-int", lambda m, p: p.long().bernoulli_(0.5)),
]
IDS = [s[0] for s in SAMPLERS]


def draw(fn, lib, dtype=np.float32):
    return fn(lib, lib.tensor(PROBS.astype(dtype)))


@pytest.mark.parametrize("fn", [s[1] for s in SAMPLERS], ids=IDS)
def test_shape_and_dtype_match_torch(fn):
    torch = pytest.importorskip("torch")
    for dtype in (np.float32, np.float64):
        want = draw(fn, torch, dtype)
        for got in (draw(fn, gg, dtype), gg.compile(lambda p: fn(gg, p))(gg.tensor(
                PROBS.astype(dtype)))):
            assert got.shape == tuple(want.shape)
            assert got.dtype == want.numpy().dtype
            assert not got.requires_grad


@pytest.mark.parametrize("fn", [s[1] for s in SAMPLERS], ids=IDS)
def test_manual_seed_reproduces_eager_and_compiled(fn):
    compiled = gg.compile(lambda p: fn(gg, p))
    runs = {}
    for mode, call in (("eager", lambda: draw(fn, gg)),
                       ("compiled", lambda: compiled(gg.tensor(PROBS.astype(np.float32))))):
        gg.manual_seed(5)
        first = [call().numpy() for _ in range(4)]
        gg.manual_seed(5)
        again = [call().numpy() for _ in range(4)]
        for a, b in zip(first, again):
            np.testing.assert_array_equal(a, b)
        assert any(not np.array_equal(first[0], f) for f in first[1:]), \
            f"{mode}: every call drew the same numbers"
        runs[mode] = first
    for e, c in zip(runs["eager"], runs["compiled"]):
        np.testing.assert_array_equal(e, c)
    assert compiled.cache_info().traces == 1


def test_multinomial_frequencies():
    gg.manual_seed(0)
    p = gg.tensor(PROBS)
    counts = np.zeros(PROBS.shape)
    samples = gg.multinomial(p, 20000, replacement=True).numpy()
    for r in range(2):
        counts[r] = np.bincount(samples[r], minlength=4)
    np.testing.assert_allclose(counts / 20000, PROBS / PROBS.sum(1, keepdims=True), atol=0.01)
    # without replacement: each row's categories distinct, zero-probability ones never drawn
    firsts = np.zeros(4)
    for _ in range(2000):
        s = gg.multinomial(p, 2).numpy()
        assert len(set(s[0])) == 2 and 0 not in s[0]
        assert sorted(s[1]) == [0, 3]
        firsts[s[0, 0]] += 1
    np.testing.assert_allclose(firsts / 2000, [0, 0.1, 0.2, 0.7], atol=0.03)


def test_bernoulli_normal_and_fills_distributions():
    gg.manual_seed(1)
    b = gg.bernoulli(gg.full((20000,), 0.3, dtype=gg.float64)).numpy()
    assert set(np.unique(b)) == {0.0, 1.0} and abs(b.mean() - 0.3) < 0.015
    n = gg.normal(gg.full((20000,), 2.0), gg.full((20000,), 0.5)).numpy()
    assert abs(n.mean() - 2.0) < 0.02 and abs(n.std() - 0.5) < 0.02
    x = gg.zeros(20000, dtype=gg.float64).uniform_(-1, 3).numpy()
    assert x.min() >= -1 and x.max() < 3 and abs(x.mean() - 1) < 0.03
    y = gg.zeros(20000).normal_(-1.0, 2.0).numpy()
    assert abs(y.mean() + 1) < 0.05 and abs(y.std() - 2) < 0.05


def test_in_place_fill_of_a_leaf_that_requires_grad_is_refused():
    w = gg.zeros(3, requires_grad=True)
    with pytest.raises(gg.AutogradError, match="uniform_"):
        w.uniform_()
    with gg.no_grad():
        w.uniform_()
    assert w.is_leaf and w.requires_grad and (w.numpy() != 0).all()


def test_multinomial_errors():
    with pytest.raises(ValueError, match="without replacement"):
        gg.multinomial(gg.tensor([1.0, 2.0]), 3)
    with pytest.raises(RuntimeError, match="element < 0"):
        gg.multinomial(gg.tensor([1.0, -2.0]), 1)
    with pytest.raises(RuntimeError, match="sum of probabilities"):
        gg.multinomial(gg.tensor([[1.0, 1.0], [0.0, 0.0]]), 1)
    with pytest.raises(RuntimeError, match="nonzero probability"):
        gg.multinomial(gg.tensor([0.0, 1.0, 0.0]), 2)
    with pytest.raises(RuntimeError, match="nonzero probability"):
        gg.compile(lambda p: gg.multinomial(p, 2))(gg.tensor([0.0, 1.0, 0.0]))
    with pytest.raises(TypeError, match="floating-point"):
        gg.multinomial(gg.tensor([1, 2]), 1)
