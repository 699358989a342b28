"""Float values or +0.0, chosen by a boolean mask with one AND of the values' bits: exact for
inf, NaN and -0.0 (a product by the mask gives -0.0 for negative values and NaN for NaN ones,
where torch's `where` and its scatters into zeros give +0.0), and in two passes, about ten times
faster than a masked copy with a random mask."""
import numpy as np

_UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}     # float itemsize -> its bits


def keep_or_zero(out, values, mask, keep=True):
    """out = values where `mask` is `keep`, else +0.0 (`values` broadcast to out's shape, a
    bool `mask`). Only for float `values` of out's dtype: returns False, having written
    nothing, for any other."""
    uint = _UINT.get(out.itemsize)
    if out.dtype.kind != "f" or values.dtype != out.dtype or uint is None:
        return False
    if keep:
        bits = np.subtract(uint(0), mask, dtype=uint)       # True -> all ones, False -> 0
    else:
        bits = np.subtract(mask, uint(1), dtype=uint)       # True -> 0, False -> all ones
    np.bitwise_and(values.view(uint), bits, out=out.view(uint))
    return True
