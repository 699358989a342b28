"""A compiled call is all or nothing, Ctrl-C included.

A compiled training step writes many state arrays (parameters, optimizer buffers, step
counts). A KeyboardInterrupt arriving between two of those writes would leave the model half
updated. `deferred_interrupts()` brackets a call: a SIGINT that arrives inside is remembered
and raised as KeyboardInterrupt right after the call has committed all of its writes.

Python delivers signals to the main thread only, so calls in other threads need nothing. The
handler is installed once, at the first compiled call in the main thread, and passes signals
through to the handler that was there before whenever no call is committing. A handler
installed later by the program replaces it (and the deferral with it).
"""
import signal
import threading

_MAIN = threading.main_thread().ident


class _State:
    depth = 0           # calls in progress in the main thread
    pending = False     # a SIGINT arrived during one
    previous = None     # the handler to pass signals to
    installed = False


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


def _install():
    _State.installed = True
    current = signal.getsignal(signal.SIGINT)
    if callable(current) and current is not _handler:
        _State.previous = current
        signal.signal(signal.SIGINT, _handler)


def begin():
    if threading.get_ident() != _MAIN:
        return
    if not _State.installed:
        _install()
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
