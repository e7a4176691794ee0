"""Margin, embedding and Gaussian losses with torch's names, defaults and formulas:
cosine_embedding_loss, hinge_embedding_loss, soft_margin_loss, multilabel_soft_margin_loss,
multi_margin_loss, multilabel_margin_loss, triplet_margin_loss, gaussian_nll_loss, and the
weighted form of binary_cross_entropy_with_logits (``weight``, ``pos_weight``).

Each is composed of differentiable ops (where, clamp, logsigmoid, gather, sums), exactly as
torch's own reference code composes them, so the gradients are their chain rule.
"""

from __future__ import annotations

import math
from typing import Any

from .. import _dtypes
from ._core import Tensor, as_tensor, require_floating

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss: Tensor, reduction: str, name: str) -> Tensor:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction ({name}: use 'mean', "
                         f"'sum' or 'none')")
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _floating(x: Any, name: str) -> Tensor:
    x = as_tensor(x, name)
    require_floating(x, name)
    return x


def _like(t: Any, x: Tensor, name: str) -> Tensor:
    """``t`` as a Tensor of ``x``'s dtype (targets and weights that need no gradient)."""
    t = as_tensor(t, name)
    return t if t.dtype == x.dtype else t.to(x.dtype)


def bce_with_logits_weighted(input: Any, target: Any, weight: Any, pos_weight: Any,
                             reduction: str) -> Tensor:
    """``w [(1 - y) x + (1 + (pw - 1) y) (-logsigmoid(x))]`` (torch's formula).

    ``pos_weight`` (pw) broadcasts over the last (class) dim; ``weight`` (w) over the input.
    """
    from .activation_shrink import logsigmoid

    name = "binary_cross_entropy_with_logits"
    x = _floating(input, name)
    y = _like(target, x, name)
    if tuple(y.shape) != tuple(x.shape):
        raise ValueError(f"Target size ({tuple(y.shape)}) must be the same as input size "
                         f"({tuple(x.shape)})")
    if pos_weight is None:
        loss = (1 - y) * x - logsigmoid(x)
    else:
        lw = 1 + (_like(pos_weight, x, name) - 1) * y
        loss = (1 - y) * x - lw * logsigmoid(x)
    if weight is not None:
        loss = loss * _like(weight, x, name)
    return _reduce(loss, reduction, name)


def cosine_embedding_loss(input1: Any, input2: Any, target: Any, margin: float = 0.0,
                          size_average: Any = None, reduce: Any = None,
                          reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` where y = 1, ``max(0, cos(x1, x2) - margin)`` where y = -1.

    ``cos = sum(x1 x2) / sqrt((|x1|**2 + 1e-12) (|x2|**2 + 1e-12))`` over the last dim (torch's).
    Input: ``(N, D)`` or ``(D,)``; target: ``(N,)`` or ``()`` of 1 / -1.

    Args:
        input1: floating Tensors ``(N, D)`` or ``(D,)``.
        input2: as ``input1``.
        target: 1 (similar) or -1 (dissimilar) per pair.
        margin: for dissimilar pairs (between -1 and 1; 0 to 0.5 advised).
        size_average: torch's deprecated arguments, accepted and ignored.
        reduce: as ``size_average``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"`` (per sample or element).
    """
    name = "cosine_embedding_loss"
    a, b = _floating(input1, name), _floating(input2, name)
    if a.ndim != b.ndim or a.ndim not in (1, 2):
        raise RuntimeError(f"{name}: expected 1D or 2D inputs of equal rank, got shapes "
                           f"{tuple(a.shape)} and {tuple(b.shape)}")
    y = as_tensor(target, name)
    dim = a.ndim - 1
    eps = 1e-12
    cos = (a * b).sum(dim) / (((a * a).sum(dim) + eps) * ((b * b).sum(dim) + eps)).sqrt()
    zeros = cos * 0
    from .arithmetic import where

    loss = where(y == 1, 1 - cos, zeros) + where(y == -1, (cos - margin).clamp(min=0), zeros)
    return _reduce(loss, reduction, name)


def hinge_embedding_loss(input: Any, target: Any, margin: float = 1.0, size_average: Any = None,
                         reduce: Any = None, reduction: str = "mean") -> Tensor:
    """``x`` where y = 1, ``max(0, margin - x)`` where y = -1 (elementwise, any shape).

    Args:
        input: distances, a floating Tensor of any shape.
        target: 1 or -1, the input's shape.
        margin: for y = -1.
        size_average: torch's deprecated arguments, accepted and ignored.
        reduce: as ``size_average``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"`` (per sample or element).
    """
    from .arithmetic import where

    name = "hinge_embedding_loss"
    x = _floating(input, name)
    y = as_tensor(target, name)
    zeros = x * 0
    loss = where(y != 1, (margin - x).clamp(min=0), zeros) + where(y != -1, x, zeros)
    return _reduce(loss, reduction, name)


def soft_margin_loss(input: Any, target: Any, size_average: Any = None, reduce: Any = None,
                     reduction: str = "mean") -> Tensor:
    """``log(1 + e**(-y x))`` elementwise (y = 1 / -1), computed as ``-logsigmoid(y x)``.

    Args:
        input: scores, a floating Tensor of any shape.
        target: 1 or -1, the input's shape.
        size_average: torch's deprecated arguments, accepted and ignored.
        reduce: as ``size_average``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"`` (per sample or element).
    """
    from .activation_shrink import logsigmoid

    name = "soft_margin_loss"
    x = _floating(input, name)
    return _reduce(-logsigmoid(_like(target, x, name) * x), reduction, name)


def multilabel_soft_margin_loss(input: Any, target: Any, weight: Any = None, size_average: Any = None,
                                reduce: Any = None, reduction: str = "mean") -> Tensor:
    """``-mean_c [y log sigmoid(x) + (1 - y) log sigmoid(-x)]`` (times ``weight``) per sample.

    Input and target: ``(N, C)``; ``"none"`` gives ``(N,)``.

    Args:
        input: scores ``(N, C)``.
        target: 0/1 labels ``(N, C)``.
        weight: optional per-class weights ``(C,)``.
        size_average: torch's deprecated arguments, accepted and ignored.
        reduce: as ``size_average``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"`` (per sample or element).
    """
    from .activation_shrink import logsigmoid

    name = "multilabel_soft_margin_loss"
    x = _floating(input, name)
    y = _like(target, x, name)
    loss = -(y * logsigmoid(x) + (1 - y) * logsigmoid(-x))
    if weight is not None:
        loss = loss * _like(weight, x, name)
    dim = x.ndim - 1
    return _reduce(loss.sum(dim) / x.shape[dim], reduction, name)


def _class_index(target: Any, x: Tensor, name: str) -> Tensor:
    y = as_tensor(target, name)
    if _dtypes.is_floating(y.array.dtype):
        raise RuntimeError(f"{name}: target must hold class indices (an integer tensor), got {y.dtype}")
    return y


def multi_margin_loss(input: Any, target: Any, p: int = 1, margin: float = 1.0, weight: Any = None,
                      size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """``sum_{j != y} max(0, margin - x[y] + x[j])**p / C`` per sample (times ``weight[y]``).

    Input: ``(N, C)`` or ``(C,)``; target: ``(N,)`` or ``()`` class indices. p is 1 or 2.

    Args:
        input: scores ``(N, C)`` or ``(C,)``.
        target: class indices (integer Tensor).
        p: 1 or 2.
        margin: the required gap.
        weight: optional per-class weights ``(C,)``.
        size_average: torch's deprecated arguments, accepted and ignored.
        reduce: as ``size_average``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"`` (per sample or element).
    """
    from .gathering import gather

    name = "multi_margin_loss"
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x = _floating(input, name)
    y = _class_index(target, x, name)
    squeeze = x.ndim <= 1
    if squeeze:
        x, y = x.reshape(1, -1), y.reshape(1)
    c = x.shape[1]
    idx = y.reshape(-1, 1)
    z = (margin - gather(x, 1, idx) + x).clamp(min=0)
    if p == 2:
        z = z * z
    xp = x.xp
    cols = xp.arange(c, dtype=y.array.dtype, device=y.array.device)
    other = Tensor(xp.astype(cols[None, :] != idx.array, x.array.dtype))
    if weight is not None:
        w = _like(weight, x, name)
        z = z * gather(w, 0, y).reshape(-1, 1)
    loss = (z * other).sum(1) / c
    if squeeze and reduction == "none":
        loss = loss.reshape(())
    return _reduce(loss, reduction, name)


def multilabel_margin_loss(input: Any, target: Any, size_average: Any = None, reduce: Any = None,
                           reduction: str = "mean") -> Tensor:
    """``sum_{j in T, i not in T} max(0, 1 - (x[j] - x[i])) / C`` per sample.

    ``T``: the target's class indices up to its first -1. Input and target: ``(N, C)`` or ``(C,)``.

    Args:
        input: scores ``(N, C)`` or ``(C,)``.
        target: class indices padded with -1 (integer Tensor, the input's shape).
        size_average: torch's deprecated arguments, accepted and ignored.
        reduce: as ``size_average``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"`` (per sample or element).
    """
    from .gathering import gather

    name = "multilabel_margin_loss"
    x = _floating(input, name)
    y = _class_index(target, x, name)
    squeeze = x.ndim <= 1
    if squeeze:
        x, y = x.reshape(1, -1), y.reshape(1, -1)
    xp, yv = x.xp, y.array
    n, c = x.shape
    dt = x.array.dtype
    valid = xp.cumulative_sum(xp.astype(yv < 0, xp.int64), axis=1) == 0  # before the first -1
    safe = xp.where(valid, yv, xp.zeros_like(yv))
    cols = xp.arange(c, dtype=yv.dtype, device=yv.device)
    hit = (safe[:, :, None] == cols[None, None, :]) & valid[:, :, None]  # (N, slot, C)
    not_target = Tensor(xp.astype(~xp.any(hit, axis=1), dt))  # (N, C)
    total = x[:, :1] * 0
    for k in range(c):
        xk = gather(x, 1, Tensor(safe[:, k:k + 1]))
        term = ((1 - xk + x).clamp(min=0) * not_target).sum(1, keepdim=True)
        total = total + term * Tensor(xp.astype(valid[:, k:k + 1], dt))
    loss = total.reshape(n) / c
    if squeeze and reduction == "none":
        loss = loss.reshape(())
    return _reduce(loss, reduction, name)


def triplet_margin_loss(anchor: Any, positive: Any, negative: Any, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average: Any = None,
                        reduce: Any = None, reduction: str = "mean") -> Tensor:
    """``max(0, margin + d(a, p) - d(a, n))``, ``d`` = pairwise_distance(., ., p, eps).

    ``swap``: ``d(a, n)`` becomes ``min(d(a, n), d(p, n))``. Inputs: ``(N, D)`` or ``(D,)``.

    Args:
        anchor: floating Tensors ``(N, D)`` or ``(D,)``.
        positive: as ``anchor``.
        negative: as ``anchor``.
        margin: the required gap between the distances.
        p: the norm's exponent.
        eps: added to the differences.
        swap: use the distance swap (Balntas et al.).
        size_average: torch's deprecated arguments, accepted and ignored.
        reduce: as ``size_average``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"`` (per sample or element).
    """
    from .distance import pairwise_distance
    from .pointwise import minimum

    name = "triplet_margin_loss"
    a, pos, neg = (_floating(t, name) for t in (anchor, positive, negative))
    if not a.ndim == pos.ndim == neg.ndim:
        raise RuntimeError(f"{name}: the anchor, positive and negative tensors must have the same "
                           f"number of dimensions, got {a.ndim}, {pos.ndim} and {neg.ndim}")
    d_pos = pairwise_distance(a, pos, p, eps)
    d_neg = pairwise_distance(a, neg, p, eps)
    if swap:
        d_neg = minimum(d_neg, pairwise_distance(pos, neg, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp(min=0), reduction, name)


def gaussian_nll_loss(input: Any, target: Any, var: Any, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """``0.5 (log(max(var, eps)) + (x - y)**2 / max(var, eps))`` (+ ``0.5 log(2 pi)`` if ``full``).

    As torch, the clamp is outside the graph (the gradient reaches ``var`` as if unclamped).
    ``var``: the input's shape, that shape without its last dim, or one dim of size 1.
    Raises ValueError for a negative variance or a var of another size (torch's messages).

    Args:
        input: the predicted means.
        target: the samples, the input's shape.
        var: the predicted variances (a Tensor or a number, 0 or more).
        full: add the constant term.
        eps: the smallest variance used.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"`` (per sample or element).
    """
    name = "gaussian_nll_loss"
    x = _floating(input, name)
    y = _like(target, x, name)
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = x.detach() * 0 + float(var)
    v = _like(var, x, name)
    if bool(x.xp.any(v.array < 0)):
        raise ValueError("var has negative entry/entries")
    if tuple(v.shape) != tuple(x.shape):
        if tuple(x.shape[:-1]) == tuple(v.shape):
            v = v.unsqueeze(-1)
        elif not (x.ndim == v.ndim and sum(b for a, b in zip(x.shape, v.shape) if a != b) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    v = v + (v.detach().clamp(min=eps) - v.detach())  # clamp outside the graph
    loss = 0.5 * (v.log() + (x - y) ** 2 / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction, name)
