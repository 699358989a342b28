"""Torch-oracle rows for arange, linspace and logspace: every integer dtype truncates where
torch's does (bounds converted to the dtype first, a double step, the second half of linspace
counted back from the end), and float dtypes match within rounding."""
from torch_oracle import TorchCase

NONE = (None,)
DTYPES = ("int64", "int32", "int16", "int8", "uint8", "float32", "float64")

LINSPACE = [(5, -5, 20), (-3.7, 5.9, 7), (0, 10, 1), (0, 10, 0), (2.5, 2.5, 4), (-3, 5, 5),
            (0, 100, 4), (-100, 100, 9), (3.3, -7.1, 50), (-1, 1, 101)]
LOGSPACE = [(0, 3, 4), (-1, 2.5, 6, 2), (2.5, 1, 4), (0.5, 4.2, 7, 3.0), (0, 1, 1), (0, 1, 0),
            (-2, 2, 9, 2.0), (1, 10, 10, 1.5)]
ARANGE = [(-1.5, 3, 0.7), (0, 10, 3), (0.5, 7.9, 1.5), (5, -5, -1.5), (0, 5.5), (2.7,),
          (-3.2, 4.9, 2.2), (0, 1, 0.1), (0, 3, 0.1), (1, 2.5, 0.25), (0, 100), (10, 0, -3)]


def _fits(dtype, args):
    """Skip argument sets torch refuses for a dtype (a bound that overflows it)."""
    if dtype == "uint8":
        return all(not (isinstance(a, float) and a < 0) for a in args[:2])
    return dtype != "int8" or max(abs(a) for a in args[:2]) <= 127


def _rows(name, fn, arg_sets):
    rows = []
    for dtype in DTYPES:
        for args in arg_sets:
            if not _fits(dtype, args) or (name == "arange" and dtype == "int64"
                                          and abs(args[-1]) < 1 and len(args) == 3):
                continue
            # float32 values may differ from torch's vectorized kernels in the last bit
            tol = 1e-6 if dtype == "float32" else None
            rows.append(TorchCase(f"{name}-{dtype}-{args}",
                                  lambda m, args=args, dtype=dtype: fn(m, args, dtype), (),
                                  dtypes=NONE, rtol=tol, atol=tol))
    return rows


CASES = (_rows("linspace", lambda m, a, d: m.linspace(*a, dtype=getattr(m, d)), LINSPACE)
         + _rows("logspace", lambda m, a, d: m.logspace(*a, dtype=getattr(m, d)), LOGSPACE)
         + _rows("arange", lambda m, a, d: m.arange(*a, dtype=getattr(m, d)), ARANGE)
         + [TorchCase("linspace-default-dtype", lambda m: m.linspace(-2, 3, 11), (),
                      dtypes=NONE, rtol=1e-6, atol=1e-6),
            TorchCase("logspace-default-dtype", lambda m: m.logspace(-2, 1, 5, base=2),
                      (), dtypes=NONE, rtol=1e-6, atol=1e-6),
            TorchCase("logspace-int-overflow", lambda m: (m.logspace(0, 10, 11, 2.0, dtype=m.uint8),
                                                          m.logspace(0, 70, 8, 2.0, dtype=m.int64)),
                      (), dtypes=NONE),
            TorchCase("arange-default-dtypes", lambda m: (m.arange(5), m.arange(0, 2.5, 0.5)),
                      (), dtypes=NONE)])
