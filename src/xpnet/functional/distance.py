"""Normalising and comparing vectors, torch's names and defaults: normalize, cosine_similarity,
pairwise_distance. Composed of differentiable ops (sum, sqrt, norm, clamp, division), which
is exact: the gradients are the chain rule of the formulas below.
"""

from __future__ import annotations

from typing import Any

from ._core import Tensor, as_tensor, require_floating


def _floating(x: Any, op: str) -> Tensor:
    x = as_tensor(x, op)
    require_floating(x, op)
    return x


def normalize(input: Any, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Any = None) -> Tensor:
    """``x / max(||x||_p, eps)`` along ``dim`` (unit vectors).

    Input: any shape with ``dim``; output: the same shape. ``out`` is not supported (None only).

    Args:
        input: a floating Tensor, on any device.
        p: the norm's exponent (2: Euclidean).
        dim: the axis along which each vector lies.
        eps: the smallest norm divided by.
        out: unsupported (must be None).
    """
    from .statistics import norm

    if out is not None:
        raise TypeError("normalize: out= is not supported by xpnet; use the returned tensor")
    x = _floating(input, "normalize")
    return x / norm(x, p, dim=dim, keepdim=True).clamp(min=eps)


def cosine_similarity(x1: Any, x2: Any, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum(x1 x2) / (max(||x1||, eps) max(||x2||, eps))`` along ``dim`` (inputs broadcast).

    Output: the broadcast shape without ``dim``. Each norm is clamped below at ``eps`` (torch
    clamps outside the graph; a norm below eps is the only case whose gradient differs).

    Args:
        x1: floating Tensors that broadcast, on one device.
        x2: as ``x1``.
        dim: the vectors' axis.
        eps: the smallest norm divided by.
    """
    a, b = _floating(x1, "cosine_similarity"), _floating(x2, "cosine_similarity")
    na = (a * a).sum(dim, keepdim=True).sqrt().clamp(min=eps)
    nb = (b * b).sum(dim, keepdim=True).sqrt().clamp(min=eps)
    return ((a / na) * (b / nb)).sum(dim)


def pairwise_distance(x1: Any, x2: Any, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dimension (inputs broadcast).

    Input: ``(N, D)`` or ``(D,)``; output: ``(N,)`` or ``()`` (``keepdim`` keeps a size-1 dim).

    Args:
        x1: floating Tensors that broadcast, on one device.
        x2: as ``x1``.
        p: the norm's exponent.
        eps: added to the difference (torch's, keeps the norm differentiable at 0).
        keepdim: keep the reduced last dim with size 1.
    """
    from .statistics import norm

    a, b = _floating(x1, "pairwise_distance"), _floating(x2, "pairwise_distance")
    return norm(a - b + eps, p, dim=-1, keepdim=keepdim)
