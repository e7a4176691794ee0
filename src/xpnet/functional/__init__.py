"""Every differentiable op of xpnet: its forward and its backward rule side by side.

Each op takes Tensors (or arrays of any Array API library, wrapped without
copying) and returns a Tensor of the same namespace, device and dtype. Its
gradient rule sits right under its forward, with the formula in the
docstring; the ops are written only with the namespace ``xp`` of their input.
"""

from ..tensor import Tensor
from .activation import gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from .activation_smooth import elu, hardtanh, mish, prelu, relu6, selu, silu, softplus, softsign
from .arithmetic import (
    abs,
    add,
    clip,
    compare,
    div,
    exp,
    log,
    mul,
    neg,
    pow,
    sqrt,
    sub,
    to,
    update_,
)
from .comparison import (
    all,
    allclose,
    any,
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    eq,
    equal,
    ge,
    greater,
    greater_equal,
    gt,
    isclose,
    isfinite,
    isinf,
    isnan,
    le,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    ne,
    not_equal,
)
from .dims import (
    expand,
    flatten,
    flip,
    movedim,
    narrow,
    permute,
    repeat,
    squeeze,
    t,
    tile,
    transpose,
    unflatten,
    unsqueeze,
)
from .dropout import dropout
from .einsum import einsum
from .embedding import embedding
from .encoding import cdist, one_hot
from .ensemble import ensemble_linear
from .gathering import gather, index_select, masked_select, nonzero, scatter, scatter_add, where
from .indexing_more import index_add, take_along_dim
from .joining import cat, chunk, concat, concatenate, hstack, split, stack, unbind, vstack
from .linalg import linear, matmul
from .loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    mse_loss,
    nll_loss,
)
from .loss_extra import kl_div, margin_ranking_loss, poisson_nll_loss, smooth_l1_loss
from .normalization import batch_norm, layer_norm
from .ordering import argsort, sort, topk
from .pointwise import (
    ceil,
    clamp,
    cos,
    expm1,
    floor,
    floor_divide,
    log1p,
    log2,
    log10,
    masked_fill,
    maximum,
    minimum,
    reciprocal,
    remainder,
    round,
    rsqrt,
    sign,
    sin,
    square,
    tan,
    trunc,
)
from .products import bmm, dot, mm, mv, outer
from .reduction import ValuesIndices, argmax, argmin, max, mean, min, sum
from .scatter_reduce import scatter_reduce
from .shape import getitem, matrix_transpose, permute_dims, reshape
from .statistics import cumprod, cumsum, logsumexp, norm, prod, std, var
from .transcendental import (
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

__all__ = [
    "abs", "add", "binary_cross_entropy", "binary_cross_entropy_with_logits", "clip",
    "compare", "cross_entropy", "div", "dropout", "ensemble_linear", "exp", "gelu", "getitem", "huber_loss",
    "l1_loss", "leaky_relu", "linear", "log", "log_softmax", "matmul", "matrix_transpose",
    "max", "mean", "min", "mse_loss", "mul", "nll_loss", "neg", "permute_dims", "pow", "relu", "reshape",
    "sigmoid", "softmax", "sqrt", "sub", "sum", "tanh", "to", "update_", "where",
    "batch_norm", "elu", "embedding", "hardtanh", "kl_div", "layer_norm", "margin_ranking_loss",
    "mish", "poisson_nll_loss", "prelu", "relu6", "selu", "silu", "smooth_l1_loss", "softplus",
    "softsign",
    # torch's names (comparison, dims, joining, pointwise, products, statistics)
    "all", "allclose", "any", "bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor", "tile",
    "bmm", "cat", "ceil", "chunk", "clamp", "concat", "concatenate", "cos",
    "cumsum", "dot", "eq", "equal", "expand", "expm1", "flatten", "flip", "floor", "floor_divide",
    "ge", "greater", "greater_equal", "gt", "hstack", "isclose", "isfinite", "isinf", "isnan", "le",
    "less", "less_equal", "log10", "log1p", "log2", "logical_and", "logical_not", "logical_or",
    "logical_xor", "logsumexp", "lt", "maximum", "minimum", "mm", "movedim", "mv", "narrow", "ne",
    "norm", "not_equal", "outer", "permute", "prod", "reciprocal", "remainder", "repeat", "round",
    "rsqrt", "sign", "sin", "split", "square", "squeeze", "stack", "std", "t", "tan", "transpose",
    "trunc", "unbind", "unflatten", "unsqueeze", "var", "vstack", "argsort", "masked_fill", "sort",
    "topk",
]
__all__ += ["ValuesIndices", "argmax", "argmin"]
__all__ += ["cdist", "index_add", "one_hot", "scatter_reduce", "take_along_dim"]
__all__ += ["acos", "acosh", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh",
            "asin", "asinh", "atan", "atan2", "atanh", "cosh", "erf", "erfc", "erfinv", "exp2", "logit",
            "sinh"]
__all__ += ["cumprod", "einsum", "gather", "index_select", "masked_select", "nonzero", "scatter",
            "scatter_add"]

# Tensor's operators are these ops themselves: ``a + b`` calls ``add`` with no method frame
# in between (the hottest call of a training step). tensor.py declares them; they are bound
# here, where both exist, so that tensor.py need not import this package (no import cycle).
Tensor.__add__ = add  # type: ignore[method-assign]
Tensor.__sub__ = sub  # type: ignore[method-assign]
Tensor.__mul__ = mul  # type: ignore[method-assign]
Tensor.__truediv__ = div  # type: ignore[method-assign]
Tensor.__matmul__ = matmul  # type: ignore[method-assign]
Tensor.__pow__ = pow  # type: ignore[method-assign]
Tensor.__neg__ = neg  # type: ignore[method-assign]
Tensor.__getitem__ = getitem  # type: ignore[method-assign]

# gaps2: torch's activations, distances, pad and margin/embedding losses
from .activation_shrink import (  # noqa: E402
    celu,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    logsigmoid,
    rrelu,
    softmin,
    softshrink,
    tanhshrink,
    threshold,
)
from .distance import cosine_similarity, normalize, pairwise_distance  # noqa: E402
from .loss_embedding import (  # noqa: E402
    cosine_embedding_loss,
    gaussian_nll_loss,
    hinge_embedding_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    soft_margin_loss,
    triplet_margin_loss,
)
from .padding import pad  # noqa: E402

__all__ += ["celu", "glu", "hardshrink", "hardsigmoid", "hardswish", "logsigmoid", "rrelu",
            "softmin", "softshrink", "tanhshrink", "threshold", "cosine_similarity", "normalize",
            "pairwise_distance", "cosine_embedding_loss", "gaussian_nll_loss",
            "hinge_embedding_loss", "multi_margin_loss", "multilabel_margin_loss",
            "multilabel_soft_margin_loss", "soft_margin_loss", "triplet_margin_loss", "pad"]
from .normalization_more import alpha_dropout, bilinear, group_norm, rms_norm  # noqa: E402

__all__ += ["alpha_dropout", "bilinear", "group_norm", "rms_norm"]

# torch's names for triangles, rearranging, order statistics, counting (gaps1)
from .counting import (  # noqa: E402
    argwhere,
    bernoulli,
    bucketize,
    count_nonzero,
    histc,
    is_floating_point,
    searchsorted,
    unique,
)
from .order_stats import (  # noqa: E402
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
from .pointwise_extra import (  # noqa: E402
    addmm,
    baddbmm,
    fmod,
    frac,
    hypot,
    lerp,
    nan_to_num,
)
from .rearranging import (  # noqa: E402
    diff,
    kron,
    meshgrid,
    repeat_interleave,
    roll,
)
from .triangular import (  # noqa: E402
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
from .linalg_norms import matrix_norm, vector_norm  # noqa: E402
from .linalg_solve import det, inv, logdet, slogdet, solve  # noqa: E402

__all__ += ["det", "inv", "logdet", "matrix_norm", "slogdet", "solve", "vector_norm"]
