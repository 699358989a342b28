"""Adagrad (Duchi et al. 2011), torch.optim.Adagrad's update: the state (step, sum) exists
from construction, as in torch."""
import numpy as np

from graphgrad import ops
from graphgrad.modes import active_recorder, anomaly_enabled
from graphgrad.optim._common import (ScalarStateMixin, bump, check, check_impl_flags, check_lr,
                                     eager_grad, eager_state, scalar_state)
from graphgrad.optim.optimizer import Optimizer


class Adagrad(ScalarStateMixin, Optimizer):
    state_names = ("step", "sum")

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None):
        check_lr("Adagrad", lr)
        check("Adagrad", "lr_decay value", lr_decay, 0.0 <= lr_decay, ">= 0")
        check("Adagrad", "weight_decay value", weight_decay, 0.0 <= weight_decay, ">= 0")
        check("Adagrad", "initial_accumulator_value value", initial_accumulator_value,
              0.0 <= initial_accumulator_value, ">= 0")
        check("Adagrad", "epsilon value", eps, 0.0 <= eps, ">= 0")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, fused=fused))
        check_impl_flags("Adagrad", foreach, fused, differentiable)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(group, p)

    def _init_state(self, group, p):
        value = group["initial_accumulator_value"]
        return (scalar_state(self, p, "step"),
                self._state_tensor(p, "sum", init=lambda p: ops.full_like(p, value)))

    def share_memory(self):
        """torch moves the sums to shared memory for multiprocessing; graphgrad's state is
        NumPy memory of this process: nothing to do."""

    def _update_group(self, group):
        lr_decay = self._hyper(group, "lr_decay")
        eps = self._hyper(group, "eps")
        weight_decay = self._hyper(group, "weight_decay")
        maximize = self._hyper(group, "maximize")
        eager = active_recorder() is None and not anomaly_enabled() and not lr_decay
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            if eager and self._eager_update(p, g, group, eps, weight_decay, maximize):
                continue
            step, state_sum = self._init_state(group, p)
            step.add_(1.0)
            if maximize:
                g = -g
            if weight_decay:
                g = g + weight_decay * p
            if lr_decay:
                # torch's Python-float clr = lr / (1 + (step - 1) * lr_decay)
                lr = self._runtime(group, "lr", np.float64)
                clr = (lr / (1.0 + (step.astype(np.float64) - 1.0) * lr_decay)).astype(p.dtype)
            else:
                clr = self._lr(group, p.dtype)
            state_sum.copy_(state_sum + g * g)
            std = ops.sqrt(state_sum) + eps
            p.sub_(clr * g / std)

    def _eager_update(self, p, g, group, eps, weight_decay, maximize):
        """The update above on the arrays (see _common.eager_state), without lr_decay. False
        (nothing done) for what it does not cover, which takes the general path."""
        lr = dict.__getitem__(group, "lr")
        self._init_state(group, p)          # made at construction: found here
        started = eager_state(self, p, g, (lr, eps, weight_decay), ("sum",))
        if started is None:
            return False
        (state_sum,), data, gd, _, (total,) = started
        dtype = data.dtype
        gd = eager_grad(p, data, gd, maximize, weight_decay)
        np.copyto(total, np.add(total, np.multiply(gd, gd)))
        bump(state_sum)
        std = np.add(np.sqrt(total), np.asarray(eps, dtype))
        np.copyto(data, np.subtract(data, np.divide(np.multiply(np.asarray(lr, dtype), gd), std)))
        bump(p)
        return True
