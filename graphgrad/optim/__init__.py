"""graphgrad.optim: optimizers written with graphgrad ops (traceable) and LR schedulers."""
from graphgrad.optim import lr_scheduler  # noqa: F401
from graphgrad.optim.adam import Adam, AdamW
from graphgrad.optim.optimizer import Optimizer
from graphgrad.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "lr_scheduler"]
