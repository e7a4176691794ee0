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

import builtins as _builtins

from . import data, distributed, functional, nn, optim, train, utils, viz

# torch's names for creation, math and shape ops (xpnet.creation, xpnet.sampling, xpnet.functional)
from ._autograd_api.mode import inference_mode, set_grad_enabled
from ._backend import Generator, cuda_available, get_rng_state, set_rng_state
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
    tensor,
    zeros,
    zeros_like,
)
from .functional import (
    abs,  # noqa: F401
    all,  # noqa: F401
    allclose,
    any,  # noqa: F401
    argmax,
    argmin,
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
    max,  # noqa: F401
    maximum,
    mean,
    min,  # noqa: F401
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
    pow,  # noqa: F401
    prod,
    reciprocal,
    relu,
    remainder,
    repeat,
    reshape,
    round,  # noqa: F401
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
    sum,  # noqa: F401
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
)
from .functional import clamp as clip
from .functional import neg as negative
from .functional import transpose as swapaxes
from .functional import transpose as swapdims
from .functional.arith_keywords import add, div, divide, mul, multiply, sub, subtract, true_divide
from .functional.einsum import einsum
from .functional.encoding import cdist
from .functional.gathering import gather, index_select, masked_select, nonzero, scatter, scatter_add, where
from .functional.indexing_more import index_add, take_along_dim
from .functional.scatter_reduce import scatter_reduce
from .functional.statistics import cumprod
from .functional.transcendental import (
    acos,
    acosh,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    cosh,
    erf,
    erfc,
    erfinv,
    exp2,
    logit,
    sinh,
)
from .nn import functional as _nn_functional  # noqa: F401  (binds xpnet.nn.functional, as torch does)
from .sampling import multinomial, normal, rand, rand_like, randint, randn, randn_like, randperm
from .tensor import Tensor

__version__ = "0.1.0"

__all__ = [
    "CheckpointError", "DType", "Tensor", "arange", "asarray", "bool_", "cuda_available", "data",
    "enable_grad", "exp", "float16", "float32", "float64", "functional", "int32", "int64",
    "is_grad_enabled", "load", "log", "log_softmax", "manual_seed", "matmul", "nn", "no_grad", "ones",
    "optim", "rand", "randn", "relu", "save", "sigmoid", "softmax", "tanh", "tensor", "train", "viz",
    "zeros", "utils", "distributed", "is_anomaly_enabled", "is_anomaly_check_nan_enabled",
    "set_anomaly_enabled",
]
# xn.float, xn.int, xn.bool, xn.max, xn.min, xn.sum exist but stay out of __all__:
# ``from xpnet import *`` must not shadow Python's builtins.
__all__ += [
    "Size", "argmax", "argmin", "complex64", "complex128", "device", "double",
    "get_default_device", "get_default_dtype", "half", "int8", "int16", "long", "mean",
    "set_default_device", "set_default_dtype", "short", "uint8",
]
__all__ += [  # xn.abs, xn.all, xn.any, xn.round, xn.pow exist too, outside __all__ (builtins)
    "allclose", "as_tensor", "bitwise_and", "bitwise_not", "bitwise_or",
    "bitwise_xor", "bmm", "cat", "ceil", "chunk", "clamp", "clip", "concat", "concatenate", "cos",
    "cumsum", "dot", "empty", "empty_like", "eq", "equal", "expand", "expm1", "eye", "flatten", "flip",
    "floor", "floor_divide", "from_numpy", "full", "full_like", "ge", "greater", "greater_equal", "gt",
    "hstack", "inference_mode", "isclose", "isfinite", "isinf", "isnan", "le", "less", "less_equal",
    "linspace", "log10", "log1p", "log2", "logical_and", "logical_not", "logical_or", "logical_xor",
    "logsumexp", "lt", "maximum", "minimum", "mm", "movedim", "mv", "narrow", "ne", "neg", "negative",
    "norm", "normal", "not_equal", "ones_like", "outer", "permute", "prod", "rand_like",
    "randint", "randn_like", "randperm", "reciprocal", "remainder", "repeat", "reshape",
    "rsqrt", "set_grad_enabled", "sign", "sin", "split", "sqrt", "square", "squeeze", "stack", "std",
    "swapaxes", "swapdims", "t", "tan", "tile", "transpose", "trunc", "unbind", "unflatten",
    "unsqueeze", "var", "vstack", "where", "zeros_like", "add", "argsort", "div", "divide",
    "masked_fill", "mul", "multiply", "sort", "sub", "subtract", "topk", "true_divide", "is_tensor",
    "numel",
]
__all__ += ["acos", "acosh", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh",
            "asin", "asinh", "atan", "atan2", "atanh", "cosh", "erf", "erfc", "erfinv", "exp2", "logit",
            "sinh"]
__all__ += ["cdist", "index_add", "scatter_reduce", "take_along_dim"]
__all__ += ["get_rng_state", "set_rng_state"]
__all__ += ["Generator", "cumprod", "einsum", "gather", "index_select", "masked_select", "multinomial",
            "nonzero", "scatter", "scatter_add"]


def __getattr__(name: str) -> object:
    """``xpnet.cuda`` and ``xpnet.accelerator`` (torch's), imported on first use: CPU runs never load them."""
    if name in ("cuda", "accelerator"):
        import importlib

        return importlib.import_module("." + name, __name__)
    raise AttributeError(f"module 'xpnet' has no attribute {name!r}")


def is_tensor(obj: object) -> _builtins.bool:
    """Whether ``obj`` is an xpnet Tensor (torch.is_tensor)."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> _builtins.int:
    """The number of elements of ``input`` (torch.numel)."""
    return input.numel()

# gaps2: torch's top-level names for activations, distances, norms and embedding losses
from .functional.activation_shrink import celu, hardshrink, rrelu, threshold  # noqa: E402
from .functional.distance import cosine_similarity, pairwise_distance  # noqa: E402
from .functional.loss_embedding import (  # noqa: E402
    cosine_embedding_loss,
    hinge_embedding_loss,
    triplet_margin_loss,
)
from .functional.normalization_more import alpha_dropout, bilinear, group_norm, rms_norm  # noqa: E402

__all__ += ["alpha_dropout", "bilinear", "celu", "cosine_embedding_loss", "cosine_similarity",
            "group_norm", "hardshrink", "hinge_embedding_loss", "pairwise_distance", "rms_norm",
            "rrelu", "threshold", "triplet_margin_loss"]

# torch's names for triangles, rearranging, order statistics, counting (gaps1)
from .functional.counting import (  # noqa: E402
    argwhere,
    bernoulli,
    bucketize,
    count_nonzero,
    histc,
    is_floating_point,
    searchsorted,
    unique,
)
from .functional.order_stats import (  # noqa: E402
    amax,
    amin,
    aminmax,
    cummax,
    cummin,
    kthvalue,
    median,
    mode,
    quantile,
)
from .functional.pointwise_extra import (  # noqa: E402
    addmm,
    baddbmm,
    fmod,
    frac,
    hypot,
    lerp,
    nan_to_num,
)
from .functional.rearranging import (  # noqa: E402
    diff,
    kron,
    meshgrid,
    repeat_interleave,
    roll,
)
from .functional.triangular import (  # noqa: E402
    diag,
    diagonal,
    trace,
    tril,
    triu,
)

__all__ += [
    "addmm", "amax", "amin", "aminmax", "argwhere", "baddbmm", "bernoulli", "bucketize",
    "count_nonzero", "cummax", "cummin", "diag", "diagonal", "diff", "fmod", "frac", "histc",
    "hypot", "is_floating_point", "kron", "kthvalue", "lerp", "median", "meshgrid", "mode",
    "nan_to_num", "quantile", "repeat_interleave", "roll", "searchsorted", "trace", "tril",
    "triu", "unique"
]
from . import linalg  # noqa: E402  (xn.linalg: torch.linalg's names)
from .functional.linalg_solve import det, logdet, slogdet  # noqa: E402
from .functional.linalg_solve import inv as inverse  # noqa: E402

__all__ += ["det", "inverse", "linalg", "logdet", "slogdet"]
