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

from . import data, functional, nn, optim, train, utils, viz
from ._backend import cuda_available
from ._device import device, get_default_device, set_default_device
from ._dtypes import (
    DType,
    bool_,
    complex64,
    complex128,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    set_default_dtype,
    uint8,
)
from ._dtypes import bool_ as bool  # noqa: F401
from ._dtypes import float16 as half
from ._dtypes import float32 as float  # noqa: F401
from ._dtypes import float64 as double
from ._dtypes import int16 as short
from ._dtypes import int32 as int  # noqa: F401
from ._dtypes import int64 as long
from ._size import Size
from .anomaly import is_anomaly_check_nan_enabled, is_anomaly_enabled, set_anomaly_enabled
from .autograd import enable_grad, is_grad_enabled, no_grad
from .checkpoint import CheckpointError, load, save
from .creation import arange, asarray, manual_seed, ones, rand, randn, tensor, zeros
from .functional import (
    argmax,
    argmin,
    exp,
    log,
    log_softmax,
    matmul,
    max,  # noqa: F401
    mean,
    min,  # noqa: F401
    relu,
    sigmoid,
    softmax,
    sum,  # noqa: F401
    tanh,
)
from .nn import functional as _nn_functional  # noqa: F401  (binds xpnet.nn.functional, as torch does)
from .tensor import Tensor

__version__ = "0.1.0"

__all__ = [
    "CheckpointError", "DType", "Tensor", "arange", "asarray", "bool_", "cuda_available", "data",
    "enable_grad", "exp", "float16", "float32", "float64", "functional", "int32", "int64",
    "is_grad_enabled", "load", "log", "log_softmax", "manual_seed", "matmul", "nn", "no_grad", "ones",
    "optim", "rand", "randn", "relu", "save", "sigmoid", "softmax", "tanh", "tensor", "train", "viz",
    "zeros", "utils", "is_anomaly_enabled", "is_anomaly_check_nan_enabled", "set_anomaly_enabled",
]
# xn.float, xn.int, xn.bool, xn.max, xn.min, xn.sum exist but stay out of __all__:
# ``from xpnet import *`` must not shadow Python's builtins.
__all__ += [
    "Size", "argmax", "argmin", "complex64", "complex128", "device", "double",
    "get_default_device", "get_default_dtype", "half", "int8", "int16", "long", "mean",
    "set_default_device", "set_default_dtype", "short", "uint8",
]


def __getattr__(name: str) -> object:
    """``xpnet.cuda`` (torch.cuda's counterpart), imported on first use: CPU runs never load it."""
    if name == "cuda":
        import importlib

        return importlib.import_module(".cuda", __name__)
    raise AttributeError(f"module 'xpnet' has no attribute {name!r}")
