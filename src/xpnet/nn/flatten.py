"""``Flatten`` and ``Unflatten``: reshape layers, as torch's (no parameters)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .. import functional as F
from ..tensor import Tensor, as_tensor
from .module import Module


class Flatten(Module):
    """Merge the axes ``start_dim`` .. ``end_dim`` (inclusive) into one.

    Input: (N, *); output with the defaults (start_dim=1, end_dim=-1): (N, prod(*)).
    Raises IndexError when a dim is out of range for the input, as torch.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: Any) -> Tensor:
        return flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """``x`` with the axes start_dim..end_dim merged (torch.flatten); a 0-d input gives (1,)."""
    t = as_tensor(x, "flatten")
    shape = tuple(t.array.shape)
    n = max(len(shape), 1)
    start, end = (_axis(d, n, "flatten") for d in (start_dim, end_dim))
    if start > end:
        raise ValueError(f"flatten: start_dim ({start_dim}) comes after end_dim ({end_dim}) for "
                         f"an input of shape {shape}")
    if not shape:
        return F.reshape(t, (1,))
    new = shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:]
    return t if new == shape else F.reshape(t, new)


class Unflatten(Module):
    """Split axis ``dim`` into ``unflattened_size`` (a tuple whose product is its size;
    one entry may be -1). Input: (*, S, *) with S at ``dim``; output: (*, *unflattened_size, *).
    """

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        if isinstance(unflattened_size, int) or not all(
                isinstance(s, int) and not isinstance(s, bool) for s in unflattened_size):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple of ints, got "
                            f"{unflattened_size!r}")
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, x: Any) -> Tensor:
        t = as_tensor(x, "Unflatten")
        shape = tuple(t.array.shape)
        d = _axis(self.dim, len(shape), "Unflatten")
        sizes = self.unflattened_size
        known = math.prod(s for s in sizes if s != -1)
        if sizes.count(-1) > 1 or (-1 not in sizes and known != shape[d]) \
                or (-1 in sizes and (known == 0 or shape[d] % known)):
            raise ValueError(f"Unflatten: unflattened_size {sizes} does not multiply to the "
                             f"size {shape[d]} of axis {self.dim} of the input of shape {shape}")
        return F.reshape(t, shape[:d] + sizes + shape[d + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


def _axis(dim: int, ndim: int, name: str) -> int:
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"{name}: dims must be ints, got {dim!r}")
    if not -ndim <= dim < ndim:
        raise IndexError(f"{name}: Dimension out of range (expected to be in range of "
                         f"[{-ndim}, {ndim - 1}], but got {dim})")
    return dim % ndim
