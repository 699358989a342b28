"""Real models trained with a whole-step `gg.compile` equal the same models trained eagerly."""
import numpy as np
import pytest

import graphgrad as gg
from helpers import training_step
from graphgrad import nn, optim


def small_cnn():
    """Conv-BatchNorm-ReLU-MaxPool twice, then a Linear head (28x28 single-channel input).
    The convolutions have no bias: BatchNorm removes it, so its gradient is exactly zero and
    Adam would turn rounding noise into steps."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, 10))


def _train_cnn(compiled, make_opt, steps=20):
    gg.manual_seed(0)
    model = small_cnn()
    opt = make_opt(model.parameters())

    fn = training_step(model, opt, compiled=compiled)
    rng = np.random.default_rng(0)
    batches = [(gg.tensor(rng.standard_normal((16, 1, 28, 28)).astype(np.float32)),
                gg.tensor(rng.integers(0, 10, 16))) for _ in range(4)]
    losses = [fn(*batches[i % 4]).item() for i in range(steps)]
    model.eval()
    with gg.no_grad():
        eval_out = model(batches[0][0]).numpy()
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    return np.array(losses), state, eval_out, fn


@pytest.mark.parametrize("make_opt", [
    lambda p: optim.SGD(p, lr=0.05, momentum=0.9),
    lambda p: optim.AdamW(p, lr=2e-3),
], ids=["sgd", "adamw"])
def test_cnn_with_batchnorm_compiled_training_equals_eager(make_opt):
    eager_losses, eager_state, eager_eval, _ = _train_cnn(False, make_opt)
    losses, state, eval_out, fn = _train_cnn(True, make_opt)
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-4)
    assert losses[-1] < losses[0]
    assert state.keys() == eager_state.keys()
    assert any("running_mean" in k for k in state)      # BatchNorm buffers were updated
    for k in state:
        np.testing.assert_allclose(state[k], eager_state[k], rtol=1e-4, atol=1e-5, err_msg=k)
    np.testing.assert_allclose(eval_out, eager_eval, rtol=1e-4, atol=1e-5)
    assert fn.cache_info().traces == 1
