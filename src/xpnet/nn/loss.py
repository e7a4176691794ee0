"""Loss modules: each calls its function in :mod:`xpnet.functional` (``F.mse_loss``...).

``reduction`` is ``"mean"`` (the default: the average over every element, or
over samples for cross-entropy), ``"sum"``, or ``"none"`` (the elementwise
losses). Input and target may be Tensors or raw arrays of one library and
device; a target given as Python numbers is made on the input's device.
The loss has the input's dtype (a target of another dtype is cast).
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..tensor import Tensor, as_tensor
from ._input import loss_input, loss_target
from .module import Module

_REDUCTIONS = ("mean", "sum", "none")


class _Reduced(Module):
    """A loss module: its ``reduction``, checked, and its weights (buffers, as torch's)."""

    weight: Any  # a Tensor or None, where the loss takes weights
    pos_weight: Any

    def __init__(self, *, reduction: str = "mean") -> None:
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__}: reduction must be 'mean', 'sum' or 'none', got "
                f"{reduction!r}"
            )
        self.reduction = reduction

    def _weights(self, **weights: Any) -> None:
        """Keep each weight as a buffer, as torch's losses do: ``self.<name>``, moved and cast
        by ``.to(...)``, saved in ``state_dict()`` (a None weight: skipped)."""
        for name, value in weights.items():
            if value is not None and not isinstance(value, Tensor):
                value = as_tensor(value, type(self).__name__)
            self.register_buffer(name, value)


class _Loss(_Reduced):
    """A loss of ``(input, target)`` that calls its function ``_function``."""

    _function: Any = None

    def forward(self, input: Any, target: Any) -> Tensor:
        x = input if isinstance(input, Tensor) else loss_input(input, type(self).__name__)
        y = target if isinstance(target, Tensor) else loss_target(target, x, type(self).__name__)
        return type(self)._function(x, y, reduction=self.reduction, **self._options())

    def _options(self) -> dict[str, Any]:
        return {}

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """``(x - y)**2``. Input: any shape; target: the same shape.

    dL/dx = 2 (x - y) G, dL/dy = -2 (x - y) G. Calls :func:`xpnet.functional.mse_loss` (its docstring
    gives the backward rule).

    Args:
        reduction: ``"mean"`` (default: the mean over all elements, a 0-d tensor), ``"sum"``,
            or ``"none"`` (the elementwise losses, of the input's shape).

    Raises:
        ValueError: ``reduction`` is not one of the three (at construction); at call, the
            errors of the function it calls.
    """

    _function = F.mse_loss


class L1Loss(_Loss):
    """``|x - y|``. Input: any shape; target: the same shape.

    dL/dx = G sign(x - y). Calls :func:`xpnet.functional.l1_loss` (its docstring gives the backward rule).

    Args:
        reduction: ``"mean"`` (default: the mean over all elements, a 0-d tensor), ``"sum"``,
            or ``"none"`` (the elementwise losses, of the input's shape).

    Raises:
        ValueError: ``reduction`` is not one of the three (at construction); at call, the
            errors of the function it calls.
    """

    _function = F.l1_loss


class HuberLoss(_Loss):
    """``0.5 d**2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``, ``d = x - y``.

    Input: any shape; target: the same shape.

    Calls :func:`xpnet.functional.huber_loss` (its docstring gives the backward rule).

    Args:
        reduction: ``"mean"`` (default: the mean over all elements, a 0-d tensor), ``"sum"``,
            or ``"none"`` (the elementwise losses, of the input's shape).
        delta: the threshold between the quadratic and the linear part (positive).

    Raises:
        ValueError: ``reduction`` is not one of the three (at construction); at call, the
            errors of the function it calls.
    """

    _function = F.huber_loss

    def __init__(self, *, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        if isinstance(delta, bool) or not isinstance(delta, (int, float)) or not delta > 0:
            raise ValueError(f"HuberLoss: delta must be a positive number, got {delta!r}")
        self.delta = float(delta)

    def _options(self) -> dict[str, Any]:
        return {"delta": self.delta}

    def extra_repr(self) -> str:
        return ", ".join(filter(None, (super().extra_repr(), f"delta={self.delta}")))


class BCELoss(_Loss):
    """Binary cross-entropy ``-(y log p + (1 - y) log(1 - p))`` of probabilities ``p``.

    Input: probabilities in [0, 1], any shape; target: the same shape.
    On raw scores use :class:`BCEWithLogitsLoss` (stabler).

    dL/dp = G (p - y) / max(p (1 - p), 1e-12). Calls :func:`xpnet.functional.binary_cross_entropy` (its
    docstring gives the backward rule).

    Args:
        weight: optional rescaling of each element's loss (broadcasts to the input); a buffer,
            as torch's: moved by ``.to(...)`` and saved in ``state_dict()``.
        size_average: torch's deprecated arguments, accepted and ignored.
        reduce: as ``size_average``.
        reduction: ``"mean"`` (default: the mean over all elements, a 0-d tensor), ``"sum"``,
            or ``"none"`` (the elementwise losses, of the input's shape).

    Raises:
        ValueError: ``reduction`` is not one of the three (at construction); at call, the
            errors of the function it calls.
    """

    _function = F.binary_cross_entropy

    def __init__(self, weight: Any = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self._weights(weight=weight)

    def _options(self) -> dict[str, Any]:
        return {} if self.weight is None else {"weight": self.weight}


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of ``sigmoid(x)`` computed from the scores ``x``, overflow-free.

    Input: scores, any shape; target: probabilities, the same shape.

    dL/dx = G (sigmoid(x) - y). Calls :func:`xpnet.functional.binary_cross_entropy_with_logits` (its
    docstring gives the backward rule).

    Args:
        reduction: ``"mean"`` (default: the mean over all elements, a 0-d tensor), ``"sum"``,
            or ``"none"`` (the elementwise losses, of the input's shape).

    Raises:
        ValueError: ``reduction`` is not one of the three (at construction); at call, the
            errors of the function it calls.
    """

    _function = F.binary_cross_entropy_with_logits

    def __init__(self, weight: Any = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean", pos_weight: Any = None) -> None:
        """``weight``: rescales each element's loss; ``pos_weight``: weights the positive term,
        one per class (last dim), torch's formula. Both are buffers, as torch's (moved by
        ``.to(...)``, saved in ``state_dict()``).
        ``size_average``, ``reduce``: torch's deprecated arguments, accepted and ignored;
        ``reduction`` as above."""
        super().__init__(reduction=reduction)
        self._weights(weight=weight, pos_weight=pos_weight)

    def _options(self) -> dict[str, Any]:
        if self.weight is None and self.pos_weight is None:
            return {}
        return {"weight": self.weight, "pos_weight": self.pos_weight}


class _ClassLoss(_Loss):
    """A loss over class indices: optional (C,) class ``weight`` and an ``ignore_index``.

    ``weight`` is a buffer, as torch's: moved and cast by ``.to(...)``, saved in
    ``state_dict()`` (not trained).
    """

    def __init__(self, weight: Any = None, *, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        name = type(self).__name__
        if weight is not None:
            w = as_tensor(weight, name)
            if w.ndim != 1:
                raise ValueError(f"{name}: weight must be 1-D with one value per class, got "
                                 f"shape {tuple(w.shape)}")
        if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
            raise TypeError(f"{name}: ignore_index must be an int, got {ignore_index!r}")
        self._weights(weight=weight)
        self.ignore_index = ignore_index

    def _options(self) -> dict[str, Any]:
        return {"weight": self.weight, "ignore_index": self.ignore_index}

    def extra_repr(self) -> str:
        extra = [super().extra_repr()]
        if self.weight is not None:
            extra.append(f"weight=<{as_tensor(self.weight).shape[0]} classes>")
        if self.ignore_index != -100:
            extra.append(f"ignore_index={self.ignore_index}")
        return ", ".join(filter(None, extra))


class CrossEntropyLoss(_ClassLoss):
    """Softmax cross-entropy of class scores.

    Input: (N, C), (N, C, d1, ...) or (C,). Target: class indices (an integer
    array of shape (N,), (N, d1, ...) or ()), or class probabilities (the
    input's shape). ``weight``: (C,) class weights; "mean" then divides by the
    summed weight of the targets (by N for probability targets), as PyTorch.
    ``ignore_index``: targets of that class add nothing, not even to the count.
    ``label_smoothing`` mixes the target with the uniform distribution:
    ``(1 - s) p + s / C``.

    Calls :func:`xpnet.functional.cross_entropy`: ``dL/dx = G (softmax(x) - onehot(y))``
    per sample, weighted and smoothed as its docstring says.

    Args:
        weight: None, or a (C,) floating Tensor of class weights (on the input's device).
        ignore_index: a class index whose samples add nothing (nor count in the mean).
        reduction: ``"mean"`` (default: the mean over all elements, a 0-d tensor), ``"sum"``,
            or ``"none"`` (the elementwise losses, one per sample).
        label_smoothing: ``s`` in [0, 1] (above).

    Raises:
        ValueError: ``reduction`` is not one of the three (at construction); at call, the
            errors of the function it calls.
    """

    _function = F.cross_entropy

    def __init__(self, weight: Any = None, *, ignore_index: int = -100,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight, ignore_index=ignore_index, reduction=reduction)
        if (isinstance(label_smoothing, bool) or not isinstance(label_smoothing, (int, float))
                or not 0.0 <= label_smoothing <= 1.0):
            raise ValueError(
                f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing!r}"
            )
        self.label_smoothing = float(label_smoothing)

    def _options(self) -> dict[str, Any]:
        return {**super()._options(), "label_smoothing": self.label_smoothing}

    def extra_repr(self) -> str:
        extra = [super().extra_repr()]
        if self.label_smoothing:
            extra.append(f"label_smoothing={self.label_smoothing}")
        return ", ".join(filter(None, extra))


class NLLLoss(_ClassLoss):
    """Negative log-likelihood ``-w_y input[y]`` of log-probabilities.

    Input: log-probabilities (N, C), (N, C, d1, ...) or (C,), e.g. from
    ``nn.LogSoftmax(dim=1)`` (together they are :class:`CrossEntropyLoss`).
    Target: class indices, shape (N,), (N, d1, ...) or (). ``weight`` and
    ``ignore_index`` as in :class:`CrossEntropyLoss`.

    Calls :func:`xpnet.functional.nll_loss`: ``dL/dinput[i, y_i] = -G w_{y_i}``, 0 elsewhere.

    Args:
        weight: None, or a (C,) floating Tensor of class weights (on the input's device).
        ignore_index: a class index whose samples add nothing (nor count in the mean).
        reduction: ``"mean"`` (default: the mean over all elements, a 0-d tensor), ``"sum"``,
            or ``"none"`` (the elementwise losses, one per sample).

    Raises:
        ValueError: ``reduction`` is not one of the three (at construction); at call, the
            errors of the function it calls.
    """

    _function = F.nll_loss
