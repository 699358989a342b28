"""Torch-oracle rows for normalization, distance and bilinear functions of nn.functional."""
import numpy as np
from torch_oracle import TorchCase

RNG = np.random.default_rng(23)


def u(*shape, lo=-2.0, hi=2.0):
    return RNG.uniform(lo, hi, shape)


def F(m):
    return m.nn.functional


CASES = [
    TorchCase("normalize", lambda m, x: F(m).normalize(x), (u(3, 4),)),
    TorchCase("normalize-p1-dim0", lambda m, x: F(m).normalize(x, p=1.0, dim=0), (u(3, 4),),
              gradcheck=False),
    TorchCase("normalize-3d-last", lambda m, x: F(m).normalize(x, dim=-1), (u(2, 3, 4),)),
    TorchCase("normalize-zero-row", lambda m, x: F(m).normalize(x, eps=1e-3),
              (np.array([[0.0, 0.0], [1.0, 2.0]]),), gradcheck=False),
    TorchCase("normalize-empty", lambda m, x: F(m).normalize(x), (u(0, 3),)),
    TorchCase("group_norm", lambda m, x, w, b: F(m).group_norm(x, 2, w, b),
              (u(2, 4, 3), u(4), u(4))),
    TorchCase("group_norm-2d-noaffine", lambda m, x: F(m).group_norm(x, 3, eps=1e-3),
              (u(2, 6, 2, 3),)),
    TorchCase("group_norm-one-group", lambda m, x: F(m).group_norm(x, 1), (u(3, 4, 5),)),
    TorchCase("instance_norm", lambda m, x: F(m).instance_norm(x), (u(2, 3, 5),)),
    TorchCase("instance_norm-affine-2d",
              lambda m, x, w, b: F(m).instance_norm(x, weight=w, bias=b, eps=1e-3),
              (u(2, 3, 4, 2), u(3), u(3))),
    TorchCase("instance_norm-running-eval",
              lambda m, x, rm, rv: F(m).instance_norm(x, rm, rv, use_input_stats=False),
              (u(2, 3, 5), u(3), u(3, lo=0.5, hi=2)), grad=(0,)),
    TorchCase("rms_norm", lambda m, x, w: F(m).rms_norm(x, (4,), w), (u(3, 4), u(4))),
    TorchCase("rms_norm-2dims-eps", lambda m, x: F(m).rms_norm(x, (3, 4), eps=1e-3),
              (u(2, 3, 4),)),
    TorchCase("rms_norm-default-eps", lambda m, x: F(m).rms_norm(x, [5]), (u(2, 5),)),
    TorchCase("local_response_norm-3d", lambda m, x: F(m).local_response_norm(x, 3),
              (u(2, 5, 4),)),
    TorchCase("local_response_norm-4d",
              lambda m, x: F(m).local_response_norm(x, 2, alpha=0.1, beta=0.5, k=2.0),
              (u(2, 4, 3, 3),)),
    TorchCase("local_response_norm-5d-wide", lambda m, x: F(m).local_response_norm(x, 6),
              (u(1, 3, 2, 2, 2),)),
    TorchCase("bilinear", lambda m, a, b, w, c: F(m).bilinear(a, b, w, c),
              (u(4, 3), u(4, 2), u(5, 3, 2), u(5))),
    TorchCase("bilinear-nobias-batched", lambda m, a, b, w: F(m).bilinear(a, b, w),
              (u(2, 4, 3), u(2, 4, 2), u(5, 3, 2))),
    TorchCase("cdist", lambda m, a, b: m.cdist(a, b), (u(4, 3), u(5, 3))),
    TorchCase("cdist-batched-p1", lambda m, a, b: m.cdist(a, b, p=1.0), (u(2, 4, 3), u(2, 5, 3)),
              gradcheck=False),
    TorchCase("cdist-p3", lambda m, a, b: m.cdist(a, b, p=3.0), (u(3, 2), u(2, 2))),
    TorchCase("cdist-inf", lambda m, a, b: m.cdist(a, b, p=float("inf")), (u(3, 2), u(2, 2)),
              gradcheck=False),
    TorchCase("cosine_similarity-top", lambda m, a, b: m.cosine_similarity(a, b), (u(3, 4),
                                                                                 u(3, 4))),
    TorchCase("pairwise_distance-top", lambda m, a, b: m.pairwise_distance(a, b), (u(3, 4),
                                                                                 u(3, 4))),
]

# deterministic channel and alpha dropouts: off, p=0, p=1
CASES += [
    TorchCase(f"{name}-deterministic",
              lambda m, x, name=name: (getattr(F(m), name)(x, 0.5, training=False),
                                       getattr(F(m), name)(x, 0.0), getattr(F(m), name)(x, 1.0)),
              (u(*shape),), gradcheck=False)
    for name, shape in (("dropout1d", (2, 3, 4)), ("dropout2d", (2, 3, 2, 2)),
                        ("dropout3d", (3, 2, 2, 2)))
]
CASES += [
    TorchCase("alpha_dropout-deterministic",
              lambda m, x: (F(m).alpha_dropout(x, 0.5), F(m).alpha_dropout(x, 0.0, training=True),
                            F(m).alpha_dropout(x, 1.0, training=True)), (u(3, 4),),
              gradcheck=False),
]
