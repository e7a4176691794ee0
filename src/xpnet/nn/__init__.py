"""Neural-network building blocks: ``Module``, layers, losses, containers and ``init``.

>>> model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
>>> loss = nn.MSELoss()(model(x), y)

Parameters and submodules are found by reflection over a module's
attributes: assign them in ``__init__`` (``self.fc = nn.Linear(3, 4)``) and
they appear in ``parameters()``, ``named_parameters()`` (PyTorch's dotted
names, so state dicts map across) and ``state_dict()``.

State that is not trained (BatchNorm's running statistics) is registered
with ``register_buffer``: buffers are in ``state_dict()``, ``named_buffers()``
and are moved and cast by ``.to(...)``, as in torch. Hooks
(``register_forward_pre_hook``, ``register_forward_hook``,
``register_full_backward_hook``) see and may replace inputs, outputs and
gradients, in torch's order; each returns a handle to ``remove()``.

Inputs may be Tensors or raw arrays of any supported library; nothing is
ever moved between devices behind your back (a mismatch is an error telling
how to ``.to(...)``). The dtype rule of layers: raw arrays and integer/bool
Tensors are data and are cast to the layer's dtype; a floating Tensor of
another dtype is a TypeError (fix: ``x.to(dtype=...)`` or
``model.to(dtype=...)``). So a layer's output always has the layer's dtype.
"""

from . import init, parallel, utils
from .activation import GELU, Identity, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .activation_extra import ELU, SELU, Hardtanh, Mish, PReLU, ReLU6, SiLU, Softplus, Softsign
from .containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .dropout import Dropout
from .embedding import Embedding
from .ensemble import Ensemble
from .ensemble_linear import EnsembleLinear
from .flatten import Flatten, Unflatten
from .hooks import RemovableHandle
from .linear import Linear
from .loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)
from .loss_extra import KLDivLoss, MarginRankingLoss, PoissonNLLLoss, SmoothL1Loss
from .module import Module
from .normalization import BatchNorm1d, LayerNorm
from .parameter import Parameter

__all__ = [
    "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "Dropout", "Ensemble", "EnsembleLinear",
    "GELU", "HuberLoss",
    "Identity", "L1Loss", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss", "Module",
    "ModuleDict", "ModuleList", "NLLLoss", "Parameter", "ParameterDict", "ParameterList", "ReLU",
    "Sequential", "Sigmoid", "Softmax", "Tanh", "init", "utils",
    "BatchNorm1d", "ELU", "Embedding", "Flatten", "Hardtanh", "KLDivLoss", "LayerNorm",
    "MarginRankingLoss", "Mish", "PReLU", "PoissonNLLLoss", "ReLU6", "RemovableHandle", "SELU",
    "SiLU", "SmoothL1Loss", "Softplus", "Softsign", "Unflatten",
    "parallel",
]

# gaps2: torch's activation, normalization, distance, padding and margin-loss layers
from .activation_more import (
    CELU,
    GLU,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    LogSigmoid,
    RReLU,
    Softmin,
    Softshrink,
    Tanhshrink,
    Threshold,
)
from .bilinear import Bilinear
from .distance import AlphaDropout, CosineSimilarity, PairwiseDistance
from .loss_embedding import (
    CosineEmbeddingLoss,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    MultiLabelMarginLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    SoftMarginLoss,
    TripletMarginLoss,
)
from .normalization_more import GroupNorm, RMSNorm
from .padding import (
    CircularPad1d,
    CircularPad2d,
    ConstantPad1d,
    ConstantPad2d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReplicationPad1d,
    ReplicationPad2d,
    ZeroPad1d,
    ZeroPad2d,
)

__all__ += [
    "CELU", "GLU", "Hardshrink", "Hardsigmoid", "Hardswish", "LogSigmoid", "RReLU", "Softmin",
    "Softshrink", "Tanhshrink", "Threshold", "Bilinear", "AlphaDropout", "CosineSimilarity",
    "PairwiseDistance", "CosineEmbeddingLoss", "GaussianNLLLoss", "HingeEmbeddingLoss",
    "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss", "MultiMarginLoss", "SoftMarginLoss",
    "TripletMarginLoss", "GroupNorm", "RMSNorm", "CircularPad1d", "CircularPad2d", "ConstantPad1d",
    "ConstantPad2d", "ReflectionPad1d", "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d",
    "ZeroPad1d", "ZeroPad2d",
]
