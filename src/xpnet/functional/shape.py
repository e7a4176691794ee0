"""Ops that move values around without changing them. Backward moves ``G`` back."""

from __future__ import annotations

import math
import operator
from typing import Any

from .. import _backend
from .._dtypes import wrap
from ._core import Tensor, as_tensor, check_same_place, dim_index, make_result


def reshape(x: Any, shape: tuple[int, ...]) -> Tensor:
    """``x`` with a new shape (one entry may be -1).  dL/dx = G reshaped to x's shape."""
    x = as_tensor(x, "reshape")
    xp = x.xp
    old = tuple(x.array.shape)

    def backward(g: Any) -> tuple[Any]:
        return (xp.reshape(g, old),)

    try:
        out = xp.reshape(x.array, tuple(shape))
    except (ValueError, RuntimeError) as exc:
        raise ValueError(f"cannot reshape a tensor of shape {old} to {tuple(shape)}: {exc}") from None
    return make_result(out, xp, (x,), backward, "reshape", saves=False)


def permute_dims(x: Any, axes: tuple[int, ...]) -> Tensor:
    """``x`` with its axes reordered.  dL/dx = G with the inverse order."""
    x = as_tensor(x, "permute_dims")
    xp = x.xp
    axes = tuple(dim_index(a, x.ndim, "permute") for a in axes)
    inverse = tuple(sorted(range(len(axes)), key=axes.__getitem__))

    def backward(g: Any) -> tuple[Any]:
        return (xp.permute_dims(g, inverse),)

    return make_result(xp.permute_dims(x.array, axes), xp, (x,), backward, "permute_dims", saves=False)


def matrix_transpose(x: Any) -> Tensor:
    """The last two axes swapped.  dL/dx = G with them swapped back.

    Args:
        x: a Tensor with at least 2 dimensions, (..., n, m); the result is (..., m, n).
    """
    x = as_tensor(x, "matrix_transpose")
    if x.ndim < 2:
        raise ValueError(f"matrix_transpose needs at least 2 dimensions, got shape {tuple(x.shape)}")
    axes = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return permute_dims(x, axes)


def getitem(x: Any, index: Any) -> Tensor:
    """``x[index]`` for basic indices (ints, slices, ``...``, ``None``), a boolean mask, or
    integer arrays on the leading axes.

    dL/dx = zeros of x's shape with G written at ``index``.
    An index that names fewer axes than ``x`` has selects all of the rest, as in
    NumPy and PyTorch (the standard asks for an explicit ``...``; we add it).
    Integer arrays (Tensors, arrays or lists): see :func:`_take`.
    """
    x = as_tensor(x, "getitem")
    xp = x.xp
    parts = index if isinstance(index, tuple) else (index,)
    parts = tuple(_list_as_array(x, part) for part in parts)
    if _has_integer_array(parts):
        lead = _integer_run(parts)
        if lead:
            return _take_leading(x, parts[:lead], parts[lead:])
        if x.requires_grad:
            raise TypeError(
                f"indexing with {_describe(parts)} is not differentiable here: integer arrays must "
                "index the leading axes, x[rows] or x[rows, cols], followed only by ints, slices, "
                "None or ...; move the indexed axis first with permute_dims, or index x.detach()"
            )
    index = _standard_index(parts, x.ndim)
    out = x.array[_sole(index)]
    shape, dtype, dev = tuple(x.array.shape), x.array.dtype, _backend.device(x.array)
    # The standard's __setitem__ takes no None: write G without the axes None added.
    target = _sole(tuple(part for part in index if part is not None))
    target_shape = tuple(x.array[target].shape) if any(p is None for p in index) else None

    def backward(g: Any) -> tuple[Any]:
        full = xp.zeros(shape, dtype=dtype, device=dev)
        return (xp.set_at(full, target, g if target_shape is None else xp.reshape(g, target_shape)),)

    return make_result(out, xp, (x,), backward, "getitem", saves=False)


def _take_leading(x: Tensor, arrays: tuple[Any, ...], rest: tuple[Any, ...]) -> Tensor:
    """``x[arrays + rest]``: integer arrays (and ints) on the leading axes, basic parts after."""
    out = _take(x, arrays)
    if not rest:
        return out
    done = out.ndim - (x.ndim - len(arrays))  # the axes the broadcast index arrays made
    return getitem(out, (slice(None),) * done + rest)


def _take(x: Tensor, arrays: tuple[Any, ...]) -> Tensor:
    """``x[a0, a1, ..., ak-1]``: integer arrays broadcast together, one per leading axis.

    As in NumPy: out has shape broadcast(a_i).shape + x.shape[k:]; negative indices
    count from the end. With ``k`` the linear index into the flattened leading
    axes (``k = a0 * n1 + a1`` for two), out = take(x_flat, k) and
    dL/dx_flat = scatter_add(G_flat by k): rows indexed twice get both gradients.
    Indices are checked where reading them is free (``_backend.on_host``); on GPUs
    an index out of range is not reported.
    """
    xp, shape, dev = x.xp, tuple(x.array.shape), _backend.device(x.array)
    if len(arrays) > len(shape):
        raise IndexError(f"too many indices: {len(arrays)} for a tensor of shape {shape}")
    sizes, trailing = shape[:len(arrays)], shape[len(arrays):]
    # 0-d parts (ints, NumPy integers) become Python ints first: they may be of another library.
    # A 0-d array of x's library is cast on its device (operator.index would wait for a GPU).
    parts = [xp.astype(a, xp.int64) if len(getattr(a, "shape", ())) > 0 or _same_library(xp, a)
             else xp.asarray(operator.index(a), dtype=xp.int64, device=dev) for a in arrays]
    try:
        parts = list(xp.broadcast_arrays(*parts))
    except (ValueError, RuntimeError):
        shapes = ", ".join(str(tuple(getattr(a, "shape", ()))) for a in arrays)
        raise IndexError(f"index arrays of shapes {shapes} do not broadcast together") from None
    if _backend.on_host(xp, dev):
        _check_in_range(xp, parts, shape)
    linear = None
    for a, size in zip(parts, sizes):
        a = xp.where(a < 0, a + size, a)
        linear = a if linear is None else linear * size + a
    assert linear is not None
    batch = tuple(linear.shape)
    linear = xp.reshape(linear, (-1,))
    rows = math.prod(sizes)
    out = xp.take(xp.reshape(x.array, (rows, *trailing)), linear, axis=0)

    def backward(g: Any) -> tuple[Any]:
        g_flat = xp.reshape(g, (linear.shape[0], math.prod(trailing)))
        return (xp.reshape(xp.scatter_add(linear, g_flat, rows), shape),)

    return make_result(xp.reshape(out, batch + trailing), xp, (x,), backward, "getitem", saves=False)


def _same_library(xp: Any, a: Any) -> bool:
    return _backend.is_array(a) and _backend.namespace(a) is xp


def _check_in_range(xp: Any, parts: list[Any], shape: tuple[int, ...]) -> None:
    for axis, (a, size) in enumerate(zip(parts, shape)):
        if math.prod(a.shape) == 0:
            continue
        low, high = int(xp.min(a)), int(xp.max(a))
        if low < -size or high >= size:
            bad = low if low < -size else high
            raise IndexError(f"index {bad} is out of range for axis {axis} of size {size} "
                             f"(tensor of shape {shape}): indices must lie in [{-size}, {size - 1}]")


def _list_as_array(x: Tensor, part: Any) -> Any:
    """A part of an index as a native value: Tensors unwrapped, lists made arrays on x's device."""
    if isinstance(part, Tensor):
        check_same_place(x, part, "getitem")
        return part.array
    if isinstance(part, list):
        xp = x.xp
        array = xp.asarray(part, device=_backend.device(x.array))
        kind = wrap(array.dtype)
        if not (kind.name == "bool" or "int" in kind.name):
            if math.prod(array.shape) > 0:
                raise TypeError(f"index lists must hold ints or bools, got {kind.name} values {part}")
            array = xp.astype(array, xp.int64)
        return array
    if _is_integer(part) and len(part.shape) > 0:
        check_same_place(x, as_tensor(part), "getitem")
    return part


def _integer_run(parts: tuple[Any, ...]) -> int:
    """How many leading parts are integer arrays or ints, when those hold every integer array
    and no mask follows (0 otherwise: a form ``_take`` does not cover)."""
    lead = 0
    while lead < len(parts) and (_is_int(parts[lead]) or _is_integer(parts[lead])):
        lead += 1
    if not any(_is_integer(p) and len(p.shape) > 0 for p in parts[:lead]):
        return 0
    if any(_is_mask(p) or (_is_integer(p) and len(p.shape) > 0) for p in parts[lead:]):
        return 0
    return lead


def _is_int(part: Any) -> bool:
    return isinstance(part, int) and not isinstance(part, bool)


def _is_integer(part: Any) -> bool:
    dtype = getattr(part, "dtype", None)
    return dtype is not None and hasattr(part, "shape") and "int" in wrap(dtype).name


def _describe(parts: tuple[Any, ...]) -> str:
    def one(part: Any) -> str:
        if hasattr(part, "dtype") and hasattr(part, "shape"):
            return f"{wrap(part.dtype).name} array {tuple(part.shape)}"
        if isinstance(part, slice):
            text = ":".join("" if v is None else str(v) for v in (part.start, part.stop, part.step))
            return text.removesuffix(":") if part.step is None else text
        return "..." if part is Ellipsis else repr(part)

    return "[" + ", ".join(one(p) for p in parts) + "]"


def _standard_index(parts: tuple[Any, ...], ndim: int) -> tuple[Any, ...]:
    """The native ``parts`` of an index, with a trailing ``...`` if they name too few axes."""
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
    return any(_is_integer(part) and len(part.shape) > 0 for part in index)
