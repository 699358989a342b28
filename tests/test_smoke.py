import numpy as np

import graphgrad as gg
from helpers import small_mlp, training_step
from graphgrad import optim


def test_eager_backward_of_square_sum():
    x = gg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2.0, 4.0], [6.0, 8.0]])


def test_compiled_whole_step_matches_eager():
    losses = {}
    for mode in ("eager", "compiled"):
        gg.manual_seed(0)
        model = small_mlp()
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        fn = training_step(model, opt, compiled=mode == "compiled")
        x = gg.tensor(np.random.default_rng(0).standard_normal((16, 4)).astype(np.float32))
        y = gg.tensor(np.arange(16) % 3)
        losses[mode] = [fn(x, y).item() for _ in range(5)]
    np.testing.assert_allclose(losses["compiled"], losses["eager"], rtol=1e-6)
    assert losses["eager"][-1] < losses["eager"][0]
