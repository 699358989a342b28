"""Keyword spellings torch accepts besides its own: NumPy's `axis=` for `dim=` and `keepdims=`
for `keepdim=` (torch.sum(x, axis=1, keepdims=True) is valid PyTorch)."""
import functools

_ALIASES = (("axis", "dim"), ("keepdims", "keepdim"))


def numpy_kwargs(fn):
    """Wrap a function taking `dim`/`keepdim` so it also takes `axis`/`keepdims`."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if kwargs:
            for alias, name in _ALIASES:
                if alias in kwargs:
                    if name in kwargs:
                        raise TypeError(f"{fn.__name__}() got both {name!r} and its alias "
                                        f"{alias!r}")
                    kwargs[name] = kwargs.pop(alias)
        return fn(*args, **kwargs)
    return wrapper
