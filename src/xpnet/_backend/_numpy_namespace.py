"""The Array API functions NumPy's backend object replaces with quicker ones (same results).

``array_api_compat.numpy`` is NumPy made standard-conforming; a few of its
functions are Python wrappers that only forward (``matmul``, ``ones_like``,
``zeros_like``), and NumPy's own ``sum``/``mean`` pass through Python code in
``numpy._core.fromnumeric``. Each costs about a microsecond per call, and a
small network's step makes dozens of such calls. :class:`xpnet._backend._numpy.NumpyBackend`
declares these functions in its class body in place of array-api-compat's:
the same results, bit for bit (tests/test_backend_objects.py compares them).
"""

from __future__ import annotations

import math
from typing import Any

import array_api_compat.numpy as _compat_numpy
import numpy as np

from .._size import reduced_count

compat_numpy: Any = _compat_numpy  # typed loosely: its names are made at import
add_reduce: Any = np.add.reduce  # typed loosely: its overloads do not fit an Array API signature


def sum(x: Any, /, *, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """``np.sum`` without its Python layer (floating inputs: the same pairwise sum)."""
    if dtype is None and x.dtype.kind in "biu":
        return np.sum(x, axis=axis, keepdims=keepdims)  # the standard's integer upcast rules
    return add_reduce(x, axis, dtype, None, keepdims)  # positional: NumPy parses them sooner


def mean(x: Any, /, *, axis: Any = None, keepdims: bool = False) -> Any:
    """``np.mean`` for floating arrays: the sum in the input's dtype, divided by the count."""
    if x.dtype.kind != "f":
        return np.mean(x, axis=axis, keepdims=keepdims)
    total = add_reduce(x, axis, None, None, keepdims)
    if type(total) is not np.ndarray:  # a NumPy scalar (all axes): its own division is quicker
        out = total / x.size
        if out.dtype == x.dtype:  # NumPy 2 keeps float32; 1.x may promote: then divide below
            return out
    return np.true_divide(total, reduced_count(x.shape, axis), dtype=x.dtype)


def broadcast_to(x: Any, /, shape: tuple[int, ...]) -> Any:
    """``x`` broadcast to ``shape`` as a new writeable array (``np.broadcast_to`` is Python code
    returning a read-only view, which a gradient would have to copy anyway)."""
    if x.shape == tuple(shape):
        return x
    out = np.empty(shape, dtype=x.dtype)
    out[...] = x
    return out


def reshape(x: Any, /, shape: tuple[int, ...], *, copy: bool | None = None) -> Any:
    """The array method (``np.reshape`` is Python code in front of it)."""
    if copy is not None:
        return compat_numpy.reshape(x, shape, copy=copy)
    return x.reshape(shape)


# NumPy's floating scalar types -> their 1: immutable, so one of each serves every call.
_SCALAR_ONES = {t: t(1) for t in (np.float16, np.float32, np.float64, np.longdouble)}


def ones_like(x: Any, /, *, dtype: Any = None, device: Any = None) -> Any:
    """``np.ones_like`` without its Python-level detour (an empty array, filled)."""
    one = _SCALAR_ONES.get(type(x))  # a loss, which NumPy's reductions give as a NumPy scalar
    if one is not None and dtype is None and device is None:
        return one
    if device is not None and device != "cpu":
        return compat_numpy.ones_like(x, dtype=dtype, device=device)
    if not x.shape:  # 0-d: a scalar stays a scalar of the dtype asked (an array, an array)
        dt = x.dtype if dtype is None else np.dtype(dtype)
        return dt.type(1) if isinstance(x, np.generic) else np.array(1, dt)
    out = np.empty_like(x, dtype)
    out.fill(1)
    return out


def zeros_like(x: Any, /, *, dtype: Any = None, device: Any = None) -> Any:
    """``np.zeros_like`` as one allocation of zeroed memory."""
    if device is not None and device != "cpu":
        return compat_numpy.zeros_like(x, dtype=dtype, device=device)
    return np.zeros(x.shape, x.dtype if dtype is None else dtype)


def asarray(obj: Any, /, *, dtype: Any = None, device: Any = None, copy: bool | None = None) -> Any:
    """``array_api_compat.numpy.asarray``, with the copy of an ndarray done directly."""
    if copy and dtype is None and type(obj) is np.ndarray:
        return obj.copy()
    return compat_numpy.asarray(obj, dtype=dtype, device=device, copy=copy)


# Integer types of the same width, to select float bits with masks.
_SAME_WIDTH_INT = {np.dtype(np.float32): np.int32, np.dtype(np.float64): np.int64}
_BITWISE_MIN = 1024  # below this np.where's own loop is quicker than the extra passes


def where(condition: Any, x1: Any, x2: Any, /) -> Any:
    """``np.where``; a boolean mask choosing between float arrays of its shape (or ``x1`` and
    zero, as in every ReLU backward) is done as a bitwise select instead.

    ``np.where``'s loop is element by element (about 0.5 GB/s here); AND-ing the
    float bits with an all-ones or all-zeros mask gives the very same bits
    (infinities and NaNs included, zeros positive) in vectorised passes, 2-10x sooner.
    """
    if (type(condition) is np.ndarray and condition.size >= _BITWISE_MIN
            and condition.dtype == np.bool_ and type(x1) is np.ndarray
            and x1.shape == condition.shape):
        ints = _SAME_WIDTH_INT.get(x1.dtype)
        if ints is not None:
            if type(x2) in (int, float) and x2 == 0 and math.copysign(1.0, x2) > 0:  # not -0.0
                mask = condition.astype(ints)
                np.negative(mask, out=mask)  # True -> all bits set, False -> none
                np.bitwise_and(mask, x1.view(ints), out=mask)
                return mask.view(x1.dtype)
            if type(x2) is np.ndarray and x2.dtype == x1.dtype and x2.shape == x1.shape:
                mask = condition.astype(ints)
                np.negative(mask, out=mask)
                chosen = np.bitwise_and(x1.view(ints), mask)
                np.invert(mask, out=mask)
                np.bitwise_and(mask, x2.view(ints), out=mask)
                np.bitwise_or(chosen, mask, out=chosen)
                return chosen.view(x1.dtype)
    return np.where(condition, x1, x2)
