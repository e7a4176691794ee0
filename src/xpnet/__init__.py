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

from . import data, functional, nn, optim, train, viz

# torch's names for creation, math and shape ops (xpnet.creation, xpnet.sampling, xpnet.functional)
from ._autograd_api.mode import inference_mode, set_grad_enabled
from ._backend import cuda_available
from ._dtypes import DType, bool_, float16, float32, float64, int32, int64
from .autograd import enable_grad, is_grad_enabled, no_grad
from .checkpoint import CheckpointError, load, save
from .creation import (
    arange,
    as_tensor,
    asarray,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from .functional import (
    abs,
    all,
    allclose,
    any,
    argsort,
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    bmm,
    cat,
    ceil,
    chunk,
    clamp,
    concat,
    concatenate,
    cos,
    cumsum,
    dot,
    eq,
    equal,
    exp,
    expand,
    expm1,
    flatten,
    flip,
    floor,
    floor_divide,
    ge,
    greater,
    greater_equal,
    gt,
    hstack,
    isclose,
    isfinite,
    isinf,
    isnan,
    le,
    less,
    less_equal,
    log,
    log1p,
    log2,
    log10,
    log_softmax,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    logsumexp,
    lt,
    masked_fill,
    matmul,
    maximum,
    minimum,
    mm,
    movedim,
    mv,
    narrow,
    ne,
    neg,
    norm,
    not_equal,
    outer,
    permute,
    pow,
    prod,
    reciprocal,
    relu,
    remainder,
    repeat,
    reshape,
    round,
    rsqrt,
    sigmoid,
    sign,
    sin,
    softmax,
    sort,
    split,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    t,
    tan,
    tanh,
    tile,
    topk,
    transpose,
    trunc,
    unbind,
    unflatten,
    unsqueeze,
    var,
    vstack,
    where,
)
from .functional import clamp as clip
from .functional import neg as negative
from .functional import transpose as swapaxes
from .functional import transpose as swapdims
from .functional.arith_keywords import add, div, divide, mul, multiply, sub, subtract, true_divide
from .sampling import normal, rand_like, randint, randn_like, randperm
from .tensor import Tensor

__version__ = "0.1.0"

__all__ = [
    "CheckpointError", "DType", "Tensor", "arange", "asarray", "bool_", "cuda_available", "data",
    "enable_grad", "exp", "float16", "float32", "float64", "functional", "int32", "int64",
    "is_grad_enabled", "load", "log", "log_softmax", "manual_seed", "matmul", "nn", "no_grad", "ones",
    "optim", "rand", "randn", "relu", "save", "sigmoid", "softmax", "tanh", "tensor", "train", "viz",
    "zeros",
    # torch's names (tsurf)
    "abs", "all", "allclose", "any", "as_tensor", "bitwise_and", "bitwise_not", "bitwise_or",
    "bitwise_xor", "bmm", "cat", "ceil", "chunk", "clamp", "clip", "concat", "concatenate", "cos",
    "cumsum", "dot", "empty", "empty_like", "eq", "equal", "expand", "expm1", "eye", "flatten", "flip",
    "floor", "floor_divide", "from_numpy", "full", "full_like", "ge", "greater", "greater_equal", "gt",
    "hstack", "inference_mode", "isclose", "isfinite", "isinf", "isnan", "le", "less", "less_equal",
    "linspace", "log10", "log1p", "log2", "logical_and", "logical_not", "logical_or", "logical_xor",
    "logsumexp", "lt", "maximum", "minimum", "mm", "movedim", "mv", "narrow", "ne", "neg", "negative",
    "norm", "normal", "not_equal", "ones_like", "outer", "permute", "pow", "prod", "rand_like",
    "randint", "randn_like", "randperm", "reciprocal", "remainder", "repeat", "reshape", "round",
    "rsqrt", "set_grad_enabled", "sign", "sin", "split", "sqrt", "square", "squeeze", "stack", "std",
    "swapaxes", "swapdims", "t", "tan", "tile", "transpose", "trunc", "unbind", "unflatten",
    "unsqueeze", "var", "vstack", "where", "zeros_like", "add", "argsort", "div", "divide",
    "masked_fill", "mul", "multiply", "sort", "sub", "subtract", "topk", "true_divide", "is_tensor",
    "numel",
]


def is_tensor(obj: object) -> bool:
    """Whether ``obj`` is an xpnet Tensor (torch.is_tensor)."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    """The number of elements of ``input`` (torch.numel)."""
    return input.numel()
