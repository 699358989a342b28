"""Grad mode, anomaly detection and the active recorder: the state every op consults.

`MODE.recorder` is None in eager mode; while a function is traced (or a backward graph is
derived) it is the object that records each op as a graph node (see `graphgrad.dispatch`).
`no_grad`, `enable_grad`, `set_grad_enabled` and `detect_anomaly` are context managers and
decorators over one field each.
"""
import functools


class _Mode:
    __slots__ = ("grad_enabled", "recorder", "detect_anomaly")

    def __init__(self):
        self.grad_enabled = True
        self.recorder = None
        self.detect_anomaly = False


MODE = _Mode()


class _Scope:
    """Sets `MODE.<field>` to `value` inside a `with` block, or around every call of a function
    it decorates."""
    field = "grad_enabled"

    def __init__(self, value):
        self.value = bool(value)

    def __enter__(self):
        self.prev = getattr(MODE, self.field)
        setattr(MODE, self.field, self.value)
        return self

    def __exit__(self, *exc):
        setattr(MODE, self.field, self.prev)
        return False

    def __call__(self, fn):
        field, value = self.field, self.value

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = getattr(MODE, field)
            setattr(MODE, field, value)
            try:
                return fn(*args, **kwargs)
            finally:
                setattr(MODE, field, prev)
        return wrapper


class detect_anomaly(_Scope):
    """Context manager / decorator: every op checks its result, and the first one that turns
    NaN-free inputs into a NaN raises AnomalyError naming the op, the shapes and the source
    line (eagerly, in backward, and in compiled functions, which then run op by op)."""
    field = "detect_anomaly"

    def __init__(self, mode=True):
        super().__init__(mode)


def set_detect_anomaly(mode):
    MODE.detect_anomaly = bool(mode)


class set_grad_enabled(_Scope):
    """Context manager and decorator that switches gradient recording on or off."""

    def __init__(self, mode=True):
        super().__init__(mode)
        self.prev = MODE.grad_enabled
        MODE.grad_enabled = self.value  # like torch: calling it as a function sets the mode

    def __enter__(self):
        return self                     # already set

    def __call__(self, fn):
        MODE.grad_enabled = self.prev   # used as a decorator: do not change the mode now
        return super().__call__(fn)


class _FixedGradMode(_Scope):
    """no_grad / enable_grad: also usable as bare decorators (`@gg.no_grad`)."""

    def __new__(cls, fn=None):
        self = super().__new__(cls)
        if fn is not None:
            return self(fn)
        return self

    def __init__(self, fn=None):
        pass


class no_grad(_FixedGradMode):
    """Context manager / decorator: ops record no gradients inside."""
    value = False


class enable_grad(_FixedGradMode):
    """Context manager / decorator: ops record gradients inside (e.g. within no_grad)."""
    value = True


def is_grad_enabled():
    return MODE.grad_enabled


class recording:
    """`with recording(recorder):` makes `recorder` the active one; `recording(None)` runs a
    block eagerly even while tracing (lazily created persistent state)."""

    def __init__(self, recorder):
        self.recorder = recorder

    def __enter__(self):
        self.prev = MODE.recorder
        MODE.recorder = self.recorder
        return self.recorder

    def __exit__(self, *exc):
        MODE.recorder = self.prev
        return False
