"""`gg.compile`: trace once per signature, run the compiled schedule afterwards.

A call is looked up by its `Signature` (tensor shapes/dtypes/requires_grad, static argument
values, grad mode) and then by the guards of the entries stored under it (outside tensors'
shapes, module training flags, ...). A miss traces the Python function with tracer tensors into
a graph (`compiler/trace.py`), runs the passes, and builds the runtime schedules
(`compiler/entry.py`); a hit runs the schedule without running the function's Python body,
usually through the entry's generated fast path (`compiler/fastpath.py`).
"""
import functools
import inspect
import sys
import threading
import time
import warnings
from collections import OrderedDict, deque, namedtuple

from graphgrad import pytree
from graphgrad.compiler.entry import Entry
from graphgrad.compiler.fastpath import MISS, make_fast_path
from graphgrad.compiler.signature import Signature, leaf_names
from graphgrad.compiler.trace import trace_function
from graphgrad.config import config
from graphgrad.diagnostics import user_location
from graphgrad.modes import active_recorder, anomaly_enabled, grad_enabled
from graphgrad.passes import DEFAULT_PASSES
from graphgrad.passes.manager import collector_paused
from graphgrad.runtime.native import check_backend
from graphgrad.tensor import Tensor

CacheInfo = namedtuple("CacheInfo", "hits misses traces entries limit recompile_reasons")


def compile(fn=None, *, fullgraph=True, dynamic=False, mode="default", passes=None,
            static_argnames=(), donate_argnames=(), backend=None):
    """Compile `fn` (a function or an nn.Module); usable as `@compile` or `@compile(...)`.

    mode: "default" (compiled), "eager" (runs `fn` as is, for comparisons) or "debug" (runs
    both, checks they agree, keeps the eager result). passes: a list of Graph -> Graph
    functions replacing the default pipeline (`[]` runs the traced graph as is).
    backend: "numpy" (the default, `gg.config.backend` / GRAPHGRAD_BACKEND) or "numba" (the
    whole schedule as generated numba code; needs the extra graphgrad[fast]).
    `fullgraph` must stay True (graph breaks are not supported); `dynamic=True` is refused
    (each shape gets its own graph); `donate_argnames` is accepted as a hint.
    """
    if fn is None:
        return functools.partial(compile, fullgraph=fullgraph, dynamic=dynamic, mode=mode,
                                 passes=passes, static_argnames=static_argnames,
                                 donate_argnames=donate_argnames, backend=backend)
    if mode not in ("default", "eager", "debug", "reduce-overhead", "max-autotune"):
        raise ValueError(f"compile: unknown mode {mode!r}; use 'default', 'eager' or 'debug'")
    if not fullgraph:
        raise ValueError("compile: fullgraph=False (graph breaks) is not supported; graphgrad "
                         "always captures the whole function")
    if dynamic:
        raise ValueError("compile: dynamic=True is not supported; each new shape is traced "
                         "once and cached (up to gg.config.recompile_limit entries)")
    backend = config.backend if backend is None else backend
    check_backend(backend)
    from graphgrad.nn.module import Module
    if isinstance(fn, Module):
        return CompiledModule(fn, mode=mode, passes=passes, backend=backend)
    if not callable(fn):
        raise TypeError(f"compile: expects a function or an nn.Module, got {type(fn).__name__}")
    return CompiledFunction(fn, mode=mode, passes=passes, static_argnames=static_argnames,
                            backend=backend)


class CompiledFunction:
    def __init__(self, fn, mode="default", passes=None, static_argnames=(), name=None,
                 backend="numpy"):
        self.fn = fn
        self.backend = backend                # every entry's schedules run on this runtime
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
        # one call at a time: schedules reuse their buffers, and tracing briefly stands
        # tracers in for the real tensors
        self._lock = threading.RLock()
        functools.update_wrapper(self, fn, updated=())

    # -- calling ------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if active_recorder() is not None:         # inside another compiled function: inline
            return self.fn(*args, **kwargs)
        if self.mode == "eager":
            return self.fn(*args, **kwargs)
        if self.mode == "debug":
            from graphgrad.compiler.debug import run_debug
            return run_debug(self, args, kwargs)
        with self._lock:
            last = self._last
            if last is not None and last.fast is not None and not anomaly_enabled():
                result = last.fast(args, kwargs)      # the common case: same as the last call
                if result is not MISS:
                    self.hits += 1
                    return result
            leaves, treedef = pytree.flatten((args, kwargs))
            entry = self.entry_for_leaves(args, kwargs, leaves, treedef)
            self._last = entry
            return entry.run(leaves)

    def entry_for_leaves(self, args, kwargs, leaves, treedef):
        """The cached entry for this call, compiled now if there is none."""
        signature = Signature.of(leaves, treedef, grad_enabled())
        return self._lookup(signature, leaves) or self._compile(args, kwargs, leaves, treedef,
                                                                signature)

    def _lookup(self, signature, leaves):
        for key, entry in self.entries.items():
            if key[0] == signature and entry.guards_pass(leaves):
                self.entries.move_to_end(key)
                self.hits += 1
                return entry
        return None

    def _compile(self, args, kwargs, leaves, treedef, signature):
        self._check_static(args, kwargs)
        names = leaf_names(self.fn, args, kwargs)
        reason = self._recompile_reason(signature, names, leaves)
        self.misses += 1
        entry = build_entry(self, leaves, treedef, names, signature)
        self.traces += 1
        entry.reason = reason
        if reason:
            self.recompile_reasons.append(reason)
            if "recompiles" in config.logs:
                print(f"[graphgrad] recompiling {self.name}: {reason}", file=sys.stderr)
        self.entries[(signature, self.traces)] = entry
        self._evict()
        return entry

    def _evict(self):
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
                              "gg.config.recompile_limit.", stacklevel=5)

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

    def _recompile_reason(self, signature, names, leaves):
        if not self.entries:
            return None
        same = [e for key, e in self.entries.items() if key[0] == signature]
        if same:                      # same arguments: a guard on outside state failed
            failed = [r for r in (g.check_leaves(leaves) if hasattr(g, "check_leaves")
                                  else g.check() for g in same[-1].guards) if r]
            return "; ".join(failed) or "guards failed"
        before = next(reversed(self.entries))[0]
        return signature.diff(before, names)

    # -- introspection ------------------------------------------------------------------------
    def entry_for(self, *args, **kwargs):
        """The compiled entry for these arguments (tracing now if needed, without running)."""
        leaves, treedef = pytree.flatten((args, kwargs))
        with self._lock:
            return self.entry_for_leaves(args, kwargs, leaves, treedef)

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
        from graphgrad.compiler.debug import explain
        return explain(self, self.entry_for(*args, **kwargs))

    def __repr__(self):
        return f"<compiled {self.name}: {len(self.entries)} cached graphs>"


class CompiledModule:
    """`gg.compile(module)`: calls go through a compiled `module.__call__`; every other
    attribute (parameters, train/eval, state_dict, ...) is the original module's."""

    def __init__(self, module, mode="default", passes=None, backend="numpy"):
        object.__setattr__(self, "_orig_mod", module)
        object.__setattr__(self, "_compiled", CompiledFunction(
            module.__call__, mode=mode, passes=passes, name=type(module).__name__,
            backend=backend))

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


def build_entry(compiled, leaves, treedef, names, signature):
    """Trace, run the passes, build the schedules (and the fast path) for one signature."""
    with collector_paused():      # see passes/manager.py: a big graph's objects, walked
        return _build_entry(compiled, leaves, treedef, names, signature)


def _build_entry(compiled, leaves, treedef, names, signature):
    start = time.perf_counter()
    traced = trace_function(compiled.fn, compiled.name, leaves, treedef, names,
                            user_location())
    entry = Entry(compiled.name, traced)
    entry.backend = compiled.backend
    entry.signature = signature
    entry.fn = compiled.fn
    if entry.eager_reason is not None:
        entry.compile_seconds = time.perf_counter() - start
        return entry
    tensor_values = [v for v in traced.out_values if v is not None]
    diff_outputs = [i for i, v in enumerate(tensor_values) if v.requires_grad]
    aot = (grad_enabled() and not entry.whole_step and diff_outputs
           and any(v.requires_grad for v in traced.graph.inputs))
    if aot:
        entry.build_aot(compiled.passes, diff_outputs)
    else:
        entry.build_single(compiled.passes)
    entry.fast = make_fast_path(entry)
    entry.compile_seconds = time.perf_counter() - start
    if config.debug_dir:
        from graphgrad.compiler.debug import dump_entry
        dump_entry(entry, config.debug_dir)
    return entry
