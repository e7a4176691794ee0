"""Triangles and diagonals of matrices, with torch's names: ``tril``, ``triu``, ``diagonal``,
``diag``, ``trace``.

* ``tril``/``triu``: out = where(mask, x, 0), mask[i, j] = (j - i <= k) / (j - i >= k);
  dL/dx = where(mask, G, 0)
* ``diagonal``: the two dims moved last and flattened, then every (m+1)-th element read
  with ``index_select`` (whose rule sends G back to those elements)
* ``diag``: 1-D -> a matrix with the vector on diagonal ``k`` (``where`` + ``index_select``);
  2-D -> ``diagonal``.  ``trace`` = ``diagonal(x).sum()``
"""

from __future__ import annotations

from typing import Any

from .. import _backend
from ._core import Tensor, as_tensor, dim_index, make_result
from .arithmetic import where
from .dims import movedim
from .gathering import index_select
from .reduction import sum as _sum
from .shape import reshape

__all__ = ["diag", "diagonal", "trace", "tril", "triu"]


def _triangle(input: Any, diagonal: int, lower: bool, name: str) -> Tensor:
    x = as_tensor(input, name)
    if x.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions, got {x.ndim}: "
                           f"give a matrix (or a batch of them)")
    xp, a = x.xp, x.array
    dev = _backend.device(a)
    n, m = a.shape[-2], a.shape[-1]
    rows = xp.reshape(xp.arange(n, dtype=xp.int64, device=dev), (n, 1))
    cols = xp.reshape(xp.arange(m, dtype=xp.int64, device=dev), (1, m))
    mask = (cols - rows <= diagonal) if lower else (cols - rows >= diagonal)
    out = xp.where(mask, a, xp.zeros_like(a))

    def backward(g: Any) -> tuple[Any]:  # dL/dx = G inside the triangle, 0 outside
        return (xp.where(mask, g, xp.zeros_like(g)),)

    return make_result(out, xp, (x,), backward, name)


def tril(input: Any, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (``j - i <= diagonal``), zeros above.

    Args:
        input: a Tensor (..., n, m).
        diagonal: 0 the main diagonal, > 0 above it, < 0 below it.

    Raises:
        RuntimeError: fewer than 2 dimensions.
    """
    return _triangle(input, diagonal, True, "tril")


def triu(input: Any, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (``j - i >= diagonal``), zeros below.

    Args:
        input: a Tensor (..., n, m).
        diagonal: 0 the main diagonal, > 0 above it, < 0 below it.

    Raises:
        RuntimeError: fewer than 2 dimensions.
    """
    return _triangle(input, diagonal, False, "triu")


def diagonal(input: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal ``offset`` of the matrices in dims ``dim1``, ``dim2``, as the last dim.

    Shapes: (..., n, ..., m, ...) -> (..., L), L the diagonal's length (0 if out of the matrix).

    Args:
        input: a Tensor of at least 2 dims.
        offset: 0 the main diagonal, > 0 above, < 0 below.
        dim1: the rows' dim.
        dim2: the columns' dim.

    Raises:
        RuntimeError: ``dim1 == dim2``.  IndexError: a dim out of range.
    """
    x = as_tensor(input, "diagonal")
    d1, d2 = dim_index(dim1, x.ndim, "diagonal"), dim_index(dim2, x.ndim, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    moved = movedim(x, (d1, d2), (-2, -1))
    n, m = moved.shape[-2], moved.shape[-1]
    length = max(0, min(n, m - offset) if offset >= 0 else min(n + offset, m))
    start = offset if offset >= 0 else -offset * m
    flat = reshape(moved, tuple(moved.shape[:-2]) + (n * m,))
    xp = x.xp
    dev = _backend.device(x.array)
    index = start + xp.arange(length, dtype=xp.int64, device=dev) * (m + 1)
    return index_select(flat, flat.ndim - 1, index)


def diag(input: Any, diagonal: int = 0) -> Tensor:
    """A vector on diagonal ``diagonal`` of a square matrix, or a matrix's diagonal as a vector.

    Shapes: (L,) -> (L + |k|, L + |k|);  (n, m) -> (diagonal length,).

    Args:
        input: a 1-D or 2-D Tensor.
        diagonal: 0 the main diagonal, > 0 above, < 0 below.

    Raises:
        RuntimeError: input of neither 1 nor 2 dimensions.
    """
    x = as_tensor(input, "diag")
    if x.ndim == 2:
        return globals()["diagonal"](x, diagonal)
    if x.ndim != 1:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {x.ndim}D")
    xp = x.xp
    dev = _backend.device(x.array)
    length = x.shape[0]
    size = length + abs(diagonal)
    rows = xp.reshape(xp.arange(size, dtype=xp.int64, device=dev), (size, 1))
    cols = xp.reshape(xp.arange(size, dtype=xp.int64, device=dev), (1, size))
    first_row = max(-diagonal, 0)  # out[first_row + t, first_col + t] = v[t]
    if length == 0:
        return make_result(xp.zeros((size, size), dtype=x.array.dtype, device=dev), xp, (), None, "diag")
    # row r reads v[r - first_row], clipped into range (where() zeroes the rows off the diagonal)
    pick = xp.asarray([min(max(r - first_row, 0), length - 1) for r in range(size)], dtype=xp.int64,
                      device=dev)
    per_row = reshape(index_select(x, 0, pick), (size, 1))
    mask = make_result(cols - rows == diagonal, xp, (), None, "diag")
    return where(mask, per_row, make_result(xp.zeros((1, 1), dtype=x.array.dtype, device=dev),
                                           xp, (), None, "diag"))


def trace(input: Any) -> Tensor:
    """The sum of a matrix's main diagonal (0-d).  dL/dx = G on the diagonal, 0 elsewhere.

    Args:
        input: a 2-D Tensor.

    Raises:
        RuntimeError: input not 2-D.
    """
    x = as_tensor(input, "trace")
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
    return _sum(diagonal(x))
