"""A compiled call is all or nothing, Ctrl-C included.

A compiled training step writes many state arrays (parameters, optimizer buffers, step
counts). A KeyboardInterrupt arriving between two of those writes would leave the model half
updated. `deferred_interrupts()` brackets a call: a SIGINT that arrives inside is remembered
and raised as KeyboardInterrupt right after the call has committed all of its writes.

Python delivers signals to the main thread only, so calls in other threads need nothing. The
handler is (re)installed at a compiled call in the main thread whenever SIGINT's handler is
not ours, and passes signals through to the handler it replaced (Python's default, or one the
program installed, say to save a checkpoint) whenever no call is committing. A SIGINT that is
ignored or left to the OS's default stays so.
"""
import signal
import threading
from _signal import getsignal as _getsignal

_MAIN = threading.main_thread().ident


class _State:
    depth = 0           # calls in progress in the main thread
    pending = False     # a SIGINT arrived during one
    previous = None     # the handler to pass signals to


def _handler(signum, frame):
    if _State.depth:
        _State.pending = True
        return
    _pass_on(signum, frame)


def _pass_on(signum, frame):
    previous = _State.previous
    if callable(previous):
        previous(signum, frame)
    else:
        raise KeyboardInterrupt


def _install(current):
    if callable(current):
        _State.previous = current
        signal.signal(signal.SIGINT, _handler)


def begin():
    if threading.get_ident() != _MAIN:
        return
    current = _getsignal(signal.SIGINT)      # the C function: no enum conversion per call
    if current is not _handler and _State.depth == 0:
        _install(current)
    _State.depth += 1


def end():
    if threading.get_ident() != _MAIN:
        return
    _State.depth -= 1
    if _State.depth == 0 and _State.pending:
        _State.pending = False
        _pass_on(signal.SIGINT, None)


class deferred_interrupts:
    """`with deferred_interrupts():` — the general path's form of begin()/end()."""

    def __enter__(self):
        begin()
        return self

    def __exit__(self, *exc):
        end()
        return False
