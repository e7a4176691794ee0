"""``group_norm``, ``rms_norm``, ``bilinear`` and ``alpha_dropout`` with torch's signatures.

Composed of differentiable ops (reshape, mean, rsqrt, einsum, products), which is exact:
the gradients are the chain rule of the formulas in each docstring.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ._core import Tensor, as_tensor, require_floating

# torch's alpha dropout constant: -SELU_SCALE * SELU_ALPHA, the value SELU tends to at -inf
_ALPHA = 1.7580993408473766


def _floating(x: Any, op: str) -> Tensor:
    x = as_tensor(x, op)
    require_floating(x, op)
    return x


def group_norm(input: Any, num_groups: int, weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise each group of ``C / num_groups`` channels of each sample, then ``* w + b``.

    ``y = (x - mean_g) / sqrt(var_g + eps)`` (biased variance over the group's channels and
    positions). Input: ``(N, C, *)``; weight, bias: ``(C,)``; output: the input's shape.
    Raises RuntimeError (torch's) when C is not divisible by num_groups.
    """
    x = _floating(input, "group_norm")
    if x.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {x.ndim}")
    n, c = x.shape[0], x.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {list(x.shape)} and num_groups={num_groups}")
    g = x.reshape(n, num_groups, -1)
    mu = g.mean(-1, keepdim=True)
    d = g - mu
    y = (d * ((d * d).mean(-1, keepdim=True) + eps).rsqrt()).reshape(tuple(x.shape))
    affine = (c,) + (1,) * (x.ndim - 2)
    if weight is not None:
        y = y * as_tensor(weight, "group_norm").reshape(affine)
    if bias is not None:
        y = y + as_tensor(bias, "group_norm").reshape(affine)
    return y


def rms_norm(input: Any, normalized_shape: int | Sequence[int], weight: Any = None,
             eps: float | None = None) -> Tensor:
    """``x / sqrt(mean(x**2) + eps) * weight`` over the last ``len(normalized_shape)`` dims.

    ``eps=None`` is the dtype's machine epsilon (torch's default). Raises RuntimeError when
    the input's trailing shape is not ``normalized_shape``.
    """
    x = _floating(input, "rms_norm")
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if tuple(x.shape[x.ndim - k:]) != shape or k > x.ndim:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size{list(x.shape)}")
    if eps is None:
        eps = float(x.xp.finfo(x.array.dtype).eps)
    dims = tuple(range(x.ndim - k, x.ndim))
    y = x * ((x * x).mean(dims, keepdim=True) + eps).rsqrt()
    return y if weight is None else y * as_tensor(weight, "rms_norm")


def bilinear(input1: Any, input2: Any, weight: Any, bias: Any = None) -> Tensor:
    """``y_k = x1^T W_k x2 + b_k``.

    input1: ``(*, in1)``; input2: ``(*, in2)``; weight: ``(out, in1, in2)``; bias: ``(out,)``;
    output: ``(*, out)``. dL/dx1 = G W x2, dL/dx2 = G W^T x1 (einsum's backward).
    """
    from .einsum import einsum

    a, b = _floating(input1, "bilinear"), _floating(input2, "bilinear")
    w = as_tensor(weight, "bilinear")
    if w.ndim != 3 or a.shape[-1] != w.shape[1] or b.shape[-1] != w.shape[2]:
        raise RuntimeError(f"bilinear: weight of shape {tuple(w.shape)} does not fit inputs "
                           f"{tuple(a.shape)} and {tuple(b.shape)}: expected (out, "
                           f"{a.shape[-1]}, {b.shape[-1]})")
    y = einsum("...i,kij,...j->...k", a, w, b)
    return y if bias is None else y + as_tensor(bias, "bilinear")


def alpha_dropout(input: Any, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout that keeps SELU's mean and variance: a dropped element becomes ``-alpha'``,
    then everything is ``a x + b`` with ``a = ((1 - p)(1 + p alpha'**2))**-1/2``, ``b = a alpha' p``
    (torch's). The identity when not training or ``p = 0``; masks from xpnet's generator.
    Raises ValueError for p outside [0, 1].

    Args:
        input: a floating Tensor of any shape.
        p: the drop probability.
        training: drop (True) or return the input (False, the default).
        inplace: accepted for torch programs and ignored.
    """
    from ..sampling import rand_like

    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    x = _floating(input, "alpha_dropout")
    if p == 0 or not training:
        return x
    if p == 1:
        return x * 0
    xp = x.xp
    keep = xp.astype(rand_like(x).array >= p, x.array.dtype)
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    b = (keep - 1) * (_ALPHA * a) + _ALPHA * a * p
    return x * Tensor(keep * a) + Tensor(b)
