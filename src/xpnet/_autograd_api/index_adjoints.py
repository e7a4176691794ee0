"""The gradient ops of indexing, as Tensor ops: what getitem, take and gather run on Tensors.

The first-order rules of the indexing ops write ``G`` into zeros (``full[index] = G``) or
scatter-add it (``xp.scatter_add``): array operations with no graph. Under
``create_graph=True`` they run as the ops below, each a node whose own rule is the
adjoint read (written against ``xp``, so it runs on arrays and on Tensors alike):

* ``put_zeros``: out = zeros(shape) with G written at ``index``;  dL/dG = H[index]
* ``scatter_add``: out = rows of ``values`` summed by ``index`` (size rows);  dL/dvalues = H[index]
* ``take`` (axis 0): out = x[index];  dL/dx = scatter_add(H by index)

Each op's gradient is the other's (or getitem's) op again, so any order works. Indices
are constants of the graph (integer arrays, masks, ints and slices).
"""

from __future__ import annotations

import math
from typing import Any

from .. import _backend
from .._double_backward import double_backward_ready
from ..tensor import Tensor, make_result


def put_zeros(g: Tensor, shape: tuple[int, ...], index: Any, index_shape: Any) -> Tensor:
    """Zeros of ``shape`` (``g``'s dtype and device) with ``g`` written at ``index`` (``g``
    reshaped to ``index_shape`` first, when given: axes ``None`` added in the forward).

    dL/dg = H[index] (reshaped back to g's shape).
    """
    xp = g.xp
    gshape = tuple(g.array.shape)
    full = xp.zeros(shape, dtype=g.array.dtype, device=_backend.device(g.array))
    full = xp.set_at(full, index, g.array if index_shape is None else xp.reshape(g.array, index_shape))

    def backward(h: Any) -> tuple[Any]:
        piece = h[index]
        return (piece if tuple(piece.shape) == gshape else xp.reshape(piece, gshape),)

    return make_result(full, xp, (g,), backward, "put_zeros", saves=False)


def scatter_add(index: Any, values: Tensor, size: int) -> Tensor:
    """``xp.scatter_add`` on a Tensor: ``values`` (n, k) summed into ``size`` rows by ``index`` (n,).

    dL/dvalues = take(H, index, axis=0).
    """
    xp = values.xp
    out = xp.scatter_add(index, values.array, size)

    def backward(h: Any) -> tuple[Any]:
        return (xp.take(h, index, axis=0),)

    return make_result(out, xp, (values,), backward, "scatter_add", saves=False)


def take(x: Tensor, indices: Any, axis: int) -> Tensor:
    """``xp.take(x, indices, axis=0)`` on a Tensor: rows of ``x`` by ``indices`` (1-d).

    dL/dx = scatter_add(H by indices), reshaped to x's shape.
    """
    if axis != 0:
        raise NotImplementedError(f"take on Tensors reads along axis 0 only, got axis={axis}")
    xp = x.xp
    shape = tuple(x.array.shape)
    out = xp.take(x.array, indices, axis=0)
    rows, width = shape[0], math.prod(shape[1:])

    def backward(h: Any) -> tuple[Any]:
        flat = xp.reshape(h, (indices.shape[0], width))
        return (xp.reshape(xp.scatter_add(indices, flat, rows), shape),)

    return make_result(out, xp, (x,), backward, "take", saves=False)


double_backward_ready(put_zeros, scatter_add, take)
