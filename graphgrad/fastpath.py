"""The fast path of a compiled call: one generated Python function per cache entry that checks
the call still matches the entry (argument shapes/dtypes, grad mode, guards), gathers the
schedule's inputs, runs it, writes state back and wraps the results.

It is equivalent to the general path in `compile.py` (signature lookup, guard objects, `Entry.run`)
but does the work in straight-line code with the expected values bound as constants, so a hit
costs a few microseconds. Anything unusual (keyword arguments, nested containers, a compiled
backward to attach) simply has no fast path and takes the general one.
"""
import numpy as np

from graphgrad.dispatch import MODE
from graphgrad.tensor import Tensor
from graphgrad.tracing import ArgGradSource, ArgSource, GradSource, ScalarSource, TensorSource

MISS = object()


def make_fast_path(entry, treedef, signature):
    """A function (args, kwargs) -> result or MISS, or None when the entry needs the general
    path."""
    args_def, kwargs_def = treedef.children
    if kwargs_def.children or any(c.kind != "leaf" for c in args_def.children):
        return None
    if entry.backward_exe is not None:
        return None
    env = {"_MISS": MISS, "_MODE": MODE, "_Tensor": Tensor, "_ndarray": np.ndarray,
           "_wrap": Tensor._wrap, "_asarray": np.asarray, "_run": entry.forward_exe.run,
           "_explain": entry.forward_exe}
    n = len(args_def.children)
    lines = ["def fast(args, kwargs):",
             f"    if kwargs or len(args) != {n} or _MODE.grad_enabled is not {signature[1]}:",
             "        return _MISS"]
    if n:
        lines.append("    " + ", ".join(f"x{i}" for i in range(n)) + (", = args" if n == 1
                                                                       else " = args"))
    for i, spec in enumerate(signature[2:]):
        lines += _check_argument(i, spec, env)
    known = {}                              # tensor -> local variable already holding its data
    for k, guard in enumerate(entry.guards):
        lines += _check_guard(k, guard, env)
        if guard.kind == "tensor":
            known[id(guard.obj)] = f"s{k}"
    inputs = [_read_source(j, source, env, known) for j, source in enumerate(entry.sources)]
    lines.append("    try:")
    lines.append(f"        outs = _run({', '.join(inputs)})")
    lines.append("    except Exception as e:")
    lines.append("        raise _explain._explain(e) from e")
    lines += _writebacks(entry, env)
    lines += _results(entry, env)
    source = "\n".join(lines) + "\n"
    exec(compile(source, f"<graphgrad:fastpath:{entry.name}>", "exec"), env)
    fast = env["fast"]
    fast.source = source
    return fast


def _check_argument(i, spec, env):
    if isinstance(spec, tuple) and len(spec) == 4 and isinstance(spec[0], tuple):
        shape, dtype, rg, grad_none = spec
        env[f"_D{i}"] = np.dtype(dtype)
        lines = [f"    if not isinstance(x{i}, _Tensor): return _MISS",
                 f"    d{i} = x{i}._data",
                 f"    if d{i}.__class__ is not _ndarray or d{i}.shape != {shape!r} or "
                 f"(d{i}.dtype is not _D{i} and d{i}.dtype != _D{i}) or "
                 f"x{i}._requires_grad is not {rg}: return _MISS"]
        if rg:
            lines.append(f"    if (x{i}._grad is None) is not {grad_none}: return _MISS")
        return lines
    kind, value = spec
    env[f"_C{i}"], env[f"_V{i}"] = kind, value
    return [f"    if x{i}.__class__ is not _C{i} or x{i} != _V{i}: return _MISS"]


def _check_guard(k, guard, env):
    g = f"_G{k}"
    env[g] = guard
    env[f"_O{k}"] = guard.obj
    o = f"_O{k}"
    if guard.kind == "training":
        return [f"    if {o}.training is not {guard.expected}: return _MISS"]
    if guard.kind == "attributes":     # a module's plain hyperparameters, one by one
        lines = []
        for j, (name, value) in enumerate(guard.expected):
            env[f"_A{k}_{j}"] = value
            lines.append(f"    if {o}.__dict__.get({name!r}, _MISS) != _A{k}_{j}: "
                         "return _MISS")
        return lines
    if guard.kind == "grad_none":
        return [f"    if ({o}._grad is None) is not {guard.expected}: return _MISS"]
    if guard.kind == "tensor":
        # the array object is the same as last time: its shape and dtype are too
        env[f"_L{k}"] = [None]
        rg = guard.expected[2]
        return [f"    s{k} = {o}._data",
                f"    if s{k} is not _L{k}[0]:",
                f"        if {g}.getter() != {g}.expected: return _MISS",
                f"        _L{k}[0] = s{k}",
                f"    elif {o}._requires_grad is not {rg}: return _MISS"]
    return [f"    if {g}.getter() != {g}.expected: return _MISS"]


def _read_source(j, source, env, known):
    if isinstance(source, ArgSource):
        return f"d{source.index}"
    if isinstance(source, TensorSource):
        if id(source.tensor) in known:      # read by its guard just before
            return known[id(source.tensor)]
        env[f"_T{j}"] = source.tensor
        return f"_T{j}._data"
    if isinstance(source, GradSource):
        env[f"_T{j}"] = source.tensor
        return f"_T{j}._grad._data"
    if isinstance(source, ArgGradSource):
        return f"x{source.index}._grad._data"
    if isinstance(source, ScalarSource):
        env[f"_S{j}"], env[f"_DT{j}"] = source.getter, source.dtype
        return f"_asarray(_S{j}(), _DT{j})"
    raise TypeError(f"unknown source {source!r}")


def _writebacks(entry, env):
    schedule = entry.forward_exe.schedule
    into = schedule.memory.write_into if schedule.memory is not None else {}
    lines = []
    for k, sink in enumerate(entry.sinks):
        pos = entry.n_outputs + k
        if isinstance(sink.target, int):
            t = f"x{sink.target}"
        else:
            env[f"_W{k}"] = sink.target
            t = f"_W{k}"
        if sink.attr == "data":
            if schedule.outputs[pos] not in into:     # computed in place: nothing to move
                lines.append(f"    {t}._data = outs[{pos}]")
            lines.append(f"    vc = {t}._vc")
            lines.append("    if vc is not None: vc[0] += 1")
        else:
            lines.append(f"    g = {t}._grad")
            lines.append(f"    if g is None: {t}._grad = _wrap(outs[{pos}])")
            lines.append(f"    else: g._data = outs[{pos}]")
    for k, target in enumerate(entry.resets):
        if isinstance(target, int):
            lines.append(f"    x{target}._grad = None")
        else:
            env[f"_R{k}"] = target
            lines.append(f"    _R{k}._grad = None")
    return lines


def _results(entry, env):
    template, tree = entry.out_template, entry.out_tree
    if tree.kind == "leaf":
        if entry.n_outputs == 1:
            return ["    return _wrap(outs[0])"]
        env["_CONST"] = template[0]
        return ["    return _CONST"]
    env["_finish"] = entry.finish
    return [f"    return _finish([_wrap(a) for a in outs[:{entry.n_outputs}]])"]
