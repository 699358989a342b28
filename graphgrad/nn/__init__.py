"""graphgrad.nn: modules, parameters, initializers and functional ops."""
from graphgrad.nn import functional, init  # noqa: F401
from graphgrad.nn.layers import Dropout, Identity, Linear, ReLU, Sequential, Sigmoid, Tanh
from graphgrad.nn.module import Module
from graphgrad.nn.parameter import Parameter

__all__ = ["Module", "Parameter", "Linear", "Sequential", "Identity", "ReLU", "Tanh", "Sigmoid",
           "Dropout", "functional", "init"]
