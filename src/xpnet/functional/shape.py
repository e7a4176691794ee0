"""Ops that move values around without changing them. Backward moves ``G`` back."""

from __future__ import annotations

from typing import Any

from ._core import Tensor, as_tensor, make_result


def reshape(x: Any, shape: tuple[int, ...]) -> Tensor:
    """``x`` with a new shape (one entry may be -1).  dL/dx = G reshaped to x's shape."""
    x = as_tensor(x, "reshape")
    xp = x._xp
    old = tuple(x.data.shape)

    def backward(g: Any) -> tuple[Any]:
        return (xp.reshape(g, old),)

    try:
        out = xp.reshape(x.data, tuple(shape))
    except (ValueError, RuntimeError) as exc:
        raise ValueError(f"cannot reshape a tensor of shape {old} to {tuple(shape)}: {exc}") from None
    return make_result(out, xp, (x,), backward, "reshape")


def permute_dims(x: Any, axes: tuple[int, ...]) -> Tensor:
    """``x`` with its axes reordered.  dL/dx = G with the inverse order."""
    x = as_tensor(x, "permute_dims")
    xp = x._xp
    axes = tuple(a % max(x.ndim, 1) for a in axes)
    inverse = tuple(sorted(range(len(axes)), key=axes.__getitem__))

    def backward(g: Any) -> tuple[Any]:
        return (xp.permute_dims(g, inverse),)

    return make_result(xp.permute_dims(x.data, axes), xp, (x,), backward, "permute_dims")


def matrix_transpose(x: Any) -> Tensor:
    """The last two axes swapped.  dL/dx = G with them swapped back."""
    x = as_tensor(x, "matrix_transpose")
    if x.ndim < 2:
        raise ValueError(f"matrix_transpose needs at least 2 dimensions, got shape {x.shape}")
    axes = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return permute_dims(x, axes)


def getitem(x: Any, index: Any) -> Tensor:
    """``x[index]`` for basic indices (ints, slices, ``...``, ``None``) or a boolean/int array.

    dL/dx = zeros of x's shape with G written at ``index``.
    """
    x = as_tensor(x, "getitem")
    xp = x._xp
    if isinstance(index, Tensor):
        index = index.data
    if x.requires_grad and _has_integer_array(index):
        raise TypeError(
            "indexing with an integer array is not differentiable here (repeated indices "
            "would need a scatter-add the Array API lacks): use slices or a boolean mask"
        )
    out = x.data[index]
    shape, dtype, dev = tuple(x.data.shape), x.data.dtype, x.device

    def backward(g: Any) -> tuple[Any]:
        full = xp.zeros(shape, dtype=dtype, device=dev)
        full[index] = g
        return (full,)

    return make_result(out, xp, (x,), backward, "getitem")


def _has_integer_array(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        dtype = getattr(part, "dtype", None)
        if dtype is not None and "int" in str(dtype):
            return True
        if isinstance(part, list):
            return True
    return False
