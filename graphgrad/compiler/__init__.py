"""The compiler front end: `gg.compile` and the functional transforms.

A call goes compile (`api.py`: signature lookup, cache, guards) -> trace (`trace.py`, with
`trace_python.py` and `trace_grads.py`: the function runs once on tracer tensors; outside
state becomes input bindings, writebacks and guards: `bindings.py`, `guards.py`,
`state_guards.py`, `python_guards.py` with `bytecode.py`) -> passes (`graphgrad.passes`) ->
schedules (`entry.py`, `graphgrad.runtime`) -> run (the entry's general path, or the fast path
generated from the same bindings: `fastpath.py`). `transforms.py` holds grad, value_and_grad
and trace; `debug.py` debug mode, explain and graph dumps.
"""
from graphgrad.compiler.api import CompiledFunction, CompiledModule, compile
from graphgrad.compiler.transforms import grad, trace, value_and_grad

__all__ = ["compile", "CompiledFunction", "CompiledModule", "grad", "value_and_grad", "trace"]
