"""accuracy, confusion_matrix, precision_recall_fscore: hand-computed values and scikit-learn."""
import numpy as np
import pytest

import graphgrad as gg
from graphgrad.metrics import accuracy, confusion_matrix, precision_recall_fscore

# true:  0 0 0 1 1 2 2 2
# pred:  0 0 1 1 2 2 2 0
TARGET = [0, 0, 0, 1, 1, 2, 2, 2]
PRED = [0, 0, 1, 1, 2, 2, 2, 0]


def test_accuracy_from_labels_logits_and_thresholds():
    assert accuracy(PRED, TARGET) == 5 / 8
    logits = np.eye(3)[PRED] * 2.0 - 1.0                 # argmax == PRED
    assert accuracy(gg.tensor(logits.astype(np.float32)), gg.tensor(TARGET)) == 5 / 8
    assert accuracy(np.array([0.2, 0.9, 0.6]), [0, 1, 0], threshold=0.5) == pytest.approx(2 / 3)
    assert accuracy(gg.tensor([[1.0, 0.0], [0.0, 1.0]]), gg.tensor([[0], [1]])[:, 0]) == 1.0
    assert isinstance(accuracy(PRED, TARGET), float)


@pytest.mark.parametrize("pred, target, match", [
    (np.zeros((4, 3)), np.zeros(5, np.int64), "do not fit"),
    (np.zeros(4), np.zeros(5, np.int64), "do not match"),
    (np.array([0.3, 0.7]), [0, 1], "non-integer"),
    (np.zeros(0), np.zeros(0, np.int64), "no samples"),
    ([0, 1], [0.5, 1.0], "integer class labels"),
])
def test_accuracy_errors(pred, target, match):
    with pytest.raises(ValueError, match=match):
        accuracy(pred, target)


def test_confusion_matrix_by_hand():
    cm = confusion_matrix(PRED, TARGET)
    np.testing.assert_array_equal(cm, [[2, 1, 0],
                                       [0, 1, 1],
                                       [1, 0, 2]])
    assert cm.dtype == np.int64
    assert confusion_matrix(PRED, TARGET, num_classes=5).shape == (5, 5)
    with pytest.raises(ValueError, match="num_classes=2"):
        confusion_matrix(PRED, TARGET, num_classes=2)
    with pytest.raises(ValueError, match="non-negative"):
        confusion_matrix([0, -1], [0, 1])


def test_precision_recall_fscore_by_hand():
    # per class from the matrix above: tp = 2, 1, 2; predicted = 3, 2, 3; true = 3, 2, 3
    p, r, f, support = precision_recall_fscore(PRED, TARGET, average=None)
    np.testing.assert_allclose(p, [2 / 3, 1 / 2, 2 / 3])
    np.testing.assert_allclose(r, [2 / 3, 1 / 2, 2 / 3])
    np.testing.assert_allclose(f, [2 / 3, 1 / 2, 2 / 3])
    np.testing.assert_array_equal(support, [3, 2, 3])
    macro = precision_recall_fscore(PRED, TARGET, average="macro")
    np.testing.assert_allclose(macro[:3], [(2 / 3 * 2 + 1 / 2) / 3] * 3)
    assert macro[3] is None
    weighted = precision_recall_fscore(PRED, TARGET, average="weighted")
    np.testing.assert_allclose(weighted[:3], [(2 / 3 * 3 * 2 + 1 / 2 * 2) / 8] * 3)
    micro = precision_recall_fscore(PRED, TARGET, average="micro")
    np.testing.assert_allclose(micro[:3], [5 / 8] * 3)


def test_zero_division_is_zero_and_absent_classes():
    # class 1 is never predicted (precision 0/0 -> 0), class 3 appears only with num_classes
    p, r, f, _ = precision_recall_fscore([0, 0, 2], [0, 1, 2], average=None, num_classes=4)
    np.testing.assert_allclose(p, [0.5, 0.0, 1.0, 0.0])
    np.testing.assert_allclose(r, [1.0, 0.0, 1.0, 0.0])
    np.testing.assert_allclose(f, [2 / 3, 0.0, 1.0, 0.0])
    # without num_classes only labels present in pred or target count (scikit-learn's rule)
    macro = precision_recall_fscore([0, 0, 2], [0, 1, 2])[0]
    assert macro == pytest.approx((0.5 + 0.0 + 1.0) / 3)
    binary = precision_recall_fscore([1, 0, 1, 1], [1, 1, 0, 1], average="binary")
    np.testing.assert_allclose(binary[:3], [2 / 3, 2 / 3, 2 / 3])
    with pytest.raises(ValueError, match="binary"):
        precision_recall_fscore(PRED, TARGET, average="binary")
    with pytest.raises(ValueError, match="average"):
        precision_recall_fscore(PRED, TARGET, average="samples")


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("average", [None, "macro", "micro", "weighted"])
def test_matches_sklearn(average):
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    for _ in range(60):
        n, k = int(rng.integers(1, 40)), int(rng.integers(1, 6))
        target = rng.integers(0, k, n)
        pred = np.where(rng.random(n) < 0.5, target, rng.integers(0, k, n))
        for num_classes in (None, k + 1):
            labels = None if num_classes is None else np.arange(num_classes)
            ours = precision_recall_fscore(pred, target, average=average,
                                           num_classes=num_classes)
            theirs = sk.precision_recall_fscore_support(target, pred, average=average,
                                                        labels=labels, zero_division=0)
            for a, b in zip(ours[:3], theirs[:3]):
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
            if average is None:
                np.testing.assert_array_equal(ours[3], theirs[3])
        np.testing.assert_array_equal(confusion_matrix(pred, target, num_classes=k),
                                      sk.confusion_matrix(target, pred, labels=np.arange(k)))
        assert accuracy(pred, target) == pytest.approx(sk.accuracy_score(target, pred))
    binary_t, binary_p = rng.integers(0, 2, 30), rng.integers(0, 2, 30)
    np.testing.assert_allclose(
        precision_recall_fscore(binary_p, binary_t, average="binary")[:3],
        sk.precision_recall_fscore_support(binary_t, binary_p, average="binary",
                                           zero_division=0)[:3])


def test_metrics_refuse_traced_values():
    @gg.compile
    def f(x, y):
        return accuracy(x, y)

    with pytest.raises(gg.TraceError):
        f(gg.zeros(4, 2), gg.zeros(4, dtype=gg.int64))
