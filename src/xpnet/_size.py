"""``xn.Size``: a tensor's shape, a tuple with torch's ``numel()``; counting a reduction.

The number of elements of a shape is ``math.prod(shape)`` throughout xpnet (no helper of
its own: on a short tuple it is quicker than a Python loop)."""

from __future__ import annotations

import math
from typing import Any


class Size(tuple):
    """The shape of a tensor (``x.shape``, ``x.size()``): a tuple of ints, as ``torch.Size``.

    ``Size([2, 3]).numel()`` is 6; slicing gives a Size; it equals the plain tuple.

    Built as a tuple: ``Size(iterable)`` from an iterable of ints (empty by default).
    """

    __slots__ = ()

    def numel(self) -> int:
        """The number of elements of a tensor of this shape."""
        return math.prod(self)

    def __getitem__(self, index: Any) -> Any:
        out = tuple.__getitem__(self, index)
        return Size(out) if isinstance(index, slice) else out

    def __repr__(self) -> str:
        return f"xpnet.Size({list(self)})"


def reduced_count(shape: tuple[int, ...], axis: Any) -> int:
    """How many elements each output element of a reduction over ``axis`` combines.

    The ``N`` of a mean: the product of the lengths of the reduced axes, all of them when
    ``axis`` is None. ``axis`` is an int (negative counts from the end) or a tuple of them;
    a 0-d shape gives 1. Example: ``reduced_count((4, 5, 6), (0, 2))`` is 24.
    """
    if axis is None or not shape:
        return math.prod(shape)
    if isinstance(axis, tuple):
        return math.prod([shape[a] for a in axis])
    return shape[axis]
