"""More loss modules with torch's names and defaults; each calls its function in
:mod:`xpnet.functional` (``F.smooth_l1_loss``, ``F.kl_div``, ``F.poisson_nll_loss``,
``F.margin_ranking_loss``). ``reduction`` as in :mod:`xpnet.nn.loss`; KLDivLoss
also takes ``"batchmean"``.
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..tensor import Tensor
from ._input import loss_input, loss_target
from .loss import _Loss


def _number(value: Any, name: str, loss: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{loss}: {name} must be a number, got {value!r}")
    return float(value)


class SmoothL1Loss(_Loss):
    """``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``, ``d = x - y``.

    Input: any shape; target: the same shape. ``beta`` >= 0 (0: the L1 loss).

    Calls :func:`xpnet.functional.smooth_l1_loss` (its docstring gives the backward rule).

    Args:
        reduction: ``"mean"`` (default: the mean over all elements, a 0-d tensor), ``"sum"``,
            or ``"none"`` (the elementwise losses, of the input's shape).
        beta: the threshold between the quadratic and the linear part (0 or more).

    Raises:
        ValueError: ``reduction`` is not one of the three (at construction); at call, the
            errors of the function it calls.
    """

    _function = F.smooth_l1_loss

    def __init__(self, *, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        if _number(beta, "beta", "SmoothL1Loss") < 0:
            raise ValueError(f"SmoothL1Loss: beta must be >= 0, got {beta!r}")
        self.beta = beta

    def _options(self) -> dict[str, Any]:
        return {"beta": self.beta}


class KLDivLoss(_Loss):
    """KL divergence ``y (log y - x)`` of log-probabilities ``x`` from target ``y``.

    Input: log-probabilities, any shape (``nn.LogSoftmax`` output); target:
    probabilities of the same shape (``log_target=True``: log-probabilities).
    ``reduction="batchmean"`` gives the KL divergence itself (sum / batch size);
    ``"mean"`` (the default, as torch) divides by every element.
    """

    _function = F.kl_div

    def __init__(self, *, reduction: str = "mean", log_target: bool = False) -> None:
        if reduction not in ("mean", "sum", "none", "batchmean"):
            raise ValueError(f"KLDivLoss: reduction must be 'mean', 'batchmean', 'sum' or "
                             f"'none', got {reduction!r}")
        self.reduction = reduction
        self.log_target = log_target

    def _options(self) -> dict[str, Any]:
        return {"log_target": self.log_target}


class PoissonNLLLoss(_Loss):
    """Negative log-likelihood of Poisson counts ``y``: ``e**x - y x`` for log-rates ``x``
    (``log_input=False``: rates, ``x - y log(x + eps)``); ``full`` adds Stirling's term.

    Input: any shape; target: counts, the same shape.

    Calls :func:`xpnet.functional.poisson_nll_loss` (its docstring gives the backward rule).

    Args:
        reduction: ``"mean"`` (default: the mean over all elements, a 0-d tensor), ``"sum"``,
            or ``"none"`` (the elementwise losses, of the input's shape).
        log_input: the input is the log of the rate.
        full: add Stirling's approximation of ``log(y!)``.
        eps: added to the rate inside the log when ``log_input`` is False.

    Raises:
        ValueError: ``reduction`` is not one of the three (at construction); at call, the
            errors of the function it calls.
    """

    _function = F.poisson_nll_loss

    def __init__(self, log_input: bool = True, full: bool = False, *, eps: float = 1e-8,
                 reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.log_input = log_input
        self.full = full
        self.eps = _number(eps, "eps", "PoissonNLLLoss")

    def _options(self) -> dict[str, Any]:
        return {"log_input": self.log_input, "full": self.full, "eps": self.eps}


class MarginRankingLoss(_Loss):
    """``max(0, -y (x1 - x2) + margin)``: y = 1 says x1 should rank above x2, -1 below.

    Input1, input2, target: the same shape (target of 1s and -1s).

    Calls :func:`xpnet.functional.margin_ranking_loss` (its docstring gives the backward rule).

    Args:
        reduction: ``"mean"`` (default: the mean over all elements, a 0-d tensor), ``"sum"``,
            or ``"none"`` (the elementwise losses, of the input's shape).
        margin: how far ``x1`` must lead ``x2`` (in the direction of ``y``) to cost nothing.

    Raises:
        ValueError: ``reduction`` is not one of the three (at construction); at call, the
            errors of the function it calls.
    """

    def __init__(self, margin: float = 0.0, *, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.margin = _number(margin, "margin", "MarginRankingLoss")

    def forward(self, input1: Any, input2: Any, target: Any) -> Tensor:  # type: ignore[override]
        name = type(self).__name__
        x1 = input1 if isinstance(input1, Tensor) else loss_input(input1, name)
        x2 = input2 if isinstance(input2, Tensor) else loss_target(input2, x1, name)
        y = target if isinstance(target, Tensor) else loss_target(target, x1, name)
        return F.margin_ranking_loss(x1, x2, y, self.margin, reduction=self.reduction)
