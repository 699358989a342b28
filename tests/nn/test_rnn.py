"""nn.RNN, nn.LSTM, nn.GRU, their cells and nn.utils.rnn against torch from the same weights:
outputs, final states, input gradients and the gradient of every parameter, eagerly and
compiled, in float32 and float64; torch state dicts load; packed sequences; dropout between
layers; errors; and a compiled LSTM language-model training step equal to eager and to torch.
"""
import math

import numpy as np
import pytest

import graphgrad as gg
import graphgrad.nn.functional as F
import graphgrad.nn.utils.rnn as R
from graphgrad import nn, optim
from torch_module_pairs import F32, F64, FORWARD_TOL, check_pair, close, load_torch, rand

torch = pytest.importorskip("torch")
TR = torch.nn.utils.rnn
DTYPES = [pytest.param(F32, id="f32"), pytest.param(F64, id="f64")]


def pair(name, dtype, **kwargs):
    gg.manual_seed(3)
    module = getattr(nn, name)(dtype=dtype, **kwargs)
    return module, load_torch(module, getattr(torch.nn, name)(**kwargs), dtype)


# (id, class, constructor kwargs, input shape, initial state shapes)
RNN_CASES = [
    ("rnn-tanh", "RNN", {"input_size": 3, "hidden_size": 4}, (5, 2, 3), None),
    ("rnn-relu-2l-bidir-batch-first", "RNN",
     {"input_size": 3, "hidden_size": 4, "num_layers": 2, "nonlinearity": "relu",
      "bidirectional": True, "batch_first": True}, (2, 5, 3), [(4, 2, 4)]),
    ("rnn-no-bias-unbatched", "RNN", {"input_size": 3, "hidden_size": 4, "bias": False},
     (5, 3), [(1, 4)]),
    ("lstm-2l-h0-c0", "LSTM", {"input_size": 3, "hidden_size": 4, "num_layers": 2},
     (5, 2, 3), [(2, 2, 4), (2, 2, 4)]),
    ("lstm-proj-bidir-batch-first", "LSTM",
     {"input_size": 3, "hidden_size": 5, "num_layers": 2, "proj_size": 2,
      "bidirectional": True, "batch_first": True}, (2, 4, 3), [(4, 2, 2), (4, 2, 5)]),
    ("lstm-unbatched-no-bias", "LSTM", {"input_size": 3, "hidden_size": 4, "bias": False},
     (5, 3), [(1, 4), (1, 4)]),
    ("lstm-long-bidir", "LSTM", {"input_size": 2, "hidden_size": 3, "bidirectional": True},
     (13, 2, 2), None),
    ("gru-2l-bidir-h0", "GRU", {"input_size": 3, "hidden_size": 4, "num_layers": 2,
                                "bidirectional": True}, (5, 2, 3), [(4, 2, 4)]),
    ("gru-no-bias-batch-first", "GRU", {"input_size": 3, "hidden_size": 4, "bias": False,
                                        "batch_first": True}, (2, 5, 3), None),
]


def _state_args(lib, states, lstm):
    if not states:
        return ()
    return ((states[0], states[1]),) if lstm else (states[0],)


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, kwargs, shape, states",
                         [pytest.param(*c[1:], id=c[0]) for c in RNN_CASES])
def test_recurrent_layers_match_torch(name, kwargs, shape, states, dtype):
    module, ref = pair(name, dtype, **kwargs)
    arrays = [rand(*shape, seed=1)] + [rand(*s, seed=2 + i) for i, s in enumerate(states or [])]

    def make_args(lib, x, *hx):
        return (x,) + _state_args(lib, hx, name == "LSTM"), {}

    check_pair(module, ref, arrays, dtype, make_args)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_parameters_are_torchs_and_a_torch_state_dict_loads(name):
    kwargs = {"input_size": 3, "hidden_size": 4, "num_layers": 2, "bidirectional": True}
    if name == "LSTM":
        kwargs["proj_size"] = 2
    ref = getattr(torch.nn, name)(**kwargs)
    module = getattr(nn, name)(**kwargs)
    assert [(n, tuple(p.shape)) for n, p in module.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in ref.named_parameters()]
    module.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    x = rand(4, 2, 3).astype(np.float32)
    out, ref_out = module(gg.tensor(x)), ref(torch.tensor(x))
    close(out[0], ref_out[0], FORWARD_TOL[F32])
    bound = 1 / math.sqrt(4)
    values = np.concatenate([p.numpy().ravel() for p in module.parameters()])
    assert np.abs(values).max() <= bound and abs(values.std() - bound / math.sqrt(3)) < 0.05
    module.flatten_parameters()
    assert len(module.all_weights) == 4 and module.all_weights[1][0] is module.weight_ih_l0_reverse
    assert repr(module) == repr(ref)


def test_torch_positional_arguments():
    assert nn.RNN(3, 4, 2, "relu").nonlinearity == "relu"
    lstm = nn.LSTM(3, 4, 2, False, True, 0.0, True, 2)
    assert (lstm.bias, lstm.batch_first, lstm.bidirectional, lstm.proj_size) == \
        (False, True, True, 2)


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_dropout_between_layers_in_training_only(name):
    gg.manual_seed(0)
    module = getattr(nn, name)(3, 4, num_layers=2, dropout=0.5)
    x = gg.tensor(rand(5, 2, 3).astype(np.float32))
    gg.manual_seed(1)
    a = module(x)[0]
    gg.manual_seed(1)
    b = module(x)[0]
    c = module(x)[0]
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.allclose(b.numpy(), c.numpy())
    compiled = gg.compile(module)
    assert not np.allclose(compiled(x)[0].numpy(), compiled(x)[0].numpy())
    module.eval()
    ref = load_torch(module, getattr(torch.nn, name)(3, 4, num_layers=2, dropout=0.5), F32)
    ref.eval()
    close(module(x)[0], ref(torch.tensor(x.numpy()))[0], FORWARD_TOL[F32])
    close(compiled(x)[0], ref(torch.tensor(x.numpy()))[0], FORWARD_TOL[F32])


@pytest.mark.parametrize("dtype", DTYPES)
def test_dropout_one_zeroes_the_input_of_the_upper_layers_like_torch(dtype):
    module, ref = pair("LSTM", dtype, input_size=3, hidden_size=4, num_layers=3, dropout=1.0)
    check_pair(module, ref, [rand(4, 2, 3)], dtype)


def test_dropout_warning_and_bad_configurations():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.2)
    for make, error, message in [
            (lambda: nn.GRU(3, 4, proj_size=2), ValueError, "only supported for LSTM"),
            (lambda: nn.RNN(3, 4, nonlinearity="gelu"), ValueError, "Unknown nonlinearity"),
            (lambda: nn.LSTM(3, 4, proj_size=4), ValueError, "smaller than hidden_size"),
            (lambda: nn.LSTM(3, 4, dropout=1.5), ValueError, "range"),
            (lambda: nn.LSTM(3, 0), ValueError, "hidden_size must be greater than zero"),
            (lambda: nn.LSTM(3.0, 4), TypeError, "input_size should be of type int")]:
        with pytest.raises(error, match=message):
            make()


def test_bad_inputs_raise_torchs_errors_eager_and_compiled():
    lstm = nn.LSTM(3, 4, num_layers=2)
    good = gg.zeros(5, 2, 3)
    cases = [
        ((gg.zeros(5, 2, 6),), RuntimeError, r"input.size\(-1\) must be equal to input_size. "
                                             "Expected 3, got 6"),
        ((good, (gg.zeros(1, 2, 4), gg.zeros(2, 2, 4))), RuntimeError,
         r"Expected hidden\[0\] size \(2, 2, 4\), got \[1, 2, 4\]"),
        ((good, (gg.zeros(2, 2, 4), gg.zeros(2, 3, 4))), RuntimeError,
         r"Expected hidden\[1\] size \(2, 2, 4\), got \[2, 3, 4\]"),
        ((good, (gg.zeros(2, 4), gg.zeros(2, 4))), RuntimeError, "hx should also be 3-D"),
        ((gg.zeros(2, 5, 2, 3),), ValueError, "Expected input to be 2D or 3D"),
        ((gg.zeros(0, 2, 3),), RuntimeError, "sequence length to be larger than 0"),
    ]
    for args, error, message in cases:
        for fn in (lstm, gg.compile(lambda *a: lstm(*a))):
            with pytest.raises(error, match=message) as info:
                fn(*args)
            assert isinstance(info.value, gg.ShapeError)
    with pytest.raises(ValueError, match="does not match weight dtype"):
        lstm(gg.zeros(5, 2, 3, dtype=gg.float64))


# -- cells ----------------------------------------------------------------------------------

CELL_CASES = [
    ("rnn-cell", "RNNCell", {}, (3, 4), True),
    ("rnn-cell-relu-no-h", "RNNCell", {"nonlinearity": "relu"}, (3, 4), False),
    ("rnn-cell-unbatched", "RNNCell", {"bias": False}, (4,), True),
    ("lstm-cell", "LSTMCell", {}, (3, 4), True),
    ("lstm-cell-no-state-unbatched", "LSTMCell", {}, (4,), False),
    ("gru-cell", "GRUCell", {}, (3, 4), True),
    ("gru-cell-no-bias-unbatched", "GRUCell", {"bias": False}, (4,), True),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, kwargs, shape, with_state",
                         [pytest.param(*c[1:], id=c[0]) for c in CELL_CASES])
def test_cells_match_torch(name, kwargs, shape, with_state, dtype):
    module, ref = pair(name, dtype, input_size=4, hidden_size=5, **kwargs)
    state_shape = shape[:-1] + (5,)
    lstm = name == "LSTMCell"
    arrays = [rand(*shape, seed=1)]
    if with_state:
        arrays += [rand(*state_shape, seed=2)] + ([rand(*state_shape, seed=3)] if lstm else [])

    def make_args(lib, x, *hx):
        return (x,) + _state_args(lib, hx, lstm), {}

    check_pair(module, ref, arrays, dtype, make_args)


def test_cell_errors_and_a_cell_loop_equals_the_layer():
    cell = nn.LSTMCell(3, 4)
    for args, error, message in [
            ((gg.zeros(2, 5),), RuntimeError, "inconsistent input_size: got 5 expected 3"),
            ((gg.zeros(2, 3), (gg.zeros(3, 4), gg.zeros(3, 4))), RuntimeError,
             "Input batch size 2 doesn't match hidden0 batch size 3"),
            ((gg.zeros(2, 3), (gg.zeros(2, 4), gg.zeros(2, 5))), RuntimeError,
             "hidden1 has inconsistent hidden_size: got 5, expected 4"),
            ((gg.zeros(1, 2, 3),), ValueError, "Expected input to be 1D or 2D")]:
        with pytest.raises(error, match=message):
            cell(*args)
    layer = nn.LSTM(3, 4)
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = gg.tensor(rand(6, 2, 3).astype(np.float32))
    h = c = gg.zeros(2, 4)
    for t in range(6):
        h, c = cell(x[t], (h, c))
    out, (h_n, c_n) = layer(x)
    close(h, out[-1], FORWARD_TOL[F32])
    close(c, c_n[0], FORWARD_TOL[F32])


# -- nn.utils.rnn ---------------------------------------------------------------------------

LENGTHS = [4, 6, 2, 4]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, batch_first", [("LSTM", False), ("GRU", True), ("RNN", False)])
def test_packed_sequences_through_recurrent_layers_match_torch(name, batch_first, dtype):
    module, ref = pair(name, dtype, input_size=3, hidden_size=4, num_layers=2,
                       bidirectional=True, batch_first=batch_first)
    shape = (4, 6, 3) if batch_first else (6, 4, 3)
    states = [rand(4, 4, 4, seed=2)] + ([rand(4, 4, 4, seed=3)] if name == "LSTM" else [])

    def make_args(lib, x, *hx):
        return (x,) + _state_args(lib, hx, name == "LSTM"), {}

    # packing inside the (compiled) forward: the lengths are static, the data is traced
    out = check_pair(Packed(module, batch_first), TorchPacked(ref, batch_first),
                     [rand(*shape, seed=1)] + states, dtype, make_args)
    assert isinstance(out[0], TR.PackedSequence)


def _packed_forward(self, x, hx=None):
    rnn = TR if isinstance(self, torch.nn.Module) else R
    packed = rnn.pack_padded_sequence(x, LENGTHS, batch_first=self.batch_first,
                                      enforce_sorted=False)
    return self.rnn(packed, hx)


class Packed(nn.Module):
    def __init__(self, rnn, batch_first):
        super().__init__()
        self.rnn = rnn
        self.batch_first = batch_first

    forward = _packed_forward


class TorchPacked(torch.nn.Module):
    def __init__(self, rnn, batch_first):
        super().__init__()
        self.rnn = rnn
        self.batch_first = batch_first

    forward = _packed_forward


@pytest.mark.parametrize("dtype", DTYPES)
def test_pack_and_pad_match_torch(dtype):
    x = rand(6, 4, 3).astype(dtype)
    for batch_first in (False, True):
        xx = x.transpose(1, 0, 2).copy() if batch_first else x
        for enforce_sorted, lengths in ((False, LENGTHS), (True, [6, 4, 4, 2])):
            args = dict(batch_first=batch_first, enforce_sorted=enforce_sorted)
            ours = R.pack_padded_sequence(gg.tensor(xx), gg.tensor(lengths), **args)
            ref = TR.pack_padded_sequence(torch.tensor(xx), torch.tensor(lengths), **args)
            for a, b in zip(ours, ref):
                assert (a is None) == (b is None)
                if a is not None:
                    np.testing.assert_array_equal(a.numpy(), b.numpy())
            assert ours.batch_sizes.dtype == np.int64
            padded, lens = R.pad_packed_sequence(ours, batch_first, -1.0, total_length=8)
            ref_padded, ref_lens = TR.pad_packed_sequence(ref, batch_first, -1.0, 8)
            np.testing.assert_array_equal(padded.numpy(), ref_padded.numpy())
            np.testing.assert_array_equal(lens.numpy(), ref_lens.numpy())
    seqs = [rand(n, 2, seed=n).astype(dtype) for n in (3, 5, 1)]
    for side in ("right", "left"):
        for batch_first in (False, True):
            ours = R.pad_sequence([gg.tensor(s) for s in seqs], batch_first, 7.0, side)
            ref = TR.pad_sequence([torch.tensor(s) for s in seqs], batch_first, 7.0, side)
            np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    packed = R.pack_sequence([gg.tensor(s) for s in seqs], enforce_sorted=False)
    ref = TR.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    np.testing.assert_array_equal(packed.data.numpy(), ref.data.numpy())
    for a, s in zip(R.unpack_sequence(packed), seqs):
        np.testing.assert_array_equal(a.numpy(), s)
    padded = R.pad_sequence([gg.tensor(s) for s in seqs])
    for a, s in zip(R.unpad_sequence(padded, [3, 5, 1]), seqs):
        np.testing.assert_array_equal(a.numpy(), s)


def test_packing_gradients_and_compiled_packing():
    x = rand(6, 4, 3)

    def fn(lib, rnn, t):
        packed = rnn.pack_padded_sequence(t, LENGTHS, enforce_sorted=False)
        padded, _ = rnn.pad_packed_sequence(packed, batch_first=True, padding_value=2.0)
        return (padded * padded).sum() + (packed.data * 3.0).sum()

    ref = torch.tensor(x, requires_grad=True)
    fn(torch, TR, ref).backward()
    for compiled in (False, True):
        t = gg.tensor(x, requires_grad=True)
        (gg.compile(lambda a: fn(gg, R, a)) if compiled else (lambda a: fn(gg, R, a)))(t) \
            .backward()
        close(t.grad, ref.grad, FORWARD_TOL[F64])


def test_packing_errors():
    x = gg.zeros(6, 4, 3)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        R.pack_padded_sequence(x, LENGTHS)
    with pytest.raises(RuntimeError, match="greater than 0"):
        R.pack_padded_sequence(x, [3, 0, 2, 1])
    with pytest.raises(RuntimeError, match="equal to batch_size"):
        R.pack_padded_sequence(x, [3, 2])
    packed = R.pack_padded_sequence(x, [6, 4, 3, 1])
    with pytest.raises(ValueError, match="total_length"):
        R.pad_packed_sequence(packed, total_length=3)
    with pytest.raises(gg.TraceError, match="lengths"):
        gg.compile(lambda a, n: R.pack_padded_sequence(a, n).data)(x, gg.tensor([6, 4, 3, 1]))
    lstm = nn.LSTM(3, 4)
    with pytest.raises(gg.TraceError, match="batch_sizes"):
        gg.compile(lambda p: lstm(p)[0].data)(packed)


# -- a compiled language-model training step --------------------------------------------------

def _lm_layers(lib):
    return {"emb": lib.Embedding(11, 6), "rnn": lib.LSTM(6, 8, num_layers=2),
            "out": lib.Linear(8, 11)}


def _lm_forward(model, ids):
    y, _ = model.rnn(model.emb(ids))
    return model.out(y)


class LanguageModel(nn.Module):
    """Embedding -> 2-layer LSTM -> Linear over the vocabulary."""

    def __init__(self):
        super().__init__()
        for name, layer in _lm_layers(nn).items():
            setattr(self, name, layer)

    forward = _lm_forward


class TorchLanguageModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        for name, layer in _lm_layers(torch.nn).items():
            setattr(self, name, layer)

    forward = _lm_forward


def _train_lm(compiled, dtype, steps, ref=None):
    gg.manual_seed(0)
    model = LanguageModel().to(dtype)
    if ref is not None:
        load_torch(model, ref, dtype)
    opt = optim.SGD(model.parameters(), lr=1.0, momentum=0.9)

    def step(ids, targets):
        opt.zero_grad()
        loss = F.cross_entropy(model(ids).reshape(-1, 11), targets.reshape(-1))
        loss.backward()
        opt.step()
        return loss

    fn = gg.compile(step) if compiled else step
    # four batches of three counting sequences (t * stride + start) mod 11: learnable
    rng = np.random.default_rng(0)
    start, stride = rng.integers(0, 11, (4, 1, 3)), rng.integers(1, 3, (4, 1, 3))
    data = (np.arange(7)[None, :, None] * stride + start) % 11
    losses = [fn(gg.tensor(data[i % 4, :-1]), gg.tensor(data[i % 4, 1:])).item()
              for i in range(steps)]
    if compiled:
        assert fn.cache_info().traces == 1
    return np.array(losses), model.state_dict(), data


def test_lstm_language_model_compiled_training_equals_eager():
    eager_losses, eager_state, _ = _train_lm(False, F32, 20)
    losses, state, _ = _train_lm(True, F32, 20)
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-4)
    for name, value in eager_state.items():
        np.testing.assert_allclose(state[name].numpy(), value.numpy(), rtol=1e-4,
                                   atol=1e-4 * np.abs(value.numpy()).max(), err_msg=name)
    assert losses[-5:].mean() < losses[:5].mean()


@pytest.mark.parametrize("dtype", DTYPES)
def test_lstm_language_model_compiled_training_equals_torch(dtype):
    ref = TorchLanguageModel()
    losses, state, data = _train_lm(True, dtype, 20, ref)
    ref_opt = torch.optim.SGD(ref.parameters(), lr=1.0, momentum=0.9)
    ref_losses = []
    for i in range(20):
        ref_opt.zero_grad()
        ids, targets = torch.tensor(data[i % 4, :-1]), torch.tensor(data[i % 4, 1:])
        loss = torch.nn.functional.cross_entropy(ref(ids).reshape(-1, 11), targets.reshape(-1))
        loss.backward()
        ref_opt.step()
        ref_losses.append(loss.item())
    tol = {"rtol": 1e-3, "atol": 1e-4} if dtype == F32 else {"rtol": 1e-9, "atol": 1e-10}
    close(losses, np.array(ref_losses), tol, "losses: ")
    ref_state = ref.state_dict()
    for name, value in state.items():
        close(value, ref_state[name], tol, f"{name}: ")
