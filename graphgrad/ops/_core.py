"""Shared helpers for op definitions: defining primitives, operand conversion, shape rules."""
import numpy as np

from graphgrad.dispatch import bind
from graphgrad.dtypes import default_float, result_type
from graphgrad.errors import DTypeError, ShapeError
from graphgrad.modes import active_recorder
from graphgrad.scalar import RuntimeScalar
from graphgrad.ir.op import Op, register
from graphgrad.ir.types import TensorType, broadcast_shapes, short_dtype
from graphgrad.tensor import Tensor


def defop(name, infer, impl, vjp=None, **flags):
    """Register a primitive and return its Op record (bind it with `bind(OP, *tensors, **attrs)`).
    A NumPy ufunc kernel (or one standing for a ufunc, see `Op.ufunc`) also gets an `out=`
    form, which may run in place."""
    ufunc = impl if isinstance(impl, np.ufunc) else getattr(impl, "ufunc", None)
    if ufunc is not None and "out_impl" not in flags:
        flags["out_impl"] = _ufunc_out(ufunc)
        flags.setdefault("inplace", True)
    return register(Op(name=name, infer=infer, impl=impl, vjp=vjp, **flags))


def _ufunc_out(ufunc):
    def out_impl(out, *arrays):
        return ufunc(*arrays, out=out)
    out_impl.__name__ = f"{ufunc.__name__}_out"
    return out_impl


def describe(x):
    return f"{tuple(x.shape)} {short_dtype(x.dtype)}"


# -- shape rules ------------------------------------------------------------------------------

def same_as_input(name, float_only=False, no_bool=False):
    def infer(x, **attrs):
        if float_only and x.dtype.kind != "f":
            raise DTypeError(f"{name}: expects a floating-point tensor, got {describe(x)}")
        if no_bool and x.dtype == np.bool_:
            raise DTypeError(f"{name}: not supported for bool tensors, got {describe(x)}")
        return TensorType(tuple(x.shape), x.dtype)
    return infer


def broadcast_infer(name, out_dtype=None, float_only=False):
    def infer(*xs, **attrs):
        dtype = xs[0].dtype
        for x in xs[1:]:
            if x.dtype != dtype:
                raise DTypeError(f"{name}: operands must share a dtype, got "
                                f"{', '.join(describe(x) for x in xs)}")
        if float_only and dtype.kind != "f":
            raise DTypeError(f"{name}: expects floating-point tensors, got {describe(xs[0])}")
        shape = broadcast_shapes(name, *(tuple(x.shape) for x in xs))
        return TensorType(shape, np.dtype(out_dtype) if out_dtype is not None else dtype)
    return infer


# -- operands ---------------------------------------------------------------------------------

def const(value, dtype):
    """A constant tensor: an array in eager mode, a `constant` node while tracing."""
    arr = np.asarray(value, dtype=dtype)
    if active_recorder() is None:
        return Tensor._wrap(arr)
    from graphgrad.ops.creation import CONSTANT
    return bind(CONSTANT, value=arr)


def as_tensor(x, dtype=None, device=None):
    """Tensors pass through; numbers, lists and arrays become constants (torch.tensor rules)."""
    if device is not None:
        from graphgrad.devices import check
        check(device, "as_tensor")
    if isinstance(x, RuntimeScalar):
        x = _number_tensor(x, dtype or scalar_dtype(x.value, np.dtype(np.int64)))
    if isinstance(x, Tensor):
        if dtype is not None and x.dtype != dtype:
            from graphgrad.ops.elementwise import cast
            return cast(x, dtype)
        return x
    from graphgrad.tensor import to_array
    return const(to_array(x, dtype), None)


def scalar_dtype(value, like):
    """dtype for a Python number combined with a tensor of dtype `like` (weak scalar typing)."""
    if isinstance(value, RuntimeScalar):
        value = value.value
    if isinstance(value, (bool, np.bool_)):
        return like
    if isinstance(value, (int, np.integer)):
        return like if like.kind in "iuf" else np.dtype(np.int64)
    if isinstance(value, (float, np.floating)):
        return like if like.kind == "f" else default_float()
    raise TypeError(f"unsupported operand of type {type(value).__name__}")


def as_tensor_like(x, like):
    """`x` as a tensor to combine with tensor `like`: Python scalars take like's dtype."""
    if isinstance(x, Tensor):
        return x
    if _is_number(x):
        return _number_tensor(x, scalar_dtype(x, like.dtype))
    return as_tensor(x)


def _is_number(x):
    return isinstance(x, (bool, int, float, np.number, np.bool_, RuntimeScalar))


def _number_tensor(x, dtype):
    """A Python number (or a runtime scalar, read by the graph at every call) as a tensor."""
    if isinstance(x, RuntimeScalar):
        from graphgrad.ops.elementwise import cast
        return x.tensor if x.tensor.dtype == dtype else cast(x.tensor, dtype)
    return const(x, dtype)


def operands(a, b):
    """Two op operands as tensors of their common dtype, by torch's promotion rules
    (`gg.result_type`: Python numbers and 0-d tensors only raise the category); casts are
    inserted where needed."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            if a.dtype == b.dtype:
                return a, b
        elif _is_number(b):              # the common tensor-and-number case, quickly
            dtype = scalar_dtype(b, a.dtype)
            return _as_dtype(a, dtype), _number_tensor(b, dtype)
    elif isinstance(b, Tensor) and _is_number(a):
        dtype = scalar_dtype(a, b.dtype)
        return _number_tensor(a, dtype), _as_dtype(b, dtype)
    if not isinstance(a, Tensor) and not _is_number(a):
        a = as_tensor(a)
    if not isinstance(b, Tensor) and not _is_number(b):
        b = as_tensor(b)
    dtype = result_type(a, b)
    return _as_dtype(a, dtype), _as_dtype(b, dtype)


def _as_dtype(x, dtype):
    if not isinstance(x, Tensor):
        return const(x, dtype)
    if x.dtype != dtype:
        from graphgrad.ops.elementwise import cast
        return cast(x, dtype)
    return x


def float_operand(x):
    """Integer/bool tensors become the default float (like torch.exp on an int tensor)."""
    x = as_tensor(x)
    if x.dtype.kind != "f":
        from graphgrad.ops.elementwise import cast
        return cast(x, default_float())
    return x


def per_signature(make_kernel, limit=1024):
    """An eager kernel of one array that runs what compiled schedules run for its type:
    `make_kernel((x,), **attrs)` (an op's `kernel` factory), built once per shape, dtype and
    attrs. A factory's choices (row-wise maxima, sums as matrix-vector products) are made
    once per schedule; made on every eager call they cost more than a small tensor's work."""
    kernels = {}

    def impl(x, **attrs):
        key = (x.shape, x.dtype, *attrs.values())
        kernel = kernels.get(key)
        if kernel is None:
            if len(kernels) >= limit:
                kernels.clear()
            kernel = kernels[key] = make_kernel((x,), **attrs)
        return kernel(x)
    return impl


# -- gradient helpers -------------------------------------------------------------------------

def unbroadcast(g, shape):
    """Sum a broadcast gradient back down to `shape` (the reduction is an explicit sum node)."""
    shape = tuple(shape)
    g_shape = g.shape
    if g_shape == shape:
        return g
    if _LAZY.sum is None:             # ops defined after this module, looked up once
        from graphgrad.ops.movement import reshape
        from graphgrad.ops.reduce import SUM
        _LAZY.sum, _LAZY.reshape = SUM, reshape
    lead = len(g_shape) - len(shape)
    dims = tuple(range(lead))
    if 1 in shape:
        dims += tuple([lead + i for i, d in enumerate(shape) if d == 1 and g_shape[lead + i] != 1])
    if dims:
        g = bind(_LAZY.sum, g, dims=dims, keepdim=False)      # sum_dims(g, dims)
    if g.shape != shape:
        g = _LAZY.reshape(g, shape)
    return g


class _LAZY:
    sum = reshape = None


def check_shape(name, cond, message, *xs):
    if not cond:
        raise ShapeError(f"{name}: {message} (got {', '.join(describe(x) for x in xs)})")
