"""What the example scripts share: BLAS threads, command-line flags, seeding, epoch reports.

Every example imports this module before NumPy: the BLAS thread counts are read when NumPy
loads. They default to the CPUs this process may use (a variable already set wins).
"""
import os

CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, str(CPUS))

import argparse
import statistics
import time

import numpy as np

import graphgrad as gg
import graphgrad.nn.functional as F
from graphgrad import optim
from graphgrad.train import Callback, Trainer
from graphgrad.utils.data import DataLoader, TensorDataset


def parser(doc, epochs, batch_size=None):
    """The flags every example takes: --epochs, --eager, --seed (and --batch-size, --limit)."""
    p = argparse.ArgumentParser(description=doc,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=epochs, help=f"default {epochs}")
    p.add_argument("--eager", action="store_true",
                   help="run the training step eagerly (default: one compiled graph)")
    p.add_argument("--seed", type=int, default=0, help="seeds graphgrad and the data order")
    if batch_size is not None:
        p.add_argument("--batch-size", type=int, default=batch_size,
                       help=f"default {batch_size}")
        p.add_argument("--limit", type=int, default=None, metavar="N",
                       help="use only N training and N test samples (a quick smoke run; "
                            "the accuracies quoted in the docstring use all of them)")
    return p


def start(args, what):
    """Seed everything and say what runs, in which mode, on how many threads."""
    gg.manual_seed(args.seed)
    np.random.seed(args.seed)
    mode = "eager" if args.eager else "compiled"
    print(f"{what}  [{mode}, seed {args.seed}, {os.environ['OMP_NUM_THREADS']} BLAS threads]",
          flush=True)


def limit(pair, n):
    """The first n samples of an (x, y) pair (all of them when n is None)."""
    x, y = pair
    return pair if n is None else (x[:n], y[:n])


def loaders(train, test, batch_size, seed):
    """Shuffled training batches (the last, smaller one dropped: one traced shape) and test
    batches in order."""
    n_train = len(train[1])
    return (DataLoader(TensorDataset(*train), batch_size=min(batch_size, n_train),
                       shuffle=True, drop_last=True, seed=seed),
            DataLoader(TensorDataset(*test), batch_size=max(batch_size, 500)))


class EpochReport(Callback):
    """Prints one line per epoch: training loss and accuracy, test loss and accuracy, the
    epoch's wall time and the CPU time of all the process's threads (on a busy machine the
    wall time grows while the CPU time stays)."""

    def on_train_begin(self, trainer):
        self.cpu = time.process_time()

    def on_epoch_end(self, trainer, epoch, logs):
        cpu, self.cpu = time.process_time() - self.cpu, time.process_time()
        line = f"epoch {epoch:3d}  loss {logs['loss']:.4f}  train acc {logs['accuracy']:.2%}"
        if "val_accuracy" in logs:
            line += f"  test loss {logs['val_loss']:.4f}  test acc {logs['val_accuracy']:.2%}"
        line += f"  lr {logs['lr']:.2e}  {logs['epoch_seconds']:.2f} s (cpu {cpu:.1f} s)"
        print(line, flush=True)


def summary(args, seconds, accuracy, n_test, unit="epoch", what="held-out samples",
            label="final test accuracy"):
    """The closing lines: final test accuracy and the time per epoch (the first one, which
    includes tracing and compiling, apart from the rest; the median of the others)."""
    mode = "eager" if args.eager else "compiled"
    scale, sym = (1e3, "ms") if unit == "step" else (1.0, "s")
    print(f"{label} {accuracy:.2%} on {n_test} {what}", flush=True)
    if len(seconds) > 1:
        later = statistics.median(seconds[1:]) * scale
        print(f"{mode}: {later:.3f} {sym} per {unit} (median of {unit}s 2-{len(seconds)}; "
              f"the first took {seconds[0] * scale:.3f} {sym}, tracing included); "
              f"total {sum(seconds):.1f} s", flush=True)
    elif seconds:
        print(f"{mode}: {seconds[0] * scale:.3f} {sym} per {unit} (one {unit}, tracing "
              "included)", flush=True)


class Timer:
    """`with Timer() as t: ...` then t.seconds."""

    def __enter__(self):
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._start


def fit_classifier(args, model, train, test, max_lr, weight_decay=1e-4, augment=None,
                   label_smoothing=0.0):
    """Train with AdamW and a one-cycle learning-rate schedule (stepped per batch) through
    graphgrad's Trainer, printing a line per epoch; returns the History.

    augment: a function (x batch, y batch, numpy Generator) -> (x, y) applied to every
    training batch before the (compiled) training step."""
    train_loader, test_loader = loaders(train, test, args.batch_size, args.seed)
    if augment is not None:
        train_loader = Augmented(train_loader, augment, args.seed)
    opt = optim.AdamW(model.parameters(), lr=max_lr, weight_decay=weight_decay)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, epochs=max(args.epochs, 1),
                                          steps_per_epoch=len(train_loader),
                                          cycle_momentum=False)

    def loss_fn(out, y):
        return F.cross_entropy(out, y, label_smoothing=label_smoothing)

    trainer = Trainer(model, loss_fn, opt, compile=not args.eager, scheduler=sched,
                      scheduler_interval="step", callbacks=[EpochReport()])
    history = trainer.fit(train_loader, test_loader, epochs=args.epochs)
    summary(args, history.epoch_seconds, history.val_accuracy[-1], len(test[1]))
    return history


class Augmented:
    """A loader whose batches pass through `fn(x, y, rng)` first."""

    def __init__(self, loader, fn, seed):
        self.loader, self.fn = loader, fn
        self.rng = np.random.default_rng(seed + 1)

    def __iter__(self):
        for x, y in self.loader:
            yield self.fn(x, y, self.rng)

    def __len__(self):
        return len(self.loader)


def train_full_batch(args, model, opt, train, test, scheduler=None, report_every=None):
    """Full-batch training (one step per "epoch") on small generated data: prints loss and
    test accuracy every `report_every` steps and returns (step seconds, accuracies, the first
    step after which the test accuracy was 100% or None)."""
    (x, y), (x_test, y_test) = train, test

    def train_step(xb, yb):
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    step = train_step if args.eager else gg.compile(train_step)
    every = report_every or max(args.epochs // 10, 1)
    seconds, accuracies, perfect = [], [], None
    for epoch in range(1, args.epochs + 1):
        with Timer() as t:
            loss = step(x, y).item()
        seconds.append(t.seconds)
        if scheduler is not None:
            scheduler.step()
        with gg.no_grad():
            accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
        accuracies.append(accuracy)
        if perfect is None and accuracy == 1.0:
            perfect = epoch
        if epoch % every == 0 or epoch == args.epochs:
            print(f"step {epoch:5d}  loss {loss:.4f}  test acc {accuracy:.2%}  "
                  f"{t.seconds * 1e3:.3f} ms", flush=True)
    return seconds, accuracies, perfect
