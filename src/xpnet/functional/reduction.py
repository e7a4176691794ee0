"""Reductions over axes. Backward spreads ``G`` back over the reduced axes."""

from __future__ import annotations

from typing import Any

from ._core import Tensor, as_tensor, keepdims_shape, make_result, require_floating


def _axis(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` (all axes when None).  dL/dx = G broadcast back over the axes."""
    x = as_tensor(x, "sum")
    xp, axis = x._xp, _axis(axis)
    shape = tuple(x.array.shape)
    kept = keepdims_shape(shape, axis)

    def backward(g: Any) -> tuple[Any]:
        return (xp.broadcast_to(xp.reshape(g, kept), shape),)

    out = xp.sum(x.array, axis=axis, keepdims=keepdims)
    return make_result(out, xp, (x,), backward, "sum", saves=False)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis``.  dL/dx = G / n broadcast back, n the count averaged."""
    x = as_tensor(x, "mean")
    require_floating(x, "mean")
    xp, axis = x._xp, _axis(axis)
    shape = tuple(x.array.shape)
    kept = keepdims_shape(shape, axis)
    count = 1
    for full, k in zip(shape, kept):
        if k == 1 and full != 1:
            count *= full

    def backward(g: Any) -> tuple[Any]:
        return (xp.broadcast_to(xp.reshape(g / count, kept), shape),)

    out = xp.mean(x.array, axis=axis, keepdims=keepdims)
    return make_result(out, xp, (x,), backward, "mean", saves=False)


def _extremum(x: Any, axis: Any, keepdims: bool, name: str) -> Tensor:
    x = as_tensor(x, name)
    xp, axis = x._xp, _axis(axis)
    shape = tuple(x.array.shape)
    kept = keepdims_shape(shape, axis)
    out = getattr(xp, name)(x.array, axis=axis, keepdims=True)

    def backward(g: Any) -> tuple[Any]:
        # Ties share the gradient equally, as torch.amax does.
        hit = xp.astype(x.array == out, g.dtype)
        return (hit * xp.reshape(g, kept) / xp.sum(hit, axis=axis, keepdims=True),)

    return make_result(out if keepdims else xp.reshape(out, _dropped(kept, shape, axis)),
                       xp, (x,), backward, name)


def _dropped(kept: tuple[int, ...], shape: tuple[int, ...], axis: Any) -> tuple[int, ...]:
    if axis is None:
        return ()
    axes = {a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,))}
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Largest value over ``axis``.  dL/dx = G at the maxima (shared among ties), else 0."""
    return _extremum(x, axis, keepdims, "max")


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Smallest value over ``axis``.  dL/dx = G at the minima (shared among ties), else 0."""
    return _extremum(x, axis, keepdims, "min")
