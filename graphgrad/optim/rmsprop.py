"""RMSprop (Hinton's lecture 6e), torch.optim.RMSprop's update: `centered` normalizes by the
variance estimate, `momentum` keeps a buffer of the normalized steps."""
import numpy as np

from graphgrad import ops
from graphgrad.modes import active_recorder, anomaly_enabled
from graphgrad.optim._common import (ScalarStateMixin, bump, check, check_impl_flags, check_lr,
                                     eager_grad, eager_state, lerp, scalar_state)
from graphgrad.optim.optimizer import Optimizer


class RMSprop(ScalarStateMixin, Optimizer):
    state_names = ("step", "square_avg", "momentum_buffer", "grad_avg")

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        check_lr("RMSprop", lr)
        check("RMSprop", "epsilon value", eps, 0.0 <= eps, ">= 0")
        check("RMSprop", "momentum value", momentum, 0.0 <= momentum, ">= 0")
        check("RMSprop", "weight_decay value", weight_decay, 0.0 <= weight_decay, ">= 0")
        check("RMSprop", "alpha value", alpha, 0.0 <= alpha, ">= 0")
        check_impl_flags("RMSprop", foreach, None, differentiable)
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      capturable=capturable, foreach=foreach, maximize=maximize,
                                      differentiable=differentiable))

    def _update_group(self, group):
        alpha = self._hyper(group, "alpha")
        eps = self._hyper(group, "eps")
        weight_decay = self._hyper(group, "weight_decay")
        centered = self._hyper(group, "centered")
        use_momentum = self._enabled(group, "momentum")
        maximize = self._hyper(group, "maximize")
        eager = active_recorder() is None and not anomaly_enabled() and not centered
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            if eager and self._eager_update(p, g, group, alpha, eps, weight_decay, use_momentum,
                                            maximize):
                continue
            step = scalar_state(self, p, "step")
            square_avg = self._state_tensor(p, "square_avg")
            if maximize:
                g = -g
            step.add_(1.0)
            if weight_decay:
                g = g + weight_decay * p
            square_avg.copy_(square_avg * alpha + (1.0 - alpha) * g * g)
            if centered:
                grad_avg = self._state_tensor(p, "grad_avg")
                grad_avg.copy_(lerp(grad_avg, g, 1.0 - alpha))
                avg = ops.sqrt(square_avg - grad_avg * grad_avg)
            else:
                avg = ops.sqrt(square_avg)
            avg = avg + eps
            lr = self._lr(group, p.dtype)
            if use_momentum:
                # a runtime input: CyclicLR / OneCycleLR cycle it without retracing
                momentum = self._runtime(group, "momentum", p.dtype)
                buf = self._state_tensor(p, "momentum_buffer")
                buf.copy_(buf * momentum + g / avg)
                p.sub_(lr * buf)
            else:
                p.sub_(lr * g / avg)

    def _eager_update(self, p, g, group, alpha, eps, weight_decay, use_momentum, maximize):
        """The update above on the arrays (see _common.eager_state), not centered. False
        (nothing done) for what it does not cover, which takes the general path."""
        lr, momentum = dict.__getitem__(group, "lr"), dict.__getitem__(group, "momentum")
        names = ("square_avg", "momentum_buffer") if use_momentum else ("square_avg",)
        started = eager_state(self, p, g, (lr, alpha, eps, weight_decay, momentum), names)
        if started is None:
            return False
        states, data, gd, _, (sa, *buf) = started
        dtype = data.dtype
        gd = eager_grad(p, data, gd, maximize, weight_decay)
        new = np.add(np.multiply(sa, np.asarray(alpha, dtype)),
                     np.multiply(np.multiply(np.asarray(1.0 - alpha, dtype), gd), gd))
        np.copyto(sa, new)
        bump(states[0])
        avg = np.add(np.sqrt(sa), np.asarray(eps, dtype))
        lr = np.asarray(lr, dtype)
        if use_momentum:
            np.copyto(buf[0], np.add(np.multiply(buf[0], np.asarray(momentum, dtype)),
                                     np.divide(gd, avg)))
            bump(states[1])
            np.copyto(data, np.subtract(data, np.multiply(lr, buf[0])))
        else:
            np.copyto(data, np.subtract(data, np.divide(np.multiply(lr, gd), avg)))
        bump(p)
        return True
