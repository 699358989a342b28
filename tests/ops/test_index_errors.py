"""Bad indices, dims and counts raise the exception torch raises (IndexError, or RuntimeError
for the ops where torch does; graphgrad's OutOfRangeError is both), eagerly and compiled, with a
message naming the op; the tensor written in place is left unchanged."""
import numpy as np
import pytest

import graphgrad as gg

torch = pytest.importorskip("torch")

X = np.arange(12.0).reshape(3, 4)


def ints(*values):
    return np.array(values, dtype=np.int64)


def put(m, x, i):
    y = x.clone()
    y[i] = 1.0
    return y


CASES = [
    # id, fn(m, *tensors), inputs, words in graphgrad's message
    ("getitem-int", lambda m, x: x[5], (X,), "getitem: index 5"),
    ("getitem-negative-int", lambda m, x: x[:, -5], (X,), "index -5"),
    ("getitem-tensor", lambda m, x, i: x[i], (X, ints(0, 5)), "index 5"),
    ("getitem-negative-tensor", lambda m, x, i: x[:, i], (X, ints(-5)), "index -5"),
    ("getitem-0d-tensor", lambda m, x, i: x[i], (X, np.array(3)), "getitem"),
    ("getitem-too-many", lambda m, x: x[1, 2, 3], (X,), "too many indices"),
    ("getitem-float-index", lambda m, x, i: x[i], (X, np.array([1.0])), "integer or bool"),
    ("getitem-broadcast", lambda m, x, a, b: x[a, b], (X, ints(0, 1), ints(0, 1, 2)),
     "shape mismatch"),
    ("getitem-mask-shape", lambda m, x, k: x[k], (X, np.array([True, False])), "mask"),
    ("setitem-tensor", put, (X, ints(3)), "index 3"),
    ("setitem-int", put, (X, 3), "index 3"),
    ("gather", lambda m, x, i: x.gather(1, i), (X, ints([0, 4])), "gather: index 4"),
    ("gather-negative", lambda m, x, i: x.gather(1, i), (X, ints([-1])), "index -1"),
    ("gather-dim", lambda m, x, i: x.gather(2, i), (X, ints([0])), "dimension out of range"),
    ("scatter", lambda m, x, i: x.scatter(0, i, 1.0), (X, ints([3])), "scatter: index 3"),
    ("scatter_add", lambda m, x, i, s: x.scatter_add(1, i, s), (X, ints([7]), X[:1, :1]),
     "index 7"),
    ("scatter_reduce", lambda m, x, i, s: x.scatter_reduce(1, i, s, "amax"),
     (X, ints([-1]), X[:1, :1]), "index -1"),
    ("index_select", lambda m, x, i: x.index_select(1, i), (X, ints(4)), "index_select"),
    ("index_select-negative", lambda m, x, i: x.index_select(0, i), (X, ints(-1)), "-1"),
    ("index_add", lambda m, x, i, s: x.index_add(0, i, s), (X, ints(3), X[:1]), "index_add"),
    ("index_copy", lambda m, x, i, s: x.index_copy(1, i, s), (X, ints(4), X[:, :1]),
     "index_copy"),
    ("index_fill", lambda m, x, i: x.index_fill(1, i, 0.0), (X, ints(4)), "index 4"),
    ("index_put", lambda m, x, i: x.index_put((i,), m.tensor(1.0, dtype=x.dtype)),
     (X, ints(3)), "index 3"),
    ("take", lambda m, x, i: x.take(i), (X, ints(12)), "index 12"),
    ("flip-dim", lambda m, x: x.flip(2), (X,), "dimension out of range"),
    ("roll-dim", lambda m, x: x.roll(1, -3), (X,), "dimension out of range"),
    ("sort-dim", lambda m, x: x.sort(2), (X,), "dimension out of range"),
    ("topk-k", lambda m, x: x.topk(5), (X,), "topk"),
    ("kthvalue-k", lambda m, x: x.kthvalue(0), (X,), "kthvalue"),
    ("median-empty-dim", lambda m, x: x.median(1), (np.zeros((2, 0)),), "non-zero size"),
    ("mode-empty-dim", lambda m, x: x.mode(1), (np.zeros((2, 0)),), "non-zero size"),
    ("masked_scatter-short-source", lambda m, x, k, s: x.masked_scatter(k, s),
     (X, X > 5, X[0]), "masked_scatter"),
]
EAGER_ONLY = {"getitem-mask-shape"}


def _tensors(lib, inputs):
    return [lib.tensor(a) if isinstance(a, np.ndarray) else a for a in inputs]


def _torch_error(fn, inputs):
    with pytest.raises(Exception) as info:
        fn(torch, *[torch.from_numpy(a.copy()) if isinstance(a, np.ndarray) else a
                    for a in inputs])
    return type(info.value)


@pytest.mark.parametrize("fn, inputs, words", [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_errors_match_torch_eager_and_compiled(fn, inputs, words, request):
    want = _torch_error(fn, inputs)
    assert want in (IndexError, RuntimeError), want
    args = _tensors(gg, inputs)
    with pytest.raises(want, match=words):
        fn(gg, *args)
    if request.node.callspec.id in EAGER_ONLY:
        return
    tensor_args = [a for a in args if isinstance(a, gg.Tensor)]
    rest = [a for a in args if not isinstance(a, gg.Tensor)]
    compiled = gg.compile(lambda *ts: fn(gg, *ts, *rest))
    with pytest.raises(want, match=words):
        compiled(*tensor_args)


def test_failed_in_place_write_leaves_the_tensor_unchanged():
    x = gg.tensor(X)
    for bad in (lambda: x.index_add_(0, gg.tensor([3]), gg.ones(1, 4, dtype=gg.float64)),
                lambda: x.scatter_(1, gg.tensor([[9]]), 2.0),
                lambda: x.__setitem__(gg.tensor([0, 7]), 0.0)):
        with pytest.raises(IndexError):
            bad()
        np.testing.assert_array_equal(x.numpy(), X)
        assert x._version == 0


def test_compiled_out_of_range_error_names_the_line():
    @gg.compile
    def f(x, i):
        return x.gather(1, i)  # the failing line

    with pytest.raises(IndexError, match="gather: index 9") as info:
        f(gg.tensor(X), gg.tensor([[9]]))
    assert "test_index_errors.py" in str(info.value)
    assert f(gg.tensor(X), gg.tensor([[1]])).numpy().tolist() == [[1.0]]


DATA_DEPENDENT = [
    ("getitem-mask", lambda x: x[x > 0.5], "boolean-mask"),
    ("masked_select", lambda x: gg.masked_select(x, x > 0.5), "masked_select"),
    ("nonzero", lambda x: gg.nonzero(x), "nonzero"),
    ("nonzero-as_tuple", lambda x: x.nonzero(as_tuple=True), "nonzero"),
    ("argwhere", lambda x: gg.argwhere(x), "argwhere"),
    ("unique", lambda x: gg.unique(x), "unique"),
    ("unique_consecutive", lambda x: x.unique_consecutive(), "unique_consecutive"),
    ("repeat_interleave-counts", lambda x: x.repeat_interleave(x.long()), "repeat_interleave"),
    ("setitem-mask-values", lambda x: x.clone().__setitem__(x > 0.5, x[1:]), "boolean-mask"),
]


@pytest.mark.parametrize("fn, words", [pytest.param(*c[1:], id=c[0]) for c in DATA_DEPENDENT])
def test_data_dependent_shapes_refuse_to_trace(fn, words):
    x = gg.tensor([0.0, 1.0, 2.0, 1.0])
    fn(x)                                          # fine eagerly
    with pytest.raises(gg.TraceError, match=words):
        gg.compile(fn)(x)
