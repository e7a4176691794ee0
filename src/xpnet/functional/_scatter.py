"""Scatter-add in pure ``xp``: the backward of integer-array indexing.

``x[idx]`` reads rows of ``x``; its gradient adds each row of ``G`` into the row
it was read from, and a row read twice gets both (``x[[0, 0]]`` -> 2 at row 0).
The Array API has no scatter-add (nor ``__setitem__`` with repeated indices),
so the generic twin writes it as a matrix product with a one-hot matrix::

    out[j] = sum_{i : index[i] == j} values[i]     i.e.  out = onehot(index, size)^T @ values

Cost: ``M * size * R`` multiply-adds for ``M`` indices into ``size`` rows of ``R``
values (an embedding table of 50k rows makes this slow), and memory for at
most :data:`ONEHOT_ELEMENTS` one-hot entries at a time (``M`` is cut into
chunks). Each output is the sum of its own rows only (the other terms are exact
zeros), so results differ from an in-order sum in the last bits at most.

Siblings: NumPy's (:mod:`xpnet.cpu.scatter`) runs ``np.add.at`` in
``O(M * R)``. PyTorch (``index_add_``) and CuPy (``cupyx.scatter_add``) have
the same primitive; they have no sibling yet.
"""

from __future__ import annotations

from typing import Any

ONEHOT_ELEMENTS = 1 << 22  # one-hot entries per chunk: 32 MiB in float64


def scatter_add(xp: Any, index: Any, values: Any, size: int) -> Any:
    """Rows of ``values`` summed into ``size`` rows by ``index``.

    index: (M,) integers in ``[0, size)``; values: (M, R); returns (size, R) of
    ``values``' dtype and device, row ``j`` the sum of the rows ``i`` with
    ``index[i] == j`` (zeros where none).
    """
    m, r = values.shape
    out = xp.zeros((size, r), dtype=values.dtype, device=values.device)
    if m == 0 or size == 0 or r == 0:
        return out
    targets = xp.reshape(xp.arange(size, dtype=index.dtype, device=values.device), (1, size))
    step = max(1, ONEHOT_ELEMENTS // size)
    for start in range(0, m, step):
        stop = min(start + step, m)  # the standard leaves slices past the end unspecified
        onehot = xp.astype(xp.reshape(index[start:stop], (-1, 1)) == targets, values.dtype)
        out = out + xp.matmul(xp.matrix_transpose(onehot), values[start:stop, ...])  # (size, R)
    return out
