"""Classification metrics on concrete values (Tensors, NumPy arrays or lists).

Predictions are class labels, or scores/logits with one more (last) dimension than the targets,
reduced by argmax. precision_recall_fscore follows scikit-learn's precision_recall_fscore_support
with zero_division=0. Metrics read values, so they run outside compiled functions.
"""
import numpy as np

from graphgrad.tensor import Tensor

__all__ = ["accuracy", "confusion_matrix", "precision_recall_fscore"]


def _values(x, name, fn):
    if isinstance(x, Tensor):
        return np.asarray(x._concrete(f"{fn}()"))
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: {name} must be numeric, got dtype {arr.dtype}")
    return arr


def _labels(pred, target, fn, threshold=None):
    """-> (predicted labels, target labels), both int64 and of the same shape."""
    p, t = _values(pred, "pred", fn), _values(target, "target", fn)
    if t.dtype.kind == "f":
        if not np.all(np.isfinite(t)) or np.any(t != np.round(t)):
            raise ValueError(f"{fn}: target must hold integer class labels")
    if threshold is not None:
        p = p > threshold
    elif p.ndim == t.ndim + 1:
        if p.shape[:-1] != t.shape:
            raise ValueError(f"{fn}: scores of shape {p.shape} do not fit targets of shape "
                             f"{t.shape} (expected {t.shape + (p.shape[-1],)})")
        if p.shape[-1] == 0:
            raise ValueError(f"{fn}: scores have zero classes (shape {p.shape})")
        p = p.argmax(axis=-1)
    elif p.shape != t.shape:
        raise ValueError(f"{fn}: pred of shape {p.shape} and target of shape {t.shape} do not "
                         "match; pass labels of the target's shape or scores with one more "
                         "(class) dimension")
    elif p.dtype.kind == "f" and (not np.all(np.isfinite(p)) or np.any(p != np.round(p))):
        raise ValueError(f"{fn}: pred has the target's shape {p.shape} but non-integer values; "
                         "pass class labels, (N, C) scores, or threshold= for binary scores")
    p, t = p.astype(np.int64).reshape(-1), t.astype(np.int64).reshape(-1)
    if p.size == 0:
        raise ValueError(f"{fn}: no samples (empty pred and target)")
    return p, t


def accuracy(pred, target, threshold=None):
    """Fraction of correct predictions, a Python float. `pred`: labels of the target's shape,
    or scores/logits (N, C) (argmax taken), or binary scores with `threshold=` (pred > it)."""
    p, t = _labels(pred, target, "accuracy", threshold)
    return float(np.mean(p == t))


def _num_classes(p, t, num_classes, fn):
    low = min(p.min(), t.min())
    if low < 0:
        raise ValueError(f"{fn}: class labels must be non-negative, found {low}")
    high = int(max(p.max(), t.max()))
    if num_classes is None:
        return high + 1
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or \
            num_classes < 1:
        raise ValueError(f"{fn}: num_classes must be a positive integer, got {num_classes!r}")
    if high >= num_classes:
        raise ValueError(f"{fn}: found class label {high}, but num_classes={num_classes}")
    return int(num_classes)


def confusion_matrix(pred, target, num_classes=None):
    """(C, C) int64 NumPy array: entry [i, j] counts samples of true class i predicted as j
    (scikit-learn's orientation). C is num_classes, or the largest label + 1."""
    p, t = _labels(pred, target, "confusion_matrix")
    c = _num_classes(p, t, num_classes, "confusion_matrix")
    return np.bincount(t * c + p, minlength=c * c).reshape(c, c).astype(np.int64)


def _divide(num, den):
    """num / den, 0 where den == 0 (scikit-learn's zero_division=0)."""
    num, den = np.asarray(num, np.float64), np.asarray(den, np.float64)
    out = np.zeros(np.broadcast(num, den).shape)
    np.divide(num, den, out=out, where=den != 0)
    return out


def precision_recall_fscore(pred, target, average="macro", num_classes=None, beta=1.0,
                            pos_label=1):
    """Precision, recall, F-beta and support, like scikit-learn's
    precision_recall_fscore_support(zero_division=0).

    average: None (per-class NumPy arrays), 'macro' (unweighted class mean), 'weighted'
    (mean weighted by support), 'micro' (global counts) or 'binary' (the `pos_label` class).
    Classes are 0..num_classes-1 when num_classes is given, else the labels present in pred or
    target (as scikit-learn does). Returns (precision, recall, fscore, support); support is the
    per-class count of true samples for average=None and None otherwise.
    """
    if average not in (None, "macro", "micro", "weighted", "binary"):
        raise ValueError(f"precision_recall_fscore: average must be None, 'macro', 'micro', "
                         f"'weighted' or 'binary', got {average!r}")
    if beta < 0:
        raise ValueError(f"precision_recall_fscore: beta must be >= 0, got {beta}")
    p, t = _labels(pred, target, "precision_recall_fscore")
    c = _num_classes(p, t, num_classes, "precision_recall_fscore")
    if average == "binary":
        c = max(c, pos_label + 1)
    cm = np.bincount(t * c + p, minlength=c * c).reshape(c, c)
    if num_classes is None:
        labels = np.union1d(p, t)
    else:
        labels = np.arange(c)
    if average == "binary":
        present = np.union1d(p, t)
        if len(present) > 2 or not set(present.tolist()) <= {0, pos_label}:
            raise ValueError(f"precision_recall_fscore: average='binary' needs labels in "
                             f"{{0, {pos_label}}}, found {present.tolist()}; choose another "
                             "average")
        labels = np.array([pos_label])
    tp = np.diag(cm)[labels]
    predicted = cm.sum(axis=0)[labels]
    support = cm.sum(axis=1)[labels]
    if average == "micro":
        tp, predicted, support = tp.sum(), predicted.sum(), support.sum()
    precision = _divide(tp, predicted)
    recall = _divide(tp, support)
    b2 = beta * beta
    fscore = _divide((1 + b2) * tp, (1 + b2) * tp + b2 * (support - tp) + (predicted - tp))
    if average is None:
        return precision, recall, fscore, support.astype(np.int64)
    if average == "weighted":
        total = support.sum()
        if total == 0:
            return 0.0, 0.0, 0.0, None
        weights = support / total
        return (float(precision @ weights), float(recall @ weights), float(fscore @ weights),
                None)
    return float(np.mean(precision)), float(np.mean(recall)), float(np.mean(fscore)), None
