"""Torch-oracle rows for graphgrad.nn.functional: activations (also as gg.* functions and Tensor
methods), linear, dropout, one_hot and the losses."""
import numpy as np
from oracle_rows import ONLY64, away, bools, case, ints, is_torch, u

RNG = np.random.default_rng(5)


def F(m):
    return m.nn.functional


def _gg_only(m, name, torch_fn):
    """graphgrad's `gg.name` / `x.name()` where torch has only `torch.nn.functional.name`."""
    return torch_fn if is_torch(m) else getattr(m, name)


# -- activations --------------------------------------------------------------------------------

CASES = [
    case("F.relu", lambda m, x: F(m).relu(x), (away(3, 4),)),
    case("F.relu-int", lambda m, x: F(m).relu(x), (ints(3, 4),)),
    case("F.sigmoid", lambda m, x: F(m).sigmoid(x), (u(3, 4),)),
    case("F.tanh", lambda m, x: F(m).tanh(x), (u(3, 4),)),
    case("F.gelu", lambda m, x: (F(m).gelu(x), F(m).gelu(x, approximate="tanh")),
         (u(3, 4, lo=-4, hi=4),)),
    case("F.silu", lambda m, x: F(m).silu(x), (u(3, 4, lo=-4, hi=4),)),
    case("F.elu", lambda m, x: (F(m).elu(x), F(m).elu(x, alpha=0.5)), (away(3, 4),)),
    case("F.elu-large", lambda m, x: F(m).elu(x), (np.array([-800.0, -1.0, 1.0, 800.0]),)),
    case("F.leaky_relu", lambda m, x: (F(m).leaky_relu(x), F(m).leaky_relu(x, 0.2)),
         (away(3, 4),)),
    case("F.softplus", lambda m, x: (F(m).softplus(x), F(m).softplus(x, beta=2.0),
                                     F(m).softplus(x, 0.5, 1.0)), (away(3, 4, gap=0.05),)),
    case("F.softplus-large", lambda m, x: F(m).softplus(x),
         (np.array([-800.0, -30.0, 19.0, 21.0, 800.0]),), gradcheck=False),
    case("F.activations-0d", lambda m, x: (F(m).gelu(x), F(m).silu(x), F(m).elu(x),
                                           F(m).leaky_relu(x), F(m).softplus(x)), (away(),),
         dtypes=ONLY64),
    case("F.activations-empty", lambda m, x: (F(m).gelu(x), F(m).silu(x), F(m).elu(x),
                                              F(m).leaky_relu(x), F(m).softplus(x),
                                              F(m).relu(x)), (u(0, 3),), dtypes=ONLY64),
    # graphgrad also has these as gg.* functions and (some) Tensor methods
    case("gelu", lambda m, x: _gg_only(m, "gelu", F(m).gelu)(x, approximate="tanh"),
         (u(3, 4),)),
    case("silu", lambda m, x: _gg_only(m, "silu", F(m).silu)(x), (u(3, 4),)),
    case("elu", lambda m, x: _gg_only(m, "elu", F(m).elu)(x, 0.7), (away(3, 4),)),
    case("leaky_relu", lambda m, x: _gg_only(m, "leaky_relu", F(m).leaky_relu)(x, 0.1),
         (away(3, 4),)),
    case("softplus", lambda m, x: _gg_only(m, "softplus", F(m).softplus)(x, 2.0), (u(3, 4),)),
    case("gelu-method", lambda m, x: F(m).gelu(x) if is_torch(m) else x.gelu(), (u(3, 4),)),
    case("leaky_relu-method", lambda m, x: F(m).leaky_relu(x, 0.3) if is_torch(m)
         else x.leaky_relu(0.3), (away(3, 4),)),
    case("softplus-method", lambda m, x: F(m).softplus(x) if is_torch(m) else x.softplus(),
         (u(3, 4),)),
    case("F.activations-int", lambda m, x: (F(m).gelu(x.float()), F(m).relu(x)), (ints(3, 4),)),
]

# -- linear, dropout, one_hot -------------------------------------------------------------------

CASES += [
    case("F.linear", lambda m, x, w, b: F(m).linear(x, w, b), (u(3, 4), u(2, 4), u(2))),
    case("F.linear-no-bias", lambda m, x, w: F(m).linear(x, w), (u(2, 3, 4), u(5, 4))),
    case("F.linear-vector", lambda m, x, w, b: F(m).linear(x, w, b), (u(4), u(2, 4), u(2))),
    case("F.linear-empty", lambda m, x, w, b: F(m).linear(x, w, b), (u(0, 4), u(2, 4), u(2)),
         dtypes=ONLY64),
    # deterministic dropouts: off, p=0, p=1
    case("F.dropout", lambda m, x: (F(m).dropout(x, 0.5, training=False), F(m).dropout(x, 0.0),
                                    F(m).dropout(x, 1.0)), (u(3, 4),)),
    case("F.one_hot", lambda m, t: F(m).one_hot(t, 5), (np.array([[0, 3], [4, 1]]),)),
    # without num_classes the result's shape depends on the values: eager only
    case("F.one_hot-infer-classes", lambda m, t: F(m).one_hot(t), (np.array([[0, 3], [4, 1]]),),
         compiled=False),
    case("F.one_hot-empty", lambda m, t: F(m).one_hot(t, 3), (np.zeros((0,), np.int64),)),
    case("F.one_hot-0d", lambda m, t: F(m).one_hot(t, 3), (np.array(2),)),
    case("one_hot", lambda m, t: _gg_only(m, "one_hot", F(m).one_hot)(t, 4),
         (ints(5, lo=0, hi=4),)),
]

# -- losses -------------------------------------------------------------------------------------

_LOGITS = u(4, 5)
_TARGET = np.array([1, 0, 4, 4])
_PROBS = RNG.dirichlet(np.ones(5), 4)
_TARGET_WITH_IGNORED = np.array([1, -100, 4, 2])
_CLASS_W = RNG.uniform(0.5, 2.0, 5)

for _name in ("mse_loss",):
    CASES += [case(f"F.{_name}-{r}", lambda m, a, b, _r=r: F(m).mse_loss(a, b, reduction=_r),
                   (u(3, 4), u(3, 4))) for r in ("mean", "sum", "none")]
CASES += [
    case("F.mse_loss-0d", lambda m, a, b: F(m).mse_loss(a, b), (u(), u()), dtypes=ONLY64),
    case("F.mse_loss-empty", lambda m, a, b: (F(m).mse_loss(a, b, reduction="sum"),
                                              F(m).mse_loss(a, b)), (u(0, 3), u(0, 3)),
         dtypes=ONLY64),
    # cross_entropy: class targets, probability targets, weights, ignore_index, smoothing
    case("F.cross_entropy", lambda m, x, t: F(m).cross_entropy(x, t), (_LOGITS, _TARGET)),
    case("F.cross_entropy-reductions", lambda m, x, t: (
        F(m).cross_entropy(x, t, reduction="sum"), F(m).cross_entropy(x, t, reduction="none")),
        (_LOGITS, _TARGET)),
    case("F.cross_entropy-weight", lambda m, x, t, w: (
        F(m).cross_entropy(x, t, weight=w), F(m).cross_entropy(x, t, weight=w, reduction="none")),
        (_LOGITS, _TARGET, _CLASS_W), grad=(0,)),
    case("F.cross_entropy-ignore_index", lambda m, x, t: (
        F(m).cross_entropy(x, t, ignore_index=-100), F(m).cross_entropy(x, t.abs() % 5,
                                                                         ignore_index=1)),
        (_LOGITS, _TARGET_WITH_IGNORED)),
    case("F.cross_entropy-label_smoothing", lambda m, x, t, w: (
        F(m).cross_entropy(x, t, label_smoothing=0.1),
        F(m).cross_entropy(x, t, weight=w, label_smoothing=0.2, reduction="sum")),
        (_LOGITS, _TARGET, _CLASS_W), grad=(0,)),
    case("F.cross_entropy-probs", lambda m, x, p: (
        F(m).cross_entropy(x, p), F(m).cross_entropy(x, p, label_smoothing=0.3,
                                                     reduction="none")), (_LOGITS, _PROBS)),
    case("F.cross_entropy-spatial", lambda m, x, t: F(m).cross_entropy(x, t),
         (u(2, 3, 2, 2), ints(2, 2, 2, lo=0, hi=3))),
    case("F.cross_entropy-unbatched", lambda m, x, t: F(m).cross_entropy(x, t),
         (u(5), np.array(3))),
    case("F.nll_loss", lambda m, x, t: (F(m).nll_loss(x, t), F(m).nll_loss(x, t, reduction="sum"),
                                        F(m).nll_loss(x, t, reduction="none")),
         (_LOGITS, _TARGET)),
    case("F.nll_loss-weight-ignore", lambda m, x, t, w: (
        F(m).nll_loss(x, t, weight=w, ignore_index=-100),
        F(m).nll_loss(x, t.abs() % 5, weight=w, ignore_index=4)),
        (_LOGITS, _TARGET_WITH_IGNORED, _CLASS_W), grad=(0,)),
    case("F.nll_loss-spatial", lambda m, x, t: F(m).nll_loss(x, t),
         (u(2, 3, 2), ints(2, 2, lo=0, hi=3))),
    # binary cross-entropy
    case("F.binary_cross_entropy", lambda m, p, y: (
        F(m).binary_cross_entropy(p, y), F(m).binary_cross_entropy(p, y, reduction="none")),
        (u(3, 4, lo=0.05, hi=0.95), u(3, 4, lo=0.0, hi=1.0))),
    case("F.binary_cross_entropy-weight", lambda m, p, y, w: F(m).binary_cross_entropy(
        p, y, weight=w, reduction="sum"), (u(3, 4, lo=0.05, hi=0.95), bools(3, 4) * 1.0, u(4)),
        grad=(0, 1)),
    # at p = 0 or 1 torch clamps the log at -100
    case("F.binary_cross_entropy-edges", lambda m, p, y: F(m).binary_cross_entropy(
        p, y, reduction="none"), (np.array([0.0, 1.0, 0.0, 1.0]), np.array([0.0, 1.0, 1.0, 0.0])),
        grad=(), layouts=False),
    case("F.binary_cross_entropy_with_logits", lambda m, x, y: (
        F(m).binary_cross_entropy_with_logits(x, y),
        F(m).binary_cross_entropy_with_logits(x, y, reduction="none")),
        (u(3, 4, lo=-4, hi=4), u(3, 4, lo=0.0, hi=1.0))),
    case("F.binary_cross_entropy_with_logits-weights", lambda m, x, y, w, pw: (
        F(m).binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=pw, reduction="sum")),
        (u(3, 4), bools(3, 4) * 1.0, u(4, lo=0.5, hi=2), u(4, lo=0.5, hi=3)), grad=(0, 1)),
    case("F.binary_cross_entropy_with_logits-large", lambda m, x, y: (
        F(m).binary_cross_entropy_with_logits(x, y, reduction="none")),
        (np.array([-800.0, -50.0, 50.0, 800.0]), np.array([1.0, 0.0, 1.0, 0.0])),
        gradcheck=False),
]
