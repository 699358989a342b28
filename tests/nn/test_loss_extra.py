"""Loss modules against torch's modules of the same name and arguments, eagerly and compiled;
legacy size_average/reduce flags; errors."""
import numpy as np
import pytest

import graphgrad as gg
from graphgrad import nn

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(3)


def u(*shape, lo=-2.0, hi=2.0):
    return RNG.uniform(lo, hi, shape)


def signs(*shape):
    return RNG.choice([-1.0, 1.0], shape)


CASES = [
    ("L1Loss", {}, (u(3, 4), u(3, 4))),
    ("L1Loss", {"reduction": "sum"}, (u(3, 4), u(3, 4))),
    ("L1Loss", {"size_average": False}, (u(3, 4), u(3, 4))),
    ("L1Loss", {"reduce": False}, (u(3, 4), u(3, 4))),
    ("SmoothL1Loss", {"beta": 0.5}, (u(3, 4), u(3, 4))),
    ("HuberLoss", {"delta": 0.5, "reduction": "none"}, (u(3, 4), u(3, 4))),
    ("KLDivLoss", {"reduction": "batchmean"}, (u(3, 4, lo=-3, hi=0), u(3, 4, lo=0, hi=1))),
    ("KLDivLoss", {"reduction": "sum", "log_target": True}, (u(3, 4), u(3, 4))),
    ("GaussianNLLLoss", {"full": True}, (u(3, 4), u(3, 4), u(3, 4, lo=0.1, hi=1))),
    ("PoissonNLLLoss", {"log_input": False, "full": True},
     (u(3, 4, lo=0.1, hi=2), u(3, 4, lo=0, hi=3))),
    ("MarginRankingLoss", {"margin": 0.2}, (u(5), u(5), signs(5))),
    ("HingeEmbeddingLoss", {"margin": 0.5}, (u(3, 4), signs(3, 4))),
    ("CosineEmbeddingLoss", {"margin": 0.2}, (u(4, 3), u(4, 3), signs(4))),
    ("SoftMarginLoss", {"reduction": "sum"}, (u(3, 4), signs(3, 4))),
    ("MultiLabelSoftMarginLoss", {}, (u(3, 4), RNG.integers(0, 2, (3, 4)).astype(float))),
    ("TripletMarginLoss", {"margin": 0.5, "p": 1.0, "swap": True}, (u(4, 3), u(4, 3), u(4, 3))),
]


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("name, kwargs, inputs", CASES, ids=[f"{c[0]}-{i}"
                                                             for i, c in enumerate(CASES)])
def test_loss_module_matches_torch(name, kwargs, inputs, compiled):
    t_loss = getattr(torch.nn, name)(**kwargs)
    grads = [not (name == "SoftMarginLoss" and i == 1) for i in range(len(inputs))]
    ts = [torch.tensor(a, requires_grad=g) for a, g in zip(inputs, grads)]
    want = t_loss(*ts)
    want.sum().backward()
    loss = getattr(nn, name)(**kwargs)
    assert loss.reduction == t_loss.reduction
    xs = [gg.tensor(a, requires_grad=g) for a, g in zip(inputs, grads)]
    got = (gg.compile(loss) if compiled else loss)(*xs)
    got.sum().backward()
    np.testing.assert_allclose(got.numpy(), want.detach().numpy(), rtol=1e-10, atol=1e-12)
    for x, t in zip(xs, ts):
        if t.grad is None:
            assert x.grad is None
            continue
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_multilabel_soft_margin_weight_is_a_buffer():
    loss = nn.MultiLabelSoftMarginLoss(weight=gg.ones(4))
    assert list(loss.state_dict()) == list(torch.nn.MultiLabelSoftMarginLoss(
        weight=torch.ones(4)).state_dict()) == ["weight"]


def test_loss_errors():
    F = nn.functional
    with pytest.raises(ValueError, match="negative"):
        F.gaussian_nll_loss(gg.zeros(3), gg.zeros(3), gg.tensor([1.0, -1.0, 1.0]))
    with pytest.raises(ValueError, match="incorrect size"):
        F.gaussian_nll_loss(gg.zeros(3, 4), gg.zeros(3, 4), gg.ones(2))
    with pytest.raises(ValueError, match="reduction"):
        F.l1_loss(gg.zeros(3), gg.zeros(3), reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        nn.HuberLoss(reduction="avg")
    with pytest.raises(ValueError, match=r"l1_loss: .*\(3,\).*\(4,\)"):
        F.l1_loss(gg.zeros(3), gg.zeros(4))
    with pytest.raises(RuntimeError, match="margin_ranking_loss"):
        F.margin_ranking_loss(gg.zeros(3), gg.zeros(1, 3), gg.ones(3))
    with pytest.raises(RuntimeError, match="soft_margin_loss: .*target"):
        F.soft_margin_loss(gg.zeros(3), gg.ones(3, requires_grad=True))
    with pytest.raises(RuntimeError, match="cosine_embedding_loss"):
        F.cosine_embedding_loss(gg.zeros(3, 2), gg.zeros(3, 2), gg.ones(3, 2))


def test_integer_inputs_as_torch():
    F, a, b = nn.functional, gg.tensor([1, 2]), gg.tensor([0, 3])
    out = F.l1_loss(a, b, reduction="none")
    assert out.dtype == np.int64 and out.tolist() == [1, 1]
    with pytest.raises(RuntimeError, match="mean"):
        F.l1_loss(a, b)
    for fn in (F.smooth_l1_loss, F.huber_loss):
        with pytest.raises(NotImplementedError, match="integer"):
            fn(a, b)
    for fn in (F.kl_div, F.soft_margin_loss):
        with pytest.raises(RuntimeError, match="integer"):
            fn(a, b)
    assert F.poisson_nll_loss(a, b).dtype == np.float32
    with pytest.raises(RuntimeError, match="normalize"):
        F.normalize(a)
