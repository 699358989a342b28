"""gg.inference_mode behaves like torch.inference_mode: a context manager and a decorator
(bare or called) that records no gradients; inference_mode(False) records them again."""
import numpy as np
import pytest

import graphgrad as gg


def test_context_manager_and_flag():
    x = gg.tensor([1.0, 2.0], requires_grad=True)
    assert not gg.is_inference_mode_enabled()
    with gg.inference_mode():
        y = x * 2
        assert gg.is_inference_mode_enabled() and not gg.is_grad_enabled()
        with gg.inference_mode(False):
            assert gg.is_grad_enabled() and not gg.is_inference_mode_enabled()
            assert (x * 2).requires_grad
    assert not y.requires_grad
    assert gg.is_grad_enabled() and not gg.is_inference_mode_enabled()
    with gg.no_grad(), gg.inference_mode(False):
        assert gg.is_grad_enabled()          # as in torch
    assert gg.is_grad_enabled()


def test_decorators_and_exceptions_restore_the_mode():
    @gg.inference_mode
    def bare():
        return gg.is_grad_enabled(), gg.is_inference_mode_enabled()

    @gg.inference_mode(False)
    def off():
        return gg.is_grad_enabled(), gg.is_inference_mode_enabled()

    assert bare() == (False, True)
    assert bare.__name__ == "bare"
    with gg.no_grad():
        assert off() == (True, False)
    with pytest.raises(ZeroDivisionError):
        with gg.inference_mode():
            1 / 0
    assert gg.is_grad_enabled() and not gg.is_inference_mode_enabled()


def test_inside_and_around_compiled_functions():
    model = gg.nn.Linear(3, 2)
    x = gg.tensor(np.ones((4, 3), np.float32))

    @gg.compile
    def predict(t):
        with gg.inference_mode():
            return model(t) * 2

    out = predict(x)
    assert not out.requires_grad
    np.testing.assert_allclose(out.numpy(), model(x).detach().numpy() * 2, rtol=1e-6)
    compiled = gg.compile(model)
    with gg.inference_mode():
        assert not compiled(x).requires_grad
    assert compiled(x).requires_grad
