"""The containers of an optimizer: `param_groups` entries and `state`, dicts as in torch.

Eagerly they are plain dicts. While a function is traced they tell the compiler what the
optimizer's step read and wrote, so that any torch-style optimizer, built in or written by the
user, works compiled:
- a number read from a group (`group["lr"]`) or from a parameter's state (`state["step"]`)
  is a runtime scalar (`graphgrad.scalar`): read at every call, never baked in;
- which keys a parameter's state has is guarded (the first call creates the state, later calls
  find it: each is traced once);
- entries written while tracing (new state tensors, a step count) are written back after every
  call, as the eager step would write them.
"""
from graphgrad.capture import dict_set, group_value, guarded, state_value
from graphgrad.modes import active_recorder


class ParamGroup(dict):
    """One entry of `optimizer.param_groups`."""
    __slots__ = ("optimizer",)

    def __init__(self, values, optimizer):
        super().__init__(values)
        self.optimizer = optimizer

    def __getitem__(self, key):
        value = dict.__getitem__(self, key)
        if active_recorder() is None:
            return value
        return group_value(self, key, value)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def __setitem__(self, key, value):
        dict_set(self, key, value)

    def __reduce__(self):          # copies and pickles are plain dicts
        return (dict, (dict(self),))


class ParamState(dict):
    """The state of one parameter (`optimizer.state[p]`)."""
    __slots__ = ()

    def _note_keys(self):
        if active_recorder() is not None:
            guarded(f"the keys of an optimizer's state {sorted(map(str, dict.keys(self)))}",
                    lambda: frozenset(dict.keys(self)))

    def __getitem__(self, key):
        self._note_keys()
        value = dict.__getitem__(self, key)
        if active_recorder() is None:
            return value
        return state_value(self, key, value)

    def get(self, key, default=None):
        self._note_keys()
        return self[key] if dict.__contains__(self, key) else default

    def __contains__(self, key):
        self._note_keys()
        return dict.__contains__(self, key)

    def __len__(self):
        self._note_keys()
        return dict.__len__(self)

    def keys(self):
        self._note_keys()
        return dict.keys(self)

    def __iter__(self):
        self._note_keys()
        return dict.__iter__(self)

    def items(self):
        self._note_keys()
        return [(k, self[k]) for k in dict.keys(self)]

    def __setitem__(self, key, value):
        dict_set(self, key, value)

    def setdefault(self, key, default=None):
        if not dict.__contains__(self, key):
            self[key] = default
        return self[key]

    def __reduce__(self):
        return (dict, (dict(self),))


class OptimizerState(dict):
    """`optimizer.state`: parameter -> its state, created on first access (torch's
    defaultdict(dict))."""
    __slots__ = ()

    def __missing__(self, p):
        state = ParamState()
        dict_set(self, p, state)
        return state

    def __reduce__(self):
        return (dict, (dict(self),))
