"""Loss layers for margin, embedding and Gaussian losses, torch's arguments and reprs.

Each calls its function in :mod:`xpnet.functional` (functional/loss_embedding.py holds
the formulas). ``size_average`` and ``reduce`` (deprecated in torch) are accepted and ignored.
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..tensor import Tensor
from .loss import _Reduced


class _Loss(_Reduced):
    """torch's positional ``(size_average, reduce, reduction)``: the first two accepted and ignored."""

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)


class CosineEmbeddingLoss(_Loss):
    """``1 - cos(x1, x2)`` for y = 1, ``max(0, cos - margin)`` for y = -1. Call: ``(x1, x2, y)``.

    Args:
        margin: for dissimilar pairs.
        size_average: torch's deprecated arguments, accepted and ignored.
        reduce: as ``size_average``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``; another raises ValueError.
    """

    def __init__(self, margin: float = 0.0, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.margin = margin

    def forward(self, input1: Any, input2: Any, target: Any) -> Tensor:
        return F.cosine_embedding_loss(input1, input2, target, self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """``x`` for y = 1, ``max(0, margin - x)`` for y = -1.

    Args:
        margin: for y = -1.
        size_average: torch's deprecated arguments, accepted and ignored.
        reduce: as ``size_average``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``; another raises ValueError.
    """

    def __init__(self, margin: float = 1.0, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.margin = margin

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.hinge_embedding_loss(input, target, self.margin, reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """``log(1 + e**(-y x))``.

    Args:
        size_average: torch's deprecated arguments, accepted and ignored.
        reduce: as ``size_average``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``; another raises ValueError.
    """

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_Loss):
    """Per-class logistic loss averaged over classes; optional class ``weight`` ``(C,)``.

    Args:
        weight: optional per-class weights ``(C,)``.
        size_average: torch's deprecated arguments, accepted and ignored.
        reduce: as ``size_average``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``; another raises ValueError.
    """

    def __init__(self, weight: Any = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self._weights(weight=weight)

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.multilabel_soft_margin_loss(input, target, self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """Multi-class hinge loss against a list of target classes (ended by -1).

    Args:
        size_average: torch's deprecated arguments, accepted and ignored.
        reduce: as ``size_average``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``; another raises ValueError.
    """

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class MultiMarginLoss(_Loss):
    """Multi-class hinge loss: ``sum_{j != y} max(0, margin - x[y] + x[j])**p / C``.

    Args:
        p: 1 or 2 (else ValueError).
        margin: the required gap.
        weight: optional per-class weights ``(C,)``.
        size_average: torch's deprecated arguments, accepted and ignored.
        reduce: as ``size_average``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``; another raises ValueError.
    """

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Any = None, size_average: Any = None,
                 reduce: Any = None, reduction: str = "mean") -> None:
        if p not in (1, 2):
            raise ValueError("only p == 1 and p == 2 supported")
        super().__init__(reduction=reduction)
        self.p = p
        self.margin = margin
        self._weights(weight=weight)

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.multi_margin_loss(input, target, self.p, self.margin, self.weight,
                                   reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """``max(0, margin + d(a, p) - d(a, n))``. Call: ``(anchor, positive, negative)``.

    Args:
        margin: the required gap.
        p: the norm's exponent.
        eps: added to the differences.
        swap: use the distance swap.
        size_average: torch's deprecated arguments, accepted and ignored.
        reduce: as ``size_average``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``; another raises ValueError.
    """

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6, swap: bool = False,
                 size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor: Any, positive: Any, negative: Any) -> Tensor:
        return F.triplet_margin_loss(anchor, positive, negative, self.margin, self.p, self.eps,
                                     self.swap, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """``0.5 (log var + (x - y)**2 / var)``. Call: ``(input, target, var)``.

    Args:
        full: add the constant ``0.5 log(2 pi)``.
        eps: the smallest variance used.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``; another raises ValueError.
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.full = full
        self.eps = eps

    def forward(self, input: Any, target: Any, var: Any) -> Tensor:
        return F.gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)
