"""``GroupNorm`` and ``RMSNorm``, torch's arguments, parameters and reprs.

The ops (and their gradients, composed) are :func:`xpnet.functional.group_norm` and
:func:`xpnet.functional.rms_norm`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import functional as F
from ..creation import ones, zeros
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter


class GroupNorm(Module):
    """Normalise groups of channels per sample (Wu & He 2018), then a per-channel ``w x + b``.

    Input: ``(N, num_channels, *)``; output: the same. Parameters ``weight`` (ones) and
    ``bias`` (zeros) of shape ``(num_channels,)`` when ``affine``.
    Raises ValueError when num_channels is not divisible by num_groups (torch's).

    Args:
        num_groups: how many groups the channels form.
        num_channels: C.
        eps: added to the variance.
        affine: learn ``weight`` and ``bias``.
        bias: learn ``bias`` (with affine).
        device: where and how the parameters are made (None: the defaults).
        dtype: as ``device``.
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 device: Any = None, dtype: Any = None, *, bias: bool = True) -> None:
        if num_groups <= 0 or num_channels % num_groups:
            raise ValueError("num_channels must be divisible by num_groups "
                             f"(got num_channels={num_channels}, num_groups={num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        self.weight: Parameter | None = None
        self.bias: Parameter | None = None
        if affine:
            self.weight = Parameter(ones(num_channels, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(zeros(num_channels, device=device, dtype=dtype))

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x: Any) -> Tensor:
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    """``x / sqrt(mean(x**2) + eps) * weight`` over the trailing ``normalized_shape``.

    ``eps=None``: the dtype's machine epsilon (torch's). Parameter ``weight`` (ones) of
    ``normalized_shape`` when ``elementwise_affine``.

    Args:
        normalized_shape: the trailing shape normalised over (an int or a tuple).
        eps: added to the mean square (None: the dtype's epsilon).
        elementwise_affine: learn ``weight``.
        device: where and how the parameters are made (None: the defaults).
        dtype: as ``device``.
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float | None = None,
                 elementwise_affine: bool = True, device: Any = None, dtype: Any = None) -> None:
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape = shape
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.weight: Parameter | None = (
            Parameter(ones(*shape, device=device, dtype=dtype)) if elementwise_affine else None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, x: Any) -> Tensor:
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
