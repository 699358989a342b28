"""Devices the PyTorch way: graphgrad computes on the CPU with NumPy, and speaks torch's device
API so that device-aware programs run unchanged. `gg.device("cuda")` can be named (as in torch,
where naming a device allocates nothing), but putting a tensor or a module there raises a
DeviceError (a RuntimeError) that says graphgrad runs on the CPU.
"""
import numpy as np

from graphgrad.errors import DeviceError

__all__ = ["device", "get_default_device", "set_default_device"]

# the device types torch knows; only "cpu" holds graphgrad tensors
KNOWN_TYPES = ("cpu", "cuda", "mps", "xpu", "meta", "hip", "xla", "lazy", "ipu", "hpu", "mtia",
               "maia", "ve", "fpga", "vulkan", "mkldnn", "opengl", "opencl", "ideep",
               "privateuseone")


def _parse(text):
    kind, sep, index = text.partition(":")
    if kind not in KNOWN_TYPES:
        raise DeviceError(f"unknown device {text!r}: expected one of {', '.join(KNOWN_TYPES)} "
                          "(graphgrad runs on the CPU: use 'cpu')")
    if not sep:
        return kind, None
    if not index.isdigit() or index != str(int(index)):
        raise DeviceError(f"invalid device string {text!r}: the index after ':' must be a "
                          "non-negative integer, as in 'cpu:0'")
    return kind, int(index)


class device:
    """`gg.device("cpu")`, `gg.device("cpu", 0)`, `gg.device("cpu:0")`, `gg.device(other)`.
    An int names an accelerator, as in torch, and so raises."""

    __slots__ = ("_type", "_index")

    def __init__(self, type, index=None):    # noqa: A002  (torch's argument name)
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(device, index): the index is already in the device")
            kind, idx = type._type, type._index
        elif isinstance(type, (int, np.integer)) and not isinstance(type, (bool, np.bool_)):
            # torch reads an int as an accelerator index, and raises when there is none
            raise DeviceError(f"device({type}) names accelerator {type}: graphgrad runs on "
                              "the CPU only (use 'cpu')")
        elif isinstance(type, str):
            kind, idx = _parse(type)
            if index is not None:
                if idx is not None:
                    raise DeviceError(f"device({type!r}, {index!r}): the string must not "
                                      "include an index when index is passed explicitly")
                if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
                    raise TypeError(f"device: index must be an int, got {index!r}")
                idx = int(index)
        else:
            raise TypeError(f"device: expects a device string ('cpu', 'cpu:0'), an int or a "
                            f"device, got {type!r}")
        if idx is not None and idx < 0:
            raise DeviceError(f"device: index must not be negative, got {idx}")
        object.__setattr__(self, "_type", kind)
        object.__setattr__(self, "_index", idx)

    @property
    def type(self):
        return self._type

    @property
    def index(self):
        return self._index

    def __setattr__(self, name, value):
        raise AttributeError("graphgrad.device is immutable")

    def __eq__(self, other):
        return isinstance(other, device) and (self._type, self._index) == (other._type,
                                                                          other._index)

    def __hash__(self):
        return hash(("device", self._type, self._index))

    def __str__(self):
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __repr__(self):
        if self._index is None:
            return f"device(type={self._type!r})"
        return f"device(type={self._type!r}, index={self._index})"

    def __reduce__(self):
        return (device, (self._type, self._index))

    def __enter__(self):        # `with gg.device("cpu"):` as in torch: the CPU is the default
        check(self, "with device")
        return self

    def __exit__(self, *exc):
        return False


CPU = device("cpu")


def check(dev, what):
    """`dev` (None, a string, an int or a device) as a CPU device, or a DeviceError that says
    graphgrad runs on the CPU."""
    if dev is None or dev is CPU:
        return CPU
    if isinstance(dev, (int, np.integer)) and not isinstance(dev, (bool, np.bool_)):
        raise unavailable(f"accelerator {dev}", what)
    d = dev if isinstance(dev, device) else device(dev)
    if d._type != "cpu":
        raise unavailable(str(d), what)
    return d


def unavailable(name, what):
    return DeviceError(f"{what}: device {name!r} is not available: graphgrad runs on the CPU "
                       "only (use device='cpu'; gg.cuda.is_available() is False)")


def is_device_like(x):
    """True for what `.to(...)` reads as a device (a device, a device string, an int)."""
    if isinstance(x, device):
        return True
    if isinstance(x, str):
        return x.partition(":")[0] in KNOWN_TYPES
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def get_default_device():
    return CPU


def set_default_device(dev):
    """Accepted for "cpu" (and None); any other device raises."""
    check(dev, "set_default_device")


def _is_dtype_like(x):
    import numpy as _np
    if x in (float, int, bool):
        return True
    if isinstance(x, _np.dtype) or (isinstance(x, type) and issubclass(x, _np.generic)):
        return True
    if isinstance(x, str):
        try:
            _np.dtype(x)
        except TypeError:
            return False
        return True
    return False


_TO_FLAGS = ("non_blocking", "copy")


def to_args(args, kwargs, what, tensor_type):
    """Read torch's `.to(...)` overloads: (dtype), (device, dtype=None), (tensor), each followed
    by non_blocking and copy, all also by keyword. Returns (device, dtype, copy); the device
    is checked (a DeviceError for anything but the CPU). `tensor_type`: graphgrad's Tensor."""
    from graphgrad.ir.types import as_dtype
    Tensor = tensor_type
    kwargs = dict(kwargs)
    kwargs.pop("memory_format", None)
    dev = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    args = list(args)
    if args and isinstance(args[0], Tensor):
        other = args.pop(0)
        dev, dtype = CPU, other.dtype
    elif args and (is_device_like(args[0]) or
                   isinstance(args[0], str) and not _is_dtype_like(args[0])):
        dev = args.pop(0)
        if args and not isinstance(args[0], bool):
            dtype = args.pop(0)
    elif args and _is_dtype_like(args[0]):
        dtype = args.pop(0)
    elif args and args[0] is not None and not isinstance(args[0], bool):
        raise TypeError(f"{what}: expects a device, a dtype or a tensor, got {args[0]!r}")
    elif args and args[0] is None:
        args.pop(0)
    for name, value in zip(_TO_FLAGS, args):
        if name in kwargs:
            raise TypeError(f"{what}: got {name} twice")
        kwargs[name] = value
    if len(args) > len(_TO_FLAGS):
        raise TypeError(f"{what}: too many arguments {tuple(args)!r}")
    for name in _TO_FLAGS:
        if not isinstance(kwargs.get(name, False), (bool, np.bool_)):
            raise TypeError(f"{what}: {name} must be True or False, got {kwargs[name]!r}")
    unknown = set(kwargs) - set(_TO_FLAGS)
    if unknown:
        raise TypeError(f"{what}: unexpected keyword argument(s) {sorted(unknown)}")
    if dtype is not None and not _is_dtype_like(dtype):
        raise TypeError(f"{what}: dtype must be a dtype, got {dtype!r}")
    check(dev, what)
    return dev, as_dtype(dtype), bool(kwargs.get("copy", False))
