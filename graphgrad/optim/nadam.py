"""NAdam (Dozat 2016), torch.optim.NAdam's update: Adam with Nesterov momentum whose
coefficient mu_t warms up with `momentum_decay`; the product of the mu_t is a float32 state,
rounded at every step as in torch."""
import numpy as np

from graphgrad import ops
from graphgrad.modes import active_recorder, anomaly_enabled
from graphgrad.optim._common import (SCALAR_DTYPE, ScalarStateMixin, adam_moments, as_dtype,
                                     bump, check, check_betas, check_impl_flags, check_lr,
                                     eager_grad, eager_state, scalar_state)
from graphgrad.optim.optimizer import Optimizer


class NAdam(ScalarStateMixin, Optimizer):
    state_names = ("step", "mu_product", "exp_avg", "exp_avg_sq")
    scalar_state_init = {"step": 0.0, "mu_product": 1.0}

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        check_lr("NAdam", lr)
        check("NAdam", "epsilon value", eps, 0.0 <= eps, ">= 0")
        betas = check_betas("NAdam", betas)
        check("NAdam", "weight_decay value", weight_decay, 0.0 <= weight_decay, ">= 0")
        check("NAdam", "momentum_decay value", momentum_decay, 0.0 <= momentum_decay, ">= 0")
        check_impl_flags("NAdam", foreach, None, differentiable)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable))

    def _update_group(self, group):
        eps = self._hyper(group, "eps")
        weight_decay = self._hyper(group, "weight_decay")
        momentum_decay = self._hyper(group, "momentum_decay")
        maximize = self._hyper(group, "maximize")
        decoupled = self._hyper(group, "decoupled_weight_decay") if weight_decay else False
        eager = active_recorder() is None and not anomaly_enabled()
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            if eager and self._eager_update(p, g, group, eps, weight_decay, decoupled,
                                            momentum_decay, maximize):
                continue
            if maximize:
                g = -g
            # torch computes these scalars as Python floats: float64 here
            lr = self._runtime(group, "lr", np.float64)
            beta1 = self._runtime(group, "betas", np.float64, item=0)
            beta2 = self._runtime(group, "betas", np.float64, item=1)
            step = scalar_state(self, p, "step")
            mu_product = scalar_state(self, p, "mu_product", 1.0)
            exp_avg = self._state_tensor(p, "exp_avg")
            exp_avg_sq = self._state_tensor(p, "exp_avg_sq")
            step.add_(1.0)
            t = step.astype(np.float64)
            bias_correction2 = 1.0 - ops.pow(beta2, t)
            if weight_decay:
                if decoupled:
                    p.mul_(as_dtype(1.0 - lr * weight_decay, p.dtype))
                else:
                    g = g + weight_decay * p
            mu = beta1 * (1.0 - 0.5 * ops.pow(0.96, t * momentum_decay))
            mu_next = beta1 * (1.0 - 0.5 * ops.pow(0.96, (t + 1.0) * momentum_decay))
            mu_product.copy_(mu_product * mu.astype(SCALAR_DTYPE))
            product = mu_product.astype(np.float64)
            product_next = product * mu_next
            exp_avg.lerp_(g, as_dtype(1.0 - beta1, p.dtype))
            exp_avg_sq.mul_(as_dtype(beta2, p.dtype)).addcmul_(
                g, g, value=as_dtype(1.0 - beta2, p.dtype))
            denom = ops.sqrt(exp_avg_sq / bias_correction2.astype(p.dtype)) + eps
            grad_step = (lr * (1.0 - mu) / (1.0 - product)).astype(p.dtype)
            avg_step = (lr * mu_next / (1.0 - product_next)).astype(p.dtype)
            p.sub_(grad_step * g / denom)
            p.sub_(avg_step * exp_avg / denom)

    def _eager_update(self, p, g, group, eps, weight_decay, decoupled, momentum_decay,
                      maximize):
        """The update above on the arrays (see _common.eager_state), its float64 scalars
        computed as the 0-d ops above compute them. False (nothing done) for what it does not
        cover, which takes the general path."""
        lr, betas = dict.__getitem__(group, "lr"), dict.__getitem__(group, "betas")
        scalar_state(self, p, "step")                   # the general update's state order
        mu_product = scalar_state(self, p, "mu_product", 1.0)
        product_array = mu_product._data
        if type(product_array) is not np.ndarray or product_array.shape or \
                product_array.dtype != SCALAR_DTYPE or not product_array.flags.writeable:
            return False
        started = eager_state(self, p, g, (lr, eps, weight_decay, momentum_decay, *betas),
                              ("exp_avg", "exp_avg_sq"))
        if started is None:
            return False
        (exp_avg, exp_avg_sq), data, gd, sd, (m, v) = started
        dtype, f64 = data.dtype, np.dtype(np.float64)
        beta1, beta2 = betas

        def c(x):
            return np.asarray(x, f64)

        def momentum_at(t):                     # beta1 * (1 - 0.5 * 0.96 ** (t * decay))
            warm = np.multiply(c(0.5), np.power(c(0.96), np.multiply(t, c(momentum_decay))))
            return np.multiply(c(beta1), np.subtract(c(1.0), warm))

        t = sd.astype(f64)
        correction2 = np.subtract(c(1.0), np.power(c(beta2), t))
        gd = eager_grad(p, data, gd, maximize, weight_decay, decoupled, lr)
        mu, mu_next = momentum_at(t), momentum_at(np.add(t, c(1.0)))
        np.copyto(product_array, np.multiply(product_array, mu.astype(SCALAR_DTYPE)))
        bump(mu_product)
        product = product_array.astype(f64)
        product_next = np.multiply(product, mu_next)
        adam_moments(exp_avg, m, exp_avg_sq, v, gd, beta1, beta2)
        denom = np.add(np.sqrt(np.divide(v, correction2.astype(dtype))), np.asarray(eps, dtype))
        grad_step = np.divide(np.multiply(c(lr), np.subtract(c(1.0), mu)),
                              np.subtract(c(1.0), product)).astype(dtype)
        avg_step = np.divide(np.multiply(c(lr), mu_next),
                             np.subtract(c(1.0), product_next)).astype(dtype)
        np.copyto(data, np.subtract(data, np.divide(np.multiply(grad_step, gd), denom)))
        bump(p)
        np.copyto(data, np.subtract(data, np.divide(np.multiply(avg_step, m), denom)))
        bump(p)
        return True
