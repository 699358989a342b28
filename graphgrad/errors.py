"""graphgrad's exception types.

Every message names the op and the shapes/dtypes involved; while tracing, the compile layer
adds the user's source line.
"""


class GraphgradError(Exception):
    """Base class of graphgrad's own errors."""


class ShapeError(GraphgradError, ValueError):
    """Operands whose shapes (or dtypes) do not fit the op."""


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


class DivisionByZeroError(GraphgradError, RuntimeError, ZeroDivisionError):
    """An integer division (or remainder) by zero; floats give inf or nan instead."""
