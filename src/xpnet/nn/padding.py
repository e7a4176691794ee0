"""Padding layers (torch's): ZeroPad1d/2d, ConstantPad1d/2d, ReflectionPad1d/2d,
ReplicationPad1d/2d, CircularPad1d/2d. Each calls :func:`xpnet.functional.pad`.

``padding``: an int (every side) or a tuple ``(left, right)`` (1d) /
``(left, right, top, bottom)`` (2d), as torch.
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..tensor import Tensor
from .module import Module


class _Pad(Module):
    _sides = 2
    _mode = "constant"

    def __init__(self, padding: int | tuple[int, ...]) -> None:
        self.padding = (padding,) * self._sides if isinstance(padding, int) else tuple(padding)
        if len(self.padding) != self._sides:
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple of "
                             f"{self._sides} ints, got {padding!r}")

    def forward(self, x: Any) -> Tensor:
        return F.pad(x, self.padding, self._mode)

    def extra_repr(self) -> str:
        return str(self.padding)


class _ConstantPad(_Pad):
    def __init__(self, padding: int | tuple[int, ...], value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, x: Any) -> Tensor:
        return F.pad(x, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPad):
    """Pad the last dim with ``value``: ``(*, W) -> (*, W + left + right)``.

    Args:
        padding: an int (every side) or ``(left, right)``.
        value: the fill.
    """


class ConstantPad2d(_ConstantPad):
    """Pad the last two dims with ``value``: ``(*, H, W) -> (*, H + top + bottom, W + left + right)``.

    Args:
        padding: an int (every side) or ``(left, right, top, bottom)``.
        value: the fill.
    """

    _sides = 4


class ZeroPad1d(_ConstantPad):
    """Pad the last dim with zeros.

    Args:
        padding: an int (every side) or ``(left, right)``.
    """

    def __init__(self, padding: int | tuple[int, ...]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return str(self.padding)


class ZeroPad2d(ZeroPad1d):
    """Pad the last two dims with zeros.

    Args:
        padding: an int (every side) or ``(left, right, top, bottom)``.
    """

    _sides = 4


class ReflectionPad1d(_Pad):
    """Mirror the last dim without repeating its edge: ``2 1 | 0 1 2 | 1 0``.

    Args:
        padding: an int (every side) or ``(left, right)``.
    """

    _mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    """Mirror the last two dims.

    Args:
        padding: an int (every side) or ``(left, right, top, bottom)``.
    """

    _sides = 4


class ReplicationPad1d(_Pad):
    """Repeat the edge of the last dim: ``0 0 | 0 1 2 | 2 2``.

    Args:
        padding: an int (every side) or ``(left, right)``.
    """

    _mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    """Repeat the edges of the last two dims.

    Args:
        padding: an int (every side) or ``(left, right, top, bottom)``.
    """

    _sides = 4


class CircularPad1d(_Pad):
    """Wrap the last dim around: ``1 2 | 0 1 2 | 0 1``.

    Args:
        padding: an int (every side) or ``(left, right)``.
    """

    _mode = "circular"


class CircularPad2d(CircularPad1d):
    """Wrap the last two dims around.

    Args:
        padding: an int (every side) or ``(left, right, top, bottom)``.
    """

    _sides = 4
