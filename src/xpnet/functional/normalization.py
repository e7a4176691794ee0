"""Normalization: ``layer_norm`` and ``batch_norm``, forward and backward side by side.

Both standardise ``x`` over some axes, ``xhat = (x - mean) / sqrt(var + eps)``
(``var`` the biased variance), then scale and shift it per feature:
``out = xhat * weight + bias``. With the statistics of the batch itself, the
gradient must also flow through the mean and variance::

    dL/dx = rstd (Gh - mean(Gh) - xhat mean(Gh xhat)),   Gh = G weight,  rstd = 1/sqrt(var+eps)

(the means over the normalised axes); with fixed statistics (``batch_norm``
in eval mode) it is just ``G weight rstd``. ``dL/dweight = sum(G xhat)`` and
``dL/dbias = sum(G)`` over the other axes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .. import _backend
from ._core import CONSTANT, Tensor, as_tensor, check_same_place, make_result, require_floating


def _optional(t: Any, x: Tensor, what: str, shape: tuple[int, ...], op: str) -> Tensor | None:
    """An affine parameter or running statistic as a Tensor of ``shape`` next to ``x``, or None."""
    if t is None:
        return None
    t = as_tensor(t, op)
    check_same_place(x, t, op)
    if tuple(t.array.shape) != shape:
        raise ValueError(f"{op}: {what} has shape {tuple(t.array.shape)}, expected {shape} "
                         f"for an input of shape {tuple(x.array.shape)}")
    return t


def layer_norm(input: Any, normalized_shape: int | Sequence[int], weight: Any = None,
               bias: Any = None, eps: float = 1e-5) -> Tensor:
    """Standardise over the last ``len(normalized_shape)`` axes, then ``* weight + bias``.

    input: (*, *normalized_shape); weight and bias: normalized_shape (or None).
    Output: the input's shape. Raises ValueError when the trailing axes of the
    input are not ``normalized_shape``.

    ``out = (x - mean) / sqrt(var + eps) * weight + bias``, the biased variance over the
    normalized axes; ``dL/dx = (1 / sqrt(var + eps)) (Gw - mean(Gw) - xhat mean(Gw xhat))``.

    Args:
        input: (*, *normalized_shape), floating.
        normalized_shape: an int or a sequence of ints: the trailing axes normalized.
        weight: ``normalized_shape`` or None (1).
        bias: ``normalized_shape`` or None (0).
        eps: added to the variance before the square root.
    """
    x = as_tensor(input, "layer_norm")
    require_floating(x, "layer_norm")
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    xp, v = x.xp, x.array
    k = len(shape)
    if k == 0 or tuple(v.shape[len(v.shape) - k:]) != shape or len(v.shape) < k:
        raise ValueError(f"layer_norm: input of shape {tuple(v.shape)} must end with "
                         f"normalized_shape {shape}")
    w = _optional(weight, x, "weight", shape, "layer_norm")
    b = _optional(bias, x, "bias", shape, "layer_norm")
    axes = tuple(range(len(v.shape) - k, len(v.shape)))
    batch_axes = tuple(range(len(v.shape) - k))
    mean = xp.mean(v, axis=axes, keepdims=True)
    centred = v - mean
    rstd = 1 / xp.sqrt(xp.mean(centred * centred, axis=axes, keepdims=True) + eps)
    xhat = centred * rstd
    out = xhat if w is None else xhat * w.array
    if b is not None:
        out = out + b.array

    def backward(g: Any) -> tuple[Any, Any, Any]:
        gh = g if w is None else g * w.array
        gx = rstd * (gh - xp.mean(gh, axis=axes, keepdims=True)
                     - xhat * xp.mean(gh * xhat, axis=axes, keepdims=True))
        gw = _sum_to(xp, g * xhat, batch_axes) if w is not None and w.requires_grad else None
        gb = _sum_to(xp, g, batch_axes) if b is not None and b.requires_grad else None
        return gx, gw, gb

    parents = (x, w if w is not None else CONSTANT, b if b is not None else CONSTANT)
    return make_result(out, xp, parents, backward, "layer_norm")


def _set(given: Any, t: Tensor, value: Any) -> None:
    """Store a new running statistic: a Tensor is rebound (its object stays the one the
    module holds); a raw writeable array is written in place, as torch does."""
    if isinstance(given, Tensor) or not _backend.is_writeable(given):
        t.array = value
        if not isinstance(given, Tensor):
            raise TypeError("batch_norm: running statistics given as read-only arrays cannot be "
                            "updated: pass Tensors (or writeable arrays), or training=False")
    else:
        given[...] = value


def _sum_to(xp: Any, g: Any, axes: tuple[int, ...]) -> Any:
    return xp.sum(g, axis=axes) if axes else g


def batch_norm(input: Any, running_mean: Any, running_var: Any, weight: Any = None,
               bias: Any = None, training: bool = False, momentum: float | None = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Standardise each channel (axis 1) over the batch and the axes after it.

    input: (N, C) or (N, C, L); running_mean, running_var, weight, bias: (C,) or None.
    ``training=True`` uses the batch's statistics and, when running statistics
    are given, updates them in place:
    ``running = (1 - momentum) running + momentum stat``, with the unbiased
    variance (``var * n / (n - 1)``) as torch. ``training=False`` uses the
    running statistics. Raises ValueError when a channel has a single value in
    training (its variance is undefined), as torch.

    With ``m``, ``v`` the batch (or running) mean and biased variance per channel:
    ``out = (x - m) / sqrt(v + eps) * weight + bias``; in training the backward is the
    standard one of batch statistics, ``dL/dx = (w / sqrt(v + eps)) (G - mean(G) - xhat mean(G xhat))``.

    Args:
        input: (N, C) or (N, C, L), floating.
        running_mean: (C,) or None; updated in place in training.
        running_var: (C,) or None; updated in place in training.
        weight: (C,) or None (1).
        bias: (C,) or None (0).
        training: use (and update) the batch's statistics.
        momentum: the weight of the batch statistic in the running update.
        eps: added to the variance before the square root.
    """
    x = as_tensor(input, "batch_norm")
    require_floating(x, "batch_norm")
    xp, v = x.xp, x.array
    shape = tuple(v.shape)
    if len(shape) < 2:
        raise ValueError(f"batch_norm: input must be (N, C) or (N, C, L), got shape {shape}")
    c = shape[1]
    stat_shape = tuple(c if i == 1 else 1 for i in range(len(shape)))
    rm = _optional(running_mean, x, "running_mean", (c,), "batch_norm")
    rv = _optional(running_var, x, "running_var", (c,), "batch_norm")
    w = _optional(weight, x, "weight", (c,), "batch_norm")
    b = _optional(bias, x, "bias", (c,), "batch_norm")
    axes = tuple(i for i in range(len(shape)) if i != 1)
    if training:
        n = math.prod(shape) // c if c else 0
        if n <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when "
                             f"training, got input of shape {shape} (use a batch of 2 or "
                             f"more, or call model.eval())")
        mean = xp.mean(v, axis=axes, keepdims=True)
        centred = v - mean
        var = xp.mean(centred * centred, axis=axes, keepdims=True)
        if rm is not None and rv is not None:
            m = 0.0 if momentum is None else float(momentum)
            _set(running_mean, rm, (1 - m) * rm.array + m * xp.reshape(mean, (c,)))
            _set(running_var, rv, (1 - m) * rv.array + m * xp.reshape(var, (c,)) * (n / (n - 1)))
    else:
        if rm is None or rv is None:
            raise ValueError("batch_norm: training=False needs running_mean and running_var")
        mean = xp.reshape(rm.array, stat_shape)
        centred = v - mean
        var = xp.reshape(rv.array, stat_shape)
    rstd = 1 / xp.sqrt(var + eps)
    xhat = centred * rstd
    wv = None if w is None else xp.reshape(w.array, stat_shape)
    out = xhat if wv is None else xhat * wv
    if b is not None:
        out = out + xp.reshape(b.array, stat_shape)

    def backward(g: Any) -> tuple[Any, Any, Any]:
        gh = g if wv is None else g * wv
        if training:
            gx = rstd * (gh - xp.mean(gh, axis=axes, keepdims=True)
                         - xhat * xp.mean(gh * xhat, axis=axes, keepdims=True))
        else:
            gx = gh * rstd
        gw = xp.sum(g * xhat, axis=axes) if w is not None and w.requires_grad else None
        gb = xp.sum(g, axis=axes) if b is not None and b.requires_grad else None
        return gx, gw, gb

    parents = (x, w if w is not None else CONSTANT, b if b is not None else CONSTANT)
    return make_result(out, xp, parents, backward, "batch_norm")
