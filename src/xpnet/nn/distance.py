"""``CosineSimilarity`` and ``PairwiseDistance`` layers (torch's), and ``AlphaDropout``.

Each calls its op in :mod:`xpnet.functional` (formula and gradient there).
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..tensor import Tensor
from .module import Module


class CosineSimilarity(Module):
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim`` (inputs broadcast).

    Output: the broadcast shape without ``dim``.

    Args:
        dim: the vectors' axis.
        eps: the smallest norm divided by.
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        self.dim = dim
        self.eps = eps

    def forward(self, x1: Any, x2: Any) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """``||x1 - x2 + eps||_p`` over the last dim. Input: ``(N, D)`` or ``(D,)``; output ``(N,)``.

    Args:
        p: the norm's exponent (stored as ``norm``, as torch).
        eps: added to the difference.
        keepdim: keep the last dim with size 1.
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1: Any, x2: Any) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class AlphaDropout(Module):
    """Dropout for SELU networks (keeps mean and variance): :func:`xpnet.functional.alpha_dropout`
    while training, the identity after ``model.eval()``.

    Args:
        p: the drop probability, in [0, 1] (else ValueError).
        inplace: accepted for torch programs and ignored: the result is a new tensor.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, x: Any) -> Tensor:
        return F.alpha_dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
