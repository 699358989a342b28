"""isclose and allclose with torch's rules: |a - b| <= atol + rtol * |b|, equal values
(infinities included) are close, NaNs only with equal_nan=True; integer and bool tensors are
compared in the default float dtype."""
from graphgrad.dtypes import default_float
from graphgrad.errors import DTypeError
from graphgrad.ops._core import as_tensor, as_tensor_like, describe


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise closeness of two tensors of one dtype (a bool tensor, no gradient)."""
    from graphgrad.ops.elementwise import abs, cast, logical_and, logical_or
    from graphgrad.ops.statistics import isnan
    a = as_tensor(a)
    b = as_tensor_like(b, a)
    if a.dtype != b.dtype:
        raise DTypeError(f"isclose: both tensors must share a dtype, got {describe(a)} and "
                        f"{describe(b)}")
    if rtol < 0 or atol < 0:
        raise ValueError(f"isclose: rtol and atol must be >= 0, got rtol={rtol}, atol={atol}")
    close = a == b
    floating = a.dtype.kind == "f"
    if equal_nan and floating:
        close = logical_or(close, logical_and(isnan(a), isnan(b)))
    if rtol == 0 and atol == 0:
        return close
    if not floating:
        a, b = cast(a, default_float()), cast(b, default_float())
    allowed = abs(b * float(rtol)) + float(atol)
    actual = abs(a - b)
    finite = actual != float("inf")          # NaN also fails the comparison below
    return logical_or(close, logical_and(finite, actual <= allowed))


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when every element is close (a Python bool; eager only, like torch.allclose)."""
    return bool(isclose(a, b, rtol, atol, equal_nan).all())



def _attach_methods():
    from graphgrad.tensor import Tensor
    Tensor.isclose = isclose
    Tensor.allclose = allclose


_attach_methods()
