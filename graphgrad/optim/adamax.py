"""Adamax (Kingma & Ba 2015, section 7), torch.optim.Adamax's update: Adam with the infinity
norm in place of the second moment."""
import numpy as np

from graphgrad import ops
from graphgrad.modes import active_recorder, anomaly_enabled
from graphgrad.optim._common import (ScalarStateMixin, as_dtype, bump, check, check_betas,
                                     check_impl_flags, check_lr, eager_grad, eager_state,
                                     lerp_into, scalar_state)
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
        eager = active_recorder() is None and not anomaly_enabled()
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            if eager and self._eager_update(p, g, group, eps, weight_decay, maximize):
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

    def _eager_update(self, p, g, group, eps, weight_decay, maximize):
        """The update above on the arrays (see _common.eager_state). False (nothing done) for
        what it does not cover, which takes the general path."""
        lr, betas = dict.__getitem__(group, "lr"), dict.__getitem__(group, "betas")
        started = eager_state(self, p, g, (lr, eps, weight_decay, *betas), ("exp_avg", "exp_inf"))
        if started is None:
            return False
        (exp_avg, exp_inf), data, gd, sd, (m, u) = started
        dtype, f64 = data.dtype, np.dtype(np.float64)
        beta1, beta2 = betas
        gd = eager_grad(p, data, gd, maximize, weight_decay)
        lerp_into(exp_avg, m, gd, 1.0 - beta1)
        np.copyto(u, np.maximum(np.multiply(u, np.asarray(beta2, dtype)),
                                np.add(np.abs(gd), np.asarray(eps, dtype))))
        bump(exp_inf)
        correction = np.subtract(np.asarray(1.0, f64),
                                 np.power(np.asarray(beta1, f64), sd.astype(f64)))
        clr = np.divide(np.asarray(lr, f64), correction).astype(dtype)
        np.copyto(data, np.subtract(data, np.divide(np.multiply(clr, m), u)))
        bump(p)
        return True
