"""graphgrad.nn: modules, parameters, initializers and functional ops."""
from graphgrad.nn import functional, init  # noqa: F401
from graphgrad.nn.layers import Dropout, Identity, Linear, ReLU, Sequential, Sigmoid, Tanh
from graphgrad.nn.module import Module
from graphgrad.nn.parameter import Parameter
from graphgrad.nn import utils
from graphgrad.nn.activation import ELU, GELU, LeakyReLU, LogSoftmax, SiLU, Softmax, Softplus
from graphgrad.nn.attention import MultiheadAttention
from graphgrad.nn.container import ModuleDict, ModuleList
from graphgrad.nn.embedding import Embedding
from graphgrad.nn.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from graphgrad.nn.normalization import BatchNorm1d, BatchNorm2d, LayerNorm

__all__ = ["Module", "Parameter", "Linear", "Sequential", "Identity", "ReLU", "Tanh", "Sigmoid",
           "Dropout", "functional", "init"]

from graphgrad.nn.conv import AvgPool2d, Conv2d, Flatten, MaxPool2d  # noqa: E402

__all__ += ["Conv2d", "MaxPool2d", "AvgPool2d", "Flatten"]
__all__ += ["utils", "ModuleList", "ModuleDict", "LeakyReLU", "GELU", "ELU", "SiLU", "Softplus",
            "Softmax", "LogSoftmax", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Embedding",
            "MultiheadAttention", "MSELoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss",
            "NLLLoss"]

from graphgrad.nn.activation_extra import (CELU, GLU, SELU, Hardshrink,  # noqa: E402
                                           Hardsigmoid, Hardswish, Hardtanh, LogSigmoid, Mish,
                                           PReLU, ReLU6, RReLU, Softmin, Softshrink, Softsign,
                                           Tanhshrink, Threshold)

__all__ += ["Hardsigmoid", "Hardswish", "Hardtanh", "ReLU6", "Softsign", "Mish", "CELU", "SELU",
            "GLU", "LogSigmoid", "Tanhshrink", "Softshrink", "Hardshrink", "Threshold", "PReLU",
            "RReLU", "Softmin"]
