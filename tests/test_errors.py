"""Errors are catchable the torch way: each case runs the same code on torch and graphgrad; the
graphgrad error must be an instance of the built-in type torch raises (RuntimeError for shape
mismatches, IndexError for indices and dims out of range, ...) and of graphgrad's own class.
The table records torch's type, so it runs without torch too; with torch, it is checked."""
import pytest

import graphgrad as gg
import graphgrad.nn.functional as GF
from graphgrad.errors import (AutogradError, DeviceError, DTypeError, GraphgradError,
                              OutOfRangeError, ShapeError)

def ones(m, *shape, **kw):
    return m.ones(*shape, **kw)


# name: (code on lib m / functional F / nn, torch's exception type, graphgrad's class)
CASES = {
    "add shapes": (lambda m, F, nn: ones(m, 2, 3) + ones(m, 4), RuntimeError, ShapeError),
    "mul shapes": (lambda m, F, nn: ones(m, 2, 3) * ones(m, 2, 4), RuntimeError, ShapeError),
    "matmul shapes": (lambda m, F, nn: ones(m, 2, 3) @ ones(m, 4, 5), RuntimeError, ShapeError),
    "matmul 0-d": (lambda m, F, nn: m.matmul(m.tensor(1.0), ones(m, 3)), RuntimeError,
                   ShapeError),
    "mm 1-d": (lambda m, F, nn: m.mm(ones(m, 3), ones(m, 3)), RuntimeError, ShapeError),
    "bmm batch": (lambda m, F, nn: m.bmm(ones(m, 2, 3, 4), ones(m, 3, 4, 5)), RuntimeError,
                  ShapeError),
    "cat shapes": (lambda m, F, nn: m.cat([ones(m, 2, 3), ones(m, 2, 4)]), RuntimeError,
                   ShapeError),
    "cat empty list": (lambda m, F, nn: m.cat([]), ValueError, ShapeError),
    "stack shapes": (lambda m, F, nn: m.stack([ones(m, 2), ones(m, 3)]), RuntimeError,
                     ShapeError),
    "view numel": (lambda m, F, nn: ones(m, 2, 3).view(4), RuntimeError, ShapeError),
    "reshape numel": (lambda m, F, nn: ones(m, 2, 3).reshape(4, 2), RuntimeError, ShapeError),
    "reshape two -1": (lambda m, F, nn: ones(m, 2, 3).reshape(-1, -1), RuntimeError,
                       ShapeError),
    "expand": (lambda m, F, nn: ones(m, 2, 3).expand(4, 3), RuntimeError, ShapeError),
    "permute dims": (lambda m, F, nn: ones(m, 2, 3).permute(0), RuntimeError, ShapeError),
    "flatten dims": (lambda m, F, nn: ones(m, 2, 3).flatten(1, 0), RuntimeError, ShapeError),
    "index out of bounds": (lambda m, F, nn: ones(m, 3)[5], IndexError, OutOfRangeError),
    "index out of bounds 2-d": (lambda m, F, nn: ones(m, 3, 2)[1, 4], IndexError,
                                OutOfRangeError),
    "negative index out of bounds": (lambda m, F, nn: ones(m, 3)[-4], IndexError,
                                     OutOfRangeError),
    "too many indices": (lambda m, F, nn: ones(m, 3)[0, 0], IndexError, OutOfRangeError),
    "index tensor out of bounds": (lambda m, F, nn: ones(m, 3)[m.tensor([0, 5])], IndexError,
                                   OutOfRangeError),
    "setitem out of bounds": (lambda m, F, nn: ones(m, 3).__setitem__(4, 1.0), IndexError,
                              OutOfRangeError),
    "sum dim": (lambda m, F, nn: ones(m, 2, 3).sum(2), IndexError, OutOfRangeError),
    "softmax dim": (lambda m, F, nn: ones(m, 2, 3).softmax(5), IndexError, OutOfRangeError),
    "transpose dim": (lambda m, F, nn: ones(m, 2, 3).transpose(0, 4), IndexError,
                      OutOfRangeError),
    "cat dim": (lambda m, F, nn: m.cat([ones(m, 2, 3)] * 2, dim=3), IndexError,
                OutOfRangeError),
    "unsqueeze dim": (lambda m, F, nn: ones(m, 2, 3).unsqueeze(4), IndexError, OutOfRangeError),
    "embedding index": (lambda m, F, nn: nn.Embedding(5, 2)(m.tensor([7])), IndexError,
                        OutOfRangeError),
    "cross_entropy class": (lambda m, F, nn: F.cross_entropy(ones(m, 2, 3), m.tensor([0, 5])),
                            IndexError, OutOfRangeError),
    "one_hot negative": (lambda m, F, nn: F.one_hot(m.tensor([-1, 0])), RuntimeError,
                         ShapeError),
    "one_hot too few classes": (lambda m, F, nn: F.one_hot(m.tensor([3, 0]), 2), RuntimeError,
                                ShapeError),
    "item of many": (lambda m, F, nn: ones(m, 2).item(), RuntimeError, ShapeError),
    "bool of many": (lambda m, F, nn: bool(ones(m, 2)), RuntimeError, ShapeError),
    "requires_grad on int": (lambda m, F, nn: m.tensor([1]).requires_grad_(), RuntimeError,
                             DTypeError),
    "in-place result dtype": (lambda m, F, nn: m.tensor([1, 2]).add_(1.5), RuntimeError,
                              DTypeError),
    "in-place broadcast": (lambda m, F, nn: ones(m, 2).add_(ones(m, 3, 2)), RuntimeError,
                           ShapeError),
    "nll_loss float target": (lambda m, F, nn: F.nll_loss(ones(m, 2, 3), m.tensor([0.0, 1.0])),
                              RuntimeError, DTypeError),
    "embedding float indices": (lambda m, F, nn: nn.Embedding(5, 2)(ones(m, 3)), RuntimeError,
                                DTypeError),
    "one_hot float": (lambda m, F, nn: F.one_hot(ones(m, 3)), RuntimeError, DTypeError),
    "masked_fill float mask": (lambda m, F, nn: ones(m, 2).masked_fill(ones(m, 2), 0.0),
                               RuntimeError, DTypeError),
    "pow int negative": (lambda m, F, nn: m.tensor([2]) ** -1, RuntimeError, DTypeError),
    "invert float": (lambda m, F, nn: ~ones(m, 2), TypeError, DTypeError),
    "mse_loss shapes": (lambda m, F, nn: F.mse_loss(ones(m, 2, 3), ones(m, 2, 3, 1)),
                        RuntimeError, ShapeError),
    "linear features": (lambda m, F, nn: nn.Linear(3, 4)(ones(m, 2, 5)), RuntimeError,
                        ShapeError),
    "conv2d channels": (lambda m, F, nn: nn.Conv2d(3, 4, 3)(ones(m, 1, 2, 5, 5)), RuntimeError,
                        ShapeError),
    "conv2d too small": (lambda m, F, nn: nn.Conv2d(3, 4, 3)(ones(m, 1, 3, 2, 2)),
                         RuntimeError, ShapeError),
    "conv2d 2-d input": (lambda m, F, nn: nn.Conv2d(3, 4, 3)(ones(m, 3, 5)), RuntimeError,
                         ShapeError),
    "layer_norm shape": (lambda m, F, nn: nn.LayerNorm(4)(ones(m, 2, 3)), RuntimeError,
                         ShapeError),
    "batch_norm channels": (lambda m, F, nn: nn.BatchNorm1d(4)(ones(m, 2, 3)), RuntimeError,
                            ShapeError),
    "batch_norm one sample": (lambda m, F, nn: nn.BatchNorm1d(3)(ones(m, 1, 3)), ValueError,
                              ShapeError),
    "max_pool2d kernel": (lambda m, F, nn: F.max_pool2d(ones(m, 1, 1, 2, 2), 3), RuntimeError,
                          ShapeError),
    "masked_fill shapes": (lambda m, F, nn: ones(m, 2).masked_fill(m.tensor([True, False, True]),
                                                                  0.0), RuntimeError, ShapeError),
    "zeros negative": (lambda m, F, nn: m.zeros(-1), RuntimeError, ShapeError),
    "randint empty range": (lambda m, F, nn: m.randint(5, 3, (2,)), RuntimeError, ShapeError),
    "load_state_dict shapes": (lambda m, F, nn: nn.Linear(2, 2).load_state_dict(
        {"weight": m.zeros(3, 3), "bias": m.zeros(2)}), RuntimeError, ShapeError),
    "load_state_dict missing": (lambda m, F, nn: nn.Linear(2, 2).load_state_dict({}),
                                RuntimeError, ShapeError),
    "grad of a wrong shape": (lambda m, F, nn: setattr(ones(m, 2).requires_grad_(), "grad",
                                                       ones(m, 3)), RuntimeError, ShapeError),
    "backward of non-scalar": (lambda m, F, nn: (ones(m, 2).requires_grad_() * 2).backward(),
                               RuntimeError, AutogradError),
    "backward without grad": (lambda m, F, nn: ones(m, 2).sum().backward(), RuntimeError,
                              AutogradError),
    "in-place on a leaf": (lambda m, F, nn: ones(m, 2).requires_grad_().add_(1), RuntimeError,
                           AutogradError),
    "cuda tensor": (lambda m, F, nn: m.zeros(2, device="mps"), RuntimeError, DeviceError),
    "unknown device": (lambda m, F, nn: m.device("tpu"), RuntimeError, DeviceError),
    "len of 0-d": (lambda m, F, nn: len(m.tensor(1.0)), TypeError, None),
    "zeros float size": (lambda m, F, nn: m.zeros(2.5), TypeError, None),
    "dropout p": (lambda m, F, nn: F.dropout(ones(m, 2), p=1.5), ValueError, None),
}



def _params():
    for name in sorted(CASES):
        yield pytest.param(name, id=name)


@pytest.mark.parametrize("name", _params())
def test_graphgrad_error_is_catchable_as_torchs(name):
    code, builtin, own = CASES[name]
    with pytest.raises(Exception) as info:
        code(gg, GF, gg.nn)
    error = info.value
    assert isinstance(error, builtin), f"{type(error).__mro__} is not a {builtin.__name__}"
    if own is not None:
        assert isinstance(error, own) and isinstance(error, GraphgradError)
    assert str(error)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_table_records_torchs_type(name):
    torch = pytest.importorskip("torch")
    code, builtin, _ = CASES[name]
    with pytest.raises(Exception) as info:
        code(torch, torch.nn.functional, torch.nn)
    # a CPU-only torch says AssertionError for CUDA; graphgrad says RuntimeError as for MPS
    assert type(info.value) is builtin or builtin is RuntimeError and \
        isinstance(info.value, (RuntimeError, AssertionError)), type(info.value)


def test_errors_keep_their_earlier_types():
    """Code written for graphgrad's own classes keeps working."""
    assert issubclass(ShapeError, ValueError) and issubclass(ShapeError, RuntimeError)
    assert issubclass(OutOfRangeError, ShapeError) and issubclass(OutOfRangeError, IndexError)
    assert issubclass(DTypeError, TypeError) and issubclass(DTypeError, RuntimeError)
    assert issubclass(DeviceError, RuntimeError)
    for cls in (ShapeError, OutOfRangeError, DTypeError, DeviceError, AutogradError):
        assert issubclass(cls, GraphgradError)
        assert getattr(gg, cls.__name__) is cls


def test_traced_errors_are_catchable_the_same_way():
    f = gg.compile(lambda x: x[5])
    with pytest.raises(IndexError, match="getitem"):
        f(gg.ones(3))
    g = gg.compile(lambda x, y: x @ y)
    with pytest.raises(RuntimeError, match="matmul"):
        g(gg.ones(2, 3), gg.ones(4, 5))
    h = gg.compile(lambda x: gg.nn.functional.one_hot(x, 3))
    with pytest.raises(RuntimeError, match="class index 7"):
        h(gg.tensor([7]))
