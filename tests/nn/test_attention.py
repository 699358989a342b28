"""nn.MultiheadAttention against torch from the same weights: add_bias_kv, add_zero_attn,
kdim/vdim, bias=False, bool and float masks in 2-D and 3-D, key padding masks, unbatched
inputs, need_weights, average_attn_weights, is_causal and fully masked rows; outputs, weights
and the gradients of the inputs and of every parameter, eagerly and compiled."""
import warnings

import numpy as np
import pytest

import graphgrad as gg
from graphgrad import nn
from torch_module_pairs import F32, F64, FORWARD_TOL, check_pair, close, load_torch, rand

torch = pytest.importorskip("torch")
DTYPES = [pytest.param(F32, id="f32"), pytest.param(F64, id="f64")]
E, H, N, L, S = 8, 2, 2, 3, 4


def mha_pair(dtype, **kwargs):
    gg.manual_seed(2)
    module = nn.MultiheadAttention(E, H, dtype=dtype, **kwargs)
    for name, p in module.named_parameters():
        if "bias" in name:                 # torch zeroes the projection biases: test them too
            nn.init.uniform_(p, -0.3, 0.3)
    return module, load_torch(module, torch.nn.MultiheadAttention(E, H, **kwargs), dtype)


KPM = np.array([[False, False, True, True], [False, False, False, True]])
BOOL_2D = np.triu(np.ones((L, S), bool), 2)
FLOAT_3D = rand(N * H, L, S, seed=4)

# (id, constructor kwargs, batch_first, unbatched, call kwargs as NumPy arrays / values)
CASES = [
    ("bias-kv-bool-masks", {"add_bias_kv": True}, False, False,
     {"attn_mask": BOOL_2D, "key_padding_mask": KPM}),
    ("zero-attn-float-3d-per-head", {"add_zero_attn": True, "batch_first": True}, True, False,
     {"attn_mask": FLOAT_3D, "average_attn_weights": False}),
    ("everything-kdim-vdim-no-bias", {"add_bias_kv": True, "add_zero_attn": True, "kdim": 5,
                                      "vdim": 6, "bias": False}, False, False,
     {"key_padding_mask": np.where(KPM, -1e4, 0.0), "attn_mask": rand(L, S, seed=5)}),
    ("unbatched-3d-mask", {"add_bias_kv": True}, False, True,
     {"attn_mask": np.triu(np.ones((H, L, S), bool), 1), "key_padding_mask": KPM[0]}),
    ("no-weights-fully-masked-row", {"batch_first": True}, True, False,
     {"key_padding_mask": np.array([[True] * S, [False, True, False, True]]),
      "need_weights": False}),
    ("no-weights-causal-hint", {}, False, False,
     {"attn_mask": np.triu(np.ones((L, S), bool), 1), "is_causal": True,
      "need_weights": False}),
    ("weights-and-causal-hint", {"add_zero_attn": True}, False, False,
     {"attn_mask": np.triu(np.ones((L, S), bool), 1), "is_causal": True}),
]


def _call_kwargs(lib, spec, dtype):
    out = {}
    for key, value in spec.items():
        if isinstance(value, np.ndarray):
            value = lib.tensor(value if value.dtype == bool else value.astype(dtype))
        out[key] = value
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("init_kw, batch_first, unbatched, spec",
                         [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_multihead_attention_matches_torch(init_kw, batch_first, unbatched, spec, dtype):
    module, ref = mha_pair(dtype, **init_kw)
    kdim, vdim = init_kw.get("kdim", E), init_kw.get("vdim", E)

    def shaped(length, e, seed):
        if unbatched:
            return rand(length, e, seed=seed)
        return rand(N, length, e, seed=seed) if batch_first else rand(length, N, e, seed=seed)

    def make_args(lib, q, k, v):
        return (q, k, v), _call_kwargs(lib, spec, dtype)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # torch: mismatched mask types are deprecated
        check_pair(module, ref, [shaped(L, E, 1), shaped(S, kdim, 2), shaped(S, vdim, 3)],
                   dtype, make_args)


def test_parameter_names_order_and_init_are_torchs():
    for kwargs in ({"add_bias_kv": True}, {"kdim": 5, "vdim": 6, "add_bias_kv": True},
                   {"bias": False}):
        ours = nn.MultiheadAttention(E, H, **kwargs)
        ref = torch.nn.MultiheadAttention(E, H, **kwargs)
        assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
            [(n, tuple(p.shape)) for n, p in ref.named_parameters()]
    mha = nn.MultiheadAttention(E, H, add_bias_kv=True, add_zero_attn=True)
    assert mha.add_zero_attn and np.all(mha.in_proj_bias.numpy() == 0)
    assert mha.bias_k.shape == (1, 1, E) and np.any(mha.bias_k.numpy() != 0)


def test_a_torch_state_dict_loads_and_gives_torchs_outputs():
    ref = torch.nn.MultiheadAttention(E, H, add_bias_kv=True, batch_first=True)
    mha = nn.MultiheadAttention(E, H, add_bias_kv=True, batch_first=True)
    mha.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    x = rand(N, L, E).astype(np.float32)
    out, weights = mha(gg.tensor(x), gg.tensor(x), gg.tensor(x))
    ref_out, ref_weights = ref(*[torch.tensor(x)] * 3)
    close(out, ref_out, FORWARD_TOL[F32])
    close(weights, ref_weights, FORWARD_TOL[F32])


def test_fully_masked_rows_nan_with_weights_zero_without_like_torch():
    mha, ref = mha_pair(F64, batch_first=True)
    x = rand(N, L, E)
    kpm = np.array([[True] * L, [False] * L])
    for need_weights in (True, False):
        out = mha(*[gg.tensor(x)] * 3, key_padding_mask=gg.tensor(kpm),
                  need_weights=need_weights)[0]
        ref_out = ref(*[torch.tensor(x)] * 3, key_padding_mask=torch.tensor(kpm),
                      need_weights=need_weights)[0]
        assert np.isnan(out.numpy()[0]).all() == need_weights
        np.testing.assert_allclose(out.numpy(), ref_out.detach().numpy(), rtol=1e-10)


def test_mask_errors_and_warnings_like_torch():
    mha = nn.MultiheadAttention(E, H)
    x = gg.zeros(L, N, E)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        mha(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match=r"2D attn_mask is \(2, 2\), but should be \(3, 3\)"):
        mha(x, x, x, attn_mask=gg.zeros(2, 2))
    with pytest.raises(RuntimeError, match=r"3D attn_mask is \(2, 3, 3\), but should be"):
        mha(x, x, x, attn_mask=gg.zeros(2, 3, 3))
    with pytest.raises(AssertionError, match="only bool and floating types of attn_mask"):
        mha(x, x, x, attn_mask=gg.zeros(3, 3, dtype=gg.int64))
    with pytest.raises(AssertionError, match="key_padding_mask"):
        mha(x, x, x, key_padding_mask=gg.zeros(3, 3, dtype=gg.bool))
    with pytest.raises(AssertionError, match=r"query \(3, 2, 5\) f32 must have 8 features"):
        gg.compile(lambda t: mha(t, t, t))(gg.zeros(3, 2, 5))
    with pytest.raises(AssertionError, match="divisible by num_heads"):
        nn.MultiheadAttention(6, 4)
    with pytest.warns(UserWarning, match="mismatched key_padding_mask and attn_mask"):
        mha(x, x, x, attn_mask=gg.zeros(3, 3), key_padding_mask=gg.zeros(2, 3, dtype=gg.bool))


@pytest.mark.parametrize("dtype", DTYPES)
def test_scaled_dot_product_attention_gives_zero_on_fully_masked_rows(dtype):
    q = rand(2, 3, 4, seed=1).astype(dtype)
    mask = np.ones((3, 3), bool)
    mask[1] = False
    grads = []
    for lib, fn in ((gg, gg.nn.functional), (torch, torch.nn.functional)):
        t = lib.tensor(q, requires_grad=True)
        out = fn.scaled_dot_product_attention(t, t, t, attn_mask=lib.tensor(mask))
        (out * lib.tensor(rand(2, 3, 4, seed=2).astype(dtype))).sum().backward()
        grads.append((out, t.grad))
    close(grads[0][0], grads[1][0], FORWARD_TOL[dtype])
    close(grads[0][1], grads[1][1], FORWARD_TOL[dtype])
    assert not np.isnan(grads[0][1].numpy()).any()
    assert np.all(grads[0][0].numpy()[:, 1] == 0)


@pytest.mark.parametrize("dead_row", [False, True], ids=["causal", "fully-masked-row"])
def test_masked_attention_eager_compiled_and_torch_agree(dead_row):
    # eagerly a softmax without fully masked rows skips the masking `where`s; compiled code
    # keeps them (a static graph cannot ask the data)
    q, w = rand(2, 3, 4, seed=3), rand(2, 3, 4, seed=4)
    mask = np.tril(np.ones((3, 3), bool))
    mask[1] = not dead_row

    def step(t, m, lib=gg):
        out = lib.nn.functional.scaled_dot_product_attention(t, t, t, attn_mask=m)
        (out * lib.tensor(w)).sum().backward()
        return out

    results = []
    for run in (step, gg.compile(step)):
        t = gg.tensor(q, requires_grad=True)
        results.append((run(t, gg.tensor(mask)).numpy(), t.grad.numpy()))
    t = torch.tensor(q, requires_grad=True)
    want = (step(t, torch.tensor(mask), torch).detach().numpy(), t.grad.numpy())
    for got in results:
        np.testing.assert_allclose(got[0], want[0], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(got[1], want[1], rtol=1e-12, atol=1e-14)


def test_float64_inputs_with_unbatched_key_padding():
    mha, ref = mha_pair(F64, add_zero_attn=True)
    x = rand(L, E)
    kpm = np.array([False, True, False])
    out, weights = mha(*[gg.tensor(x)] * 3, key_padding_mask=gg.tensor(kpm))
    ref_out, ref_weights = ref(*[torch.tensor(x)] * 3, key_padding_mask=torch.tensor(kpm))
    assert out.shape == (L, E) and weights.shape == (L, L + 1)
    close(out, ref_out, FORWARD_TOL[F64])
    close(weights, ref_weights, FORWARD_TOL[F64])
