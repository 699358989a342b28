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


# -- optimizer containers (graphgrad.optim.state) ---------------------------------------------

def dict_set(d, key, value):
    """`d[key] = value` on an optimizer's group or state dict; while tracing, the trace logs it
    (it is undone after tracing and written back after every call)."""
    recorder = active_recorder()
    if recorder is None or not hasattr(recorder, "dict_set"):
        dict.__setitem__(d, key, value)
    else:
        recorder.dict_set(d, key, value)


def group_value(group, key, value):
    """A value read from an optimizer's param group while tracing (see optim.state)."""
    recorder = active_recorder()
    if not hasattr(recorder, "python_value"):
        return value
    optimizer = group.optimizer
    recorder.note_optimizer(optimizer)
    if key == "params":
        return value
    index = next((i for i, g in enumerate(optimizer.param_groups) if g is group), "?")
    return recorder.python_value(group, key, value, f"{type(optimizer).__name__}."
                                                    f"param_groups[{index}][{key!r}]")


def state_value(state, key, value):
    """A value read from a parameter's optimizer state while tracing (see optim.state)."""
    recorder = active_recorder()
    if not hasattr(recorder, "python_value"):
        return value
    return recorder.python_value(state, key, value, f"optimizer state[{key!r}]")
