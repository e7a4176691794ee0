"""xpnet: backpropagation neural networks written once against the Python Array API.

The same model trains on NumPy (``device="cpu"``), CuPy (``device="cuda"``),
torch tensors and array-api-strict arrays::

    import xpnet as xn
    from xpnet import nn, optim

    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1)).to("cpu")
    opt = optim.SGD(model.parameters(), lr=0.1)
    loss = nn.MSELoss()(model(x), y)
    opt.zero_grad(); loss.backward(); opt.step()
"""

from . import data, distributed, functional, nn, optim, train, utils, viz
from ._backend import cuda_available
from ._dtypes import DType, bool_, float16, float32, float64, int32, int64
from .autograd import enable_grad, is_grad_enabled, no_grad
from .checkpoint import CheckpointError, load, save
from .creation import arange, asarray, manual_seed, ones, rand, randn, tensor, zeros
from .functional import exp, log, log_softmax, matmul, relu, sigmoid, softmax, tanh
from .nn import functional as _nn_functional  # noqa: F401  (binds xpnet.nn.functional, as torch does)
from .tensor import Tensor

__version__ = "0.1.0"

__all__ = [
    "CheckpointError", "DType", "Tensor", "arange", "asarray", "bool_", "cuda_available", "data",
    "enable_grad", "exp", "float16", "float32", "float64", "functional", "int32", "int64",
    "is_grad_enabled", "load", "log", "log_softmax", "manual_seed", "matmul", "nn", "no_grad", "ones",
    "optim", "rand", "randn", "relu", "save", "sigmoid", "softmax", "tanh", "tensor", "train", "viz",
    "zeros",
    "utils", "distributed",
]
