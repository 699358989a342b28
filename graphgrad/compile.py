"""`gg.compile`: trace once per signature, run the compiled schedule afterwards.

A call is looked up by its signature (tensor shapes/dtypes/requires_grad, static argument values,
grad mode) and then by the guards of the entries stored under it (outside tensors' shapes, module
training flags, ...). A miss traces the Python function with tracer tensors into a graph, runs
the passes, and builds the runtime schedules; a hit runs the schedule without running the
function's Python body.
"""
import functools
import inspect
import sys
import time
import warnings
from collections import OrderedDict, deque, namedtuple

import numpy as np

from graphgrad import pytree
from graphgrad.config import config
from graphgrad.dispatch import MODE
from graphgrad.errors import GraphgradError, TraceError
from graphgrad.fastpath import MISS, make_fast_path
from graphgrad.ir.graph import Value
from graphgrad.entry import Entry
from graphgrad.passes import DEFAULT_PASSES
from graphgrad.tensor import Tensor
from graphgrad.tracing import (Trace, python_value_guards, tracing, user_location,
                               with_location)

CacheInfo = namedtuple("CacheInfo", "hits misses traces entries limit recompile_reasons")


def compile(fn=None, *, fullgraph=True, dynamic=False, mode="default", passes=None,
            static_argnames=(), donate_argnames=()):
    """Compile `fn` (a function or an nn.Module); usable as `@compile` or `@compile(...)`.

    mode: "default" (compiled), "eager" (runs `fn` as is, for comparisons) or "debug" (runs
    both, checks they agree, keeps the eager result). passes: a list of Graph -> Graph
    functions replacing the default pipeline (`[]` runs the traced graph as is).
    `fullgraph` must stay True (graph breaks are not supported); `dynamic=True` is refused
    (each shape gets its own graph); `donate_argnames` is accepted as a hint.
    """
    if fn is None:
        return functools.partial(compile, fullgraph=fullgraph, dynamic=dynamic, mode=mode,
                                 passes=passes, static_argnames=static_argnames,
                                 donate_argnames=donate_argnames)
    if mode not in ("default", "eager", "debug", "reduce-overhead", "max-autotune"):
        raise ValueError(f"compile: unknown mode {mode!r}; use 'default', 'eager' or 'debug'")
    if not fullgraph:
        raise ValueError("compile: fullgraph=False (graph breaks) is not supported; graphgrad "
                         "always captures the whole function")
    if dynamic:
        raise ValueError("compile: dynamic=True is not supported; each new shape is traced "
                         "once and cached (up to gg.config.recompile_limit entries)")
    from graphgrad.nn.module import Module
    if isinstance(fn, Module):
        return CompiledModule(fn, mode=mode, passes=passes)
    if not callable(fn):
        raise TypeError(f"compile: expects a function or an nn.Module, got {type(fn).__name__}")
    return CompiledFunction(fn, mode=mode, passes=passes, static_argnames=static_argnames)


class CompiledFunction:
    def __init__(self, fn, mode="default", passes=None, static_argnames=(), name=None):
        self.fn = fn
        self.mode = "default" if mode in ("reduce-overhead", "max-autotune") else mode
        self.passes = list(DEFAULT_PASSES if passes is None else passes)
        self.static_argnames = tuple(static_argnames)
        self.name = name or getattr(fn, "__name__", type(fn).__name__)
        self.entries = OrderedDict()          # (signature, n) -> Entry, in LRU order
        self.hits = 0
        self.misses = 0
        self.traces = 0
        self.recompile_reasons = deque(maxlen=100)   # the latest reasons
        self._warned_limit = False
        self._last = None                     # the entry the previous call used
        functools.update_wrapper(self, fn, updated=())

    # -- calling ------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if MODE.trace is not None:            # inside another compiled function: inline
            return self.fn(*args, **kwargs)
        if self.mode == "eager":
            return self.fn(*args, **kwargs)
        if self.mode == "debug":
            from graphgrad.debug_mode import run_debug
            return run_debug(self, args, kwargs)
        last = self._last
        if last is not None and last.fast is not None and not MODE.detect_anomaly:
            result = last.fast(args, kwargs)      # the common case: same as the last call
            if result is not MISS:
                self.hits += 1
                return result
        leaves, treedef = pytree.flatten((args, kwargs))
        entry = self._entry(args, kwargs, leaves, treedef)
        self._last = entry
        return entry.run(leaves)

    def _signature(self, leaves, treedef):
        parts = [treedef, MODE.grad_enabled]
        for x in leaves:
            if type(x) is Tensor or isinstance(x, Tensor):
                d = x._data
                if type(d) is Value:
                    raise TraceError("a traced tensor from a finished compiled call was passed "
                                     "to a compiled function")
                parts.append((d.shape, d.dtype.str, x._requires_grad,
                              x._requires_grad and x._grad is None))
            else:
                try:
                    hash(x)
                except TypeError:
                    raise TypeError(f"compile: the argument {x!r} of type {type(x).__name__} is "
                                    "not hashable; non-tensor arguments are static (part of "
                                    "the cache key) and must be hashable") from None
                parts.append((type(x), x))
        return tuple(parts)

    def _entry(self, args, kwargs, leaves, treedef):
        """The cached entry for this call, compiled now if there is none."""
        signature = self._signature(leaves, treedef)
        return self._lookup(signature) or self._compile(args, kwargs, leaves, treedef,
                                                        signature)

    def _lookup(self, signature):
        for key, entry in self.entries.items():
            if key[0] == signature and entry.guards_pass():
                self.entries.move_to_end(key)
                self.hits += 1
                return entry
        return None

    def _compile(self, args, kwargs, leaves, treedef, signature):
        self._check_static(args, kwargs)
        names = self._leaf_names(args, kwargs)
        reason = self._recompile_reason(signature, names)
        self.misses += 1
        entry = build_entry(self, args, kwargs, leaves, treedef, names)
        self.traces += 1
        entry.signature = signature
        entry.reason = reason
        entry.fast = make_fast_path(entry, treedef, signature)
        if reason:
            self.recompile_reasons.append(reason)
            if "recompiles" in config.logs:
                print(f"[graphgrad] recompiling {self.name}: {reason}", file=sys.stderr)
        key = (signature, self.traces)
        self.entries[key] = entry
        limit = config.recompile_limit
        while len(self.entries) > max(limit, 1):
            _, evicted = self.entries.popitem(last=False)
            if evicted is self._last:
                self._last = None
            if not self._warned_limit:
                self._warned_limit = True
                warnings.warn(f"graphgrad: {self.name} hit the recompile limit "
                              f"({limit} cached graphs); the least recently used ones are "
                              "evicted. Changing shapes or static arguments on every call "
                              "retraces each time: pad inputs to a few fixed shapes, or raise "
                              "gg.config.recompile_limit.", stacklevel=3)
        return entry

    def _check_static(self, args, kwargs):
        """Arguments named in static_argnames are part of the cache key: not tensors."""
        if not self.static_argnames:
            return
        try:
            bound = inspect.signature(self.fn).bind(*args, **kwargs).arguments
        except (TypeError, ValueError):
            return
        for name in self.static_argnames:
            if isinstance(bound.get(name), Tensor):
                raise TypeError(f"compile: {name!r} is listed in static_argnames, so its value "
                                "is part of the cache key; pass a Python value, not a tensor")

    def _leaf_names(self, args, kwargs):
        return leaf_names(self.fn, args, kwargs)

    def _recompile_reason(self, signature, names):
        if not self.entries:
            return None
        same = [e for key, e in self.entries.items() if key[0] == signature]
        if same:                      # same arguments: a guard on outside state failed
            failed = [r for r in (g.check() for g in same[-1].guards) if r]
            return "; ".join(failed) or "guards failed"
        key = next(reversed(self.entries))
        old = key[0]
        if old[0] != signature[0]:
            return f"argument structure now {signature[0]}, before {old[0]}"
        if old[1] != signature[1]:
            return f"grad mode now {signature[1]}, before {old[1]}"
        diffs = []
        for name, new, prev in zip(names, signature[2:], old[2:]):
            if new == prev:
                continue
            if isinstance(new, tuple) and len(new) == 4 and isinstance(prev, tuple) and \
                    len(prev) == 4:
                if new[0] != prev[0]:
                    diffs.append(f"arg {name}: shape now {new[0]}, before {prev[0]}")
                if new[1] != prev[1]:
                    diffs.append(f"arg {name}: dtype now {np.dtype(new[1])}, before "
                                 f"{np.dtype(prev[1])}")
                if new[2] != prev[2]:
                    diffs.append(f"arg {name}: requires_grad now {new[2]}, before {prev[2]}")
                elif new[3] != prev[3]:
                    diffs.append(f"arg {name}: .grad is None now {new[3]}, before {prev[3]}")
            else:
                diffs.append(f"arg {name}: now {_short(new)}, before {_short(prev)}")
        return "; ".join(diffs) or "signature changed"

    # -- introspection ------------------------------------------------------------------------
    def entry_for(self, *args, **kwargs):
        """The compiled entry for these arguments (tracing now if needed, without running)."""
        leaves, treedef = pytree.flatten((args, kwargs))
        return self._entry(args, kwargs, leaves, treedef)

    def graph(self, *args, which="forward", **kwargs):
        """The graph compiled for these arguments: "forward", "backward", "joint" or "step"."""
        return self.entry_for(*args, **kwargs).graph(which)

    def cache_info(self):
        return CacheInfo(self.hits, self.misses, self.traces, len(self.entries),
                         config.recompile_limit, list(self.recompile_reasons))

    def cache_clear(self):
        self.entries.clear()
        self._last = None

    def explain(self, *args, **kwargs):
        from graphgrad.explain import explain
        return explain(self, self.entry_for(*args, **kwargs))

    def __repr__(self):
        return f"<compiled {self.name}: {len(self.entries)} cached graphs>"


def leaf_names(fn, args, kwargs):
    """Readable names for the flattened arguments: 'x', 'batch[0]', ..."""
    n_leaves = len(pytree.flatten((args, kwargs))[0])
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
        positional = list(bound.arguments.items())[:len(args)]
    except (TypeError, ValueError):
        positional = [(f"arg{i}", a) for i, a in enumerate(args)]
    names = []
    for name, value in positional:
        names.extend(name + p for p in pytree.leaf_paths(value))
    for name, value in kwargs.items():
        names.extend(name + p for p in pytree.leaf_paths(value))
    if len(names) != n_leaves:
        names = [f"arg{i}" for i in range(n_leaves)]
    return names


def _short(x):
    text = repr(x[1] if isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], type) else x)
    return text if len(text) < 60 else text[:57] + "..."


class CompiledModule:
    """`gg.compile(module)`: calls go through a compiled `module.__call__`; every other
    attribute (parameters, train/eval, state_dict, ...) is the original module's."""

    def __init__(self, module, mode="default", passes=None):
        object.__setattr__(self, "_orig_mod", module)
        object.__setattr__(self, "_compiled", CompiledFunction(
            module.__call__, mode=mode, passes=passes, name=type(module).__name__))

    def __call__(self, *args, **kwargs):
        return self._compiled(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._orig_mod, name)

    def __setattr__(self, name, value):
        setattr(self._orig_mod, name, value)

    def graph(self, *args, which="forward", **kwargs):
        return self._compiled.graph(*args, which=which, **kwargs)

    def explain(self, *args, **kwargs):
        return self._compiled.explain(*args, **kwargs)

    def cache_info(self):
        return self._compiled.cache_info()

    def __repr__(self):
        return f"Compiled({self._orig_mod!r})"


# -- building an entry -------------------------------------------------------------------------

def trace_function(fn, name, args, kwargs, leaves, treedef, names, call_site=None):
    """Run `fn` on tracers; returns (trace, graph, out_leaves, out_tree, out_values, sinks,
    resets). Outside state is restored whether tracing succeeds or not."""
    trace = Trace(name)
    trace.guards.extend(python_value_guards(fn))
    traced_leaves = []
    for i, (x, leaf_name) in enumerate(zip(leaves, names)):
        traced_leaves.append(trace.add_arg(i, x, leaf_name) if isinstance(x, Tensor) else x)
    t_args, t_kwargs = pytree.unflatten(treedef, traced_leaves)
    try:
        with tracing(trace):
            result = fn(*t_args, **t_kwargs)
            out_leaves, out_tree = pytree.flatten(result)
            out_values = [trace.value_of(x) if isinstance(x, Tensor) else None
                          for x in out_leaves]
            sinks, resets = trace.sinks()
    except (GraphgradError, TypeError, ValueError, IndexError) as e:
        trace.rollback()
        raise with_location(e, name, call_site) from None
    except BaseException:
        trace.rollback()
        raise
    finally:
        trace.restore()
    tensor_outs = [v for v in out_values if v is not None]
    graph = trace.builder.finish(tensor_outs + [v for _, v in sinks],
                                 ["out"] * len(tensor_outs) + [s.attr for s, _ in sinks])
    return trace, graph, out_leaves, out_tree, out_values, sinks, resets


def build_entry(compiled, args, kwargs, leaves, treedef, names):
    start = time.perf_counter()
    trace, graph, out_leaves, out_tree, out_values, sinks, resets = trace_function(
        compiled.fn, compiled.name, args, kwargs, leaves, treedef, names, user_location())
    entry = Entry(compiled.name, trace, graph, out_leaves, out_tree, out_values, sinks, resets)
    tensor_values = [v for v in out_values if v is not None]
    diff_outputs = [i for i, v in enumerate(tensor_values) if v.requires_grad]
    aot = (MODE.grad_enabled and not trace.backward_called and diff_outputs
           and any(v.requires_grad for v in graph.inputs))
    if aot:
        entry.build_aot(compiled.passes, diff_outputs)
    else:
        entry.build_single(compiled.passes)
    entry.compile_seconds = time.perf_counter() - start
    if config.debug_dir:
        entry.dump(config.debug_dir)
    return entry
