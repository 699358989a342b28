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

from graphgrad.nn.conv import (Conv1d, Conv2d, Conv3d, ConvTranspose1d,  # noqa: E402
                               ConvTranspose2d, ConvTranspose3d)
from graphgrad.nn.layers import Flatten, Unflatten  # noqa: E402
from graphgrad.nn.padding import (CircularPad1d, CircularPad2d, CircularPad3d,  # noqa: E402
                                  ConstantPad1d, ConstantPad2d, ConstantPad3d, ReflectionPad1d,
                                  ReflectionPad2d, ReflectionPad3d, ReplicationPad1d,
                                  ReplicationPad2d, ReplicationPad3d, ZeroPad1d, ZeroPad2d,
                                  ZeroPad3d)
from graphgrad.nn.pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d,  # noqa: E402
                                  AdaptiveAvgPool3d, AdaptiveMaxPool1d, AdaptiveMaxPool2d,
                                  AdaptiveMaxPool3d, AvgPool1d, AvgPool2d, AvgPool3d, LPPool1d,
                                  LPPool2d, MaxPool1d, MaxPool2d, MaxPool3d, MaxUnpool1d,
                                  MaxUnpool2d, MaxUnpool3d)
from graphgrad.nn.resampling import (Fold, PixelShuffle, PixelUnshuffle, Unfold,  # noqa: E402
                                     Upsample, UpsamplingBilinear2d, UpsamplingNearest2d)

__all__ += ["Conv2d", "MaxPool2d", "AvgPool2d", "Flatten"]
__all__ += ["Conv1d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
            "Unflatten", "MaxPool1d", "MaxPool3d", "AvgPool1d", "AvgPool3d",
            "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d",
            "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "MaxUnpool1d", "MaxUnpool2d",
            "MaxUnpool3d", "LPPool1d", "LPPool2d", "Upsample", "UpsamplingNearest2d",
            "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle", "Fold", "Unfold",
            "ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d",
            "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
            "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
            "CircularPad2d", "CircularPad3d"]
__all__ += ["utils", "ModuleList", "ModuleDict", "LeakyReLU", "GELU", "ELU", "SiLU", "Softplus",
            "Softmax", "LogSoftmax", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Embedding",
            "MultiheadAttention", "MSELoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss",
            "NLLLoss"]

from graphgrad.nn.rnn import GRU, LSTM, RNN, RNNBase  # noqa: E402
from graphgrad.nn.rnn_cells import GRUCell, LSTMCell, RNNCell, RNNCellBase  # noqa: E402

__all__ += ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

from graphgrad.nn.transformer import (Transformer, TransformerDecoder,  # noqa: E402
                                      TransformerDecoderLayer, TransformerEncoder,
                                      TransformerEncoderLayer)

__all__ += ["Transformer", "TransformerEncoder", "TransformerEncoderLayer", "TransformerDecoder",
            "TransformerDecoderLayer"]

from graphgrad.nn.activation_extra import (CELU, GLU, SELU, Hardshrink,  # noqa: E402
                                           Hardsigmoid, Hardswish, Hardtanh, LogSigmoid, Mish,
                                           PReLU, ReLU6, RReLU, Softmin, Softshrink, Softsign,
                                           Tanhshrink, Threshold)

__all__ += ["Hardsigmoid", "Hardswish", "Hardtanh", "ReLU6", "Softsign", "Mish", "CELU", "SELU",
            "GLU", "LogSigmoid", "Tanhshrink", "Softshrink", "Hardshrink", "Threshold", "PReLU",
            "RReLU", "Softmin"]

from graphgrad.nn.loss_extra import (CosineEmbeddingLoss, GaussianNLLLoss,  # noqa: E402
                                     HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss,
                                     MarginRankingLoss, MultiLabelSoftMarginLoss, PoissonNLLLoss,
                                     SmoothL1Loss, SoftMarginLoss, TripletMarginLoss)

__all__ += ["L1Loss", "SmoothL1Loss", "HuberLoss", "KLDivLoss", "GaussianNLLLoss",
            "PoissonNLLLoss", "MarginRankingLoss", "HingeEmbeddingLoss", "CosineEmbeddingLoss",
            "SoftMarginLoss", "MultiLabelSoftMarginLoss", "TripletMarginLoss"]

from graphgrad.nn.container_params import ParameterDict, ParameterList  # noqa: E402
from graphgrad.nn.layers_extra import (AlphaDropout, Bilinear, CosineSimilarity,  # noqa: E402
                                       Dropout1d, Dropout2d, Dropout3d, LazyLinear,
                                       PairwiseDistance)
from graphgrad.nn.normalization_extra import (GroupNorm, InstanceNorm1d,  # noqa: E402
                                              InstanceNorm2d, InstanceNorm3d, LocalResponseNorm,
                                              RMSNorm)

__all__ += ["ParameterList", "ParameterDict", "AlphaDropout", "Bilinear", "CosineSimilarity",
            "Dropout1d", "Dropout2d", "Dropout3d", "LazyLinear", "PairwiseDistance", "GroupNorm",
            "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LocalResponseNorm", "RMSNorm"]
