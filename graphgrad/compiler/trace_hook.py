"""Recording graphgrad's own ops with the function log's profile hook paused.

While tracing, `FunctionLog` (python_guards.py) has a profile hook that sees every Python and C
call, to learn which user functions ran. Recording an op, or deriving the backward of a traced
forward, runs only graphgrad's own code when the op's rules are graphgrad's: the hook would
record nothing there, yet it is called some fifty times per recorded op (four fifths of the
time of tracing a long chain). Those stretches run with the hook off. An op whose rules are not
all graphgrad's (one defined with `defop` in user code, or wrapping a user's function) is
recorded with the hook on, so every user function that runs is still seen.
"""
import sys
from contextlib import contextmanager

from graphgrad.diagnostics import outside_graphgrad

_setprofile = sys.setprofile
_getprofile = sys.getprofile
_OWN = {}                  # Op -> whether its rules are graphgrad's own code


def own_rules(op):
    """True when every rule of `op` that runs while tracing (shape rule, VJP, view update) is
    graphgrad code that calls no function of the user's."""
    known = _OWN.get(op)
    if known is None:
        known = _OWN[op] = all(_own(f) for f in (op.infer, op.vjp, op.view_put))
    return known


def _own(fn, depth=0):
    if fn is None:
        return True
    code = getattr(fn, "__code__", None)
    if code is None or outside_graphgrad(code.co_filename):
        return False                   # a builtin, a partial, a callable object: not known
    for cell in fn.__closure__ or ():  # a graphgrad factory's closure over a user function
        try:
            value = cell.cell_contents
        except ValueError:             # an empty cell
            continue
        if callable(value) and not isinstance(value, type) and \
                (depth > 2 or not _own(value, depth + 1)):
            return False
    return True


@contextmanager
def hook_paused(hook):
    """The block runs without the profile hook `hook` (None: nothing to pause) when it is the
    active one."""
    if hook is None or _getprofile() is not hook:
        yield
        return
    _setprofile(None)
    try:
        yield
    finally:
        _setprofile(hook)
