"""``xn.Size``: a tensor's shape, a tuple with torch's ``numel()``."""

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
