"""Trainer: XOR to 100% with EarlyStopping and Checkpoint, exact resume, compiled == eager,
schedulers, metrics, History, predict/evaluate, progress bar and argument errors."""
import io
import sys

import numpy as np
import pytest

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad import datasets, nn, optim
from graphgrad.optim import lr_scheduler as S
from graphgrad.train import Callback, Checkpoint, EarlyStopping, History, Trainer
from graphgrad.utils.data import DataLoader, TensorDataset


def xor_loaders(shuffle=True):
    ds = TensorDataset(*datasets.xor())
    return DataLoader(ds, batch_size=2, shuffle=shuffle, seed=0), DataLoader(ds, batch_size=4)


def xor_trainer(compile=True, callbacks=(), seed=0, scheduler=None, **kwargs):
    gg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    opt = optim.Adam(model.parameters(), lr=0.05)
    sched = scheduler(opt) if scheduler else None
    return Trainer(model, F.cross_entropy, opt, compile=compile, callbacks=list(callbacks),
                   scheduler=sched, progress=False, **kwargs)


def test_xor_to_full_accuracy_with_early_stopping_and_checkpoint(tmp_path):
    stopper = EarlyStopping(monitor="val_loss", patience=5, min_delta=1e-3)
    saver = Checkpoint(tmp_path / "best.ckpt", monitor="val_accuracy", save_best_only=True)
    trainer = xor_trainer(callbacks=[saver, stopper])
    train, val = xor_loaders()
    history = trainer.fit(train, val, epochs=400)
    assert stopper.stopped_epoch is not None and len(history) == stopper.stopped_epoch < 400
    assert history.val_accuracy[-1] == 1.0
    assert trainer.evaluate(val)["accuracy"] == 1.0
    # the restored weights are the best epoch's: evaluating gives its val_loss again
    best = history.val_loss[stopper.best_epoch - 1]
    assert trainer.evaluate(val)["loss"] == pytest.approx(best, rel=1e-6)
    assert min(history.val_loss) >= best - 1e-3         # later gains stayed below min_delta
    pred = trainer.predict(datasets.xor()[0])
    assert pred.shape == (4, 2) and pred.numpy().argmax(1).tolist() == [0, 1, 1, 0]
    # whole-batch steps, two batches of 2 per epoch: one trace each for train and evaluate
    assert trainer.train_step.cache_info().traces == 1
    assert trainer.eval_step.cache_info().traces == 1
    saved = gg.load(tmp_path / "best.ckpt")
    assert saved["epoch"] == history.val_accuracy.index(1.0) + 1     # first epoch reaching 1.0


def test_resume_continues_exactly_like_uninterrupted_training(tmp_path):
    path = str(tmp_path / "epoch{epoch}.ckpt")
    stopper = EarlyStopping(monitor="val_loss", patience=3, min_delta=1e-2)
    full = xor_trainer(callbacks=[Checkpoint(path), stopper],
                       scheduler=lambda o: S.ExponentialLR(o, 0.98))
    train, val = xor_loaders()
    expected = full.fit(train, val, epochs=40)
    stop = len(expected)
    assert 10 < stop

    # a fresh process: other initial weights, a fresh loader, the checkpoint of epoch 10
    resumed = xor_trainer(callbacks=[Checkpoint(path), EarlyStopping(
        monitor="val_loss", patience=3, min_delta=1e-2)], seed=123,
        scheduler=lambda o: S.ExponentialLR(o, 0.98))
    train2, val2 = xor_loaders()
    got = resumed.fit(train2, val2, epochs=40, resume_from=tmp_path / "epoch10.ckpt")
    assert got.epoch == expected.epoch == list(range(1, stop + 1))
    for key in ("loss", "val_loss", "accuracy", "val_accuracy", "lr"):
        assert got[key] == expected[key], key
    for a, b in zip(full.model.parameters(), resumed.model.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("scheduler", [
    None,
    lambda o: S.CosineAnnealingLR(o, T_max=10),
    lambda o: S.ReduceLROnPlateau(o, patience=0, factor=0.5, threshold=0.2),
], ids=["none", "cosine", "plateau"])
def test_compiled_and_eager_histories_agree(scheduler):
    histories = []
    for compile in (True, False):
        trainer = xor_trainer(compile=compile, scheduler=scheduler)
        train, val = xor_loaders()
        histories.append(trainer.fit(train, val, epochs=15))
    compiled, eager = histories
    np.testing.assert_allclose(compiled.loss, eager.loss, rtol=2e-5)
    np.testing.assert_allclose(compiled.val_loss, eager.val_loss, rtol=2e-5)
    assert compiled.lr == eager.lr
    if scheduler is not None:
        assert len(set(compiled.lr)) > 1


def test_partial_last_batch_adds_one_trace_and_step_schedules():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((10, 3)).astype(np.float32)
    y = (x.sum(1) > 0).astype(np.int64)
    loader = DataLoader(TensorDataset(gg.tensor(x), gg.tensor(y)), batch_size=4, shuffle=True,
                        seed=1)
    gg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = S.OneCycleLR(opt, max_lr=0.5, epochs=5, steps_per_epoch=len(loader),
                         cycle_momentum=False)
    trainer = Trainer(model, F.cross_entropy, opt, scheduler=sched, scheduler_interval="step",
                      metrics=("accuracy", "f1"), progress=False)
    history = trainer.fit(loader, epochs=5)
    assert trainer.train_step.cache_info().traces == 2     # batches of 4 and of 2
    assert sched.last_epoch == 15 and len(set(history.lr)) == 5
    assert set(history.history) == {"loss", "accuracy", "f1", "lr", "epoch_seconds"}
    assert all(s >= 0 for s in history.epoch_seconds)


def test_history_access_and_custom_metric_and_callback():
    seen = []

    class Recorder(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            seen.append((epoch, sorted(logs)))
            if epoch == 3:
                trainer.stop_training = True

    def mean_output(out, y):
        return float(np.mean(out))

    trainer = xor_trainer(callbacks=[Recorder()], metrics=("accuracy", mean_output))
    train, val = xor_loaders()
    history = trainer.fit(train, val, epochs=10)
    assert len(history) == 3 and history.epoch == [1, 2, 3]
    assert history.history["mean_output"] == history.mean_output
    assert "val_mean_output" in history.history and "History(3 epochs" in repr(history)
    assert seen[0] == (1, sorted(history.history))
    with pytest.raises(AttributeError, match="logged"):
        getattr(history, "precision")
    assert isinstance(History(), History)


def test_monitoring_a_missing_value_is_a_clear_error():
    trainer = xor_trainer(callbacks=[EarlyStopping(monitor="val_loss")])
    train, _ = xor_loaders()
    with pytest.raises(ValueError, match="val_loss.*not logged.*val_loader"):
        trainer.fit(train, epochs=2)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(metrics=("auc",)), ValueError, "unknown metric 'auc'"),
    (dict(metrics=(3,)), TypeError, "metric"),
    (dict(scheduler_interval="batch"), ValueError, "scheduler_interval"),
])
def test_trainer_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        xor_trainer(**kwargs)


def test_bad_batches_and_checkpoints(tmp_path):
    with pytest.raises(TypeError, match="nn.Module"):
        Trainer(lambda x: x, F.cross_entropy, optim.SGD([gg.zeros(1, requires_grad=True)]))
    trainer = xor_trainer()
    with pytest.raises(ValueError, match="epochs"):
        trainer.fit([], epochs=-1)
    with pytest.raises(ValueError, match=r"\(inputs, targets\) pair"):
        trainer.fit([(gg.zeros(4, 2),)], epochs=1)
    gg.save({"model": {}}, tmp_path / "plain.ckpt")
    with pytest.raises(gg.CheckpointError, match="not a Trainer checkpoint"):
        trainer.fit(*xor_loaders(), epochs=2, resume_from=tmp_path / "plain.ckpt")
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=-1)


def test_progress_bar_only_on_request(monkeypatch):
    pytest.importorskip("tqdm")
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    xor_trainer().fit(*xor_loaders(), epochs=2)           # progress=False
    assert out.getvalue() == ""
    trainer = xor_trainer()
    trainer.progress = None                                 # automatic: StringIO is no TTY
    trainer.fit(*xor_loaders(), epochs=2)
    assert out.getvalue() == ""
    trainer.progress = True
    trainer.fit(*xor_loaders(), epochs=2)
    text = out.getvalue()
    assert "epoch 2/2" in text and "loss=" in text and "accuracy=" in text
