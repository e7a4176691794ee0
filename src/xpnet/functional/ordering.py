"""Sorting with torch's names: ``sort``, ``argsort``, ``topk``.

``sort`` and ``topk`` return ``(values, indices)`` named tuples, as torch. Values are
differentiable: ``values = take_along_axis(x, I)``, so ``dL/dx`` is G put back where
each value came from: ``take_along_axis(G, argsort(I))`` (the inverse permutation).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .. import _backend
from ._core import Tensor, as_tensor, make_result
from .dims import dim_index, narrow

__all__ = ["argsort", "sort", "topk"]


class sort_result(NamedTuple):
    """``(values, indices)`` of :func:`sort` (torch.return_types.sort)."""

    values: Tensor
    indices: Tensor


class topk_result(NamedTuple):
    """``(values, indices)`` of :func:`topk` (torch.return_types.topk)."""

    values: Tensor
    indices: Tensor


def _order(x: Tensor, dim: int, descending: bool, stable: bool, name: str) -> tuple[Any, int]:
    xp = x.xp
    if x.ndim == 0:
        return xp.zeros((), dtype=xp.int64, device=_backend.device(x.array)), 0
    axis = dim_index(dim, x.ndim, name)
    order = xp.argsort(x.array, axis=axis, descending=descending, stable=True)
    return xp.astype(order, xp.int64), axis


def argsort(input: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (int64; ties keep their order).

    Not differentiable.

    Args:
        input: a Tensor of any shape, on any device.
        dim: the axis sorted along.
        descending: largest first.
        stable: accepted as torch's; xpnet's sort is always stable (equal values keep their
            order).

    Raises:
        IndexError: ``dim`` is out of range.
    """
    x = as_tensor(input, "argsort")
    order, _ = _order(x, dim, descending, stable, "argsort")
    return make_result(order, x.xp, (), None, "")


def sort(input: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> sort_result:
    """``input`` sorted along ``dim``, and where each value came from.

    dL/dx = take_along_axis(G, argsort(indices)): each gradient goes back to its place.

    Args:
        input: a Tensor of any shape, on any device.
        dim: the axis sorted along.
        descending: largest first.
        stable: accepted as torch's; xpnet's sort is always stable (equal values keep their
            order).

    Returns:
        ``(values, indices)``, both of ``input``'s shape; ``indices`` is int64.

    Raises:
        IndexError: ``dim`` is out of range.
    """
    x = as_tensor(input, "sort")
    xp = x.xp
    order, axis = _order(x, dim, descending, stable, "sort")
    if x.ndim == 0:
        return sort_result(x, make_result(order, xp, (), None, ""))
    values = xp.take_along_axis(x.array, order, axis=axis)

    def backward(g: Any) -> tuple[Any]:
        return (xp.take_along_axis(g, xp.argsort(order, axis=axis), axis=axis),)

    return sort_result(make_result(values, xp, (x,), backward, "sort", saves=False),
                       make_result(order, xp, (), None, ""))


def topk(input: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> topk_result:
    """The ``k`` largest (or smallest) values along ``dim``, in order, and their indices.

    Built as the first k of :func:`sort`: dL/dx is G at the k places, zero elsewhere.

    Args:
        input: a Tensor of any shape, on any device.
        k: how many values; at most the size of ``dim``.
        dim: the axis searched.
        largest: the largest values (else the smallest).
        sorted: accepted as torch's; the values always come sorted (largest first when
            ``largest``).

    Returns:
        ``(values, indices)``, of ``input``'s shape with ``k`` along ``dim``; ``indices`` is int64.

    Raises:
        RuntimeError: ``k`` is out of range for the size of ``dim``.
    """
    x = as_tensor(input, "topk")
    size = x.shape[dim_index(dim, x.ndim, "topk")] if x.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"topk: selected index k ({k}) out of range for dimension {dim} of size "
                           f"{size}")
    values, indices = sort(x, dim, descending=largest)
    if x.ndim == 0:
        return topk_result(values, indices)
    return topk_result(narrow(values, dim, 0, k), narrow(indices, dim, 0, k))
