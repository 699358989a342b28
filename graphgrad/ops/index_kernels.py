"""Accumulating writes `out[rows] += value` with repeated rows (the gradient of an embedding
or of a gather along the first dim) without np.add.at, which is several times slower: the
rows are sorted (stably, so equal rows add in their order) and summed per distinct row."""
import numpy as np

_MIN_ROWS = 8         # below this np.add.at is as fast


def add_rows(view, advanced, value):
    """np.add.at(view, advanced, value) when `advanced` is one integer array on the first dim
    of a float view; False (nothing done) in every other case, out-of-range rows included."""
    if len(advanced) != 1 or view.ndim == 0 or view.dtype.kind not in "fc":
        return False
    index = advanced[0]
    if not isinstance(index, np.ndarray) or index.dtype.kind not in "iu" or \
            index.size < _MIN_ROWS:
        return False
    n = view.shape[0]
    rows = index.reshape(-1)
    low, high = rows.min(), rows.max()
    if low < -n or high >= n:
        return False                     # np.add.at raises the IndexError
    if low < 0:
        rows = np.where(rows < 0, rows + n, rows)
    value = np.broadcast_to(value, index.shape + view.shape[1:])
    value = value.reshape((rows.size,) + view.shape[1:])
    if (rows[1:] > rows[:-1]).all():             # distinct rows (a position embedding)
        view[rows] += value
        return True
    order = np.argsort(rows, kind="stable")
    ordered = rows[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    sums = np.add.reduceat(value[order], starts, axis=0)
    view[ordered[starts]] += sums
    return True
