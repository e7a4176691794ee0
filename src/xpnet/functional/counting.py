"""Counting, locating and binning values with torch's names (integer or boolean results, no
gradient): ``count_nonzero``, ``argwhere``, ``is_floating_point``, ``searchsorted``,
``bucketize``, ``unique``, ``histc``, and the draw ``bernoulli``.

``unique``, ``argwhere`` and ``histc`` have data-dependent sizes: they read from the device,
as torch's do.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

from .. import _backend, _dtypes
from ._core import Tensor, as_tensor, make_result
from .gathering import nonzero

__all__ = ["argwhere", "bernoulli", "bucketize", "count_nonzero", "histc", "is_floating_point",
           "searchsorted", "unique"]


def _constant(out: Any, xp: Any, name: str) -> Tensor:
    return make_result(out, xp, (), None, name)


def count_nonzero(input: Any, dim: Any = None) -> Tensor:
    """The number of non-zero elements over ``dim`` (an int, a tuple, or None: all), int64.

    Args:
        input: a Tensor of any shape.
        dim: the dims counted over, or None.
    """
    x = as_tensor(input, "count_nonzero")
    xp = x.xp
    axis = tuple(dim) if isinstance(dim, (list, tuple)) else dim
    nonzero_ = xp.astype(x.array != xp.zeros_like(x.array), xp.int64)
    return _constant(xp.sum(nonzero_, axis=axis), xp, "count_nonzero")


def argwhere(input: Any) -> Tensor:
    """The indices of the non-zero elements, shape (count, ndim), int64 (``nonzero``'s).

    Args:
        input: a Tensor of any shape.
    """
    return nonzero(input)


def is_floating_point(input: Any) -> builtins.bool:
    """Whether ``input``'s dtype is a floating-point one.

    Args:
        input: a Tensor.
    """
    return _dtypes.is_floating(as_tensor(input, "is_floating_point").array.dtype)


def searchsorted(sorted_sequence: Any, input: Any, *, out_int32: bool = False, right: bool = False,
                 side: str | None = None, sorter: Any = None) -> Tensor:
    """Where each value of ``input`` would be inserted into ``sorted_sequence`` to keep it sorted.

    ``right=False`` (``side="left"``): the first index i with ``seq[i] >= v``; ``right=True``:
    the first with ``seq[i] > v``. A 1-D ``sorted_sequence`` serves every value; an N-D one
    pairs its rows with the rows of ``input`` (same leading dims). int64 (int32 with
    ``out_int32``).

    Args:
        sorted_sequence: the sorted values (1-D, or rows).
        input: the values to place (a Tensor or a number).
        out_int32: answer in int32.
        right: the right-most place among equal values.
        side: "left" or "right" (torch's other spelling of ``right``).
        sorter: indices that sort ``sorted_sequence`` (when it is not sorted).

    Raises:
        RuntimeError: ``side`` and ``right`` disagree, or rows that do not pair up.
    """
    seq = as_tensor(sorted_sequence, "searchsorted")
    xp = seq.xp
    scalar = not (isinstance(input, Tensor) or _backend.is_array(input))
    values = as_tensor(xp.asarray(input, dtype=seq.array.dtype, device=_backend.device(seq.array))
                       if scalar else input, "searchsorted")
    if side is not None:
        if side not in ("left", "right") or (right and side == "left"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' and must "
                               f"agree with right={right}, got side={side!r}")
        right = side == "right"
    how = "right" if right else "left"
    s, v = seq.array, values.array
    if sorter is not None:
        s = xp.take_along_axis(s, as_tensor(sorter, "searchsorted").array, axis=-1)
    if v.dtype != s.dtype:
        v = xp.astype(v, s.dtype)
    if s.ndim <= 1:
        out = xp.reshape(xp.searchsorted(xp.reshape(s, (-1,)), xp.reshape(v, (-1,)), side=how),
                         tuple(v.shape))
    else:
        if tuple(s.shape[:-1]) != tuple(v.shape[:-1]):
            raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or the "
                               f"first N-1 dimensions of boundaries tensor and input value tensor must "
                               f"match, but we got boundaries tensor {list(s.shape)} and input value "
                               f"tensor {list(v.shape)}")
        rows_s = xp.reshape(s, (-1, s.shape[-1]))
        rows_v = xp.reshape(v, (-1, v.shape[-1]))
        parts = [xp.searchsorted(rows_s[i, ...], rows_v[i, ...], side=how) for i in range(rows_s.shape[0])]
        out = xp.reshape(xp.stack(parts, axis=0), tuple(v.shape))
    return _constant(xp.astype(out, xp.int32 if out_int32 else xp.int64), xp, "searchsorted")


def bucketize(input: Any, boundaries: Any, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """The bucket of each value among 1-D sorted ``boundaries``: i with
    ``b[i-1] < v <= b[i]`` (``right=True``: ``b[i-1] <= v < b[i]``).  int64 (or int32).

    Args:
        input: the values (a Tensor or a number).
        boundaries: 1-D sorted bucket edges.
        out_int32: answer in int32.
        right: which side of an edge a value equal to it falls on.

    Raises:
        RuntimeError: ``boundaries`` not 1-D.
    """
    b = as_tensor(boundaries, "bucketize")
    if b.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({b.ndim})")
    return searchsorted(b, input, out_int32=out_int32, right=right)


def unique(input: Any, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,
           dim: int | None = None) -> Any:
    """The distinct values of ``input`` (flattened), sorted; with ``return_inverse`` the index of
    each element's value (``input``'s shape), with ``return_counts`` how often each occurs.

    Returns:
        the values, or a tuple ``(values[, inverse][, counts])`` as torch.

    Args:
        input: a Tensor of any shape.
        sorted: accepted as torch's (the values are always sorted).
        return_inverse: also return each element's index into the values.
        return_counts: also return how often each value occurs.
        dim: must be None.

    Raises:
        NotImplementedError: ``dim`` given (unique rows/slices are not supported yet).
    """
    if dim is not None:
        raise NotImplementedError("xpnet.unique(dim=...) is not supported yet: use dim=None "
                                  "(unique elements of the flattened tensor)")
    x = as_tensor(input, "unique")
    xp, a = x.xp, x.array
    flat = xp.reshape(a, (-1,))
    if return_counts:
        values, counts = xp.unique_counts(flat)
    else:
        values, counts = xp.unique_values(flat), None
    order = xp.argsort(values, stable=True)  # the standard leaves the order open
    values = xp.take(values, order, axis=0)
    out: list[Tensor] = [_constant(values, xp, "unique")]
    if return_inverse:
        inverse = xp.reshape(xp.astype(xp.searchsorted(values, flat), xp.int64), tuple(a.shape))
        out.append(_constant(inverse, xp, "unique"))
    if counts is not None:
        out.append(_constant(xp.astype(xp.take(counts, order, axis=0), xp.int64), xp, "unique"))
    return out[0] if len(out) == 1 else tuple(out)


def histc(input: Any, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """A histogram of ``bins`` equal bins over [min, max] (both 0: the data's range); values
    outside are left out, ``max`` falls in the last bin. Float input, result of its dtype.

    Args:
        input: a floating Tensor.
        bins: the number of bins.
        min: the lower end of the range.
        max: the upper end (min == max == 0: the data's range).

    Raises:
        NotImplementedError: integer input (as torch on CPU).  RuntimeError: ``bins <= 0`` or
            ``min > max``.
    """
    x = as_tensor(input, "histc")
    xp, a = x.xp, x.array
    if not _dtypes.is_floating(a.dtype):
        raise NotImplementedError(f'"histogram_cpu" not implemented for {x.dtype}: histc counts '
                                  f"floating-point values; convert with .float()")
    if bins <= 0:
        raise RuntimeError(f"torch.histc(): bins must be > 0, but got {bins} for dim 0")
    if min > max:
        raise RuntimeError(f"torch.histc(): max must be larger than min, got min={min}, max={max}")
    flat = xp.reshape(a, (-1,))
    dev = _backend.device(a)
    low, high = float(min), float(max)
    if low == high and flat.shape[0]:
        low, high = float(xp.min(flat)), float(xp.max(flat))
    if low == high:
        low, high = low - 1, high + 1
    if not (math.isfinite(low) and math.isfinite(high)):
        raise RuntimeError(f"torch.histc(): range of [{low}, {high}] is not finite")
    inside = (flat >= low) & (flat <= high)
    pos = xp.astype(xp.floor((flat - low) / (high - low) * bins), xp.int64)
    pos = xp.where(pos >= bins, xp.full_like(pos, bins - 1), pos)
    pos = xp.sort(xp.where(inside, pos, xp.full_like(pos, bins)))
    edges = xp.searchsorted(pos, xp.arange(bins + 1, dtype=xp.int64, device=dev), side="left")
    return _constant(xp.astype(edges[1:] - edges[:-1], a.dtype), xp, "histc")


def bernoulli(input: Any, p: float | None = None, *, generator: Any = None) -> Tensor:
    """1 with probability ``input`` (or ``p``), else 0, in ``input``'s shape and dtype.

    Args:
        input: probabilities, a floating Tensor.
        p: one probability for every element instead of ``input``'s values.
        generator: an ``xn.Generator`` to draw from; None: the global one.

    Raises:
        RuntimeError: a probability outside [0, 1] (read where free) or integer input.
    """
    x = as_tensor(input, "bernoulli")
    xp, a = x.xp, x.array
    if not _dtypes.is_floating(a.dtype):
        raise RuntimeError(f'"bernoulli_tensor_cpu_self_" not implemented for {x.dtype}: give '
                           f"probabilities as floats")
    dev = _backend.device(a)
    prob = a if p is None else xp.full(a.shape, p, dtype=a.dtype, device=dev)
    if _backend.on_host(xp, dev) and prob.size and bool(xp.any((prob < 0) | (prob > 1))):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false: "
                           "probabilities lie in [0, 1]")
    u = _backend.uniform(tuple(a.shape), xp=xp, device=dev, dtype=a.dtype, generator=generator)
    return _constant(xp.astype(u < prob, a.dtype), xp, "bernoulli")


