"""The fast path of a compiled call: one generated Python function per cache entry that checks
the call still matches the entry, gathers the schedule's inputs, runs it, writes state back and
wraps the results.

It is assembled from the same objects the general path uses, each emitting its own rule as
source: the signature's argument specs (`emit_check`), the guards (`emit`), the input bindings
(`emit_read`) and the writebacks (`emit_write`). So the two paths cannot drift apart, and a hit
costs a few microseconds. Anything unusual (keyword arguments, nested containers, a compiled
backward to attach) has no fast path and takes the general one.
"""
import numpy as np

from graphgrad.compiler.signature import TensorSpec, alias_pattern, storage_root
from graphgrad.compiler.state_guards import ModuleGuard
from graphgrad.compiler.trace import GRAPH
from graphgrad.modes import grad_enabled
from graphgrad.nn.module import STRUCTURE
from graphgrad.runtime import commit
from graphgrad.tensor import Tensor

MISS = object()


class FastPathSource:
    """The source being written: `env` holds the objects it refers to, `known` the locals that
    already hold a tensor's data (id(tensor) -> local name)."""

    def __init__(self):
        self.env = {"_MISS": MISS, "_grad_enabled": grad_enabled, "_Tensor": Tensor,
                    "_ndarray": np.ndarray, "_wrap": Tensor._wrap, "_dict_set": dict.__setitem__}
        self.known = {}
        self._count = 0

    def const(self, obj, prefix="K"):
        """A global name bound to `obj`."""
        self._count += 1
        name = f"_{prefix}{self._count}"
        self.env[name] = obj
        return name

    def local(self, prefix):
        self._count += 1
        return f"{prefix}{self._count}"


def make_fast_path(entry):
    """A function (args, kwargs) -> result or MISS, or None when the entry needs the general
    path."""
    signature = entry.signature
    args_def, kwargs_def = signature.structure.children
    if kwargs_def.children or any(c.kind != "leaf" for c in args_def.children):
        return None
    if entry.backward_exe is not None:
        return None
    fp = FastPathSource()
    n = len(args_def.children)
    body = [f"if kwargs or len(args) != {n} or _grad_enabled() is not "
            f"{signature.grad_enabled}:",
            "    return _MISS"]
    if n:
        body.append(", ".join(f"x{i}" for i in range(n)) + (", = args" if n == 1 else " = args"))
    for i, spec in enumerate(signature.args):
        body += spec.emit_check(i, fp)
    tensors = [i for i, spec in enumerate(signature.args) if isinstance(spec, TensorSpec)]
    if len(tensors) > 1:
        fp.env["_alias_pattern"] = alias_pattern
        check = f"if _alias_pattern(args) != {fp.const(signature.aliases, 'AP')}: return _MISS"
        if all(a is None for a in signature.aliases):
            # no aliasing expected: arrays with distinct memory owners cannot alias, and that
            # is quicker to see than the pattern (computed only when an owner repeats)
            fp.env["_storage_root"] = storage_root
            roots = ", ".join(f"id(_storage_root(d{i}))" for i in tensors)
            body += [f"if len({{{roots}}}) != {len(tensors)}:", "    " + check]
        else:
            body.append(check)
    structure = []
    for guard in entry.guards:
        if isinstance(guard, ModuleGuard):
            body += guard.emit_values(fp)
            structure += guard.emit_structure(fp)
        else:
            body += guard.emit(fp)
    if structure:
        # the modules' attributes, members and flags are compared again only when some module
        # changed since they last matched
        seen, now = fp.const([-1], "E"), fp.local("e")
        fp.env["_STRUCTURE"] = STRUCTURE
        body += [f"{now} = _STRUCTURE[0]", f"if {now} != {seen}[0]:"]
        body += ["    " + line for line in structure] + [f"    {seen}[0] = {now}"]
    for sink in entry.sinks:
        if sink.attr == "data":
            body += sink.emit_check(fp)
    inputs = [binding.emit_read(fp) for binding in entry.inputs]
    run, exe = fp.const(entry.forward_exe.run, "run"), fp.const(entry.forward_exe, "exe")
    fp.env["_begin"], fp.env["_end"] = commit.begin, commit.end
    # all or nothing: a Ctrl-C arriving now is raised by _end, after the writebacks
    body += ["_begin()",
             "try:",
             "    try:",
             f"        outs = {run}({', '.join(inputs)})",
             "    except Exception as e:",
             f"        raise {exe}._explain(e) from e"]
    body += ["    " + line for line in _writebacks(entry, fp)]
    body += ["finally:",
             "    _end()"]
    body += _results(entry, fp)
    source = "def fast(args, kwargs):\n" + "".join(f"    {line}\n" for line in body)
    exec(compile(source, f"<graphgrad:fastpath:{entry.name}>", "exec"), fp.env)
    fast = fp.env["fast"]
    fast.source = source
    return fast


def _writebacks(entry, fp):
    schedule = entry.forward_exe.schedule
    into = schedule.memory.write_into if schedule.memory is not None else {}
    lines = []
    for k, sink in enumerate(entry.sinks):
        pos = entry.n_outputs + k
        in_place = schedule.outputs[pos] in into     # computed straight into the state's array
        lines += sink.emit_write(fp, f"outs[{pos}]", in_place)
    for action in entry.actions:
        lines += action.emit_write(fp)
    return lines


def _results(entry, fp):
    if entry.out_tree.kind == "leaf" and entry.n_outputs == 1 and entry.results[0] is GRAPH:
        return ["return _wrap(outs[0])"]
    finish = fp.const(entry.finish, "finish")
    # on the fast path the flattened arguments are `args` itself
    return [f"return {finish}([_wrap(a) for a in outs[:{entry.n_outputs}]], args)"]
