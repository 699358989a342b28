"""graphgrad.optim.lr_scheduler: torch.optim.lr_scheduler's schedulers. They write
`param_group['lr']` (and momentum / beta1 for the cyclic ones), which a compiled training step
reads as runtime inputs: a schedule never causes a retrace."""
from graphgrad.optim.lr_scheduler.base import LRScheduler, _LRScheduler  # noqa: F401
from graphgrad.optim.lr_scheduler.combined import ChainedScheduler, SequentialLR
from graphgrad.optim.lr_scheduler.cyclic import (CosineAnnealingWarmRestarts, CyclicLR,
                                                 OneCycleLR)
from graphgrad.optim.lr_scheduler.decay import (ConstantLR, CosineAnnealingLR, ExponentialLR,
                                                LambdaLR, LinearLR, MultiplicativeLR,
                                                MultiStepLR, PolynomialLR, StepLR)
from graphgrad.optim.lr_scheduler.plateau import ReduceLROnPlateau

__all__ = ["LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
           "ExponentialLR", "SequentialLR", "CosineAnnealingLR", "ChainedScheduler",
           "ReduceLROnPlateau", "CyclicLR", "CosineAnnealingWarmRestarts", "OneCycleLR",
           "PolynomialLR", "LRScheduler"]
