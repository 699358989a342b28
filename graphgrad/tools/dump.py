"""`python -m graphgrad dump SCRIPT_OR_MODULE:FN --out DIR`: write a compiled function's graphs.

FN names, in a script file (`path/to/train.py:step`) or an importable module
(`package.module:step`), either
- a compiled function (`gg.compile`) that the script/module already called, or
- a function taking no arguments that returns `(fn, example_args)` or
  `(fn, example_args, example_kwargs)`; `fn` (compiled or not) is traced on those arguments.
For every compiled signature the traced, forward, backward and optimized graphs are written as
text and .dot, plus .svg when Graphviz's `dot` program is installed.
"""
import importlib
import os
import runpy


def load_target(spec):
    if ":" not in spec:
        raise ValueError(f"dump: expected SCRIPT_OR_MODULE:FN, got {spec!r}")
    where, name = spec.rsplit(":", 1)
    if where.endswith(".py") or os.path.sep in where:
        if not os.path.exists(where):
            raise FileNotFoundError(f"dump: no such script {where!r}")
        namespace = runpy.run_path(where, run_name="__graphgrad_dump__")
    else:
        namespace = vars(importlib.import_module(where))
    if name not in namespace:
        raise AttributeError(f"dump: {where} has no attribute {name!r}")
    return namespace[name]


def _as_compiled(fn):
    from graphgrad.compiler import CompiledFunction, CompiledModule
    if isinstance(fn, CompiledModule):
        return fn._compiled
    if isinstance(fn, CompiledFunction):
        return fn
    if isinstance(getattr(fn, "compiled", None), CompiledFunction):   # gg.grad / value_and_grad
        return fn.compiled
    return None


def _compiled_of(target):
    """(compiled function, example (args, kwargs) or None) for a dump target."""
    from graphgrad.compiler import compile
    compiled = _as_compiled(target)
    if compiled is not None:
        return compiled, None
    if not callable(target):
        raise TypeError(f"dump: {target!r} is neither a compiled function nor a function")
    made = target()
    if not isinstance(made, tuple) or len(made) not in (2, 3):
        raise TypeError("dump: a plain function must return (fn, example_args) or "
                        "(fn, example_args, example_kwargs)")
    fn, args = made[0], tuple(made[1])
    kwargs = made[2] if len(made) == 3 else {}
    return _as_compiled(fn) or compile(fn), (args, kwargs)


def dump(spec, out_dir):
    """Write the graphs; returns the list of files written."""
    from graphgrad.ir.dot import write_files
    compiled, example = _compiled_of(load_target(spec))
    if example is not None:
        compiled.entry_for(*example[0], **example[1])
    entries = list(compiled.entries.values())
    if not entries:
        raise RuntimeError(f"dump: {compiled.name} has no compiled graphs yet; call it once in "
                           "the script, or point dump at a function returning (fn, args)")
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for k, entry in enumerate(entries):
        views = {"traced": entry.traced, "optimized": entry.graph("optimized")}
        for which in ("forward", "backward"):
            try:
                views[which] = entry.graph(which)
            except ValueError:
                pass              # no backward: nothing required gradients
        for which, graph in views.items():
            written += write_files(graph, os.path.join(out_dir, f"{compiled.name}.{k}.{which}"),
                                   svg=True)
    return written
