"""Activation layers for torch's piecewise and gated activations: Hardswish, Hardsigmoid,
LogSigmoid, Softmin, GLU, CELU, Tanhshrink, Threshold, Softshrink, Hardshrink, RReLU.

Each calls its op in :mod:`xpnet.functional` (formula and gradient there), with torch's
arguments, defaults and reprs. Input: any shape; output: the same (GLU halves ``dim``).
``inplace`` is accepted and ignored (xpnet never overwrites an input).
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..tensor import Tensor
from .module import Module


class _Plain(Module):
    """An activation with only ``inplace`` (or nothing) to configure."""

    def __init__(self, inplace: bool = False) -> None:
        self.inplace = inplace

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Hardswish(_Plain):
    """``x * clip(x / 6 + 1/2, 0, 1)`` (:func:`xpnet.functional.hardswish`)."""

    def forward(self, x: Any) -> Tensor:
        return F.hardswish(x)


class Hardsigmoid(_Plain):
    """``clip(x / 6 + 1/2, 0, 1)`` (:func:`xpnet.functional.hardsigmoid`)."""

    def forward(self, x: Any) -> Tensor:
        return F.hardsigmoid(x)


class LogSigmoid(Module):
    """``log(sigmoid(x))`` without overflow (:func:`xpnet.functional.logsigmoid`)."""

    def forward(self, x: Any) -> Tensor:
        return F.logsigmoid(x)


class Tanhshrink(Module):
    """``x - tanh(x)`` (:func:`xpnet.functional.tanhshrink`)."""

    def forward(self, x: Any) -> Tensor:
        return F.tanhshrink(x)


class Softmin(Module):
    """``softmax(-x, dim)`` (:func:`xpnet.functional.softmin`)."""

    def __init__(self, dim: int | None = None) -> None:
        self.dim = dim

    def forward(self, x: Any) -> Tensor:
        return F.softmin(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class GLU(Module):
    """``a * sigmoid(b)``, ``a, b`` the halves of ``dim`` (:func:`xpnet.functional.glu`)."""

    def __init__(self, dim: int = -1) -> None:
        self.dim = dim

    def forward(self, x: Any) -> Tensor:
        return F.glu(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class CELU(Module):
    """``max(0, x) + min(0, alpha (e**(x / alpha) - 1))`` (:func:`xpnet.functional.celu`).

    Args:
        alpha: the negative side tends to -alpha.
        inplace: accepted for torch programs and ignored: the result is a new tensor.
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, x: Any) -> Tensor:
        return F.celu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Threshold(Module):
    """``x`` where ``x > threshold``, else ``value`` (:func:`xpnet.functional.threshold`).

    Args:
        threshold: the cut.
        value: what replaces x at or below it.
        inplace: accepted for torch programs and ignored: the result is a new tensor.
    """

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, x: Any) -> Tensor:
        return F.threshold(x, self.threshold, self.value)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}" + (", inplace=True" if self.inplace else "")


class Softshrink(Module):
    """Shrink towards 0 by ``lambd``, 0 inside (:func:`xpnet.functional.softshrink`)."""

    def __init__(self, lambd: float = 0.5) -> None:
        self.lambd = lambd

    def forward(self, x: Any) -> Tensor:
        return F.softshrink(x, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Hardshrink(Softshrink):
    """``x`` where ``|x| > lambd``, else 0 (:func:`xpnet.functional.hardshrink`)."""

    def forward(self, x: Any) -> Tensor:
        return F.hardshrink(x, self.lambd)


class RReLU(Module):
    """Randomized leaky ReLU (:func:`xpnet.functional.rrelu`): a random negative slope in
    ``[lower, upper]`` per element while training, the mean slope after ``model.eval()``.

    Args:
        lower: the range of the random negative slope.
        upper: as ``lower``.
        inplace: accepted for torch programs and ignored: the result is a new tensor.
    """

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False) -> None:
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, x: Any) -> Tensor:
        return F.rrelu(x, self.lower, self.upper, self.training)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace else "")
