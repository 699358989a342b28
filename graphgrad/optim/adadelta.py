"""Adadelta (Zeiler 2012), torch.optim.Adadelta's update."""
import numpy as np

from graphgrad import ops
from graphgrad.modes import active_recorder, anomaly_enabled
from graphgrad.optim._common import (ScalarStateMixin, bump, check, check_impl_flags, check_lr,
                                     eager_grad, eager_state, scalar_state)
from graphgrad.optim.optimizer import Optimizer


class Adadelta(ScalarStateMixin, Optimizer):
    state_names = ("step", "square_avg", "acc_delta")

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        check_lr("Adadelta", lr)
        check("Adadelta", "rho value", rho, 0.0 <= rho <= 1.0, "in [0, 1]")
        check("Adadelta", "epsilon value", eps, 0.0 <= eps, ">= 0")
        check("Adadelta", "weight_decay value", weight_decay, 0.0 <= weight_decay, ">= 0")
        check_impl_flags("Adadelta", foreach, None, differentiable)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, capturable=capturable, foreach=foreach,
                                      differentiable=differentiable))

    def _update_group(self, group):
        rho = self._hyper(group, "rho")
        eps = self._hyper(group, "eps")
        weight_decay = self._hyper(group, "weight_decay")
        maximize = self._hyper(group, "maximize")
        eager = active_recorder() is None and not anomaly_enabled()
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            if eager and self._eager_update(p, g, group, rho, eps, weight_decay, maximize):
                continue
            step = scalar_state(self, p, "step")
            square_avg = self._state_tensor(p, "square_avg")
            acc_delta = self._state_tensor(p, "acc_delta")
            step.add_(1.0)
            if maximize:
                g = -g
            if weight_decay:
                g = g + weight_decay * p
            square_avg.copy_(square_avg * rho + (1.0 - rho) * g * g)
            std = ops.sqrt(square_avg + eps)
            delta = ops.sqrt(acc_delta + eps) / std * g
            acc_delta.copy_(acc_delta * rho + (1.0 - rho) * delta * delta)
            p.sub_(self._lr(group, p.dtype) * delta)

    def _eager_update(self, p, g, group, rho, eps, weight_decay, maximize):
        """The update above on the arrays (see _common.eager_state). False (nothing done) for
        what it does not cover, which takes the general path."""
        lr = dict.__getitem__(group, "lr")
        started = eager_state(self, p, g, (lr, rho, eps, weight_decay),
                              ("square_avg", "acc_delta"))
        if started is None:
            return False
        (square_avg, acc_delta), data, gd, _, (sa, acc) = started
        dtype = data.dtype
        gd = eager_grad(p, data, gd, maximize, weight_decay)
        rho_, keep, eps_ = (np.asarray(v, dtype) for v in (rho, 1.0 - rho, eps))
        np.copyto(sa, np.add(np.multiply(sa, rho_), np.multiply(np.multiply(keep, gd), gd)))
        bump(square_avg)
        std = np.sqrt(np.add(sa, eps_))
        delta = np.multiply(np.divide(np.sqrt(np.add(acc, eps_)), std), gd)
        np.copyto(acc, np.add(np.multiply(acc, rho_), np.multiply(np.multiply(keep, delta),
                                                                   delta)))
        bump(acc_delta)
        np.copyto(data, np.subtract(data, np.multiply(np.asarray(lr, dtype), delta)))
        bump(p)
        return True
