"""A small training loop: Trainer.fit / evaluate / predict, History, EarlyStopping, Checkpoint.

With compile=True the whole training step (zero_grad, forward, loss, backward, optimizer step)
is one `gg.compile`d function: it is traced once per batch shape (a smaller last batch adds one
trace) and the learning rate is a runtime input, so schedulers never retrace.

    trainer = Trainer(model, F.cross_entropy, optim.Adam(model.parameters(), lr=1e-2),
                      callbacks=[EarlyStopping(patience=5), Checkpoint("best.ckpt")])
    history = trainer.fit(train_loader, val_loader, epochs=20)
    history.val_loss[-1], history.history["accuracy"]
    trainer.fit(train_loader, val_loader, epochs=30, resume_from="best.ckpt")  # go on

Epochs are numbered from 1. A checkpoint holds the model, optimizer, scheduler, history,
callback states, graphgrad's random generator and the train loader's shuffling generator, so
resuming continues exactly as uninterrupted training would.
"""
import math
import sys
import time

import numpy as np

from graphgrad import metrics as _metrics
from graphgrad import rng as _rng
from graphgrad.compiler import compile as _compile
from graphgrad.modes import no_grad
from graphgrad.errors import CheckpointError
from graphgrad.optim.lr_scheduler import ReduceLROnPlateau
from graphgrad.serialization import load, save
from graphgrad.tensor import Tensor

__all__ = ["Trainer", "History", "Callback", "EarlyStopping", "Checkpoint", "METRICS"]

METRICS = {
    "accuracy": _metrics.accuracy,
    "precision": lambda out, y: _metrics.precision_recall_fscore(out, y, "macro")[0],
    "recall": lambda out, y: _metrics.precision_recall_fscore(out, y, "macro")[1],
    "f1": lambda out, y: _metrics.precision_recall_fscore(out, y, "macro")[2],
}


class History:
    """Per-epoch logs: `history.history` is a dict of lists (Keras style: loss, val_loss,
    accuracy, val_accuracy, lr, epoch_seconds, ...); `history.loss` reads one list."""

    def __init__(self):
        self.epoch = []
        self.history = {}

    def append(self, epoch, logs):
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def __getattr__(self, name):
        history = self.__dict__.get("history", {})
        if name in history:
            return history[name]
        raise AttributeError(f"History has no {name!r}; logged: {sorted(history)}")

    def __getitem__(self, key):
        return self.history[key]

    def __len__(self):
        return len(self.epoch)

    def state_dict(self):
        return {"epoch": list(self.epoch), "history": {k: list(v) for k, v in self.history.items()}}

    def load_state_dict(self, state):
        self.epoch = list(state["epoch"])
        self.history = {k: list(v) for k, v in state["history"].items()}

    def __repr__(self):
        last = {k: v[-1] for k, v in self.history.items() if v}
        return f"History({len(self)} epochs, last: {last})"


class Callback:
    """Hooks called by Trainer.fit. Set `trainer.stop_training = True` to stop after this
    epoch. Callbacks run in increasing `order` (Checkpoint last, so it saves their state)."""
    order = 0

    def on_train_begin(self, trainer):
        pass

    def on_epoch_end(self, trainer, epoch, logs):
        pass

    def on_train_end(self, trainer):
        pass

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass


def _resolve_mode(mode, monitor, who):
    if mode == "auto":
        return "min" if "loss" in monitor else "max"
    if mode not in ("min", "max"):
        raise ValueError(f"{who}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    return mode


def _monitored(logs, monitor, who):
    if monitor not in logs:
        hint = " (pass a val_loader, or monitor a training value)" if \
            monitor.startswith("val_") else ""
        raise ValueError(f"{who}: monitors {monitor!r}, which is not logged{hint}; logged: "
                         f"{sorted(logs)}")
    return logs[monitor]


class EarlyStopping(Callback):
    """Stop once `monitor` has not improved by more than `min_delta` for `patience` epochs;
    with restore_best_weights the model ends with the weights of its best epoch."""

    def __init__(self, monitor="val_loss", patience=0, min_delta=0.0, mode="auto",
                 restore_best_weights=True):
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an integer >= 0, got {patience!r}")
        self.monitor = monitor
        self.patience = patience
        self.min_delta = abs(min_delta)
        self.mode = _resolve_mode(mode, monitor, "EarlyStopping")
        self.restore_best_weights = restore_best_weights
        self._reset()

    def _reset(self):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = None
        self.best_state = None
        self.wait = 0
        self.stopped_epoch = None

    def on_train_begin(self, trainer):
        self._reset()

    def on_epoch_end(self, trainer, epoch, logs):
        value = _monitored(logs, self.monitor, "EarlyStopping")
        if self.mode == "min":
            improved = value < self.best - self.min_delta
        else:
            improved = value > self.best + self.min_delta
        if improved:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_state = {k: np.array(v.numpy())
                                   for k, v in trainer.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            trainer.stop_training = True

    def on_train_end(self, trainer):
        last = trainer.history.epoch[-1] if len(trainer.history) else None
        if self.restore_best_weights and self.best_state is not None and self.best_epoch != last:
            trainer.model.load_state_dict(self.best_state)

    def state_dict(self):
        return {"best": self.best, "best_epoch": self.best_epoch, "best_state": self.best_state,
                "wait": self.wait, "stopped_epoch": self.stopped_epoch}

    def load_state_dict(self, state):
        self.__dict__.update(state)


class Checkpoint(Callback):
    """Save model, optimizer, scheduler, history and epoch with gg.save after every epoch, or
    only when `monitor` improves (save_best_only). `path` may hold "{epoch}" and log names,
    e.g. "ckpt/epoch{epoch:03d}.ckpt"."""
    order = 100

    def __init__(self, path, monitor="val_loss", save_best_only=False, mode="auto"):
        self.path = str(path)
        self.monitor = monitor
        self.save_best_only = save_best_only
        self.mode = _resolve_mode(mode, monitor, "Checkpoint")
        self.best = math.inf if self.mode == "min" else -math.inf
        self.last_path = None

    def on_epoch_end(self, trainer, epoch, logs):
        if self.save_best_only:
            value = _monitored(logs, self.monitor, "Checkpoint")
            better = value < self.best if self.mode == "min" else value > self.best
            if not better:
                return
            self.best = value
        path = self.path.format(epoch=epoch, **logs) if "{" in self.path else self.path
        trainer.save_checkpoint(path, epoch)
        self.last_path = path

    def state_dict(self):
        return {"best": self.best}

    def load_state_dict(self, state):
        self.best = state["best"]


def _progress_bar(enabled, loader, desc):
    if enabled is None:
        enabled = hasattr(sys.stdout, "isatty") and sys.stdout.isatty()
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    total = len(loader) if hasattr(loader, "__len__") else None
    return tqdm(total=total, desc=desc, leave=True, dynamic_ncols=True, file=sys.stdout)


def _show(bar, logs):
    if bar is not None:
        bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items()})


def _split_batch(batch):
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    raise ValueError(f"Trainer: a batch must be an (inputs, targets) pair, got "
                     f"{type(batch).__name__}" + (f" of {len(batch)} items"
                                                  if isinstance(batch, (tuple, list)) else ""))


def _binary_threshold(loss_fn):
    """0.5 for a loss on probabilities, 0.0 for one on logits, None if not a binary loss."""
    from graphgrad.nn import BCELoss, BCEWithLogitsLoss
    from graphgrad.nn.functional import (binary_cross_entropy,
                                         binary_cross_entropy_with_logits)
    if isinstance(loss_fn, BCEWithLogitsLoss) or loss_fn is binary_cross_entropy_with_logits:
        return 0.0
    if isinstance(loss_fn, BCELoss) or loss_fn is binary_cross_entropy:
        return 0.5
    return None


def _thresholded(metric, threshold):
    """A classification metric of binary scores: class 1 where the score > threshold."""
    def binary(out, y):
        return metric(np.asarray(out) > threshold, y)
    binary.__name__ = getattr(metric, "__name__", "metric")
    return binary


def _batch_size(y):
    return y.shape[0] if isinstance(y, Tensor) and y.ndim else 1


class Trainer:
    """Fit `model` on batches of (inputs, targets) with `loss_fn(model(inputs), targets)`.

    compile: run the training step as one compiled function (eager when False).
    scheduler: stepped after every epoch (ReduceLROnPlateau with val_loss, or loss without a
    val_loader); scheduler_interval="step" steps it after every batch instead (OneCycleLR).
    metrics: names from METRICS ("accuracy", "precision", "recall", "f1") or callables
    f(outputs, targets) -> float, computed on the whole epoch's outputs. With a binary loss
    (BCELoss / binary_cross_entropy: probabilities; BCEWithLogitsLoss /
    binary_cross_entropy_with_logits: logits) the named metrics threshold the outputs at 0.5
    (probabilities) or 0 (logits): the class is output > threshold.
    callbacks: EarlyStopping, Checkpoint or other Callback objects.
    progress: a tqdm bar per epoch (None: only when stdout is a terminal; needs tqdm).
    """

    def __init__(self, model, loss_fn, optimizer, *, compile=True, scheduler=None,
                 metrics=("accuracy",), callbacks=(), progress=None, scheduler_interval="epoch"):
        if not all(hasattr(model, a) for a in ("__call__", "train", "state_dict",
                                                "load_state_dict")):
            raise TypeError(f"Trainer: model must be an nn.Module, got {type(model).__name__}")
        if not callable(loss_fn):
            raise TypeError(f"Trainer: loss_fn must be callable, got {type(loss_fn).__name__}")
        if scheduler_interval not in ("epoch", "step"):
            raise ValueError(f"Trainer: scheduler_interval must be 'epoch' or 'step', got "
                             f"{scheduler_interval!r}")
        if scheduler_interval == "step" and isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError("Trainer: ReduceLROnPlateau needs a metric, step it per epoch")
        self.model = model
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.scheduler_interval = scheduler_interval
        self.metrics = {}
        threshold = _binary_threshold(loss_fn)
        for m in metrics:
            if isinstance(m, str):
                if m not in METRICS:
                    raise ValueError(f"Trainer: unknown metric {m!r}; known: {sorted(METRICS)} "
                                     "(or pass a callable)")
                self.metrics[m] = METRICS[m] if threshold is None else \
                    _thresholded(METRICS[m], threshold)
            elif callable(m):
                self.metrics[getattr(m, "__name__", type(m).__name__)] = m
            else:
                raise TypeError(f"Trainer: a metric must be a name or a callable, got {m!r}")
        self.callbacks = sorted(callbacks, key=lambda cb: cb.order)
        self.progress = progress
        self.compiled = compile
        self.history = History()
        self.stop_training = False
        self._train_loader = None
        step, evaluate, forward = self._train_step, self._eval_step, self._forward
        self.train_step = _compile(step) if compile else step
        self.eval_step = _compile(evaluate) if compile else evaluate
        self.predict_step = _compile(forward) if compile else forward

    # -- the steps (compiled as a whole) ----------------------------------------------------------
    def _forward(self, x):
        return self.model(*x) if isinstance(x, (tuple, list)) else self.model(x)

    def _train_step(self, x, y):
        self.optimizer.zero_grad()
        out = self._forward(x)
        loss = self.loss_fn(out, y)
        loss.backward()
        self.optimizer.step()
        return (loss.detach(), out.detach()) if self.metrics else (loss.detach(), None)

    def _eval_step(self, x, y):
        out = self._forward(x)
        return self.loss_fn(out, y), out

    # -- epochs -----------------------------------------------------------------------------------
    def _run_epoch(self, loader, train, bar=None):
        total, count, outs, targets = 0.0, 0, [], []
        for batch in loader:
            x, y = _split_batch(batch)
            if train:
                loss, out = self.train_step(x, y)
                if self.scheduler is not None and self.scheduler_interval == "step":
                    self.scheduler.step()
            else:
                with no_grad():
                    loss, out = self.eval_step(x, y)
            n = _batch_size(y)
            total += loss.item() * n
            count += n
            if self.metrics:
                outs.append(np.asarray(out.numpy()))
                targets.append(np.asarray(y.numpy() if isinstance(y, Tensor) else y))
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{total / count:.4g}", refresh=False)
        if count == 0:
            raise ValueError("Trainer: the loader yielded no batches")
        logs = {"loss": total / count}
        if self.metrics:
            out_all, y_all = np.concatenate(outs), np.concatenate(targets)
            for name, fn in self.metrics.items():
                logs[name] = float(fn(out_all, y_all))
        return logs

    def _evaluate(self, loader, bar=None):
        was_training = self.model.training
        self.model.train(False)
        try:
            return self._run_epoch(loader, False, bar)
        finally:
            self.model.train(was_training)

    def evaluate(self, loader):
        """Loss and metrics over `loader` in eval mode without gradients: a dict."""
        bar = _progress_bar(self.progress, loader, "evaluate")
        try:
            logs = self._evaluate(loader, bar)
            _show(bar, logs)
            return logs
        finally:
            if bar is not None:
                bar.close()

    def fit(self, train_loader, val_loader=None, epochs=1, resume_from=None):
        """Train up to epoch `epochs` (counted from 1) and return the History. resume_from:
        a checkpoint written by Checkpoint / save_checkpoint; training goes on after its epoch
        (the returned History holds the earlier epochs too)."""
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
            raise ValueError(f"Trainer.fit: epochs must be an integer >= 0, got {epochs!r}")
        self._train_loader = train_loader
        self.stop_training = False
        for cb in self.callbacks:
            cb.on_train_begin(self)
        done = 0
        if resume_from is not None:
            done = self.load_checkpoint(resume_from)
        else:
            self.history = History()
        was_training = self.model.training
        try:
            for epoch in range(done + 1, epochs + 1):
                start = time.perf_counter()
                lr = self.optimizer.param_groups[0]["lr"]
                self.model.train()
                bar = _progress_bar(self.progress, train_loader, f"epoch {epoch}/{epochs}")
                try:
                    logs = self._run_epoch(train_loader, True, bar)
                    if val_loader is not None:
                        val = self._evaluate(val_loader)
                        logs.update({f"val_{k}": v for k, v in val.items()})
                    _show(bar, logs)
                finally:
                    if bar is not None:
                        bar.close()
                logs["lr"] = lr
                if self.scheduler is not None and self.scheduler_interval == "epoch":
                    if isinstance(self.scheduler, ReduceLROnPlateau):
                        self.scheduler.step(logs.get("val_loss", logs["loss"]))
                    else:
                        self.scheduler.step()
                logs["epoch_seconds"] = time.perf_counter() - start
                self.history.append(epoch, logs)
                for cb in self.callbacks:
                    cb.on_epoch_end(self, epoch, logs)
                if self.stop_training:
                    break
            for cb in self.callbacks:
                cb.on_train_end(self)
        finally:
            self.model.train(was_training)
        return self.history

    def predict(self, x, batch_size=None):
        """Model outputs for `x` (a tensor, an array, or a loader of inputs or (inputs, targets)
        batches) in eval mode without gradients, as one tensor."""
        if hasattr(x, "__iter__") and not isinstance(x, (Tensor, np.ndarray, list, tuple)):
            batches = [b[0] if isinstance(b, (tuple, list)) else b for b in x]
        else:
            x = x if isinstance(x, Tensor) else Tensor(x)
            step = x.shape[0] if batch_size is None else batch_size
            batches = [x[i:i + step] for i in range(0, max(x.shape[0], 1), max(step, 1))]
        was_training = self.model.training
        self.model.train(False)
        try:
            with no_grad():
                outs = [np.asarray(self.predict_step(b).numpy()) for b in batches]
        finally:
            self.model.train(was_training)
        return Tensor._wrap(np.concatenate(outs) if len(outs) > 1 else outs[0])

    # -- checkpoints ------------------------------------------------------------------------------
    def save_checkpoint(self, path, epoch):
        loader = self._train_loader
        save({"format": "graphgrad.train", "epoch": epoch,
              "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
              "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
              "history": self.history.state_dict(),
              "callbacks": [cb.state_dict() for cb in self.callbacks],
              "rng": _rng.get_state(),
              "train_loader": loader.state_dict() if hasattr(loader, "state_dict") else None},
             path)

    def load_checkpoint(self, path):
        """Restore everything save_checkpoint wrote; returns the checkpoint's epoch. On an
        error the model is left as it was."""
        state = load(path)
        keys = {"format", "epoch", "model", "optimizer", "scheduler", "history", "callbacks",
                "rng", "train_loader"}
        if not isinstance(state, dict) or state.get("format") != "graphgrad.train" or \
                set(state) != keys:
            raise CheckpointError(f"{path}: not a Trainer checkpoint (gg.load reads plain "
                                  "checkpoints)")
        if len(state["callbacks"]) != len(self.callbacks):
            raise CheckpointError(f"{path}: saved with {len(state['callbacks'])} callbacks, "
                                  f"this Trainer has {len(self.callbacks)}")
        before = {k: v.numpy() for k, v in self.model.state_dict().items()}
        try:
            self.model.load_state_dict(state["model"])
            self.optimizer.load_state_dict(state["optimizer"])
        except Exception:
            self.model.load_state_dict(before)
            raise
        if self.scheduler is not None and state["scheduler"] is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        self.history.load_state_dict(state["history"])
        for cb, cb_state in zip(self.callbacks, state["callbacks"]):
            cb.load_state_dict(cb_state)
        _rng.set_state(state["rng"])
        loader = self._train_loader
        if state["train_loader"] is not None and hasattr(loader, "load_state_dict"):
            loader.load_state_dict(state["train_loader"])
        return state["epoch"]
