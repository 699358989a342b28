"""Optimizer base: parameter groups, per-parameter state, traceable hyperparameters.

Updates are written with graphgrad ops under no_grad, so `opt.step()` inside a compiled
function becomes graph nodes and in-place writes at the end of the schedule. The learning rate is
read as a runtime input (changing it never retraces); other hyperparameters are guarded (changing
them retraces). State tensors are created eagerly on first use, even while tracing, so the graph
binds them by reference.
"""
import numpy as np

from graphgrad.capture import eagerly, guarded, on_trace_failure, runtime_scalar
from graphgrad.modes import enable_grad, no_grad
from graphgrad.errors import ShapeError
from graphgrad.ops.creation import zeros_like
from graphgrad.optim.state import OptimizerState, ParamGroup, ParamState
from graphgrad.tensor import Tensor


class Optimizer:
    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.param_groups = []
        self.state = OptimizerState()
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(params[0], dict):
            params = [{"params": params}]
        for group in params:
            self.add_param_group(group)
        self._validate_hyper()

    def _validate_hyper(self):
        for group in self.param_groups:
            lr = group.get("lr")
            if lr is None or not isinstance(lr, (int, float)) or not lr >= 0:   # also NaN
                raise ValueError(f"{type(self).__name__}: invalid learning rate {lr!r} "
                                 "(must be a number >= 0)")

    def add_param_group(self, group):
        if not isinstance(group, dict):
            raise TypeError(f"add_param_group: expects a dict, got {type(group).__name__}")
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__}: parameters must be Tensors, got "
                                f"{type(p).__name__}")
            if not p.requires_grad:
                raise ValueError(f"{type(self).__name__}: a parameter of shape {p.shape} does "
                                 "not require grad")
            if id(p) in seen:
                raise ValueError(f"{type(self).__name__}: a parameter appears in more than one "
                                 "group")
            seen.add(id(p))
        full = dict(self.defaults)
        full.update(group)
        full["params"] = params
        self.param_groups.append(ParamGroup(full, self))

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                else:
                    g = p.grad
                    if g is not None:
                        g.zero_()

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._update_group(group)
        return loss

    def _update_group(self, group):
        raise NotImplementedError

    # -- helpers for subclasses -----------------------------------------------------------------
    def _lr(self, group, dtype):
        """The group's learning rate: a float eagerly, a runtime scalar input while tracing."""
        return self._runtime(group, "lr", dtype)

    def _runtime(self, group, key, dtype, item=None):
        """A hyperparameter that schedulers change (lr, momentum, betas): a float eagerly, a
        0-d input read at every call while tracing, so changing it never retraces."""
        def get(g=group):
            value = dict.__getitem__(g, key)     # the number itself, even while tracing
            return value if item is None else value[item]
        index = self._group_index(group)
        name = key if item is None else f"{key}[{item}]"
        if len(self.param_groups) > 1:
            name += f"@{index}"
        return runtime_scalar((id(self), index, key, item), get, dtype, name)

    def _enabled(self, group, key):
        """Whether a hyperparameter is non-zero: that shapes the graph, so it is guarded."""
        index = self._group_index(group)
        return guarded(f"{type(self).__name__}.param_groups[{index}][{key!r}] != 0",
                       lambda g=group: bool(dict.__getitem__(g, key)))

    def _hyper(self, group, key):
        """A hyperparameter that shapes the graph: guarded (a change retraces)."""
        index = self._group_index(group)
        return guarded(f"{type(self).__name__}.param_groups[{index}][{key!r}]",
                       lambda g=group: dict.__getitem__(g, key))

    def _group_index(self, group):
        return next(i for i, g in enumerate(self.param_groups) if g is group)

    def _state_tensor(self, p, name, init=None):
        """Persistent per-parameter state, created eagerly (zeros) the first time, even while
        tracing, so that a compiled step binds it by reference."""
        # plain dict operations: this state is created once, even while tracing, and kept
        state = dict.get(self.state, p)
        if state is None:
            state = ParamState()
            dict.__setitem__(self.state, p, state)
            # a failed trace must not leave new state behind (undo runs in reverse order)
            on_trace_failure(lambda: None if dict.__len__(state) else dict.pop(self.state, p))
        t = dict.get(state, name)
        if t is None:
            on_trace_failure(lambda: dict.pop(state, name, None))
            with eagerly():
                t = zeros_like(p, dtype=p._data.dtype) if init is None else init(p)
            t._kind = "state"
            t._name = f"{type(self).__name__.lower()}.{name}"
            dict.__setitem__(state, name, t)
        return t

    # -- saving -------------------------------------------------------------------------------
    def state_dict(self):
        index = {}
        groups = []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            g = {k: v for k, v in group.items() if k != "params"}
            g["params"] = ids
            groups.append(g)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = {k: (Tensor._wrap(v._data.copy()) if isinstance(v, Tensor)
                                               else v) for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    # names of the per-parameter state entries (subclasses list theirs)
    state_names = ()
    # group keys that learning-rate schedulers add
    scheduler_keys = {"initial_lr", "max_lr", "min_lr", "base_momentum", "max_momentum"}

    def load_state_dict(self, state_dict):
        name = type(self).__name__
        groups = state_dict.get("param_groups") if isinstance(state_dict, dict) else None
        if not isinstance(groups, list) or not isinstance(state_dict.get("state"), dict) or \
                not all(isinstance(g, dict) and isinstance(g.get("params"), (list, tuple))
                        for g in groups):
            raise ValueError(f"{name}.load_state_dict: expects a dict with 'state' (a dict) and "
                             "'param_groups' (a list of dicts, each with a 'params' list)")
        if len(groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the checkpoint has {len(groups)} "
                             f"parameter groups, the optimizer {len(self.param_groups)}")
        params = {}
        problems = []
        known = set(self.defaults) | self.scheduler_keys | {"params"}
        for i, theirs in enumerate(groups):
            foreign = sorted(set(theirs) - known - set(self.param_groups[i]))
            if foreign:
                problems.append(f"group {i}: settings {foreign} are not {name}'s (a checkpoint "
                                "of another optimizer?)")
        for entries in state_dict["state"].values():
            if not isinstance(entries, dict):
                foreign = ["<not a dict>"]
            else:       # an optimizer written by the user keeps whatever state it likes
                foreign = sorted(set(entries) - set(self.state_names)) if self.state_names \
                    else []
            if foreign:
                problems.append(f"state entries {foreign} are not {name}'s (it keeps "
                                f"{list(self.state_names)})")
                break
        for i, (mine, theirs) in enumerate(zip(self.param_groups, groups)):
            if len(mine["params"]) != len(theirs["params"]):
                problems.append(f"group {i}: {len(theirs['params'])} parameters in the "
                                f"checkpoint, {len(mine['params'])} here")
                continue
            for p, pid in zip(mine["params"], theirs["params"]):
                params[pid] = p
        state = {}
        for pid, entries in state_dict["state"].items():
            pid = int(pid)
            if pid not in params:
                problems.append(f"state for unknown parameter index {pid}")
                continue
            p = params[pid]
            converted = {}
            for k, v in entries.items():
                if isinstance(v, (Tensor, np.ndarray)):
                    arr = np.asarray(v._data if isinstance(v, Tensor) else v)
                    if k != "step" and arr.shape != p.shape:
                        problems.append(f"state {k!r} of parameter {pid}: shape {arr.shape}, "
                                        f"parameter {p.shape}")
                        continue
                    t = Tensor._wrap(np.array(arr, dtype=p._data.dtype))
                    t._kind = "state"
                    t._name = f"{type(self).__name__.lower()}.{k}"
                    converted[k] = t
                else:
                    converted[k] = v
            state[p] = converted
        if problems:
            raise ShapeError("optimizer load_state_dict failed, nothing was loaded:\n  "
                             + "\n  ".join(problems))
        for mine, theirs in zip(self.param_groups, groups):
            for k, v in theirs.items():
                if k != "params":
                    mine[k] = v
        # write into the existing state tensors: a compiled step binds them by reference.
        # State the checkpoint lacks restarts from zeros, where every optimizer state starts
        for p, entries in self.state.items():
            loaded = state.setdefault(p, {})
            for k, old in entries.items():
                if not isinstance(old, Tensor):
                    continue
                new = loaded.get(k)
                if new is not None and not isinstance(new, Tensor):
                    continue
                old._write(np.zeros_like(old._data) if new is None else new._data)
                loaded[k] = old
        # the same dict objects, updated: a compiled step may have bound them
        for p in [p for p in dict.keys(self.state) if p not in state]:
            dict.pop(self.state, p)
        for p, entries in state.items():
            target = dict.get(self.state, p)
            if target is None:
                target = ParamState()
                dict.__setitem__(self.state, p, target)
            dict.clear(target)
            dict.update(target, entries)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(g):
                if k != "params":
                    lines.append(f"    {k}: {g[k]}")
        return "\n".join(lines) + "\n)"

