"""SGD with momentum, dampening, Nesterov and weight decay (torch.optim.SGD's update)."""
from graphgrad import ops
from graphgrad.optim._common import check, check_impl_flags, check_lr
from graphgrad.optim.optimizer import Optimizer


class SGD(Optimizer):
    state_names = ("momentum_buffer", "started")

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        check_lr("SGD", lr)
        check("SGD", "momentum value", momentum, momentum >= 0, ">= 0")
        check("SGD", "weight_decay value", weight_decay, weight_decay >= 0, ">= 0")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")
        check_impl_flags("SGD", foreach, fused, differentiable)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def _update_group(self, group):
        use_momentum = self._enabled(group, "momentum")
        dampening = self._hyper(group, "dampening")
        weight_decay = self._hyper(group, "weight_decay")
        nesterov = self._hyper(group, "nesterov")
        maximize = self._hyper(group, "maximize")
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            if maximize:
                g = -g
            if weight_decay:
                g = g + p * weight_decay
            if use_momentum:
                # a runtime input: OneCycleLR cycles it without retracing
                momentum = self._runtime(group, "momentum", p.dtype)
                buf = self._state_tensor(p, "momentum_buffer")
                if dampening:
                    # torch starts the buffer at the first gradient, undamped
                    started = self._state_tensor(p, "started")
                    buf.copy_(ops.where(started > 0, buf * momentum + g * (1.0 - dampening), g))
                    started.fill_(1.0)
                else:
                    buf.copy_(buf * momentum + g)   # == g on the first step (buffer is zero)
                g = g + buf * momentum if nesterov else buf
            p.sub_(g * self._lr(group, p.dtype))
