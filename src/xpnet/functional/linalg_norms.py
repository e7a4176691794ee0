"""Vector and matrix norms with torch.linalg's names, composed of differentiable ops.

* ``vector_norm``: (sum |x|**ord) ** (1/ord) over ``dim`` (torch's ``norm``; its rule:
  dL/dx = G sign(x) |x|**(ord-1) / out**(ord-1), 0 where out = 0)
* ``matrix_norm``: "fro" = sqrt(sum x**2) over the two dims; ord 1 / -1: the largest /
  smallest column sum of |x|; inf / -inf: the same over rows (through ``abs``, ``sum``,
  ``amax``: G goes to the chosen column or row)
* ``norm``: torch.linalg.norm's choice between the two
"""

from __future__ import annotations

import math
from typing import Any

from ._core import Tensor, as_tensor, dim_index
from .order_stats import amax, amin
from .reduction import sum as _sum
from .statistics import norm as _vector_norm

__all__ = ["matrix_norm", "norm", "vector_norm"]


def _floating(x: Tensor, name: str) -> None:
    from .. import _dtypes

    if not _dtypes.is_floating(x.array.dtype):
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{x.dtype}: convert it first, e.g. x.float()")


def vector_norm(x: Any, ord: float = 2, dim: Any = None, keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """The vector ``ord``-norm over ``dim`` (None: all elements, flattened).

    ``ord``: any number, ``inf`` (max |x|), ``-inf`` (min |x|), 0 (count of nonzeros).

    Args:
        x: a floating Tensor.
        ord: the order.
        dim: the dim(s), or None (all elements).
        keepdim: keep the reduced dims with size 1.
        dtype: cast to this dtype first.

    Raises:
        RuntimeError: integer input (give a ``dtype`` or convert).
    """
    t = as_tensor(x, "linalg.vector_norm")
    if dtype is not None:
        t = t.to(dtype=dtype)
    _floating(t, "linalg.vector_norm")
    return _vector_norm(t, ord, dim, keepdim)


def matrix_norm(A: Any, ord: Any = "fro", dim: tuple[int, int] = (-2, -1), keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """The matrix norm over the two dims ``dim``: ``"fro"``, ``"nuc"`` (the sum of the singular
    values), 2 / -2 (the largest / smallest singular value), 1, -1, inf, -inf.

    Args:
        A: a floating Tensor of at least 2 dims.
        ord: "fro", "nuc", 2, -2, 1, -1, inf or -inf.
        dim: the two dims of the matrices.
        keepdim: keep the reduced dims with size 1.
        dtype: cast to this dtype first.

    Raises:
        RuntimeError: integer input, fewer than 2 dims, an unknown ``ord``.
    """
    t = as_tensor(A, "linalg.matrix_norm")
    if dtype is not None:
        t = t.to(dtype=dtype)
    _floating(t, "linalg.matrix_norm")
    if t.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 dimensions, "
                           f"got {t.ndim}")
    rows, cols = (dim_index(d, t.ndim, "linalg.matrix_norm") for d in dim)
    if rows == cols:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    if ord == "fro":
        return _vector_norm(t, 2, (rows, cols), keepdim)
    if ord in ("nuc", 2, -2):
        moved = t.movedim((rows, cols), (-2, -1))
        out = _singular_norm(moved, ord)
        if keepdim:
            out = out.unsqueeze(min(rows, cols)).unsqueeze(max(rows, cols))
        return out
    if ord not in (1, -1, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    summed, other = (rows, cols) if abs(ord) == 1 else (cols, rows)  # 1: column sums, inf: row sums
    pick = amax if ord > 0 else amin
    sums = _sum(abs(t), summed, keepdim=True)
    out = pick(sums, other, keepdim=True)
    if keepdim:
        return out
    return out.squeeze(max(rows, cols)).squeeze(min(rows, cols))


def _singular_norm(t: Tensor, ord: Any) -> Tensor:
    """The nuclear norm (sum of singular values) or the largest / smallest one, over the last
    two dims.  With A = U S V^T: d(sum S)/dA = U V^T;  d(S_i)/dA = u_i v_i^T."""
    from ._core import make_result
    from .linalg_solve import linalg_of

    xp = t.xp
    u, sv, vh = linalg_of(xp).svd(t.array, full_matrices=False)
    if ord == "nuc":
        out = xp.sum(sv, axis=-1)
    else:
        pick = xp.argmax(sv, axis=-1, keepdims=True) if ord == 2 else xp.argmin(sv, axis=-1, keepdims=True)
        out = xp.squeeze(xp.take_along_axis(sv, pick, axis=-1), axis=-1)

    def backward(g: Any) -> tuple[Any]:
        g2 = xp.expand_dims(xp.expand_dims(g, axis=-1), axis=-1)
        if ord == "nuc":
            return (g2 * (u @ vh),)
        ui = xp.take_along_axis(u, xp.expand_dims(pick, axis=-2), axis=-1)  # (..., m, 1)
        vi = xp.take_along_axis(vh, xp.expand_dims(pick, axis=-1), axis=-2)  # (..., 1, n)
        return (g2 * (ui @ vi),)

    return make_result(out, xp, (t,), backward, "matrix_norm")


def norm(A: Any, ord: Any = None, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """torch.linalg.norm: a vector norm (``dim`` an int, or a 1-D input, or ``ord`` None with
    ``dim`` None: all elements) or a matrix norm (``dim`` a pair, or a 2-D input with ``ord``).

    Args:
        A: a floating Tensor.
        ord: the order, or None (2 / "fro").
        dim: an int, a pair, or None.
        keepdim: keep the reduced dims with size 1.
        dtype: cast to this dtype first.

    Raises:
        RuntimeError: ``ord`` given for an input of neither 1 nor 2 dims with ``dim`` None.
    """
    t = as_tensor(A, "linalg.norm")
    if dim is not None and not isinstance(dim, (tuple, list)):
        dim = (dim,)
    if isinstance(ord, str) or (dim is not None and len(dim) == 2) or (dim is None and ord is not None
                                                                         and t.ndim == 2):
        return matrix_norm(t, "fro" if ord is None else ord, tuple(dim) if dim else (-2, -1), keepdim,
                           dtype=dtype)
    if dim is None and ord is not None and t.ndim != 1:
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or "
                           f"2D. Got {t.ndim}D.")
    return vector_norm(t, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
