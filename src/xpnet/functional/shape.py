"""Ops that move values around without changing them. Backward moves ``G`` back."""

from __future__ import annotations

from typing import Any

from .._dtypes import wrap
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
    return make_result(out, xp, (x,), backward, "reshape", saves=False)


def permute_dims(x: Any, axes: tuple[int, ...]) -> Tensor:
    """``x`` with its axes reordered.  dL/dx = G with the inverse order."""
    x = as_tensor(x, "permute_dims")
    xp = x._xp
    axes = tuple(a % max(x.ndim, 1) for a in axes)
    inverse = tuple(sorted(range(len(axes)), key=axes.__getitem__))

    def backward(g: Any) -> tuple[Any]:
        return (xp.permute_dims(g, inverse),)

    return make_result(xp.permute_dims(x.data, axes), xp, (x,), backward, "permute_dims", saves=False)


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
    An index that names fewer axes than ``x`` has selects all of the rest, as in
    NumPy and PyTorch (the standard asks for an explicit ``...``; we add it).
    """
    x = as_tensor(x, "getitem")
    xp = x._xp
    index = _standard_index(index, x.ndim)
    if x.requires_grad and _has_integer_array(index):
        raise TypeError(
            "indexing with an integer array is not differentiable here (repeated indices "
            "would need a scatter-add the Array API lacks): use slices or a boolean mask"
        )
    out = x.data[_sole(index)]
    shape, dtype, dev = tuple(x.data.shape), x.data.dtype, x.device
    # The standard's __setitem__ takes no None: write G without the axes None added.
    target = _sole(tuple(part for part in index if part is not None))
    target_shape = tuple(x.data[target].shape) if any(p is None for p in index) else None

    def backward(g: Any) -> tuple[Any]:
        full = xp.zeros(shape, dtype=dtype, device=dev)
        full[target] = g if target_shape is None else xp.reshape(g, target_shape)
        return (full,)

    return make_result(out, xp, (x,), backward, "getitem", saves=False)


def _standard_index(index: Any, ndim: int) -> tuple[Any, ...]:
    """``index`` as a tuple of native parts, with a trailing ``...`` if it names too few axes."""
    parts = index if isinstance(index, tuple) else (index,)
    parts = tuple(part.data if isinstance(part, Tensor) else part for part in parts)
    if any(part is Ellipsis or _is_mask(part) for part in parts):
        return parts  # a mask must stay the sole index in the standard
    named = sum(part is not None for part in parts)
    return parts + (Ellipsis,) if named < ndim else parts


def _sole(index: tuple[Any, ...]) -> Any:
    """A one-part index as that part (array_api_strict takes a mask alone, not in a tuple)."""
    return index[0] if len(index) == 1 else index


def _is_mask(part: Any) -> bool:
    dtype = getattr(part, "dtype", None)
    return dtype is not None and wrap(dtype).name == "bool"


def _has_integer_array(index: tuple[Any, ...]) -> bool:
    for part in index:
        dtype = getattr(part, "dtype", None)
        if dtype is not None and "int" in str(dtype) and len(part.shape) > 0:
            return True
        if isinstance(part, list):
            return True
    return False
