"""What errors say and where they point: the user's source line (the innermost frame outside
graphgrad), the data-dependent-Python refusal, and the NaN check of anomaly mode. Used by ops,
the tracer and the runtime alike."""
import os
import sys

import numpy as np

from graphgrad.errors import AnomalyError, TraceError

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def outside_graphgrad(filename):
    """True for user code: not a graphgrad module and not graphgrad's generated code."""
    known = _OUTSIDE.get(filename)
    if known is None:
        known = not os.path.abspath(filename).startswith(_PACKAGE_DIR) and \
            not filename.startswith("<graphgrad")
        if len(_OUTSIDE) < 4096:        # every op records its line while tracing: remember
            _OUTSIDE[filename] = known
    return known


_OUTSIDE = {}


def user_location():
    """'file.py:12' of the innermost frame outside graphgrad, or '<unknown>'."""
    frame = sys._getframe(1)
    outside = _OUTSIDE
    while frame is not None:
        filename = frame.f_code.co_filename
        known = outside.get(filename)
        if known is None:
            known = outside_graphgrad(filename)
        if known:
            return f"{filename}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"


def location_in(tb):
    """'file.py:12' of the innermost traceback frame outside graphgrad."""
    found = None
    while tb is not None:
        if outside_graphgrad(tb.tb_frame.f_code.co_filename):
            found = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found


def with_location(error, name, call_site=None):
    """The same kind of error, its message extended with the user's line (while tracing): the
    innermost frame outside graphgrad, else the line that called the compiled function."""
    location = location_in(error.__traceback__) or call_site
    if location is None or location in str(error) or "(at " in str(error):
        return error
    try:
        new = type(error)(f"{error} (while tracing {name}, at {location})")
    except TypeError:
        return error
    return new.with_traceback(error.__traceback__)


def data_dependent_error(what):
    return TraceError(
        f"{what} needs the tensor's value, which is only known when the compiled graph runs "
        f"(at {user_location()}). Use gg.where(cond, a, b) for a data-dependent choice, pass "
        "the value as a static (non-tensor) argument, or move this code out of the compiled "
        "function.")


def check_nan(what, out, inputs, where=None):
    """Raise AnomalyError if `out` holds a NaN although none of `inputs` does."""
    if out.dtype.kind != "f" or not np.isnan(out).any():
        return
    if any(a.dtype.kind == "f" and np.isnan(a).any() for a in inputs):
        return
    shapes = ", ".join(f"{tuple(a.shape)} {a.dtype}" for a in inputs)
    raise AnomalyError(f"detect_anomaly: {what} produced NaN from inputs without NaN "
                       f"({shapes}) at {where or user_location()}")
