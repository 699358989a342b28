"""graphgrad's exception types.

Every message names the op and the shapes/dtypes involved; while tracing, the compile layer
adds the user's source line. Each class also derives from the built-in exception that PyTorch
raises for the same mistake, so `except RuntimeError` / `except IndexError` written for torch
catches graphgrad's errors too: a shape mismatch is a RuntimeError (and, as before, a
ValueError), an index or dim out of range an IndexError, an op given a dtype it does not
accept a RuntimeError (and a TypeError).
"""


class GraphgradError(Exception):
    """Base class of graphgrad's own errors."""


class ShapeError(GraphgradError, ValueError, RuntimeError):
    """Operands whose shapes do not fit the op (torch raises RuntimeError)."""


class OutOfRangeError(ShapeError, IndexError):
    """An index, class index or dim outside a tensor's range (torch raises IndexError)."""


class DTypeError(GraphgradError, TypeError, RuntimeError):
    """An operand whose dtype the op does not accept (torch raises RuntimeError)."""


class DeviceError(GraphgradError, RuntimeError):
    """A device other than the CPU: graphgrad computes on the CPU only."""


class TraceError(GraphgradError, RuntimeError):
    """Python that cannot be captured in a static graph (data-dependent control flow, ...)."""


class CheckpointError(GraphgradError, ValueError):
    """A checkpoint file that is malformed, truncated or unsafe."""


class AutogradError(GraphgradError, RuntimeError):
    """Misuse of autograd: backward twice, mutated saved tensors, non-scalar roots, ..."""


class RuntimeExecutionError(GraphgradError, RuntimeError):
    """A kernel failed while executing a compiled schedule; names the failing instruction."""


class AnomalyError(GraphgradError, RuntimeError):
    """Under `gg.detect_anomaly()`: the first op that produced a NaN from NaN-free inputs."""


class ShapeRuntimeError(ShapeError, RuntimeError):
    """A ShapeError where PyTorch raises RuntimeError, so code catching either works."""


class ShapeAssertionError(ShapeError, AssertionError):
    """A ShapeError where PyTorch raises AssertionError, so code catching either works."""


class DivisionByZeroError(GraphgradError, RuntimeError, ZeroDivisionError):
    """An integer division (or remainder) by zero; floats give inf or nan instead."""
