"""RAdam (Liu et al. 2019), torch.optim.RAdam's update: Adam whose adaptive step is switched
on, rectified, once the variance estimate is tractable (rho_t > 5). The switch depends on the
step count, a state tensor, so it is a `where` in the graph."""
import numpy as np

from graphgrad import ops
from graphgrad.modes import active_recorder, anomaly_enabled
from graphgrad.optim._common import (ScalarStateMixin, adam_moments, as_dtype, bump, check,
                                     check_betas, check_impl_flags, check_lr, eager_grad,
                                     eager_state, scalar_state)
from graphgrad.optim.optimizer import Optimizer


class RAdam(ScalarStateMixin, Optimizer):
    state_names = ("step", "exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        check_lr("RAdam", lr)
        check("RAdam", "epsilon value", eps, 0.0 <= eps, ">= 0")
        betas = check_betas("RAdam", betas)
        check("RAdam", "weight_decay value", weight_decay, 0.0 <= weight_decay, ">= 0")
        check_impl_flags("RAdam", foreach, None, differentiable)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, foreach=foreach,
                                      capturable=capturable,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      differentiable=differentiable))

    def _update_group(self, group):
        eps = self._hyper(group, "eps")
        weight_decay = self._hyper(group, "weight_decay")
        maximize = self._hyper(group, "maximize")
        decoupled = self._hyper(group, "decoupled_weight_decay") if weight_decay else False
        eager = active_recorder() is None and not anomaly_enabled()
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            if eager and self._eager_update(p, g, group, eps, weight_decay, decoupled,
                                            maximize):
                continue
            if maximize:
                g = -g
            lr = self._runtime(group, "lr", np.float64)
            beta1 = self._runtime(group, "betas", np.float64, item=0)
            beta2 = self._runtime(group, "betas", np.float64, item=1)
            step = scalar_state(self, p, "step")
            exp_avg = self._state_tensor(p, "exp_avg")
            exp_avg_sq = self._state_tensor(p, "exp_avg_sq")
            step.add_(1.0)
            t = step.astype(np.float64)
            if weight_decay:
                if decoupled:
                    p.mul_(as_dtype(1.0 - lr * weight_decay, p.dtype))
                else:
                    g = g + weight_decay * p
            exp_avg.lerp_(g, as_dtype(1.0 - beta1, p.dtype))
            exp_avg_sq.mul_(as_dtype(beta2, p.dtype)).addcmul_(
                g, g, value=as_dtype(1.0 - beta2, p.dtype))
            bias_correction1 = 1.0 - ops.pow(beta1, t)
            bias_correction2 = 1.0 - ops.pow(beta2, t)
            corrected = exp_avg / bias_correction1.astype(p.dtype)
            rho_inf = 2.0 / (1.0 - beta2) - 1.0
            rho_t = rho_inf - 2.0 * t * ops.pow(beta2, t) / bias_correction2
            rectify = rho_t > 5.0
            unadapted = corrected * as_dtype(lr, p.dtype)
            adaptive = ops.sqrt(bias_correction2).astype(p.dtype) / (ops.sqrt(exp_avg_sq) + eps)
            p.sub_(ops.where(rectify, unadapted * adaptive * _rect(rectify, rho_t, rho_inf)
                             .astype(p.dtype), unadapted))

    def _eager_update(self, p, g, group, eps, weight_decay, decoupled, maximize):
        """The update above on the arrays (see _common.eager_state), its float64 scalars
        computed as the 0-d ops above compute them. False (nothing done) for what it does not
        cover, which takes the general path."""
        lr, betas = dict.__getitem__(group, "lr"), dict.__getitem__(group, "betas")
        started = eager_state(self, p, g, (lr, eps, weight_decay, *betas),
                              ("exp_avg", "exp_avg_sq"))
        if started is None:
            return False
        (exp_avg, exp_avg_sq), data, gd, sd, (m, v) = started
        dtype, f64 = data.dtype, np.dtype(np.float64)
        beta1, beta2 = betas

        def c(x):
            return np.asarray(x, f64)

        t = sd.astype(f64)
        gd = eager_grad(p, data, gd, maximize, weight_decay, decoupled, lr)
        adam_moments(exp_avg, m, exp_avg_sq, v, gd, beta1, beta2)
        correction1 = np.subtract(c(1.0), np.power(c(beta1), t))
        correction2 = np.subtract(c(1.0), np.power(c(beta2), t))
        corrected = np.divide(m, correction1.astype(dtype))
        rho_inf = 2.0 / (1.0 - beta2) - 1.0
        rho_t = np.subtract(c(rho_inf), np.divide(
            np.multiply(np.multiply(c(2.0), t), np.power(c(beta2), t)), correction2))
        unadapted = np.multiply(corrected, np.asarray(lr, dtype))
        update = unadapted
        if rho_t > 5.0:                         # the where above, its condition a scalar
            adaptive = np.divide(np.sqrt(correction2).astype(dtype),
                                 np.add(np.sqrt(v), np.asarray(eps, dtype)))
            num = np.multiply(np.multiply(np.subtract(rho_t, c(4.0)), np.subtract(rho_t, c(2.0))),
                              c(rho_inf))
            den = np.multiply(c((rho_inf - 4.0) * (rho_inf - 2.0)), rho_t)
            rect = np.sqrt(np.divide(num, den))
            update = np.multiply(np.multiply(unadapted, adaptive), rect.astype(dtype))
        np.copyto(data, np.subtract(data, update))
        bump(p)
        return True


def _rect(rectify, rho_t, rho_inf):
    """sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)) where
    `rectify`, else 1 (never dividing by zero or taking the root of a negative number)."""
    num = (rho_t - 4.0) * (rho_t - 2.0) * rho_inf
    den = ops.where(rectify, (rho_inf - 4.0) * (rho_inf - 2.0) * rho_t, 1.0)
    return ops.sqrt(ops.where(rectify, num / den, 1.0))
