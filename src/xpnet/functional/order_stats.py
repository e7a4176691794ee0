"""Order statistics with torch's names: ``amax``, ``amin``, ``aminmax``, ``median``,
``kthvalue``, ``mode``, ``cummax``, ``cummin``, ``quantile``.

The indices are found first, outside the graph (argsort, a running comparison); the values
are then read with ``take_along_dim``, whose rule sends G back to those indices:
dL/dx[index] += G (torch's rule for each of them). ``amax``/``amin`` and the global
``median`` share G among tied elements (torch's ``evenly_distribute``). ``quantile``
interpolates between two sorted values: composed of ``sort``, ``index_select`` and arithmetic.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from .. import _backend, _dtypes
from ._core import Tensor, as_tensor, dim_index, make_result, require_floating
from .dims import flatten, squeeze
from .gathering import index_select
from .indexing_more import take_along_dim
from .ordering import sort
from .reduction import ValuesIndices
from .reduction import max as _max
from .reduction import min as _min

__all__ = ["aminmax", "amax", "amin", "cummax", "cummin", "kthvalue", "median", "mode", "quantile"]


class aminmax_result(NamedTuple):
    """What ``aminmax`` returns: ``(min, max)``, named as torch's."""

    min: Tensor
    max: Tensor


def _dims(dim: Any) -> Any:
    if dim is None or dim == () or dim == []:
        return None
    return tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)


def amax(input: Any, dim: Any = (), keepdim: bool = False) -> Tensor:
    """The largest values over ``dim`` (an int or tuple; () or None: all).  G shared among ties.

    Args:
        input: a Tensor of any shape.
        dim: the dim or dims reduced.
        keepdim: keep the reduced dims with size 1.
    """
    return _max(as_tensor(input, "amax"), _dims(dim), keepdims=keepdim)


def amin(input: Any, dim: Any = (), keepdim: bool = False) -> Tensor:
    """The smallest values over ``dim`` (an int or tuple; () or None: all).  G shared among ties.

    Args:
        input: a Tensor of any shape.
        dim: the dim or dims reduced.
        keepdim: keep the reduced dims with size 1.
    """
    return _min(as_tensor(input, "amin"), _dims(dim), keepdims=keepdim)


def aminmax(input: Any, *, dim: int | None = None, keepdim: bool = False) -> aminmax_result:
    """``(min, max)`` over ``dim`` (None: all elements) in one call.

    Args:
        input: a Tensor of any shape.
        dim: the dim reduced, or None.
        keepdim: keep the reduced dim with size 1.

    Raises:
        RuntimeError: an empty input reduced over all elements.
    """
    x = as_tensor(input, "aminmax")
    if dim is None and math.prod(tuple(x.shape)) == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    return aminmax_result(amin(x, dim, keepdim), amax(x, dim, keepdim))


def _values_at(x: Tensor, index: Any, axis: int, keepdim: bool, result: type) -> Any:
    """The values of ``x`` at ``index`` (kept dim) along ``axis``: differentiable, and the indices."""
    xp = x.xp
    idx = make_result(index, xp, (), None, "")
    values = take_along_dim(x, idx, axis)
    if not keepdim:
        values, idx = squeeze(values, axis), squeeze(idx, axis)
    return result(values, idx)


def _rank_index(x: Tensor, dim: Any, rank: int, name: str) -> tuple[Any, int]:
    """The index (kept dim) of the element of rank ``rank`` along ``dim``; NaN: the first NaN."""
    xp, a = x.xp, x.array
    axis = dim_index(dim, x.ndim, name)
    n = a.shape[axis] if x.ndim else 1
    if not 0 <= rank < n:
        raise RuntimeError(f"{name}(): selected number k out of range for dimension {dim}: "
                           f"it has {n} elements")
    flat = a if x.ndim else xp.reshape(a, (1,))
    order = xp.argsort(flat, axis=axis, stable=True)
    index = xp.astype(xp.take(order, xp.asarray([rank], device=_backend.device(a)), axis=axis), xp.int64)
    if _dtypes.is_floating(a.dtype):
        nan = xp.isnan(flat)
        first_nan = xp.argmax(xp.astype(nan, xp.int8), axis=axis, keepdims=True)
        index = xp.where(xp.any(nan, axis=axis, keepdims=True), xp.astype(first_nan, xp.int64), index)
    return (index if x.ndim else xp.reshape(index, ())), axis


def median(input: Any, dim: int | None = None, keepdim: bool = False) -> Any:
    """The lower median: ``median(x)`` of all elements (0-d, G shared among ties), or
    ``(values, indices)`` along ``dim``. A NaN makes the median NaN (its first index).

    Args:
        input: a Tensor of any shape.
        dim: the dim, or None (all elements).
        keepdim: keep the reduced dim with size 1.

    Raises:
        RuntimeError: an empty input.  IndexError: ``dim`` out of range.
    """
    x = as_tensor(input, "median")
    if dim is None:
        flat = flatten(x)
        n = flat.shape[0]
        if n == 0:
            return make_result(x.xp.full((), math.nan, dtype=x.array.dtype,
                                         device=_backend.device(x.array)), x.xp, (), None, "median")
        index, _ = _rank_index(flat, 0, (n - 1) // 2, "median")
        xp, a = x.xp, flat.array
        out = xp.reshape(xp.take(a, index, axis=0), ())

        def backward(g: Any) -> tuple[Any]:  # G shared among the elements equal to the median
            hit = (a == out) | (xp.isnan(a) & xp.isnan(out)) if _dtypes.is_floating(a.dtype) else a == out
            share = xp.astype(hit, g.dtype)
            return (xp.reshape(share * g / xp.sum(share), tuple(x.shape)),)

        return make_result(out, xp, (x,), backward, "median")
    n = x.shape[dim_index(dim, x.ndim, "median")] if x.ndim else 1
    index, axis = _rank_index(x, dim, (n - 1) // 2, "median")
    return _values_at(x, index, axis, keepdim, _Median)


def kthvalue(input: Any, k: int, dim: int = -1, keepdim: bool = False) -> ValuesIndices:
    """``(values, indices)`` of the ``k``-th smallest element (1-based) along ``dim``.

    Args:
        input: a Tensor of any shape.
        k: the rank, from 1.
        dim: the dim searched.
        keepdim: keep the reduced dim with size 1.

    Raises:
        RuntimeError: ``k`` not in [1, size of dim].  IndexError: ``dim`` out of range.
    """
    x = as_tensor(input, "kthvalue")
    index, axis = _rank_index(x, dim, k - 1, "kthvalue")
    return _values_at(x, index, axis, keepdim, _Kthvalue)


def mode(input: Any, dim: int = -1, keepdim: bool = False) -> ValuesIndices:
    """``(values, indices)`` of the most frequent value along ``dim`` (ties: the smallest
    value; index: its last occurrence, as torch). Uses an (n, n) comparison per row.

    Args:
        input: a Tensor of any shape.
        dim: the dim searched.
        keepdim: keep the reduced dim with size 1.

    Raises:
        IndexError: ``dim`` out of range.
    """
    x = as_tensor(input, "mode")
    xp, a = x.xp, x.array
    axis = dim_index(dim, x.ndim, "mode")
    if x.ndim == 0:
        return _values_at(x, xp.zeros((), dtype=xp.int64, device=_backend.device(a)), 0, True, _Mode)
    s = xp.sort(a, axis=axis)
    counts = xp.sum(xp.astype(xp.expand_dims(s, axis=axis + 1) == xp.expand_dims(s, axis=axis),
                              xp.int64), axis=axis + 1)
    best = xp.take_along_axis(s, xp.argmax(counts, axis=axis, keepdims=True), axis=axis)
    n = a.shape[axis]
    positions = xp.reshape(xp.arange(n, dtype=xp.int64, device=_backend.device(a)),
                           tuple(-1 if i == axis else 1 for i in range(x.ndim)))
    last = xp.max(xp.where(a == best, positions, xp.full_like(positions, -1)), axis=axis, keepdims=True)
    return _values_at(x, last, axis, keepdim, _Mode)


def _running(input: Any, dim: int, larger: bool, name: str, result: type) -> ValuesIndices:
    """``(values, indices)`` of the running extremum along ``dim`` (ties: the later index;
    a NaN stays once met, its index moving to each later NaN, as torch)."""
    x = as_tensor(input, name)
    xp, a = x.xp, x.array
    if x.ndim == 0:
        return result(x * 1, make_result(xp.zeros((), dtype=xp.int64, device=_backend.device(a)),
                                         xp, (), None, name))
    axis = dim_index(dim, x.ndim, name)
    moved = xp.moveaxis(a, axis, 0)
    floating = _dtypes.is_floating(a.dtype)
    best, best_i, indices = None, None, []
    for j in range(moved.shape[0]):
        cur = moved[j, ...]
        here = xp.full(cur.shape, j, dtype=xp.int64, device=_backend.device(a))
        if best is None:
            best, best_i = cur, here
        else:
            take = (cur >= best) if larger else (cur <= best)
            if floating:
                take = take | xp.isnan(cur)  # NaN wins and stays (a later NaN moves the index)
            best = xp.where(take, cur, best)
            best_i = xp.where(take, here, best_i)
        indices.append(best_i)
    index = xp.moveaxis(xp.stack(indices, axis=0), 0, axis) if indices else \
        xp.zeros(a.shape, dtype=xp.int64, device=_backend.device(a))
    return _values_at(x, index, axis, True, result)


def cummax(input: Any, dim: int) -> ValuesIndices:
    """``(values, indices)``: the largest value so far along ``dim`` and where it was (the
    later index among ties).  dL/dx[index] += G.

    Args:
        input: a Tensor of any shape.
        dim: the dim scanned.

    Raises:
        IndexError: ``dim`` out of range.
    """
    return _running(input, dim, True, "cummax", _Cummax)


def cummin(input: Any, dim: int) -> ValuesIndices:
    """``(values, indices)``: the smallest value so far along ``dim`` and where it was (the
    later index among ties).  dL/dx[index] += G.

    Args:
        input: a Tensor of any shape.
        dim: the dim scanned.

    Raises:
        IndexError: ``dim`` out of range.
    """
    return _running(input, dim, False, "cummin", _Cummin)


def quantile(input: Any, q: Any, dim: int | None = None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Tensor:
    """The ``q``-quantiles along ``dim`` (None: of all elements), torch's rule: rank
    ``q (n - 1)`` in the sorted values, between the two nearest by ``interpolation``
    ("linear", "lower", "higher", "nearest", "midpoint"). A tensor ``q`` (1-D) puts its
    dim first. A row with a NaN gives NaN.

    Args:
        input: a floating Tensor.
        q: a number in [0, 1] or a 1-D Tensor of them.
        dim: the dim, or None (all elements).
        keepdim: keep the reduced dim with size 1.
        interpolation: how to pick between the two nearest sorted values.

    Raises:
        RuntimeError: ``q`` outside [0, 1], an unknown interpolation, integer input.
    """
    x = as_tensor(input, "quantile")
    try:
        require_floating(x, "quantile")
    except TypeError as e:
        raise RuntimeError(f"quantile() input tensor must be either float or double dtype: {e}") from None
    if interpolation not in ("linear", "lower", "higher", "nearest", "midpoint"):
        raise RuntimeError(f"quantile() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest. Got {interpolation}")
    xp = x.xp
    scalar_q = not (isinstance(q, Tensor) or _backend.is_array(q))
    qs = [float(q)] if scalar_q else \
        [float(v) for v in _backend.to_numpy(as_tensor(q, "quantile").array).reshape(-1)]
    for v in qs:
        if not 0 <= v <= 1:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {v}")
    if dim is None:
        src, axis = flatten(x), 0
    else:
        src, axis = x, dim_index(dim, x.ndim, "quantile")
    n = src.shape[axis] if src.ndim else 1
    if src.ndim == 0:
        src = flatten(src)
    ordered = sort(src, axis).values  # NaN sorts last
    outs = []
    for v in qs:
        rank = v * (n - 1)
        lo, hi = math.floor(rank), math.ceil(rank)
        dev = _backend.device(x.array)
        low = index_select(ordered, axis, xp.asarray([lo], dtype=xp.int64, device=dev))
        high = index_select(ordered, axis, xp.asarray([hi], dtype=xp.int64, device=dev))
        if interpolation == "lower":
            out = low
        elif interpolation == "higher":
            out = high
        elif interpolation == "nearest":
            out = high if round(rank) == hi else low  # half to even, as torch
        elif interpolation == "midpoint":
            out = low + (high - low) * 0.5
        else:
            out = low + (high - low) * (rank - lo)
        last = index_select(ordered, axis, xp.asarray([n - 1], dtype=xp.int64, device=dev))
        nan = xp.isnan(last.array)
        out = out.where(~nan, last)  # a row with a NaN: NaN (no host read to ask first)
        if dim is None:
            out = out.reshape(((1,) * x.ndim) if keepdim else ())
        elif not keepdim:
            out = squeeze(out, axis)
        outs.append(out)
    if scalar_q:
        return outs[0]
    from .joining import stack

    return stack(outs, 0)


class _Median(ValuesIndices):
    __slots__ = ()


class _Kthvalue(ValuesIndices):
    __slots__ = ()


class _Mode(ValuesIndices):
    __slots__ = ()


class _Cummax(ValuesIndices):
    __slots__ = ()


class _Cummin(ValuesIndices):
    __slots__ = ()


for _cls, _name in ((_Median, "median"), (_Kthvalue, "kthvalue"), (_Mode, "mode"), (_Cummax, "cummax"),
                    (_Cummin, "cummin")):
    _cls.__name__ = _cls.__qualname__ = _name
