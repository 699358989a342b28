"""`bind`: the one entry point of every op. Eager mode runs the kernel now (and records the eager
autograd tape); trace mode adds a node to the active trace. Both run the op's `infer` rule first,
so a bad call fails the same way in both modes.
"""
import functools

import numpy as np

from graphgrad.errors import ShapeError, TraceError
from graphgrad.ir.graph import Value


# log(0), 0/0, inf-inf give inf/nan as in PyTorch, without NumPy's warnings
QUIET = dict(divide="ignore", invalid="ignore", over="ignore")


class _Mode:
    """Grad mode, anomaly detection and the active trace (None in eager mode)."""
    __slots__ = ("grad_enabled", "trace", "detect_anomaly")

    def __init__(self):
        self.grad_enabled = True
        self.trace = None
        self.detect_anomaly = False


MODE = _Mode()


def bind(op, *inputs, **attrs):
    """Apply primitive `op` to Tensors `inputs` (eagerly, or by recording a graph node)."""
    trace = MODE.trace
    if trace is not None:
        return trace.record(op, inputs, attrs)
    return _eager(op, inputs, attrs)


def _eager(op, inputs, attrs):
    arrays = []
    for t in inputs:
        data = t._data
        if type(data) is Value:
            raise TraceError(f"{op.name}: a traced tensor escaped its compiled function and is "
                             "used outside it; return it from the function instead")
        arrays.append(data)
    op.infer(*arrays, **attrs)
    try:
        with np.errstate(**QUIET):
            out = op.impl(*arrays, **attrs)
    except (ValueError, IndexError, TypeError) as e:
        shapes = ", ".join(f"{a.shape} {a.dtype}" for a in arrays)
        raise ShapeError(f"{op.name}: {e} (inputs {shapes})") from e
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    if MODE.detect_anomaly:
        check_nan(op.name, out, arrays)
    if MODE.grad_enabled and op.vjp is not None:
        for t in inputs:
            if t._requires_grad:
                return Tensor._from_op(out, op, attrs, inputs)
    return Tensor._wrap(out)


def check_nan(what, out, inputs, where=None):
    """Raise AnomalyError if `out` holds a NaN although none of `inputs` does."""
    if out.dtype.kind != "f" or not np.isnan(out).any():
        return
    if any(a.dtype.kind == "f" and np.isnan(a).any() for a in inputs):
        return
    from graphgrad.errors import AnomalyError
    from graphgrad.tracing import user_location
    shapes = ", ".join(f"{tuple(a.shape)} {a.dtype}" for a in inputs)
    raise AnomalyError(f"detect_anomaly: {what} produced NaN from inputs without NaN "
                       f"({shapes}) at {where or user_location()}")


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


# -- grad mode -------------------------------------------------------------------------------

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


class untraced:
    """Run a block eagerly even while tracing (used for lazily created persistent state)."""

    def __enter__(self):
        self.prev = MODE.trace
        MODE.trace = None
        return self

    def __exit__(self, *exc):
        MODE.trace = self.prev
        return False


from graphgrad.tensor import Tensor  # noqa: E402  (tensor.py needs bind at import)
