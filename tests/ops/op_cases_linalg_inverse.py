"""Op-table entries for the inverse and determinant primitives (inv, det, logabsdet, det_sign)
against NumPy. `test_ops.py` collects CASES."""
import numpy as np
from helpers import OpCase as C

import graphgrad as gg

RNG = np.random.default_rng(20260311)
SQUARE = np.eye(3) * 2.0 + RNG.uniform(-0.5, 0.5, (3, 3))
BATCH = np.eye(3) * 1.5 + RNG.uniform(-0.5, 0.5, (2, 3, 3))
NEGATIVE = np.diag([2.0, -1.5, 1.0]) + RNG.uniform(-0.2, 0.2, (3, 3))

CASES = [
    C("inv", "inv", gg.linalg.inv, [SQUARE], np.linalg.inv),
    C("inv-batch", "inv", gg.inverse, [BATCH], np.linalg.inv),
    C("det", "det", gg.det, [SQUARE], np.linalg.det),
    C("det-batch-negative", "det", gg.linalg.det, [np.stack([BATCH[0], NEGATIVE])],
      np.linalg.det),
    C("logabsdet", "logabsdet", lambda x: gg.linalg.slogdet(x)[1], [NEGATIVE],
      lambda x: np.linalg.slogdet(x)[1]),
    C("logdet-batch", "logabsdet", gg.logdet, [BATCH], lambda x: np.linalg.slogdet(x)[1]),
    C("det_sign", "det_sign", lambda x: gg.slogdet(x).sign, [np.stack([SQUARE, NEGATIVE])],
      lambda x: np.linalg.slogdet(x)[0], grad=()),
]
