"""graphgrad: a PyTorch-style deep-learning framework on NumPy with a static-graph compiler.

Model code runs eagerly, or `@graphgrad.compile` traces it into an IR graph that passes
simplify and differentiate symbolically, and a tape runtime executes.
"""
import numpy as _np

from graphgrad import ir, passes, runtime  # noqa: F401
from graphgrad.config import config
from graphgrad import malloc as _malloc
from graphgrad.modes import (detect_anomaly, enable_grad, inference_mode,  # noqa: F401
                             is_grad_enabled, is_inference_mode_enabled, no_grad,
                             set_detect_anomaly, set_grad_enabled)
from graphgrad.errors import (AnomalyError, AutogradError, CheckpointError,  # noqa: F401
                              GraphgradError, OutOfRangeError,
                              RuntimeExecutionError, ShapeError, TraceError)
from graphgrad.errors import DivisionByZeroError  # noqa: F401
from graphgrad.ops import *  # noqa: F401,F403
from graphgrad.ops import (abs, all, any, max, min, pow, sum)  # noqa: F401  (shadow builtins)
from graphgrad.rng import manual_seed
from graphgrad.tensor import Tensor
from graphgrad import nn, optim  # noqa: E402,F401
from graphgrad.compiler import compile, grad, trace, value_and_grad  # noqa: E402
from graphgrad import linalg  # noqa: E402,F401
from graphgrad import testing  # noqa: E402,F401
from graphgrad.serialization import load, save  # noqa: E402,F401
from graphgrad.devices import device, get_default_device, set_default_device  # noqa: E402,F401
from graphgrad.rng import Generator  # noqa: E402,F401
from graphgrad.errors import DeviceError, DTypeError  # noqa: E402,F401
from graphgrad import backends, cuda  # noqa: E402,F401

__version__ = "0.1.0"
_malloc.tune(config.malloc)

float32 = _np.dtype(_np.float32)
float64 = _np.dtype(_np.float64)
float16 = _np.dtype(_np.float16)
int64 = _np.dtype(_np.int64)
int32 = _np.dtype(_np.int32)
int16 = _np.dtype(_np.int16)
from graphgrad.nn.functional_norm import cdist  # noqa: E402,F401
from graphgrad.nn.functional import cosine_similarity, pairwise_distance  # noqa: E402,F401
int8 = _np.dtype(_np.int8)
uint8 = _np.dtype(_np.uint8)
bool = _np.dtype(_np.bool_)
float = float32
double = float64
long = int64
from graphgrad.ops.conversion import is_tensor  # noqa: E402,F401
from graphgrad.dtypes import (can_cast, finfo, get_default_dtype, iinfo,  # noqa: E402,F401
                              is_floating_point, promote_types, result_type,
                              set_default_dtype)
int8 = _np.dtype(_np.int8)
int16 = _np.dtype(_np.int16)
uint8 = _np.dtype(_np.uint8)
half = float16
short = int16
int = int32
dtype = _np.dtype


def __getattr__(name):
    if name == "bfloat16":
        from graphgrad.dtypes import BFLOAT16_MESSAGE
        raise AttributeError(BFLOAT16_MESSAGE)
    raise AttributeError(f"module 'graphgrad' has no attribute {name!r}")

__all__ = ["Tensor", "compile", "grad", "value_and_grad", "trace", "no_grad", "enable_grad",
           "set_grad_enabled", "is_grad_enabled", "manual_seed", "config", "nn", "optim",
           "ShapeError", "TraceError", "CheckpointError", "float32", "float64", "int64", "bool"]
