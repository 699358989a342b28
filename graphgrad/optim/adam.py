"""Adam and AdamW (torch.optim's formulas; the step count is a state tensor, so the bias
correction is computed in the graph and a compiled step never bakes it in)."""
import numpy as np

from graphgrad import ops
from graphgrad.optim.optimizer import Optimizer


class Adam(Optimizer):
    state_names = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, maximize=False):
        if not 0.0 <= eps:
            raise ValueError(f"{type(self).__name__}: invalid eps {eps}")
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"{type(self).__name__}: invalid betas {betas}")
        if weight_decay < 0:
            raise ValueError(f"{type(self).__name__}: invalid weight_decay {weight_decay}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

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
            lr = self._lr(group, p.dtype)
            # betas are runtime inputs (OneCycleLR cycles beta1), read in float64 like torch's
            # Python floats and rounded once to the parameter dtype where they scale tensors
            beta1 = self._runtime(group, "betas", np.float64, item=0)
            beta2 = self._runtime(group, "betas", np.float64, item=1)
            step = self._state_tensor(p, "step", init=lambda p: ops.zeros((), dtype=p.dtype))
            exp_avg = self._state_tensor(p, "exp_avg")
            exp_avg_sq = self._state_tensor(p, "exp_avg_sq")
            step.add_(1.0)
            if weight_decay:
                if self.decoupled:
                    p.mul_(1.0 - lr * weight_decay)
                else:
                    g = g + p * weight_decay
            exp_avg.lerp_(g, _as(1.0 - beta1, p.dtype))
            exp_avg_sq.mul_(_as(beta2, p.dtype)).addcmul_(g, g, value=_as(1.0 - beta2, p.dtype))
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
            p.sub_(exp_avg / denom * step_size)


def _as(x, dtype):
    """A Python number stays one (it adopts the tensor's dtype); a traced scalar is cast."""
    return x.astype(dtype) if hasattr(x, "astype") else x


class AdamW(Adam):
    """Adam with decoupled weight decay (default 1e-2)."""
    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)
