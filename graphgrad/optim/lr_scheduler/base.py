"""The scheduler base class, torch.optim.lr_scheduler.LRScheduler's protocol.

A scheduler writes `param_group['lr']` (and, for the cyclic ones, momentum or beta1), which a
compiled step reads as runtime inputs, so a schedule never causes a retrace. The updates are
torch's: most schedules are chainable (they scale the current lr, so several can act on one
optimizer) and also have a closed form, used when `step(epoch)` is given an epoch.
state_dict() holds only numbers, strings, lists and dicts, so it round-trips through
gg.save / gg.load.
"""
import numbers
import types
import warnings

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated "
    "where possible. Please use `scheduler.step()` to step the scheduler. During the "
    "deprecation, if epoch is different from None, the closed form is used instead of the new "
    "chainable form, where available.")


class LRScheduler:
    """Base class: subclasses implement get_lr() (and optionally _get_closed_form_lr())."""
    _get_lr_called_within_step = False
    _is_initial = False

    def __init__(self, optimizer, last_epoch=-1):
        _check_optimizer(type(self).__name__, optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        missing = [i for i, g in enumerate(optimizer.param_groups) if "initial_lr" not in g]
        if missing:
            raise KeyError(f"{type(self).__name__}: resuming with last_epoch={last_epoch} needs "
                           f"'initial_lr' in param_groups {missing}; load the optimizer's "
                           "state_dict first, or start with last_epoch=-1")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)

    def get_last_lr(self):
        """The learning rates the last step() set, one per parameter group."""
        return list(self._last_lr)

    def get_lr(self):
        raise NotImplementedError

    def step(self, epoch=None):
        """Advance one epoch (or, deprecated, jump to `epoch` with the closed form)."""
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch=None):
        self._get_lr_called_within_step = True
        try:
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                closed_form = getattr(self, "_get_closed_form_lr", None)
                values = closed_form() if closed_form is not None else self.get_lr()
        finally:
            self._get_lr_called_within_step = False
        self._set_lrs(values)

    def _set_lrs(self, values):
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = current_lrs(self.optimizer)


class _LRScheduler(LRScheduler):
    """The old name of LRScheduler, kept as torch does."""


def current_lrs(optimizer):
    return [group["lr"] for group in optimizer.param_groups]


def warn_get_lr_outside_step(scheduler):
    if not scheduler._get_lr_called_within_step:
        warnings.warn("To get the last learning rate computed by the scheduler, please use "
                      "`get_last_lr()`.", UserWarning, stacklevel=3)


def _check_optimizer(name, optimizer):
    from graphgrad.optim.optimizer import Optimizer
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{name}: expects an optimizer, got {type(optimizer).__name__}")


def check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def per_group(name, optimizer, value):
    """A scalar or one value per parameter group -> a list with one value per group."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(f"{name}: expected {len(optimizer.param_groups)} values (one per "
                             f"parameter group), got {len(value)}")
        return list(value)
    return [value] * len(optimizer.param_groups)


def set_momentum(group, value, use_beta1):
    """Cyclic schedules move SGD's/RMSprop's momentum or the Adam family's beta1."""
    if use_beta1:
        group["betas"] = (value, *group["betas"][1:])
    else:
        group["momentum"] = value


def callable_state(fn):
    """torch saves a schedule function only when it is a callable object (its __dict__)."""
    return None if isinstance(fn, types.FunctionType) or not hasattr(fn, "__dict__") \
        else dict(fn.__dict__)
