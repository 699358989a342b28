"""The generated in-place forms: the lists match torch's names, every name has a torch-oracle
row (torch_cases_inplace.py), and in-place updates behave like torch's around autograd and
inside compiled functions (state written back after the call)."""
import numpy as np
import pytest
import torch_cases_inplace

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad.ops import methods

torch = pytest.importorskip("torch")


def test_every_inplace_method_has_a_torch_row():
    rows = {case.id for case in torch_cases_inplace.CASES}
    missing = sorted(n + "_" for n in methods.INPLACE if n + "_" not in rows)
    assert not missing, missing


def test_the_lists_use_torchs_names():
    t = torch.zeros(1)
    assert [n for n in methods.INPLACE if not hasattr(t, n + "_")] == []
    assert [n for n in methods.METHODS if not hasattr(t, n)] == []
    assert [n for n in methods.FUNCTIONS if not hasattr(torch, n + "_")] == []
    for name in methods.INPLACE:
        assert callable(getattr(gg.Tensor, name + "_"))
    for name in methods.__all__:
        assert callable(getattr(gg, name)) and hasattr(torch, name)
    for name in ("relu_", "elu_", "celu_", "selu_", "leaky_relu_", "rrelu_", "hardtanh_",
                 "threshold_"):
        assert callable(getattr(F, name)) and hasattr(torch.nn.functional, name)


def test_inplace_returns_self_and_bumps_the_version():
    x = gg.tensor([0.25, 4.0])
    x._version_cell()              # autograd creates the counter when it saves a tensor
    before = x._version
    assert x.sqrt_() is x and x.exp2_() is x
    assert x._version == before + 2
    np.testing.assert_allclose(x.numpy(), 2.0 ** np.sqrt([0.25, 4.0]), rtol=1e-6)


def test_mutating_a_tensor_saved_for_backward_raises_like_torch():
    for lib in (gg, torch):
        x = lib.tensor([0.5, 2.0], requires_grad=True)
        y = x * 1.0
        z = y * y                      # saves y
        y.log_()
        with pytest.raises(RuntimeError):
            z.sum().backward()


def test_compiled_inplace_updates_are_written_back():
    state = gg.tensor([-1.5, 0.3, 2.7])
    counts = gg.tensor([5, 6, 7])

    @gg.compile
    def step(x):
        state.clamp_(-1.0, 1.0).mul_(x).round_(decimals=1)
        counts.bitwise_xor_(3).__ilshift__(1)
        return state.sum()

    want_state = np.round(np.clip([-1.5, 0.3, 2.7], -1, 1) * 0.5, 1)
    out = step(gg.tensor(0.5))
    np.testing.assert_allclose(state.numpy(), want_state, rtol=1e-6)
    np.testing.assert_array_equal(counts.numpy(), (np.array([5, 6, 7]) ^ 3) << 1)
    np.testing.assert_allclose(out.numpy(), want_state.sum(), rtol=1e-6)
    step(gg.tensor(0.5))                # no retrace; state read at call time
    assert step.cache_info().traces == 1


def test_activation_modules_inplace_update_their_input():
    from graphgrad import nn
    for module in (nn.ReLU(inplace=True), nn.Hardtanh(inplace=True), nn.ELU(inplace=True),
                   nn.SELU(inplace=True), nn.Threshold(0.1, 5.0, inplace=True),
                   nn.Hardswish(inplace=True), nn.Mish(inplace=True)):
        x = gg.tensor([-2.0, 0.5, 3.0])
        y = module(x)
        assert y is x, module
