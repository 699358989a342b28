"""Trainer with binary losses: the classic XOR network (sigmoid output (N, 1), float targets,
BCELoss) reports accuracy by thresholding probabilities at 0.5; BCEWithLogitsLoss thresholds
logits at 0; eagerly and compiled."""
import numpy as np
import pytest

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad import metrics, nn, optim
from graphgrad.train import Trainer
from graphgrad.utils.data import DataLoader, TensorDataset

X = gg.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = gg.tensor([[0.0], [1.0], [1.0], [0.0]])
LOSSES = {
    "BCELoss": (nn.BCELoss, True, 0.5),
    "binary_cross_entropy": (lambda: F.binary_cross_entropy, True, 0.5),
    "BCEWithLogitsLoss": (nn.BCEWithLogitsLoss, False, 0.0),
    "binary_cross_entropy_with_logits": (lambda: F.binary_cross_entropy_with_logits, False, 0.0),
}


def xor_fit(loss, sigmoid, compile, epochs=150):
    gg.manual_seed(0)
    layers = [nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)] + ([nn.Sigmoid()] if sigmoid else [])
    model = nn.Sequential(*layers)
    trainer = Trainer(model, loss, optim.SGD(model.parameters(), lr=0.5, momentum=0.9),
                      compile=compile, progress=False, metrics=("accuracy", "precision", "f1"))
    loader = DataLoader(TensorDataset(X, Y), batch_size=4)
    return trainer, trainer.fit(loader, loader, epochs=epochs)


@pytest.mark.parametrize("compile", [False, True], ids=["eager", "compiled"])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_classic_xor_reaches_full_accuracy(name, compile):
    make_loss, sigmoid, threshold = LOSSES[name]
    trainer, history = xor_fit(make_loss(), sigmoid, compile)
    assert history.loss[-1] < 0.05
    assert history.accuracy[-1] == history.val_accuracy[-1] == 1.0
    assert history.f1[-1] == history.precision[-1] == 1.0
    # the accuracy of every epoch is the thresholded one, as computed by hand
    out = trainer.predict(X).numpy()
    assert out.shape == (4, 1)
    assert ((out > threshold) == (Y.numpy() > 0.5)).all()
    early = history.accuracy[:5]
    assert all(a in (0.0, 0.25, 0.5, 0.75, 1.0) for a in early)


def test_thresholded_accuracy_counts_like_metrics_accuracy():
    trainer, history = xor_fit(nn.BCELoss(), True, compile=False, epochs=3)
    out = trainer.predict(X)
    expected = metrics.accuracy(out, Y, threshold=0.5)
    assert trainer.evaluate(DataLoader(TensorDataset(X, Y), batch_size=2))["accuracy"] == \
        expected


def test_other_losses_keep_the_class_label_accuracy():
    """Without a binary loss the outputs are labels or (N, C) scores: unchanged behaviour."""
    gg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    trainer = Trainer(model, F.cross_entropy, optim.Adam(model.parameters(), lr=0.05),
                      progress=False)
    y = gg.tensor(np.array([0, 1, 1, 0]))
    history = trainer.fit(DataLoader(TensorDataset(X, y), batch_size=4), epochs=120)
    assert history.accuracy[-1] == 1.0
