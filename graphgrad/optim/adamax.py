"""Adamax (Kingma & Ba 2015, section 7), torch.optim.Adamax's update: Adam with the infinity
norm in place of the second moment."""
import numpy as np

from graphgrad import ops
from graphgrad.optim._common import (ScalarStateMixin, as_dtype, check, check_betas,
                                     check_impl_flags, check_lr, scalar_state)
from graphgrad.optim.optimizer import Optimizer


class Adamax(ScalarStateMixin, Optimizer):
    state_names = ("step", "exp_avg", "exp_inf")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        check_lr("Adamax", lr)
        check("Adamax", "epsilon value", eps, 0.0 <= eps, ">= 0")
        betas = check_betas("Adamax", betas)
        check("Adamax", "weight_decay value", weight_decay, 0.0 <= weight_decay, ">= 0")
        check_impl_flags("Adamax", foreach, None, differentiable)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, capturable=capturable))

    def _update_group(self, group):
        eps = self._hyper(group, "eps")
        weight_decay = self._hyper(group, "weight_decay")
        maximize = self._hyper(group, "maximize")
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            if maximize:
                g = -g
            lr = self._runtime(group, "lr", np.float64)
            beta1 = self._runtime(group, "betas", np.float64, item=0)
            beta2 = self._runtime(group, "betas", np.float64, item=1)
            step = scalar_state(self, p, "step")
            exp_avg = self._state_tensor(p, "exp_avg")
            exp_inf = self._state_tensor(p, "exp_inf")
            step.add_(1.0)
            if weight_decay:
                g = g + weight_decay * p
            exp_avg.lerp_(g, as_dtype(1.0 - beta1, p.dtype))
            exp_inf.copy_(ops.maximum(exp_inf * as_dtype(beta2, p.dtype), ops.abs(g) + eps))
            bias_correction = 1.0 - ops.pow(beta1, step.astype(np.float64))
            clr = (lr / bias_correction).astype(p.dtype)
            p.sub_(clr * exp_avg / exp_inf)
