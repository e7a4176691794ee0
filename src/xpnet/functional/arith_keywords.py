"""torch's spellings of arithmetic with keywords: ``add(alpha=)``, ``sub(alpha=)``,
``div(rounding_mode=)`` and the aliases ``multiply``, ``divide``, ``subtract``, ``true_divide``.

The operators ``+ - * /`` are :func:`xpnet.functional.add` and friends (the hot path,
two arguments); these wrappers compose them, so their gradients are the operators'.
They are reached as ``xn.add(...)`` and as Tensor methods (``x.add(y, alpha=2)``).
"""

from __future__ import annotations

from typing import Any

from .. import _dtypes
from . import arithmetic
from ._core import Tensor, make_result, operands, value
from .pointwise import floor_divide, trunc

__all__ = ["add", "div", "divide", "mul", "multiply", "sub", "subtract", "true_divide"]


def add(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """``input + alpha * other``."""
    return arithmetic.add(input, other if alpha == 1 else arithmetic.mul(other, alpha))


def sub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """``input - alpha * other``."""
    return arithmetic.sub(input, other if alpha == 1 else arithmetic.mul(other, alpha))


subtract = sub


def mul(input: Any, other: Any) -> Tensor:
    """``input * other``."""
    return arithmetic.mul(input, other)


multiply = mul


def _integers(x: Any) -> bool:
    if isinstance(x, Tensor):
        return not _dtypes.is_floating(x.array.dtype)
    return isinstance(x, int)


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """``input / other``; ``rounding_mode="trunc"`` rounds toward zero, ``"floor"`` down (``//``)."""
    if rounding_mode is None:
        return arithmetic.div(input, other)
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":
        a, b, xp = operands(input, other, "div")
        if _integers(a) and _integers(b):  # stays integer, as torch: floor, +1 where signs differ
            av, bv = value(a), value(b)
            q = av // bv
            inexact = (av % bv != 0) & ((av < 0) != (bv < 0))
            return make_result(q + xp.astype(inexact, q.dtype), xp, (), None, "div")
        return trunc(arithmetic.div(a, b))
    raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                     f"'{rounding_mode}'")


divide = div


def true_divide(input: Any, other: Any) -> Tensor:
    """``input / other`` (always a true division)."""
    return arithmetic.div(input, other)
