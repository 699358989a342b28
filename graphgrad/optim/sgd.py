"""SGD with momentum, dampening, Nesterov and weight decay (torch.optim.SGD's update)."""
import numpy as np

from graphgrad import ops
from graphgrad.modes import active_recorder, anomaly_enabled
from graphgrad.optim._common import NUMBER as _NUMBER
from graphgrad.optim._common import bump, check, check_impl_flags, check_lr
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
        if active_recorder() is None:       # eagerly nothing is guarded: read the numbers
            get = group.__getitem__
            use_momentum = bool(get("momentum"))
            dampening, weight_decay = get("dampening"), get("weight_decay")
            nesterov, maximize = get("nesterov"), get("maximize")
        else:
            use_momentum = self._enabled(group, "momentum")
            dampening = self._hyper(group, "dampening")
            weight_decay = self._hyper(group, "weight_decay")
            nesterov = self._hyper(group, "nesterov")
            maximize = self._hyper(group, "maximize")
        # eagerly (no trace, no anomaly checks per op) the common update runs as NumPy ufuncs
        eager = active_recorder() is None and not anomaly_enabled() and not dampening
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            if eager and self._eager_update(p, g, group, use_momentum, weight_decay, nesterov,
                                            maximize):
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

    def _eager_update(self, p, g, group, use_momentum, weight_decay, nesterov, maximize):
        """The update above on the arrays, with the same ufuncs in the same order (so the same
        values) and the same version bumps, without a Tensor per intermediate. False (nothing
        done) for what it does not cover, which then takes the general path."""
        data, gd = p._data, g._data
        lr = dict.__getitem__(group, "lr")
        if type(data) is not np.ndarray or type(gd) is not np.ndarray or \
                gd.dtype != data.dtype or gd.shape != data.shape or \
                not data.flags.writeable or type(lr) not in _NUMBER or \
                (weight_decay and type(weight_decay) not in _NUMBER):
            return False
        dtype = data.dtype
        buf = None
        if use_momentum:
            momentum = dict.__getitem__(group, "momentum")
            if type(momentum) not in _NUMBER:
                return False
            buf = self._state_tensor(p, "momentum_buffer")
            bd = buf._data
            if type(bd) is not np.ndarray or bd.dtype != dtype or bd.shape != data.shape or \
                    not bd.flags.writeable:
                return False
        if maximize:
            gd = np.negative(gd)
        if weight_decay:
            gd = np.add(gd, np.multiply(data, np.asarray(weight_decay, dtype)))
        if buf is not None:
            m = np.asarray(momentum, dtype)
            new = np.multiply(bd, m)
            np.add(new, gd, out=new)
            np.copyto(bd, new)
            bump(buf)
            gd = np.add(gd, np.multiply(bd, m)) if nesterov else bd
        np.subtract(data, np.multiply(gd, np.asarray(lr, dtype)), out=data)
        bump(p)
        return True
