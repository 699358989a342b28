"""The one settings object. `GRAPHGRAD_*` environment variables only set it at import."""
import os

import numpy as np


class Config:
    def __init__(self, environ=os.environ):
        # compiled entries kept per function (LRU); a warning is printed once the limit is hit
        self.recompile_limit = int(environ.get("GRAPHGRAD_RECOMPILE_LIMIT", "8"))
        # GRAPHGRAD_LOGS=recompiles[,passes]: what to log to stderr
        self.logs = {s.strip() for s in environ.get("GRAPHGRAD_LOGS", "").split(",") if s.strip()}
        # every compiled graph is written here (text and .dot) when set
        self.debug_dir = environ.get("GRAPHGRAD_DEBUG_DIR") or None
        # run ir.verify() after every pass (tests switch this on)
        self.verify_passes = environ.get("GRAPHGRAD_VERIFY", "") not in ("", "0")
        # runtime of compiled functions: "numpy" (default) or "numba" (extra graphgrad[fast])
        self.backend = environ.get("GRAPHGRAD_BACKEND", "numpy")
        # "tuned" (glibc's malloc keeps large blocks, see malloc.py) or "system"
        self.malloc = environ.get("GRAPHGRAD_MALLOC", "tuned")
        # dtype of Python floats and float factories (gg.set_default_dtype changes it)
        self.default_dtype = np.dtype(np.float32)

    def __repr__(self):
        return f"Config({vars(self)})"


config = Config()
