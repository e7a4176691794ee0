"""Scatter-add for NumPy: :func:`xpnet.functional._scatter.scatter_add` in ``O(M * R)``.

The twin multiplies by a one-hot matrix (``M * size * R`` work); ``np.add.at``
adds each row of ``values`` into its target directly, in index order. The sums
are the same up to the order of additions (last bits in floating point; exact
for integer-valued data).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def scatter_add(xp: Any, index: Any, values: Any, size: int) -> Any:
    """Rows of ``values`` (M, R) summed into ``size`` rows by ``index`` (M,): (size, R)."""
    out = np.zeros((size, values.shape[1]), dtype=values.dtype)
    np.add.at(out, index, values)
    return out
