"""Grad mode, anomaly detection and the active recorder: the state every op consults.

Each is per thread (and per asyncio task), as in PyTorch: `with gg.no_grad()` in one thread
does not turn autograd off in another, and a function being traced in one thread does not
record the eager ops of another. They are context variables, read with `grad_enabled()`,
`active_recorder()` and `anomaly_enabled()`.

`active_recorder()` is None in eager mode; while a function is traced (or a backward graph is
derived) it is the object that records each op as a graph node (see `graphgrad.dispatch`).
`no_grad`, `enable_grad`, `set_grad_enabled` and `detect_anomaly` are context managers and
decorators over one variable each.
"""
import contextvars
import functools

_GRAD = contextvars.ContextVar("graphgrad_grad_enabled", default=True)
_RECORDER = contextvars.ContextVar("graphgrad_recorder", default=None)
_ANOMALY = contextvars.ContextVar("graphgrad_detect_anomaly", default=False)

grad_enabled = _GRAD.get
active_recorder = _RECORDER.get
anomaly_enabled = _ANOMALY.get


class _Scope:
    """Sets a variable to `value` inside a `with` block, or around every call of a function it
    decorates."""
    var = _GRAD

    def __init__(self, value):
        self.value = bool(value)

    def __enter__(self):
        self.token = self.var.set(self.value)
        return self

    def __exit__(self, *exc):
        self.var.reset(self.token)
        return False

    def __call__(self, fn):
        var, value = self.var, self.value

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            token = var.set(value)
            try:
                return fn(*args, **kwargs)
            finally:
                var.reset(token)
        return wrapper


class detect_anomaly(_Scope):
    """Context manager / decorator: every op checks its result, and the first one that turns
    NaN-free inputs into a NaN raises AnomalyError naming the op, the shapes and the source
    line (eagerly, in backward, and in compiled functions, which then run op by op)."""
    var = _ANOMALY

    def __init__(self, mode=True):
        super().__init__(mode)


def set_detect_anomaly(mode):
    _ANOMALY.set(bool(mode))


class set_grad_enabled(_Scope):
    """Context manager and decorator that switches gradient recording on or off."""

    def __init__(self, mode=True):
        super().__init__(mode)
        self.prev = _GRAD.get()
        _GRAD.set(self.value)           # like torch: calling it as a function sets the mode

    def __enter__(self):
        return self                     # already set

    def __exit__(self, *exc):
        _GRAD.set(self.prev)
        return False

    def __call__(self, fn):
        _GRAD.set(self.prev)            # used as a decorator: do not change the mode now
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
    return _GRAD.get()


class recording:
    """`with recording(recorder):` makes `recorder` the active one in this thread;
    `recording(None)` runs a block eagerly even while tracing (lazily created persistent
    state)."""

    def __init__(self, recorder):
        self.recorder = recorder

    def __enter__(self):
        self.token = _RECORDER.set(self.recorder)
        return self.recorder

    def __exit__(self, *exc):
        _RECORDER.reset(self.token)
        return False


_INFERENCE = contextvars.ContextVar("graphgrad_inference_mode", default=False)


def is_inference_mode_enabled():
    return _INFERENCE.get()


class inference_mode:
    """`with gg.inference_mode():`, `@gg.inference_mode` or `@gg.inference_mode(mode)`: no
    gradients are recorded inside (mode=True). graphgrad has no separate "inference tensors",
    so this is no_grad plus the flag `is_inference_mode_enabled()` reports; as in torch,
    `inference_mode(False)` records gradients again, even inside no_grad."""

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode):              # bare decorator: @gg.inference_mode
            self.mode = True
            return self(mode)
        return self

    def __init__(self, mode=True):
        if not callable(mode):
            self.mode = bool(mode)
        self._tokens = []

    def __enter__(self):
        self._tokens.append((_GRAD.set(not self.mode), _INFERENCE.set(self.mode)))
        return self

    def __exit__(self, *exc):
        grad, inference = self._tokens.pop()
        _INFERENCE.reset(inference)
        _GRAD.reset(grad)
        return False

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)
        return wrapper

    def clone(self):
        return inference_mode(self.mode)
