"""More losses with torch's names and defaults: Smooth L1, KL divergence, Poisson NLL and
margin ranking. Each is one graph node: the elementwise loss and its gradient side by
side, then the reduction (``"mean"`` over every element, ``"sum"``, ``"none"``; KL also
``"batchmean"``: the sum divided by the batch size, the true KL divergence).

Input and target must have the same shape (no silent broadcast); a target of
another dtype is cast to the input's, so the loss has the input's dtype.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

from .. import _dtypes
from ._core import Tensor, as_tensor, check_same_place, make_result

_REDUCTIONS = ("mean", "sum", "none")
_KL_MEAN = ("reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.")  # torch's warning, word for word


def _operands(name: str, *values: Any) -> list[Tensor]:
    """The inputs as Tensors of one place, one shape, and the first one's floating dtype."""
    ts = [v if isinstance(v, Tensor) else as_tensor(v, name) for v in values]
    x = ts[0]
    if not _dtypes.is_floating(x.array.dtype):
        raise TypeError(f"{name}: the input must be floating point, got {x.dtype}")
    out = [x]
    for t in ts[1:]:
        check_same_place(x, t, name)
        if tuple(t.array.shape) != tuple(x.array.shape):
            raise ValueError(f"{name}: shapes {tuple(x.array.shape)} and {tuple(t.array.shape)} "
                             f"differ: they must be equal (reshape one)")
        if t.array.dtype != x.array.dtype:
            if t.requires_grad:
                raise TypeError(f"{name}: dtypes {x.dtype} and {t.dtype} differ: convert one "
                                f"with .to(dtype=...)")
            t = Tensor(x.xp.astype(t.array, x.array.dtype))
        out.append(t)
    return out


def _reduction(xp: Any, loss: Any, reduction: str, name: str,
               allowed: tuple[str, ...] = _REDUCTIONS) -> tuple[Any, Callable[[Any], Any]]:
    """The reduced loss and the map from its gradient G to each element's share of it."""
    if reduction not in allowed:
        raise ValueError(f"{name}: reduction must be one of {', '.join(map(repr, allowed))}, "
                         f"got {reduction!r}")
    if reduction == "none":
        return loss, lambda g: g
    if reduction == "sum":
        return xp.sum(loss), lambda g: g
    if reduction == "batchmean":
        n = loss.shape[0] if len(loss.shape) else 1
        return xp.sum(loss) / n, lambda g: g / n
    count = math.prod(loss.shape)
    return xp.mean(loss), lambda g: g / count


def smooth_l1_loss(input: Any, target: Any, *, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``; ``d = x - y``.

    ``beta = 0`` is the L1 loss. dL/dx = G d / beta where |d| < beta, else G sign(d);
    dL/dy = -dL/dx. Raises ValueError for a negative beta.

    Args:
        input: ``x``, the prediction: a floating Tensor of any shape, on any device.
        target: ``y``, a Tensor of the same shape, library and device (cast to ``x``'s dtype
            when it needs no gradient).
        reduction: ``"mean"`` (default: the mean over all elements, a 0-d tensor), ``"sum"``,
            or ``"none"`` (the elementwise losses, of the input's shape).
        beta: the threshold between the quadratic and the linear part (0 or more).

    Raises:
        ValueError: ``beta`` is negative, the shapes differ, or ``reduction`` is not one of the three.
        TypeError: ``input`` is not floating-point, or a ``target`` that needs a gradient has
            another dtype.
        RuntimeError: ``input`` and ``target`` are on different devices or libraries.
    """
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be a number >= 0, got {beta!r}")
    x, y = _operands("smooth_l1_loss", input, target)
    xp = x.xp
    d = x.array - y.array
    a = xp.abs(d)
    small = a < beta
    quad = (0.5 / beta) * d * d if beta > 0 else a
    out, share = _reduction(xp, xp.where(small, quad, a - 0.5 * beta), reduction,
                            "smooth_l1_loss")

    def backward(g: Any) -> tuple[Any, Any]:
        slope = xp.where(small, d / beta, xp.sign(d)) if beta > 0 else xp.sign(d)
        gx = share(g) * slope
        return gx, (-gx if y.requires_grad else None)

    return make_result(out, xp, (x, y), backward, "smooth_l1_loss")


def kl_div(input: Any, target: Any, *, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL divergence pointwise: ``y (log y - x)`` for log-probabilities ``x`` (0 where y = 0).

    ``log_target=True``: the target is given as log-probabilities ``t``:
    ``e**t (t - x)``. ``reduction="batchmean"`` (sum / batch size) gives the KL
    divergence itself; ``"mean"`` divides by every element, as torch.
    dL/dx = -G y (or -G e**t);  dL/dy = G (log y + 1 - x)  (or G e**t (t - x + 1)).

    Args:
        input: ``x``, log-probabilities: a floating Tensor of any shape, on any device.
        target: ``y`` (probabilities) or ``t`` (log-probabilities, with ``log_target``), of
            ``input``'s shape, library and device.
        reduction: ``"mean"`` (default), ``"batchmean"``, ``"sum"`` or ``"none"``.
        log_target: the target is given as log-probabilities.

    Raises:
        ValueError: the shapes differ, or ``reduction`` is not one of the four.
    """
    if reduction == "mean":
        warnings.warn(_KL_MEAN, UserWarning, stacklevel=2)
    x, y = _operands("kl_div", input, target)
    xp, v, t = x.xp, x.array, y.array
    if log_target:
        p = xp.exp(t)
        loss = p * (t - v)
    else:
        positive = t > 0
        log_t = xp.log(xp.where(positive, t, 1.0))  # xlogy: 0 log 0 = 0
        loss = xp.where(positive, t * (log_t - v), -t * v)
    out, share = _reduction(xp, loss, reduction, "kl_div", _REDUCTIONS + ("batchmean",))

    def backward(g: Any) -> tuple[Any, Any]:
        gs = share(g)
        gx = -gs * (p if log_target else t)
        gy = None
        if y.requires_grad:
            gy = gs * p * (t - v + 1) if log_target else gs * (log_t + 1 - v)
        return gx, gy

    return make_result(out, xp, (x, y), backward, "kl_div")


def poisson_nll_loss(input: Any, target: Any, log_input: bool = True, full: bool = False, *,
                     eps: float = 1e-8, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of a Poisson target ``y`` with rate ``lambda``.

    ``log_input=True``: the input is ``log lambda``: ``e**x - y x``;
    otherwise the input is ``lambda``: ``x - y log(x + eps)``.
    ``full=True`` adds Stirling's ``y log y - y + 0.5 log(2 pi y)`` where y > 1.
    dL/dx = G (e**x - y)  or  G (1 - y / (x + eps));
    dL/dy = -G x  or  -G log(x + eps)  (+ G (log y + 0.5 / y) where y > 1 with full).

    Args:
        input: ``x``: ``log lambda`` (with ``log_input``) or ``lambda``; a floating Tensor.
        target: ``y``, counts of ``input``'s shape, library and device.
        log_input: the input is the log of the rate.
        full: add Stirling's approximation of ``log(y!)``.
        eps: added to ``lambda`` inside the log when ``log_input`` is False.
        reduction: ``"mean"`` (default: the mean over all elements, a 0-d tensor), ``"sum"``,
            or ``"none"`` (the elementwise losses, of the input's shape).
    """
    x, y = _operands("poisson_nll_loss", input, target)
    xp, v, t = x.xp, x.array, y.array
    if log_input:
        e = xp.exp(v)
        loss = e - t * v
    else:
        logx = xp.log(v + eps)
        loss = v - t * logx
    if full:
        big = t > 1
        safe = xp.where(big, t, 1.0)
        log_safe = xp.log(safe)
        loss = loss + xp.where(big, safe * log_safe - safe + 0.5 * xp.log(2 * math.pi * safe), 0.0)
    out, share = _reduction(xp, loss, reduction, "poisson_nll_loss")

    def backward(g: Any) -> tuple[Any, Any]:
        gs = share(g)
        gx = gs * (e - t) if log_input else gs * (1 - t / (v + eps))
        gy = None
        if y.requires_grad:
            gy = -gs * (v if log_input else logx)
            if full:
                gy = gy + xp.where(big, gs * (log_safe + 0.5 / safe), 0.0)
        return gx, gy

    return make_result(out, xp, (x, y), backward, "poisson_nll_loss")


def margin_ranking_loss(input1: Any, input2: Any, target: Any, margin: float = 0.0, *,
                        reduction: str = "mean") -> Tensor:
    """``max(0, -y (x1 - x2) + margin)`` with ``y`` = 1 (x1 should rank higher) or -1.

    input1, input2, target: the same shape. Where the hinge is active:
    dL/dx1 = -G y,  dL/dx2 = G y,  dL/dy = -G (x1 - x2); elsewhere 0.

    Args:
        input1: ``x1``, a floating Tensor.
        input2: ``x2``, a floating Tensor of ``input1``'s shape, library and device.
        target: ``y``, 1 or -1, of the same shape.
        margin: how far ``x1`` must lead ``x2`` (in the direction of ``y``) to cost nothing.
        reduction: ``"mean"`` (default: the mean over all elements, a 0-d tensor), ``"sum"``,
            or ``"none"`` (the elementwise losses, of the input's shape).
    """
    a, b, y = _operands("margin_ranking_loss", input1, input2, target)
    xp = a.xp
    yv = y.array
    diff = a.array - b.array
    z = -yv * diff + margin
    active = z > 0
    out, share = _reduction(xp, xp.where(active, z, 0.0), reduction, "margin_ranking_loss")

    def backward(g: Any) -> tuple[Any, Any, Any]:
        gz = xp.where(active, share(g), 0.0)
        ga = -gz * yv
        return ga, -ga, (-gz * diff if y.requires_grad else None)

    return make_result(out, xp, (a, b, y), backward, "margin_ranking_loss")
