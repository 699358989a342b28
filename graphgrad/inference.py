"""gg.inference_mode: torch.inference_mode's switch, as a context manager or a decorator.

graphgrad has no separate "inference tensors", so inference mode is no_grad plus a flag that
`gg.is_inference_mode_enabled()` reports. As in torch, `inference_mode(False)` switches
gradient recording back on (even inside `no_grad`).
"""
import functools
import threading

from graphgrad.dispatch import MODE

_STATE = threading.local()


def is_inference_mode_enabled():
    return getattr(_STATE, "enabled", False)


class inference_mode:
    """`with gg.inference_mode():`, `@gg.inference_mode` or `@gg.inference_mode(mode)`: no
    gradients are recorded inside (mode=True); mode=False records them again."""

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode):              # bare decorator: @gg.inference_mode
            self.mode = True
            return self(mode)
        return self

    def __init__(self, mode=True):
        self.mode = bool(mode)
        self._saved = []

    def __enter__(self):
        self._saved.append((MODE.grad_enabled, is_inference_mode_enabled()))
        MODE.grad_enabled = not self.mode
        _STATE.enabled = self.mode
        return self

    def __exit__(self, *exc):
        MODE.grad_enabled, _STATE.enabled = self._saved.pop()
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
