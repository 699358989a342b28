"""Torch-oracle rows for the regression, ranking, embedding and distribution losses."""
import numpy as np
from torch_oracle import TorchCase

RNG = np.random.default_rng(21)


def u(*shape, lo=-2.0, hi=2.0):
    return RNG.uniform(lo, hi, shape)


def signs(*shape):
    return RNG.choice([-1.0, 1.0], shape)


def F(m):
    return m.nn.functional


CASES = []
for red in ("mean", "sum", "none"):
    CASES += [
        TorchCase(f"l1_loss-{red}", lambda m, a, b, r=red: F(m).l1_loss(a, b, reduction=r),
                  (u(3, 4), u(3, 4))),
        TorchCase(f"smooth_l1_loss-{red}",
                  lambda m, a, b, r=red: F(m).smooth_l1_loss(a, b, reduction=r, beta=0.7),
                  (u(3, 4), u(3, 4))),
        TorchCase(f"huber_loss-{red}",
                  lambda m, a, b, r=red: F(m).huber_loss(a, b, reduction=r, delta=0.8),
                  (u(3, 4), u(3, 4))),
        TorchCase(f"soft_margin_loss-{red}",
                  lambda m, a, b, r=red: F(m).soft_margin_loss(a, b, reduction=r),
                  (u(3, 4), signs(3, 4)), grad=(0,)),
        TorchCase(f"margin_ranking_loss-{red}",
                  lambda m, a, b, y, r=red: F(m).margin_ranking_loss(a, b, y, margin=0.3,
                                                                     reduction=r),
                  (u(6), u(6), signs(6)), grad=(0, 1)),
        TorchCase(f"hinge_embedding_loss-{red}",
                  lambda m, a, y, r=red: F(m).hinge_embedding_loss(a, y, margin=1.5, reduction=r),
                  (u(3, 4), signs(3, 4)), grad=(0,)),
        TorchCase(f"cosine_embedding_loss-{red}",
                  lambda m, a, b, y, r=red: F(m).cosine_embedding_loss(a, b, y, margin=0.1,
                                                                       reduction=r),
                  (u(5, 3), u(5, 3), signs(5)), grad=(0, 1)),
        TorchCase(f"multilabel_soft_margin_loss-{red}",
                  lambda m, a, y, r=red: F(m).multilabel_soft_margin_loss(a, y, reduction=r),
                  (u(4, 5), RNG.integers(0, 2, (4, 5)).astype(float)), grad=(0,)),
        TorchCase(f"poisson_nll_loss-{red}",
                  lambda m, a, y, r=red: F(m).poisson_nll_loss(a, y, reduction=r),
                  (u(3, 4), u(3, 4, lo=0, hi=4))),
        TorchCase(f"gaussian_nll_loss-{red}",
                  lambda m, a, y, v, r=red: F(m).gaussian_nll_loss(a, y, v, reduction=r),
                  (u(3, 4), u(3, 4), u(3, 4, lo=0.1, hi=2))),
        TorchCase(f"triplet_margin_loss-{red}",
                  lambda m, a, p, n, r=red: F(m).triplet_margin_loss(a, p, n, reduction=r),
                  (u(5, 3), u(5, 3), u(5, 3))),
    ]
for red in ("mean", "sum", "none", "batchmean"):
    CASES += [
        TorchCase(f"kl_div-{red}",
                  lambda m, a, t, r=red: F(m).kl_div(a, t, reduction=r),
                  (u(3, 4, lo=-3, hi=0), u(3, 4, lo=0.01, hi=1))),
        TorchCase(f"kl_div-log_target-{red}",
                  lambda m, a, t, r=red: F(m).kl_div(a, t, reduction=r, log_target=True),
                  (u(3, 4, lo=-3, hi=0), u(3, 4, lo=-3, hi=0))),
    ]
CASES += [
    TorchCase("l1_loss-broadcast", lambda m, a, b: F(m).l1_loss(a, b), (u(3, 4), u(4))),
    TorchCase("l1_loss-empty", lambda m, a, b: F(m).l1_loss(a, b, reduction="sum"),
              (u(0, 4), u(0, 4))),
    TorchCase("l1_loss-int", lambda m, a, b: F(m).l1_loss(a, b),
              (RNG.integers(-3, 3, (3, 4)), u(3, 4)), grad=(1,)),
    TorchCase("smooth_l1_loss-beta0", lambda m, a, b: F(m).smooth_l1_loss(a, b, beta=0.0),
              (u(3, 4), u(3, 4))),
    TorchCase("smooth_l1_loss-default", lambda m, a, b: F(m).smooth_l1_loss(a, b),
              (u(3, 4), u(3, 4))),
    TorchCase("huber_loss-default", lambda m, a, b: F(m).huber_loss(a, b), (u(3, 4), u(3, 4))),
    TorchCase("poisson_nll_loss-full", lambda m, a, y: F(m).poisson_nll_loss(a, y, full=True),
              (u(3, 4), u(3, 4, lo=0, hi=4)), grad=(0,)),
    TorchCase("poisson_nll_loss-rate",
              lambda m, a, y: F(m).poisson_nll_loss(a, y, log_input=False, full=True),
              (u(3, 4, lo=0.1, hi=3), u(3, 4, lo=0, hi=4)), grad=(0,)),
    TorchCase("gaussian_nll_loss-full",
              lambda m, a, y, v: F(m).gaussian_nll_loss(a, y, v, full=True, eps=0.2),
              (u(3, 4), u(3, 4), u(3, 4, lo=0.01, hi=2)), gradcheck=False),  # the clamp is not seen
    TorchCase("gaussian_nll_loss-var-per-row",
              lambda m, a, y, v: F(m).gaussian_nll_loss(a, y, v), (u(3, 4), u(3, 4),
                                                                    u(3, lo=0.1, hi=2))),
    TorchCase("gaussian_nll_loss-var-column",
              lambda m, a, y, v: F(m).gaussian_nll_loss(a, y, v), (u(3, 4), u(3, 4),
                                                                    u(3, 1, lo=0.1, hi=2))),
    TorchCase("hinge_embedding_loss-other-targets",
              lambda m, a, y: F(m).hinge_embedding_loss(a, y, reduction="none"),
              (u(3, 4), RNG.choice([-1.0, 0.0, 1.0, 2.0], (3, 4))), grad=(0,)),
    TorchCase("cosine_embedding_loss-1d",
              lambda m, a, b, y: F(m).cosine_embedding_loss(a, b, y), (u(4), u(4), np.array(-1.0)),
              grad=(0, 1)),
    TorchCase("multilabel_soft_margin_loss-weight",
              lambda m, a, y, w: F(m).multilabel_soft_margin_loss(a, y, weight=w),
              (u(4, 5), RNG.integers(0, 2, (4, 5)).astype(float), u(5, lo=0, hi=1)), grad=(0,)),
    TorchCase("triplet_margin_loss-p1-swap",
              lambda m, a, p, n: F(m).triplet_margin_loss(a, p, n, p=1, swap=True, margin=2.0),
              (u(5, 3), u(5, 3), u(5, 3)), gradcheck=False),
    TorchCase("triplet_margin_loss-1d", lambda m, a, p, n: F(m).triplet_margin_loss(a, p, n),
              (u(3), u(3), u(3))),
    TorchCase("pairwise_distance", lambda m, a, b: F(m).pairwise_distance(a, b),
              (u(4, 3), u(4, 3))),
    TorchCase("pairwise_distance-p1-keepdim",
              lambda m, a, b: F(m).pairwise_distance(a, b, p=1.0, keepdim=True),
              (u(4, 3), u(3)), gradcheck=False),
    TorchCase("pairwise_distance-p3-1d", lambda m, a, b: F(m).pairwise_distance(a, b, p=3.0),
              (u(5), u(5))),
    TorchCase("pairwise_distance-inf", lambda m, a, b: F(m).pairwise_distance(a, b, p=np.inf),
              (u(4, 3), u(4, 3)), gradcheck=False),
]
