"""Rearranging elements with torch's names, each composed of differentiable ops (so each
gradient is the composition's): ``roll``, ``diff``, ``repeat_interleave``, ``meshgrid``, ``kron``.

* ``roll``: cat(narrow(x, n - s, s), narrow(x, 0, n - s)) along the dim;  dL/dx = G rolled back
* ``diff``: x[1:] - x[:-1] (n times);  dL/dx = G shifted and subtracted
* ``repeat_interleave``: index_select with each index repeated;  dL/dx = G summed per source
* ``meshgrid``: each vector reshaped and expanded;  dL/dv = G summed over the other dims
* ``kron``: (a[:, None, :, None] * b[None, :, None, :]).reshape(...);  product rule
"""

from __future__ import annotations

import math
import operator
from typing import Any

from .. import _backend
from ._core import Tensor, as_tensor, dim_index, make_result
from .dims import expand, flatten, narrow
from .gathering import index_select
from .joining import cat
from .shape import reshape

__all__ = ["diff", "kron", "meshgrid", "repeat_interleave", "roll"]


def roll(input: Any, shifts: Any, dims: Any = None) -> Tensor:
    """Elements shifted by ``shifts`` along ``dims``, those pushed out re-entering at the start.

    ``dims`` None: the flattened tensor is rolled, then given its shape back.

    Args:
        input: a Tensor of any shape.
        shifts: an int or a tuple of ints (one per dim).
        dims: an int, a tuple of ints, or None.

    Raises:
        RuntimeError: ``shifts`` and ``dims`` of different lengths.  IndexError: a dim out of range.
    """
    x = as_tensor(input, "roll")
    shift_list = list(shifts) if isinstance(shifts, (tuple, list)) else [shifts]
    if dims is None:
        if len(shift_list) != 1:
            raise RuntimeError(f"roll: shifts {shifts} needs dims of the same length, got None")
        return reshape(roll(flatten(x), shift_list[0], 0), tuple(x.shape))
    dim_list = list(dims) if isinstance(dims, (tuple, list)) else [dims]
    if len(shift_list) != len(dim_list):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shift_list)}, "
                           f"dims:{len(dim_list)}")
    out = x
    for s, d in zip(shift_list, dim_list):
        d = dim_index(d, x.ndim, "roll")
        n = out.shape[d]
        s = operator.index(s) % n if n else 0
        if s:
            out = cat([narrow(out, d, n - s, s), narrow(out, d, 0, n - s)], d)
    return out if out is not x else x * 1 if x.requires_grad else x.clone()


def diff(input: Any, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Tensor:
    """The ``n``-th forward difference along ``dim``: ``out[i] = x[i + 1] - x[i]``, applied n times.

    ``prepend``/``append`` are joined to ``input`` along ``dim`` first.

    Args:
        input: a Tensor of at least 1 dim.
        n: how many times to difference.
        dim: the dim.
        prepend: a Tensor joined before ``input`` along ``dim``.
        append: a Tensor joined after ``input`` along ``dim``.

    Raises:
        RuntimeError: a 0-d input.  IndexError: ``dim`` out of range.
    """
    x = as_tensor(input, "diff")
    if x.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    d = dim_index(dim, x.ndim, "diff")
    parts = [p for p in (prepend, x, append) if p is not None]
    if len(parts) > 1:
        x = cat([as_tensor(p, "diff") for p in parts], d)
    for _ in range(n):
        size = x.shape[d]
        if size == 0:
            break
        x = narrow(x, d, 1, size - 1) - narrow(x, d, 0, size - 1)
    return x


def repeat_interleave(input: Any, repeats: Any = None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Each element (or slice along ``dim``) repeated ``repeats`` times, in place.

    ``repeats``: an int, or an integer tensor with one count per slice (its total is read on
    the host unless ``output_size`` is given, as torch). ``repeat_interleave(counts)``: the
    indices ``0, 1, ...`` each repeated its count. ``dim`` None: on the flattened input.

    Args:
        input: a Tensor (or the counts, when ``repeats`` is None).
        repeats: an int or an integer Tensor of counts.
        dim: the dim, or None (flattened).
        output_size: the total length, to skip the host read.

    Raises:
        RuntimeError: negative repeats, or a count tensor whose length does not match.
    """
    x = as_tensor(input, "repeat_interleave")
    if repeats is None:  # repeat_interleave(counts): the indices repeated
        xp = x.xp
        ids = make_result(xp.arange(x.shape[0], dtype=xp.int64, device=_backend.device(x.array)),
                          xp, (), None, "repeat_interleave")
        return repeat_interleave(ids, x, 0, output_size=output_size)
    if dim is None:
        x, d = flatten(x), 0
    else:
        d = dim_index(dim, x.ndim, "repeat_interleave")
    xp = x.xp
    dev = _backend.device(x.array)
    size = x.shape[d] if x.ndim else 1
    if isinstance(repeats, Tensor) or _backend.is_array(repeats):
        counts = as_tensor(repeats, "repeat_interleave").array
        if counts.ndim == 0 or counts.shape[0] == 1:
            repeats = int(xp.reshape(counts, (-1,))[0])
        else:
            if counts.shape[0] != size:
                raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                                   f"repeats.size(0) = {counts.shape[0]} and input.size({d}) = {size}")
            counts = xp.astype(counts, xp.int64)
            total = output_size if output_size is not None else int(xp.sum(counts))
            if output_size is None and _backend.on_host(xp, dev) and bool(xp.any(counts < 0)):
                raise RuntimeError("repeats can not be negative")
            ends = xp.cumulative_sum(counts)
            index = xp.searchsorted(ends, xp.arange(total, dtype=xp.int64, device=dev), side="right")
            return index_select(x, d, xp.astype(index, xp.int64))
    r = operator.index(repeats)
    if r < 0:
        raise RuntimeError(f"repeats can not be negative, got {r}")
    index = xp.arange(size * r, dtype=xp.int64, device=dev) // r if r else \
        xp.zeros((0,), dtype=xp.int64, device=dev)
    return index_select(x, d, index)


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors: output i is tensor i varying along its own dim.

    ``indexing="ij"``: shape (len0, len1, ...); ``"xy"``: the first two lengths swapped
    (Cartesian, as NumPy's default). The tensors may be given as one list.

    Args:
        tensors: 1-D Tensors (or one list of them).
        indexing: "ij" or "xy".

    Raises:
        RuntimeError: a tensor of more than 1 dimension, or an unknown ``indexing``.
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f"{indexing}")
    ts = [as_tensor(t, "meshgrid") for t in tensors]
    for t in ts:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: "
                               f"a tensor of {t.ndim} dimensions")
    ts = [reshape(t, (-1,)) for t in ts]
    order = list(range(len(ts)))
    if indexing == "xy" and len(ts) >= 2:
        order[0], order[1] = 1, 0  # the grid's dim k holds the tensor order[k]
    shape = tuple(ts[k].shape[0] for k in order)
    out = []
    for i, t in enumerate(ts):
        place = order.index(i)
        view = reshape(t, tuple(-1 if k == place else 1 for k in range(len(ts))))
        out.append(expand(view, shape))
    return tuple(out)


def kron(input: Any, other: Any) -> Tensor:
    """The Kronecker product: ``out[i*p + k, j*q + l] = a[i, j] * b[k, l]`` (any ranks).

    Shapes: a (a0, a1, ...), b (b0, b1, ...) (the shorter padded with leading 1s) ->
    (a0*b0, a1*b1, ...).

    Args:
        input: a Tensor ``a``.
        other: a Tensor ``b``.
    """
    a, b = as_tensor(input, "kron"), as_tensor(other, "kron")
    nd = max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + tuple(a.shape)
    sb = (1,) * (nd - b.ndim) + tuple(b.shape)
    wide_a = reshape(a, tuple(v for n in sa for v in (n, 1)))
    wide_b = reshape(b, tuple(v for n in sb for v in (1, n)))
    return reshape(wide_a * wide_b, tuple(math.prod(p) for p in zip(sa, sb)))
