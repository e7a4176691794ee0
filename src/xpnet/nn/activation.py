"""Activation layers: each calls its op in :mod:`xpnet.functional`.

Input: any shape (raw arrays are wrapped without copying); output: the same
shape, library, device and dtype.

``fused_as`` declares how a layer fuses into the ``nn.Linear`` before it in an
``nn.Sequential``: the ``activation`` name of :func:`xpnet.functional.linear` that
computes exactly its ``forward``, or None (see :mod:`xpnet.nn.fusion`).
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..tensor import Tensor, as_tensor
from .module import Module


class ReLU(Module):
    """``max(x, 0)``. ``inplace`` is accepted for PyTorch compatibility and ignored
    (xpnet never overwrites an input: the result is a new array)."""

    fused_as = "relu"

    def __init__(self, inplace: bool = False) -> None:
        self.inplace = inplace

    def forward(self, x: Any) -> Tensor:
        return F.relu(x)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """``x`` where x > 0, else ``negative_slope * x``. ``inplace`` is accepted and ignored."""

    fused_as = "leaky_relu"  # with this layer's negative_slope, read at each call

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        if isinstance(negative_slope, bool) or not isinstance(negative_slope, (int, float)):
            raise TypeError(f"LeakyReLU: negative_slope must be a number, got {negative_slope!r}")
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, x: Any) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Sigmoid(Module):
    """``1 / (1 + e**-x)``, overflow-free."""

    fused_as = "sigmoid"

    def forward(self, x: Any) -> Tensor:
        return F.sigmoid(x)


class Tanh(Module):
    """The hyperbolic tangent."""

    fused_as = "tanh"

    def forward(self, x: Any) -> Tensor:
        return F.tanh(x)


class GELU(Module):
    """``x * Phi(x)`` with Phi the standard normal CDF (``approximate="tanh"``: its tanh fit)."""

    def __init__(self, approximate: str = "none") -> None:
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    @property
    def fused_as(self) -> str | None:
        """``"gelu_tanh"`` for ``approximate="tanh"``; the exact GELU does not fuse (None)."""
        return "gelu_tanh" if self.approximate == "tanh" else None

    def forward(self, x: Any) -> Tensor:
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softmax(Module):
    """``e**x / sum(e**x)`` along ``dim`` (default: the last axis)."""

    def __init__(self, dim: int = -1) -> None:
        self.dim = _dim(dim, "Softmax")

    def forward(self, x: Any) -> Tensor:
        return F.softmax(x, axis=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """``log(softmax(x))`` along ``dim`` (default: the last axis), computed stably."""

    def __init__(self, dim: int = -1) -> None:
        self.dim = _dim(dim, "LogSoftmax")

    def forward(self, x: Any) -> Tensor:
        return F.log_softmax(x, axis=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Identity(Module):
    """Returns its input (as a Tensor); any constructor arguments are ignored, as in PyTorch."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def forward(self, x: Any) -> Tensor:
        return as_tensor(x, "Identity")


def _dim(dim: Any, name: str) -> int:
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"{name}: dim must be an int (the axis to normalise over), got {dim!r}")
    return dim

