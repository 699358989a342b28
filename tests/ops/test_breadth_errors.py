"""Bad inputs to the shaping, product and statistics functions raise torch's exception types
with messages naming the op and the shapes; eager-only functions refuse to be traced; strides and
sizes read as torch's."""
import pytest

import graphgrad as gg

BAD = [
    (lambda: gg.select(gg.zeros(2, 3), 1, 3), IndexError, r"select: index 3 .* \(2, 3\)"),
    (lambda: gg.movedim(gg.zeros(2, 3), (0, 1), 0), RuntimeError, "movedim"),
    (lambda: gg.unflatten(gg.zeros(2, 6), 1, (4, -1)), RuntimeError, r"unflatten: .*\(2, 6\)"),
    (lambda: gg.hsplit(gg.zeros(2, 5), 2), RuntimeError, r"hsplit: .*\(2, 5\)"),
    (lambda: gg.vsplit(gg.zeros(4), 2), RuntimeError, "vsplit: .*at least 2"),
    (lambda: gg.tensor_split(gg.zeros(4), 0), ValueError, "tensor_split"),
    (lambda: gg.meshgrid(gg.zeros(2, 2), indexing="ij"), RuntimeError, "meshgrid"),
    (lambda: gg.meshgrid(gg.zeros(2), indexing="yx"), ValueError, "indexing"),
    (lambda: gg.diff(gg.tensor(1.0)), RuntimeError, "diff"),
    (lambda: gg.zeros(3, 4).unfold(1, 5, 1), RuntimeError, r"unfold: .*\(3, 4\)"),
    (lambda: gg.addmm(gg.zeros(2, 2), gg.zeros(2), gg.zeros(2, 2)), RuntimeError,
     r"addmm: mat1 must be a 2-D tensor, got \(2,\)"),
    (lambda: gg.mv(gg.zeros(2, 3), gg.zeros(2, 3)), RuntimeError, "mv: vec"),
    (lambda: gg.inner(gg.zeros(2, 3), gg.zeros(4)), RuntimeError, r"inner: .*\(2, 3\)"),
    (lambda: gg.tensordot(gg.zeros(2, 3), gg.zeros(2, 3), 1), RuntimeError, "tensordot"),
    (lambda: gg.diag_embed(gg.zeros(3), 0, 1, 1), RuntimeError, "diag_embed"),
    (lambda: gg.block_diag(gg.zeros(1, 2, 3)), RuntimeError, "block_diag"),
    (lambda: gg.bincount(gg.tensor([1.0])), RuntimeError, "bincount"),
    (lambda: gg.bincount(gg.tensor([1, -1])), ValueError, "non-negative"),
    (lambda: gg.histc(gg.tensor([1, 2])), TypeError, "histc"),
    (lambda: gg.histc(gg.zeros(3), 4, min=2, max=1), ValueError, "histc"),
    (lambda: gg.cov(gg.zeros(2, 2, 2)), RuntimeError, "cov"),
    (lambda: gg.quantile(gg.zeros(3), 1.5), ValueError, "quantile: q values"),
    (lambda: gg.quantile(gg.tensor([1, 2]), 0.5), TypeError, "quantile"),
    (lambda: gg.quantile(gg.zeros(3), 0.5, interpolation="cubic"), ValueError, "interpolation"),
]


@pytest.mark.parametrize("fn, exc, message", BAD, ids=[m.split(":")[0].split(" ")[0]
                                                      + str(i) for i, (_, _, m) in
                                                      enumerate(BAD)])
def test_bad_inputs_raise(fn, exc, message):
    with pytest.raises(exc, match=message):
        fn()


def test_bincount_refuses_to_be_traced():
    with pytest.raises(gg.TraceError, match="bincount"):
        gg.compile(lambda x: gg.bincount(x))(gg.tensor([0, 1, 1]))


def test_meshgrid_without_indexing_warns_and_uses_ij():
    with pytest.warns(UserWarning, match="indexing"):
        a, b = gg.meshgrid(gg.zeros(2), gg.zeros(3))
    assert a.shape == b.shape == (2, 3)


def test_strides_and_sizes_as_torch():
    torch = pytest.importorskip("torch")
    for shape in [(2, 3), (4,), (), (2, 0, 3), (1, 5)]:
        x, t = gg.zeros(shape), torch.zeros(shape)
        assert x.stride() == t.stride() and x.nelement() == t.nelement() == gg.numel(x)
        assert x.ndimension() == t.ndimension()
    x, t = gg.zeros(2, 3).t(), torch.zeros(2, 3).t()
    assert x.stride() == t.stride() and x.stride(-1) == t.stride(-1)
    assert gg.compile(lambda x: x * x.stride(0))(gg.ones(2, 3)).numpy()[0, 0] == 3.0


@pytest.mark.parametrize("compiled", [False, True])
def test_inverse_of_a_singular_matrix_raises_linalg_error(compiled):
    fn = gg.compile(gg.inverse) if compiled else gg.inverse
    with pytest.raises(gg.linalg.LinAlgError, match="singular"):
        fn(gg.zeros(2, 2))
    assert issubclass(gg.linalg.LinAlgError, RuntimeError)
    assert gg.det(gg.zeros(2, 2)).item() == 0.0


def test_inverse_and_det_need_square_float_matrices():
    with pytest.raises(RuntimeError, match=r"linalg.inv: .*square.*\(2, 3\)"):
        gg.inverse(gg.zeros(2, 3))
    with pytest.raises(RuntimeError, match=r"linalg.det: .*\(3,\)"):
        gg.det(gg.zeros(3))
    with pytest.raises(TypeError, match="linalg.slogdet: .*floating"):
        gg.slogdet(gg.zeros(2, 2, dtype=gg.int64))


def test_flipped_tensors_report_torch_strides():
    assert gg.arange(6).reshape(2, 3).flip(0).stride() == (3, 1)
