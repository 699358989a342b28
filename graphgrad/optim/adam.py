"""Adam and AdamW (torch.optim's formulas; the step count is a float32 state tensor, so the bias
correction is computed in the graph and a compiled step never bakes it in)."""
import numpy as np

from graphgrad import ops
from graphgrad.optim._common import (ScalarStateMixin, as_dtype, check, check_betas,
                                     check_impl_flags, check_lr, scalar_state)
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
        for p in group["params"]:
            g = p.grad
            if g is None:
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
                if self._hyper(group, "decoupled_weight_decay"):
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
