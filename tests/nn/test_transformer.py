"""nn.TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer, TransformerDecoder
and Transformer against torch from the same weights: outputs and the gradients of the inputs
and of every parameter, eagerly and compiled, float32 and float64, with every kind of mask;
torch state dicts load; torch's inference path on nested tensors; and a compiled
TransformerEncoder classifier whose training equals eager training and torch's."""
import copy
import warnings

import numpy as np
import pytest

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad import nn, optim
from torch_module_pairs import F32, F64, FORWARD_TOL, check_pair, close, load_torch, rand

torch = pytest.importorskip("torch")
DTYPES = [pytest.param(F32, id="f32"), pytest.param(F64, id="f64")]
D, HEADS, FF = 8, 2, 16
S, T, N = 5, 4, 3
BASE = {"d_model": D, "nhead": HEADS, "dim_feedforward": FF, "dropout": 0.0}
SRC_KPM = np.array([[False] * 5, [False] * 3 + [True] * 2, [False] * 4 + [True]])
TGT_KPM = np.array([[False] * 4, [False] * 2 + [True] * 2, [False] * 3 + [True]])
CAUSAL_T = np.triu(np.full((T, T), -np.inf), 1)


def activation(lib, name):
    """An activation argument for either library: a name, or a callable of that library."""
    if name == "silu":
        return lib.nn.functional.silu
    if name == "gelu-module":
        return lib.nn.GELU()
    return name


def build(lib, kind, dtype, act="relu", layers=2, **kwargs):
    kwargs = dict(BASE, activation=activation(lib, act), **kwargs)
    extra = {"dtype": dtype} if lib is gg else {}
    if kind == "encoder-layer":
        return lib.nn.TransformerEncoderLayer(**kwargs, **extra)
    if kind == "decoder-layer":
        return lib.nn.TransformerDecoderLayer(**kwargs, **extra)
    if kind == "encoder":
        layer = lib.nn.TransformerEncoderLayer(**kwargs, **extra)
        return lib.nn.TransformerEncoder(layer, layers, lib.nn.LayerNorm(D, **extra))
    if kind == "decoder":
        layer = lib.nn.TransformerDecoderLayer(**kwargs, **extra)
        return lib.nn.TransformerDecoder(layer, layers, lib.nn.LayerNorm(D, **extra))
    return lib.nn.Transformer(num_encoder_layers=layers, num_decoder_layers=layers, **kwargs,
                              **extra)


def pair(kind, dtype, **kwargs):
    gg.manual_seed(4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")       # enable_nested_tensor is True, but ...
        module = build(gg, kind, dtype, **kwargs)
        ref = build(torch, kind, dtype, **kwargs)
    for name, p in module.named_parameters():     # biases start at zero: test them too
        if p.ndim == 1 and "norm" not in name:
            nn.init.uniform_(p, -0.2, 0.2)
    return module, load_torch(module, ref, dtype)


def masks(lib, spec, dtype):
    out = {}
    for key, value in spec.items():
        if isinstance(value, np.ndarray):
            value = lib.tensor(value if value.dtype == bool else value.astype(dtype))
        out[key] = value
    return out


def _inputs(batch_first, unbatched, *lengths):
    out = []
    for i, n in enumerate(lengths):
        if unbatched:
            out.append(rand(n, D, seed=i + 1))
        else:
            out.append(rand(N, n, D, seed=i + 1) if batch_first else rand(n, N, D, seed=i + 1))
    return out


# (id, kind, constructor kwargs, batch_first, unbatched, call kwargs)
CASES = [
    ("encoder-layer", "encoder-layer", {}, False, False, {}),
    ("encoder-layer-norm-first-gelu-masks", "encoder-layer",
     {"norm_first": True, "act": "gelu"}, False, False,
     {"src_mask": rand(S, S, seed=7), "src_key_padding_mask": SRC_KPM}),
    ("encoder-layer-batch-first-no-bias-silu-causal", "encoder-layer",
     {"batch_first": True, "bias": False, "act": "silu", "layer_norm_eps": 1e-3}, True, False,
     {"src_mask": np.triu(np.full((S, S), -np.inf), 1), "is_causal": True}),
    ("encoder-layer-unbatched", "encoder-layer", {"act": "gelu-module"}, False, True,
     {"src_key_padding_mask": SRC_KPM[1]}),
    ("decoder-layer-masks", "decoder-layer", {}, False, False,
     {"tgt_mask": CAUSAL_T, "memory_mask": rand(T, S, seed=8),
      "tgt_key_padding_mask": TGT_KPM, "memory_key_padding_mask": SRC_KPM,
      "tgt_is_causal": True}),
    ("decoder-layer-norm-first-batch-first", "decoder-layer",
     {"norm_first": True, "batch_first": True, "act": "gelu"}, True, False,
     {"tgt_mask": np.triu(np.ones((T, T), bool), 1)}),
    ("encoder-bool-masks", "encoder", {}, False, False,
     {"mask": np.triu(np.ones((S, S), bool), 1), "src_key_padding_mask": SRC_KPM}),
    ("encoder-batch-first-float-padding", "encoder", {"batch_first": True}, True, False,
     {"src_key_padding_mask": np.where(SRC_KPM, -np.inf, 0.0)}),
    ("decoder", "decoder", {"norm_first": True}, False, False,
     {"tgt_mask": CAUSAL_T, "memory_key_padding_mask": SRC_KPM}),
    ("transformer", "transformer", {}, False, False,
     {"tgt_mask": CAUSAL_T, "src_key_padding_mask": SRC_KPM,
      "memory_key_padding_mask": SRC_KPM, "tgt_key_padding_mask": TGT_KPM}),
    ("transformer-batch-first-norm-first-gelu", "transformer",
     {"batch_first": True, "norm_first": True, "act": "gelu", "layers": 1}, True, False,
     {"tgt_mask": CAUSAL_T, "tgt_is_causal": True}),
    ("transformer-unbatched", "transformer", {"layers": 1}, False, True,
     {"src_mask": np.triu(np.ones((S, S), bool), 2)}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind, kwargs, batch_first, unbatched, spec",
                         [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_transformer_modules_match_torch(kind, kwargs, batch_first, unbatched, spec, dtype):
    module, ref = pair(kind, dtype, **kwargs)
    lengths = {"encoder-layer": (S,), "encoder": (S,), "decoder-layer": (T, S),
               "decoder": (T, S), "transformer": (S, T)}[kind]

    def make_args(lib, *xs):
        return xs, masks(lib, spec, dtype)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")       # torch: mismatched mask types are deprecated
        check_pair(module, ref, _inputs(batch_first, unbatched, *lengths), dtype, make_args)


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
def test_names_match_torch_and_a_torch_state_dict_loads():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = torch.nn.Transformer(**BASE, num_encoder_layers=2, num_decoder_layers=1)
    model = nn.Transformer(**BASE, num_encoder_layers=2, num_decoder_layers=1)
    assert [(n, tuple(p.shape)) for n, p in model.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in ref.named_parameters()]
    model.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    src, tgt = rand(S, N, D).astype(np.float32), rand(T, N, D).astype(np.float32)
    mask = nn.Transformer.generate_square_subsequent_mask(T)
    out = model(gg.tensor(src), gg.tensor(tgt), tgt_mask=mask)
    ref_out = ref(torch.tensor(src), torch.tensor(tgt), tgt_mask=torch.tensor(mask.numpy()))
    close(out, ref_out, FORWARD_TOL[F32])
    np.testing.assert_array_equal(mask.numpy(),
                                  torch.nn.Transformer.generate_square_subsequent_mask(T).numpy())
    assert nn.Transformer.generate_square_subsequent_mask(3, dtype=gg.float64).dtype == F64


def test_encoder_layers_are_independent_copies_of_the_layer():
    layer = nn.TransformerEncoderLayer(**BASE)
    encoder = nn.TransformerEncoder(layer, 3, enable_nested_tensor=False)
    first, second = encoder.layers[0].linear1.weight, encoder.layers[1].linear1.weight
    assert first is not second and first is not layer.linear1.weight
    np.testing.assert_array_equal(first.numpy(), second.numpy())
    with gg.no_grad():
        first.mul_(2.0)
    assert not np.allclose(first.numpy(), second.numpy())
    with pytest.warns(UserWarning, match="self_attn.batch_first was not True"):
        nn.TransformerEncoder(layer, 1)


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")
@pytest.mark.parametrize("kpm, left_aligned", [(SRC_KPM, True),
                                               (SRC_KPM[:, ::-1].copy(), False)])
def test_encoder_inference_on_padded_batches_matches_torchs_nested_tensor_path(kpm,
                                                                               left_aligned):
    gg.manual_seed(5)
    model = build(gg, "encoder", F64, batch_first=True)
    ref = load_torch(model, build(torch, "encoder", F64, batch_first=True), F64)
    model.eval()
    ref.eval()
    x = rand(N, S, D)
    with torch.no_grad():
        ref_out = ref(torch.tensor(x), src_key_padding_mask=torch.tensor(kpm)).numpy()
    with gg.no_grad():
        out = model(gg.tensor(x), src_key_padding_mask=gg.tensor(kpm)).numpy()
    np.testing.assert_allclose(out, ref_out, rtol=1e-10, atol=1e-12)
    bias = model.norm.bias.numpy()
    assert np.allclose(out[kpm], bias) == left_aligned    # padded: norm(0) = its bias
    with gg.no_grad():
        compiled = gg.compile(model)(gg.tensor(x), src_key_padding_mask=gg.tensor(kpm))
    out_grad = model(gg.tensor(x), src_key_padding_mask=gg.tensor(kpm))
    np.testing.assert_allclose(compiled.numpy(), out_grad.numpy(), rtol=1e-10)


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
def test_dropout_in_training_only_and_errors():
    gg.manual_seed(0)
    layer = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.3)
    x = gg.tensor(rand(S, N, D).astype(np.float32))
    assert not np.allclose(layer(x).numpy(), layer(x).numpy())
    layer.eval()
    ref = load_torch(layer, torch.nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.3), F32)
    ref.eval()
    close(layer(x), ref(torch.tensor(x.numpy())), FORWARD_TOL[F32])
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(D, HEADS, activation="tanh")
    model = nn.Transformer(**BASE, num_encoder_layers=1, num_decoder_layers=1)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(gg.zeros(S, 2, D), gg.zeros(T, 3, D))
    with pytest.raises(RuntimeError, match="feature number of src and tgt must be equal"):
        gg.compile(model)(gg.zeros(S, 2, D), gg.zeros(T, 2, 6))
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        model.encoder(gg.zeros(S, 2, D), is_causal=True)
    assert copy.deepcopy(model).decoder.layers[0].norm3.eps == 1e-5


# -- a compiled TransformerEncoder classifier ---------------------------------------------------

def _classifier_layers(lib, dtype):
    extra = {"dtype": dtype} if lib is gg else {}
    layer = lib.nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, batch_first=True,
                                           **extra)
    return {"emb": lib.nn.Embedding(13, D, **extra),
            "encoder": lib.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False),
            "head": lib.nn.Linear(D, 3, **extra)}


def _classify(model, ids, padding):
    h = model.encoder(model.emb(ids), src_key_padding_mask=padding)
    keep = (~padding).unsqueeze(-1).to(h.dtype)
    return model.head((h * keep).sum(1) / keep.sum(1))


class Classifier(nn.Module):
    """Embedding -> 2 encoder layers -> masked mean over the sequence -> Linear."""

    def __init__(self, dtype):
        super().__init__()
        for name, layer in _classifier_layers(gg, dtype).items():
            setattr(self, name, layer)

    forward = _classify


class TorchClassifier(torch.nn.Module):
    def __init__(self):
        super().__init__()
        for name, layer in _classifier_layers(torch, None).items():
            setattr(self, name, layer)

    forward = _classify


def _classifier_data():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 13, (4, 6, 7))
    padding = np.zeros((4, 6, 7), bool)
    for b in range(4):
        for i, n in enumerate(rng.integers(3, 8, 6)):
            padding[b, i, n:] = True
    labels = (ids * ~padding).sum(-1) % 3              # a learnable function of the tokens
    return ids, padding, labels


def _train_classifier(compiled, dtype, steps=20, ref=None):
    gg.manual_seed(0)
    model = Classifier(dtype)
    if ref is not None:
        load_torch(model, ref, dtype)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def step(ids, padding, labels):
        opt.zero_grad()
        loss = F.cross_entropy(model(ids, padding), labels)
        loss.backward()
        opt.step()
        return loss

    fn = gg.compile(step) if compiled else step
    ids, padding, labels = _classifier_data()
    losses = [fn(gg.tensor(ids[i % 4]), gg.tensor(padding[i % 4]),
                 gg.tensor(labels[i % 4])).item() for i in range(steps)]
    if compiled:
        assert fn.cache_info().traces == 1
    return np.array(losses), model.state_dict()


def test_transformer_classifier_compiled_training_equals_eager():
    eager_losses, eager_state = _train_classifier(False, F32)
    losses, state = _train_classifier(True, F32)
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-4)
    for name, value in eager_state.items():
        np.testing.assert_allclose(state[name].numpy(), value.numpy(), rtol=1e-4,
                                   atol=1e-4 * np.abs(value.numpy()).max(), err_msg=name)
    assert losses[-5:].mean() < losses[:5].mean()


@pytest.mark.parametrize("dtype", DTYPES)
def test_transformer_classifier_compiled_training_equals_torch(dtype):
    ref = TorchClassifier()
    losses, state = _train_classifier(True, dtype, ref=ref)
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    ids, padding, labels = _classifier_data()
    ref_losses = []
    for i in range(20):
        ref_opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(
            ref(torch.tensor(ids[i % 4]), torch.tensor(padding[i % 4])),
            torch.tensor(labels[i % 4]))
        loss.backward()
        ref_opt.step()
        ref_losses.append(loss.item())
    tol = {"rtol": 1e-3, "atol": 1e-4} if dtype == F32 else {"rtol": 1e-9, "atol": 1e-10}
    close(losses, np.array(ref_losses), tol, "losses: ")
    ref_state = ref.state_dict()
    for name, value in state.items():
        close(value, ref_state[name], tol, f"{name}: ")
