"""The dtype API with PyTorch's names and rules: dtype aliases, the default float dtype,
type promotion (`promote_types`, `result_type`, `can_cast`), `finfo`/`iinfo`, and the
legacy type names ('graphgrad.FloatTensor') of `Tensor.type()`.

dtypes are NumPy dtypes. NumPy has no bfloat16, so neither has graphgrad.
"""
import numpy as np

from graphgrad.config import config

bool_ = np.dtype(np.bool_)
uint8 = np.dtype(np.uint8)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)

# graphgrad.<alias> -> dtype, as torch spells them
ALIASES = {"bool": bool_, "uint8": uint8, "int8": int8, "int16": int16, "short": int16,
           "int32": int32, "int": int32, "int64": int64, "long": int64, "float16": float16,
           "half": float16, "float32": float32, "float": float32, "float64": float64,
           "double": float64}

BFLOAT16_MESSAGE = ("graphgrad has no bfloat16: its tensors are NumPy arrays and NumPy has no "
                    "bfloat16 type; use gg.float16 or gg.float32")

# legacy tensor type names, Tensor.type() / Tensor.type('graphgrad.DoubleTensor')
_TYPE_NAMES = {bool_: "BoolTensor", uint8: "ByteTensor", int8: "CharTensor",
               int16: "ShortTensor", int32: "IntTensor", int64: "LongTensor",
               float16: "HalfTensor", float32: "FloatTensor", float64: "DoubleTensor"}
_BY_TYPE_NAME = {name: dtype for dtype, name in _TYPE_NAMES.items()}


def to_dtype(dtype):
    """A NumPy dtype from anything naming one: np.float32, 'float64', gg.int64, or Python's
    bool/int/float (which mean torch.bool, torch.int64 and torch.float64)."""
    if dtype is bool:
        return bool_
    if dtype is int:
        return int64
    if dtype is float:
        return float64
    if isinstance(dtype, str) and dtype.endswith("bfloat16"):
        raise TypeError(BFLOAT16_MESSAGE)
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"not a dtype: {dtype!r}") from None


# -- the default float dtype --------------------------------------------------------------------

def get_default_dtype():
    """The dtype of Python floats turned into tensors (float32 unless changed)."""
    return config.default_dtype


def default_float():
    return config.default_dtype


def set_default_dtype(dtype):
    """Make `dtype` (float16, float32 or float64) the dtype of Python floats, of float factories
    (gg.zeros, gg.rand, ...) and of new module parameters, as torch.set_default_dtype does."""
    dtype = to_dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the "
                        f"default type, got {dtype}")
    config.default_dtype = dtype


# -- promotion ----------------------------------------------------------------------------------

def _category(dtype):
    return {"b": 0, "u": 1, "i": 1, "f": 2}.get(dtype.kind, 3)


def promote_types(type1, type2):
    """The smallest dtype both `type1` and `type2` convert to without leaving their category
    (bool < integer < floating): torch.promote_types. uint8 with int8 is int16; any integer
    with a float is that float (int64 with float16 is float16)."""
    a, b = to_dtype(type1), to_dtype(type2)
    if a == b:
        return a
    ca, cb = _category(a), _category(b)
    if ca != cb:
        return a if ca > cb else b
    if {a.kind, b.kind} == {"u", "i"}:
        signed, unsigned = (a, b) if a.kind == "i" else (b, a)
        if signed.itemsize > unsigned.itemsize:
            return signed
        return np.dtype(f"i{min(2 * unsigned.itemsize, 8)}")
    return a if a.itemsize >= b.itemsize else b


def _scalar_type(value):
    """The dtype a Python number stands for (a float is the default dtype)."""
    if isinstance(value, (bool, np.bool_)):
        return bool_
    if isinstance(value, (int, np.integer)):
        return int64
    if isinstance(value, (float, np.floating)):
        return default_float()
    raise TypeError(f"result_type: expected a tensor or a number, got {type(value).__name__}")


def _combine(higher, lower):
    """torch's rule for joining a priority class with a lower one: the lower class counts only
    when it is of a higher category (a float 0-d tensor or scalar with integer tensors)."""
    if higher is None:
        return lower
    if lower is None or higher.kind == "f":
        return higher
    if higher == bool_ or lower.kind == "f":
        return promote_types(higher, lower)
    return higher


def result_type(*operands):
    """The dtype of an elementwise op on `operands` (tensors and Python numbers), by torch's
    rules: tensors with dimensions decide, then 0-d tensors, then Python numbers, and a lower
    class only raises the category (int32 tensor + 2.5 is float32, + a float64 0-d tensor is
    float64, + an int64 0-d tensor stays int32)."""
    classes = [None, None, None]        # with dimensions, 0-d, Python numbers
    for x in operands:
        if hasattr(x, "dtype") and hasattr(x, "shape") and not isinstance(x, np.generic):
            k, dtype = (0 if len(x.shape) else 1), x.dtype
        else:
            k, dtype = 2, _scalar_type(x)
        classes[k] = dtype if classes[k] is None else promote_types(classes[k], dtype)
    return _combine(classes[0], _combine(classes[1], classes[2]))


def can_cast(from_, to):
    """Whether an in-place op may write a `from_` result into a `to` tensor (torch.can_cast):
    not float to integer or bool, not integer to bool."""
    a, b = to_dtype(from_), to_dtype(to)
    if a.kind == "f" and b.kind in "iub":
        return False
    return not (a != bool_ and b == bool_)


# -- finfo / iinfo ------------------------------------------------------------------------------

class finfo:
    """Machine limits of a floating-point dtype (torch.finfo): bits, eps, max, min, tiny,
    smallest_normal, resolution, dtype. No argument: the default dtype."""

    def __init__(self, type=None):
        dtype = default_float() if type is None else to_dtype(type)
        if dtype.kind != "f":
            raise TypeError(f"finfo: requires a floating-point dtype, got {dtype}; use "
                            "gg.iinfo for integers")
        info = np.finfo(dtype)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = float(info.smallest_normal)
        self.smallest_normal = self.tiny
        self.resolution = 10.0 ** -int(info.precision)
        self.dtype = dtype.name

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype (torch.iinfo): bits, max, min, dtype."""

    def __init__(self, type):
        dtype = to_dtype(type)
        if dtype.kind not in "iu":
            raise TypeError(f"iinfo: requires an integer dtype, got {dtype}")
        info = np.iinfo(dtype)
        self.bits = int(info.bits)
        self.max = int(info.max)
        self.min = int(info.min)
        self.dtype = dtype.name

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


# -- predicates and type names ------------------------------------------------------------------

def is_floating_point(input):
    return input.dtype.kind == "f"


def type_name(dtype):
    """'graphgrad.FloatTensor' for float32, as Tensor.type() names it."""
    return "graphgrad." + _TYPE_NAMES[np.dtype(dtype)]


def dtype_of_type_name(name):
    """The dtype of a legacy type name ('graphgrad.DoubleTensor' or 'torch.DoubleTensor')."""
    prefix, _, short = name.rpartition(".")
    if prefix in ("graphgrad", "torch") and short in _BY_TYPE_NAME:
        return _BY_TYPE_NAME[short]
    raise TypeError(f"type: unknown tensor type name {name!r}; expected one like "
                    f"'graphgrad.FloatTensor' ({', '.join(sorted(_BY_TYPE_NAME))})")
