"""``scatter_reduce``: torch's sums, means, products, maxima and minima by index, with torch's gradients.

``out = input``, then for each cell of ``index``: the slot ``index[i][j]`` (along ``dim``)
combines ``src[i][j]`` in (and ``input``'s own value unless ``include_self=False``).
Slots nothing is scattered to keep ``input``. On flat positions ``p`` (one per cell of
``index``, :func:`.gathering._positions`), with ``c`` the number of values a slot gets,
``k`` = 1 with ``include_self`` (else 0) and ``G = dL/d(out)``:

    sum   out = k x + S,  S = sum of src       dL/dx = k G,        dL/dsrc_i = G[p_i]
    mean  out = (k x + S) / (c + k)            dL/dx = k G/(c+k),  dL/dsrc_i = G[p_i]/(c+k)
    prod  out = x**k P,  P = product of src    dL/dx = k G P,      dL/dsrc_i = G[p_i] x**k
                                               (product of the slot's other values)
    amax  out = max(x if k, srcs)              the gradient is shared evenly by every value
    amin  out = min(x if k, srcs)              equal to out (torch's rule; as torch, x counts
                                               among the ties even when not included)

(``dL/dx = G`` where nothing is scattered.) The per-slot combinations are the backend's
``xp.scatter_add`` and ``xp.scatter_reduce`` (NumPy: ``ufunc.at``).
"""

from __future__ import annotations

import math
from typing import Any

from .. import _dtypes
from ._core import Tensor, as_tensor, check_same_place, dim_index, make_result, needs_grad
from .gathering import _index, _positions, _scatter_add

__all__ = ["scatter_reduce"]

REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def scatter_reduce(input: Any, dim: int, index: Any, src: Any, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """``input`` with ``src``'s values combined into the slots ``index`` names along ``dim``.

    ``reduce``: ``"sum"``, ``"prod"``, ``"mean"``, ``"amax"`` or ``"amin"`` (see the module
    docstring for the rules and gradients). Shapes as :func:`xpnet.scatter_add`: ``index``
    has ``input``'s number of dims, ``index.size(d) <= src.size(d)`` and ``<= input.size(d)``
    for ``d != dim``. An integer ``"mean"`` rounds down, as torch. Not in place:
    ``x.scatter_reduce_(...)`` is.

    Args:
        input: the Tensor (or array) combined into (``input`` itself is unchanged).
        dim: the dimension the indices select along.
        index: an integer Tensor or array.
        src: a Tensor (or array) of ``input``'s dtype.
        reduce: the combination, one of ``"sum"``, ``"prod"``, ``"mean"``, ``"amax"``, ``"amin"``
            (``"max"``/``"min"``: torch's other names for the last two).
        include_self: whether ``input``'s own value at a slot takes part.

    Raises:
        RuntimeError: an unknown ``reduce``, non-integer indices, mismatched shapes or dtypes,
            or (where reading them is free) an index out of range.
    """
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # torch's older names
    if reduce not in REDUCTIONS:
        raise RuntimeError("scatter_reduce(): reduce argument must be one of "
                           f"{', '.join(REDUCTIONS)}, got {reduce!r}")
    x = as_tensor(input, "scatter_reduce")
    s = as_tensor(src, "scatter_reduce")
    check_same_place(x, s, "scatter_reduce")
    if s.array.dtype != x.array.dtype:
        raise RuntimeError(f"scatter_reduce(): expected src of the input's dtype {x.dtype}, got "
                           f"{s.dtype}: convert it (src.to({x.dtype}))")
    xp, shape, sshape = x.xp, tuple(x.array.shape), tuple(s.array.shape)
    d = dim_index(dim, len(shape), "scatter_reduce")
    idx = _index(x, index, "scatter_reduce")
    if len(tuple(idx.shape)) != len(sshape):
        raise RuntimeError(f"scatter_reduce(): index {tuple(idx.shape)} and src {sshape} must have "
                           "the same number of dimensions")
    for k, (i, n) in enumerate(zip(tuple(idx.shape), sshape)):
        if i > n:
            raise RuntimeError(f"scatter_reduce(): size {i} of index {tuple(idx.shape)} exceeds size "
                               f"{n} of src {sshape} along dimension {k}")
    size = math.prod(shape)
    pos = _positions(xp, idx, shape, d, "scatter_reduce")  # the slot of each cell
    spos = _positions(xp, idx, sshape, None, "scatter_reduce")  # the src value of each cell
    vals = xp.take(xp.reshape(s.array, (-1,)), spos, axis=0)
    flat = xp.reshape(x.array, (-1,))
    counts = _scatter_add(xp, pos, xp.ones_like(vals), size)
    hit = counts > 0
    k = 1 if include_self else 0
    agg: Any = None
    if reduce in ("sum", "mean"):
        total = _scatter_add(xp, pos, vals, size) + (flat if include_self else 0)
        if reduce == "sum":
            combined = total
        elif _dtypes.is_floating(flat.dtype):
            combined = total / xp.where(hit, counts + k, xp.ones_like(counts))
        else:  # torch rounds an integer mean down
            combined = xp.floor_divide(total, xp.astype(xp.where(hit, counts + k, 1), flat.dtype))
    else:
        agg = xp.scatter_reduce(pos, vals, size, reduce)
        if not include_self:
            combined = agg
        elif reduce == "prod":
            combined = flat * agg
        else:
            combined = (xp.maximum if reduce == "amax" else xp.minimum)(flat, agg)
    out = xp.where(hit, combined, flat)

    def backward(g: Any) -> tuple[Any, Any]:
        g_flat = xp.reshape(g, (-1,))
        gx = gs = None
        if reduce == "sum":
            gx_flat = g_flat if include_self else xp.where(hit, xp.zeros_like(g_flat), g_flat)
            per_value = xp.take(g_flat, pos, axis=0)
        elif reduce == "mean":
            share = g_flat / xp.where(hit, counts + k, xp.ones_like(counts))
            gx_flat = xp.where(hit, share if include_self else xp.zeros_like(g_flat), g_flat)
            per_value = xp.take(share, pos, axis=0)
        elif reduce == "prod":
            gx_flat = xp.where(hit, g_flat * agg if include_self else xp.zeros_like(g_flat), g_flat)
            own = xp.take(g_flat * flat if include_self else g_flat, pos, axis=0)
            per_value = own * _others(xp, pos, vals, agg, size)
        else:  # amax/amin: shared evenly by every value equal to the result
            # (input's own value counts among the ties even with include_self=False, where it
            # gets none of the gradient: torch's rule, kept so that the numbers are torch's)
            self_ties = hit & (flat == out)
            at = xp.take(out, pos, axis=0)
            ties = vals == at
            n_equal = (_scatter_add(xp, pos, xp.astype(ties, g_flat.dtype), size)
                       + xp.astype(self_ties, g_flat.dtype))
            share = g_flat / xp.where(hit, n_equal, xp.ones_like(n_equal))
            own = self_ties if include_self else xp.zeros_like(self_ties)
            gx_flat = xp.where(hit, xp.where(own, share, xp.zeros_like(share)), g_flat)
            per_value = xp.where(ties, xp.take(share, pos, axis=0), xp.zeros_like(vals))
        if x.requires_grad:
            gx = xp.reshape(gx_flat, shape)
        if needs_grad(s):
            gs = xp.reshape(_scatter_add(xp, spos, per_value, math.prod(sshape)), sshape)
        return gx, gs

    return make_result(xp.reshape(out, shape), xp, (x, s), backward, "scatter_reduce")


def _others(xp: Any, pos: Any, vals: Any, agg: Any, size: int) -> Any:
    """For each scattered value, the product of the other values of its slot (its ``prod``
    derivative): ``agg / v`` where ``v != 0``; where ``v == 0``, the product of the slot's
    non-zero values if ``v`` is its only zero, else 0."""
    zero = vals == 0
    nonzero_prod = xp.scatter_reduce(pos, xp.where(zero, xp.ones_like(vals), vals), size, "prod")
    zeros = _scatter_add(xp, pos, xp.astype(zero, vals.dtype), size)
    safe = xp.where(zero, xp.ones_like(vals), vals)
    only_zero = xp.take(zeros, pos, axis=0) == 1
    lone = xp.where(only_zero, xp.take(nonzero_prod, pos, axis=0), xp.zeros_like(vals))
    return xp.where(zero, lone, xp.take(agg, pos, axis=0) / safe)
