"""What library code (optimizers, modules, creation ops) tells the compiler. Each helper means
the same thing eagerly and while a function is traced, so `nn` and `optim` never look at the
tracer themselves, just as they reach values only through `bind`:

- `runtime_scalar(key, getter, dtype, name)`: a Python number read at every call (a learning
  rate, a momentum): its value eagerly; while tracing, a 0-d graph input bound to `getter`, so
  a scheduler changing it never retraces.
- `guarded(description, getter)`: a Python value the graph depends on (a flag, an epsilon): its
  value; while tracing, also a guard, so changing it retraces.
- `on_trace_failure(undo)`: undo a Python-side effect (a lazily created optimizer state entry)
  if the trace fails; nothing eagerly.
- `eagerly()`: a block that runs eagerly even while tracing, for state created once and then
  bound by reference (optimizer buffers, parameter initialization).
- `is_tracing()` and `module_called(module)`: whether ops currently become graph nodes, and the
  note a module makes before its forward runs (its training flag and settings are guarded).
"""
from graphgrad.modes import active_recorder, recording


def is_tracing():
    return active_recorder() is not None


def runtime_scalar(key, getter, dtype, name):
    recorder = active_recorder()
    if recorder is None or not hasattr(recorder, "scalar_input"):
        return getter()
    return recorder.scalar_input(key, getter, dtype, name)


def guarded(description, getter):
    recorder = active_recorder()
    if recorder is None or not hasattr(recorder, "guard_value"):
        return getter()
    return recorder.guard_value(description, getter)


def on_trace_failure(undo):
    recorder = active_recorder()
    if recorder is not None and hasattr(recorder, "undo"):
        recorder.undo.append(undo)


def eagerly():
    return recording(None)


def module_called(module):
    recorder = active_recorder()
    if recorder is not None and hasattr(recorder, "register_module"):
        recorder.register_module(module)
