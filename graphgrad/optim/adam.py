"""Adam and AdamW (torch.optim's formulas; the step count is a float32 state tensor, so the bias
correction is computed in the graph and a compiled step never bakes it in)."""
import numpy as np

from graphgrad import ops
from graphgrad.modes import active_recorder, anomaly_enabled
from graphgrad.optim._common import (ScalarStateMixin, adam_moments, as_dtype, bump, check,
                                     check_betas, check_impl_flags, check_lr, eager_grad,
                                     eager_state, scalar_state)
from graphgrad.optim.optimizer import Optimizer


class Adam(ScalarStateMixin, Optimizer):
    state_names = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        name = type(self).__name__
        check_lr(name, lr)
        check(name, "epsilon value", eps, 0.0 <= eps, ">= 0")
        betas = check_betas(name, betas)
        check(name, "weight_decay value", weight_decay, 0.0 <= weight_decay, ">= 0")
        if not all(isinstance(b, float) for b in betas):
            # torch's rule: Python floats (or two Tensors, converted above)
            raise ValueError(f"{name}: betas must be either both floats or both Tensors, got "
                             f"{betas!r}")
        check_impl_flags(name, foreach, fused, differentiable)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable,
                                      fused=fused, decoupled_weight_decay=decoupled_weight_decay))

    def _update_group(self, group):
        eps = self._hyper(group, "eps")
        weight_decay = self._hyper(group, "weight_decay")
        amsgrad = self._hyper(group, "amsgrad")
        maximize = self._hyper(group, "maximize")
        decoupled = self._hyper(group, "decoupled_weight_decay") if weight_decay else False
        # eagerly (no trace, no anomaly checks per op) the common update runs as NumPy ufuncs
        eager = active_recorder() is None and not anomaly_enabled() and not amsgrad
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            if eager and self._eager_update(p, g, group, eps, weight_decay, decoupled,
                                            maximize):
                continue
            if maximize:
                g = -g
            # lr and betas are runtime inputs (schedulers change them), read in float64 like
            # torch's Python floats and rounded once to the parameter dtype where they scale
            # tensors
            lr = self._runtime(group, "lr", np.float64)
            beta1 = self._runtime(group, "betas", np.float64, item=0)
            beta2 = self._runtime(group, "betas", np.float64, item=1)
            step = scalar_state(self, p, "step")
            exp_avg = self._state_tensor(p, "exp_avg")
            exp_avg_sq = self._state_tensor(p, "exp_avg_sq")
            step.add_(1.0)
            if weight_decay:
                if decoupled:
                    p.mul_(as_dtype(1.0 - lr * weight_decay, p.dtype))
                else:
                    g = g + p * weight_decay
            exp_avg.lerp_(g, as_dtype(1.0 - beta1, p.dtype))
            exp_avg_sq.mul_(as_dtype(beta2, p.dtype)).addcmul_(
                g, g, value=as_dtype(1.0 - beta2, p.dtype))
            # bias corrections in float64 (torch computes them as Python floats): in float32,
            # 1 - 0.999 ** 1 is off by 1e-5 relative
            step64 = step.astype(np.float64)
            bias_correction1 = 1.0 - ops.pow(beta1, step64)
            bias_correction2_sqrt = ops.sqrt(1.0 - ops.pow(beta2, step64)).astype(p.dtype)
            step_size = (lr / bias_correction1).astype(p.dtype)
            second = exp_avg_sq
            if amsgrad:
                max_sq = self._state_tensor(p, "max_exp_avg_sq")
                max_sq.copy_(ops.maximum(max_sq, exp_avg_sq))
                second = max_sq
            denom = ops.sqrt(second) / bias_correction2_sqrt + eps
            p.sub_(step_size * exp_avg / denom)

    def _eager_update(self, p, g, group, eps, weight_decay, decoupled, maximize):
        """The update above on the arrays (see _common.eager_state): a quarter of the time.
        False (nothing done) for what it does not cover, which takes the general path."""
        lr = dict.__getitem__(group, "lr")
        betas = dict.__getitem__(group, "betas")
        started = eager_state(self, p, g, (lr, eps, weight_decay, *betas),
                              ("exp_avg", "exp_avg_sq"))
        if started is None:
            return False
        (exp_avg, exp_avg_sq), data, gd, sd, (m, v) = started
        dtype, f64 = data.dtype, np.dtype(np.float64)
        beta1, beta2 = betas
        gd = eager_grad(p, data, gd, maximize, weight_decay, decoupled, lr)
        adam_moments(exp_avg, m, exp_avg_sq, v, gd, beta1, beta2)
        step64 = sd.astype(f64)
        one = np.asarray(1.0, f64)
        correction1 = np.subtract(one, np.power(np.asarray(beta1, f64), step64))
        correction2_sqrt = np.sqrt(np.subtract(one, np.power(np.asarray(beta2, f64), step64)))
        step_size = np.divide(np.asarray(lr, f64), correction1).astype(dtype)
        denom = np.add(np.divide(np.sqrt(v), correction2_sqrt.astype(dtype)),
                       np.asarray(eps, dtype))
        np.copyto(data, np.subtract(data, np.divide(np.multiply(step_size, m), denom)))
        bump(p)
        return True


class AdamW(Adam):
    """Adam with decoupled weight decay (default 1e-2)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        for group in self.param_groups:      # as torch: AdamW always decouples
            group["decoupled_weight_decay"] = True
