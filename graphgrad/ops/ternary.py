"""Three-operand pointwise ops: `lerp`, `addcmul`, `addcdiv`.

`lerp` is a primitive computed as torch computes it (start + w (end - start) for |w| < 0.5,
end - (end - start)(1 - w) otherwise, float16 in float32), so values agree to the last bit
and the gradients are torch's: (1 - w), w and (end - start).
"""
import numpy as np

from graphgrad.errors import DTypeError
from graphgrad.dispatch import bind
from graphgrad.dtypes import result_type
from graphgrad.ops._core import _as_dtype, broadcast_infer, defop, describe, unbroadcast
from graphgrad.tensor import Tensor


def _lerp_impl(start, end, weight):
    dtype = np.result_type(start, end, weight)
    if dtype == np.float16:
        start, end, weight = (a.astype(np.float32) for a in (start, end, weight))
    diff = end - start
    out = np.where(np.abs(weight) < 0.5, start + weight * diff, end - diff * (1 - weight))
    return out.astype(dtype, copy=False)


def _lerp_out(out, start, end, weight):
    """The kernel writing into `out` (never an input: the op is not marked in place), so that
    lerp fuses with its neighbours (an optimizer's moment update)."""
    if out.dtype == np.float16:
        np.copyto(out, _lerp_impl(start, end, weight))
        return out
    diff = np.subtract(end, start)
    np.multiply(weight, diff, out=out)
    np.add(out, start, out=out)
    small = np.abs(weight) < 0.5
    if not small.all():
        np.copyto(out, end - diff * (1 - weight), where=np.logical_not(small))
    return out


def _lerp_vjp(g, start, end, weight, *, out):
    return (unbroadcast(g * (1.0 - weight), start.shape), unbroadcast(g * weight, end.shape),
            unbroadcast(g * (end - start), weight.shape))


LERP = defop("lerp", broadcast_infer("lerp", float_only=True), _lerp_impl, _lerp_vjp,
             elementwise=True, out_impl=_lerp_out)


def lerp(input, end, weight):
    """input + weight * (end - input); `weight` is a number or a tensor."""
    given = [t for t in (input, end, weight) if isinstance(t, Tensor)]
    dtype = result_type(*given)
    if dtype.kind != "f":
        raise DTypeError(f"lerp: expects floating-point tensors, got "
                        f"{', '.join(describe(t) for t in given)}")
    return bind(LERP, *(_as_dtype(t, dtype) for t in (input, end, weight)))


def _check_value(name, tensors, value, division):
    dtype = result_type(*tensors)
    if dtype.kind in "iub" and (division or isinstance(value, (float, np.floating))):
        what = "integer division" if division else "a float value with integer tensors"
        raise DTypeError(f"{name}: {what} is not supported, got "
                        f"{', '.join(describe(t) for t in tensors)} and value={value!r}")


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2."""
    _check_value("addcmul", (input, tensor1, tensor2), value, division=False)
    return input + _scaled(tensor1, value) * tensor2


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2 (floating-point tensors only)."""
    _check_value("addcdiv", (input, tensor1, tensor2), value, division=True)
    return input + _scaled(tensor1, value) / tensor2


def _scaled(t, value):
    """value * t (`value` may be a number or a 0-d tensor, as optimizers pass it)."""
    if not isinstance(value, Tensor) and value == 1:
        return t
    return t * value
