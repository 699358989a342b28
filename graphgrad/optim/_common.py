"""Helpers the optimizers share: torch's argument checks, float32 step counters that survive a
state_dict round trip, and torch's lerp.

torch keeps `step` (and NAdam's `mu_product`) as float32 scalars whatever the parameter dtype:
a float16 counter would stop at 2048, and NAdam's momentum product is rounded to float32 at
every step, which the float64 trajectories must reproduce.
"""
import numbers

import numpy as np

from graphgrad import ops
from graphgrad.errors import ShapeError
from graphgrad.tensor import Tensor

SCALAR_DTYPE = np.float32


def check_lr(name, lr):
    """The base class's rule, checked first as torch does."""
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not lr >= 0:   # also NaN
        raise ValueError(f"{name}: Invalid learning rate: {lr!r} (must be a number >= 0)")


def check(name, what, value, ok, rule):
    """Raise torch's `Invalid <what>: <value>` ValueError (with the rule) unless `ok`."""
    if not ok:
        raise ValueError(f"{name}: Invalid {what}: {value} (must be {rule})")


def check_betas(name, betas):
    betas = tuple(float(b.item()) if isinstance(b, Tensor) else b for b in betas)
    for i, beta in enumerate(betas):
        check(name, f"beta parameter at index {i}", beta, 0.0 <= beta < 1.0,
              "in [0, 1); betas=(beta1, beta2)")
    return betas


def check_impl_flags(name, foreach=None, fused=None, differentiable=False):
    """foreach / fused / differentiable choose torch kernels, not results; graphgrad accepts
    them and raises where torch refuses the combination."""
    if fused and differentiable:
        raise RuntimeError(f"{name}: `fused` does not support `differentiable`")
    if fused and foreach:
        raise RuntimeError(f"{name}: `fused` and `foreach` cannot be `True` together.")


def scalar_state(opt, p, name, value=0.0):
    """A float32 0-d state tensor (the step count, NAdam's mu_product)."""
    return opt._state_tensor(p, name, init=lambda p: ops.full((), value, dtype=SCALAR_DTYPE))


# -- eager updates on the arrays ---------------------------------------------------------------
# Eagerly (no trace, no anomaly checks per op) every optimizer runs its update on the NumPy
# arrays, with the same ufuncs on the same dtypes in the same order as its general op-by-op
# update, so the values are the same to the bit (tests compare the two), and with the same
# version bumps, without a Tensor per intermediate.

NUMBER = (int, float)
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def eager_arrays(p, g, numbers, step=None, states=()):
    """(param, grad, step counter, [states]) arrays when an update can run on them: plain
    writeable float32 or float64 arrays, the states of p's shape and dtype, the step counter
    (when given) a 0-d float32 array, and Python-number hyperparameters. None otherwise
    (the general path then runs)."""
    data, gd = p._data, g._data
    if type(data) is not np.ndarray or type(gd) is not np.ndarray or \
            data.dtype not in _FLOATS or gd.dtype != data.dtype or gd.shape != data.shape or \
            not data.flags.writeable or not all(type(v) in NUMBER for v in numbers):
        return None
    arrays = [t._data for t in states]
    for a in arrays:
        if type(a) is not np.ndarray or not a.flags.writeable or a.shape != data.shape or \
                a.dtype != data.dtype:
            return None
    counter = None
    if step is not None:
        counter = step._data
        if type(counter) is not np.ndarray or not counter.flags.writeable or counter.shape \
                or counter.dtype != SCALAR_DTYPE:
            return None
    return data, gd, counter, arrays


def bump(t):
    """An in-place write's version bump (as `Tensor._write`)."""
    cell = t._vc
    if cell is not None:
        cell[0] += 1


def eager_state(opt, p, g, numbers, names):
    """Start an update on the arrays: p's step counter and its state tensors `names` (created,
    where new, as the general update creates them), checked by eager_arrays, then the step
    counted (`step.add_(1.0)`). (states, param, grad, counter, state arrays), or None (nothing
    done) when the general path must run."""
    step = scalar_state(opt, p, "step")
    states = [opt._state_tensor(p, name) for name in names]
    arrays = eager_arrays(p, g, numbers, step, states)
    if arrays is None:
        return None
    data, gd, counter, state_arrays = arrays
    np.copyto(counter, np.add(counter, np.asarray(1.0, SCALAR_DTYPE)))
    bump(step)
    return states, data, gd, counter, state_arrays


def eager_grad(p, data, gd, maximize, weight_decay, decoupled=False, lr=None):
    """The gradient as the update uses it: negated when maximizing, then `g + weight_decay * p`;
    decoupled (AdamW's), `p.mul_(1 - lr * weight_decay)` instead, the gradient kept."""
    if maximize:
        gd = np.negative(gd)
    if not weight_decay:
        return gd
    if decoupled:
        np.copyto(data, np.multiply(data, np.asarray(1.0 - lr * weight_decay, data.dtype)))
        bump(p)
        return gd
    return np.add(gd, np.multiply(data, np.asarray(weight_decay, data.dtype)))


def adam_moments(exp_avg, m, exp_avg_sq, v, gd, beta1, beta2):
    """`exp_avg.lerp_(g, 1 - beta1)` and `exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 -
    beta2)`; m and v are the states' arrays."""
    lerp_into(exp_avg, m, gd, 1.0 - beta1)
    np.copyto(v, np.multiply(v, np.asarray(beta2, v.dtype)))
    bump(exp_avg_sq)
    np.copyto(v, np.add(v, np.multiply(np.multiply(gd, np.asarray(1.0 - beta2, v.dtype)), gd)))
    bump(exp_avg_sq)


def lerp_into(state, start, end, weight):
    """`state.lerp_(end, weight)` with a Python-number weight, as the lerp op computes it
    (torch's two roundings); `start` is state's array."""
    w = np.asarray(weight, start.dtype)
    diff = np.subtract(end, start)
    if np.abs(w) < 0.5:
        np.copyto(start, np.add(start, np.multiply(w, diff)))
    else:
        np.copyto(start, np.subtract(end, np.multiply(diff, np.subtract(1, w))))
    bump(state)


def lerp(start, end, weight):
    """torch.lerp's rounding: start + w (end - start) for |w| < 0.5, else end - (end - start)
    (1 - w). A traced weight takes the first form."""
    if isinstance(weight, numbers.Real) and abs(weight) >= 0.5:
        return end - (end - start) * (1.0 - weight)
    return start + (end - start) * weight


def as_dtype(x, dtype):
    """A Python number stays one (it adopts the tensor's dtype); a tensor scalar is cast."""
    return x.astype(dtype) if hasattr(x, "astype") else x


class ScalarStateMixin:
    """load_state_dict keeps the 0-d entries in `scalar_state_init` float32 and exact (the
    base converts every state tensor to the parameter dtype), writes them into the existing
    tensors a compiled step is bound to, and restarts missing ones at their initial value."""
    scalar_state_init = {"step": 0.0}

    def load_state_dict(self, state_dict):
        name = type(self).__name__
        scalars, rest = {}, state_dict
        if isinstance(state_dict, dict) and isinstance(state_dict.get("state"), dict):
            rest = dict(state_dict, state={})
            for pid, entries in state_dict["state"].items():
                if isinstance(entries, dict):
                    scalars[pid] = {k: _scalar(name, k, pid, v) for k, v in entries.items()
                                    if k in self.scalar_state_init}
                    entries = {k: v for k, v in entries.items()
                               if k not in self.scalar_state_init}
                rest["state"][pid] = entries
        bound = {p: dict(entries) for p, entries in self.state.items()}
        super().load_state_dict(rest)       # validates everything else, or changes nothing
        params = {}
        for mine, theirs in zip(self.param_groups, state_dict["param_groups"]):
            params.update((int(pid), p) for pid, p in zip(theirs["params"], mine["params"]))
        saved = {params[int(pid)]: entries for pid, entries in scalars.items()}
        for p, entries in self.state.items():
            for key, init in self.scalar_state_init.items():
                old = bound.get(p, {}).get(key)
                value = saved.get(p, {}).get(key)
                if value is None and old is None:
                    continue
                value = np.array(init if value is None else value, dtype=SCALAR_DTYPE)
                if old is None:
                    old = Tensor._wrap(value)
                    old._kind = "state"
                    old._name = f"{name.lower()}.{key}"
                else:
                    old._write(value)
                entries[key] = old


def _scalar(name, key, pid, value):
    """A checkpoint's 0-d state entry (a tensor, an array or a number) as a float."""
    array = np.asarray(value._data if isinstance(value, Tensor) else value)
    if array.size != 1 or array.dtype.kind not in "biuf":
        raise ShapeError(f"{name}.load_state_dict: state {key!r} of parameter {pid} must be "
                         f"one number, got shape {array.shape} ({array.dtype}); nothing was "
                         "loaded")
    return float(array.reshape(()))

