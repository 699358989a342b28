"""graphgrad.optim: optimizers written with graphgrad ops (traceable) and LR schedulers."""
from graphgrad.optim import lr_scheduler  # noqa: F401
from graphgrad.optim.adadelta import Adadelta
from graphgrad.optim.adagrad import Adagrad
from graphgrad.optim.adam import Adam, AdamW
from graphgrad.optim.adamax import Adamax
from graphgrad.optim.nadam import NAdam
from graphgrad.optim.optimizer import Optimizer
from graphgrad.optim.radam import RAdam
from graphgrad.optim.rmsprop import RMSprop
from graphgrad.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adadelta", "Adagrad", "RMSprop", "NAdam",
           "RAdam", "Adamax", "lr_scheduler"]
