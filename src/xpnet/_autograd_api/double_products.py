"""Double backward of products and of the reductions whose gradient is routed by constants:
prod, cumprod, scatter_reduce (every reduction, and ``scatter_reduce_``), the global median.

* prod: its first-order rule divides by the elements and gives a constant 0 where two or more
  are zero (torch's shortcut without grad mode), which is wrong to second order (there
  ``d2 prod / dx_i dx_j`` is the product of the others). So the node is differentiated as
  its forward written with products only: pairwise products along each reduced axis
  (``log2 n`` levels of ``mul``), exact at zeros to every order, as torch's.
* cumprod: its own rule (running products ``C[i, j]`` and ``out``; no division) runs on Tensors
  as it is; a cast input (``dtype=``) is recomputed as ``x.to(dtype)``.
* scatter_reduce sum, mean, amax, amin: the rule is linear in G with coefficients that are
  constants of the values (counts of each slot, the tie masks of amax/amin, shared as torch's
  first order): its own rule with those arrays as constant Tensors.
* scatter_reduce prod: its rule divides, as prod's: differentiated as the forward written with
  products only: each slot's product a segmented running product (``log2 n`` steps of
  ``mul`` over the values sorted by slot), exact at zeros to every order (torch refuses
  the double backward where two zeros meet in one slot).
* median of all elements: G shared by the elements equal to the median (a constant mask):
  its own rule with the flattened input a constant Tensor.
"""

from __future__ import annotations

from typing import Any

from .. import _backend
from .. import functional as F
from .._double_backward import double_backward_by
from ..functional import order_stats, statistics
from ..functional.scatter_reduce import scatter_reduce
from ..tensor import Tensor
from . import index_adjoints
from .higher_order import Rule, constant, lift_with, through


def _cast_like(x: Tensor, array: Any) -> Tensor:
    """``x`` as the rule read it: ``x`` itself, or ``x.to(dtype)`` where the forward cast it."""
    return x if array is x.array else F.to(x, dtype=array.dtype)


def tree_prod(x: Tensor, axis: int) -> Tensor:
    """The product of ``x`` along ``axis`` (kept, size 1) as pairwise products: each level
    multiplies neighbours (an odd last one is carried), ``ceil(log2 n)`` levels of ``mul``;
    every derivative is exact where elements are zero. ``axis`` >= 0; an empty axis gives 1."""
    head = (slice(None),) * axis
    n = x.shape[axis]
    if n == 0:
        shape = tuple(1 if i == axis else s for i, s in enumerate(x.shape))
        return constant(x, x.xp.ones(shape, dtype=x.array.dtype, device=_backend.device(x.array)))
    while n > 1:
        pairs = x[head + (slice(0, n - 1, 2),)] * x[head + (slice(1, n, 2),)]
        x = pairs if n % 2 == 0 else F.cat([pairs, x[head + (slice(n - 1, n),)]], axis)
        n = x.shape[axis]
    return x


def _prod_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """prod: differentiate the product written as pairwise products (see :func:`tree_prod`)."""
    xv, dim = captured["xv"], captured["dim"]
    ndim, shape = len(tuple(xv.shape)), tuple(node.shape)
    axes = range(ndim) if dim is None else [d % ndim for d in ((dim,) if isinstance(dim, int) else dim)]

    def composite(x: Tensor) -> Tensor:
        out = _cast_like(x, xv)
        for axis in axes:
            out = tree_prod(out, axis)
        return F.reshape(out, shape)

    return through(composite, node)


def _cumprod_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """cumprod: its own rule on Tensors (the input recomputed as the rule read it)."""
    if "xv" not in captured:  # a 0-d input: the rule passes G through
        return lift_with(node)
    return lift_with(node, xv=_cast_like(node._parents[0], captured["xv"]))


def segment_prod(values: Tensor, slots: Any, size: int) -> Tensor:
    """The product of ``values`` (n,) in each of ``size`` slots named by ``slots`` (n,), an
    integer array (a constant); 0 in slots that get no value.

    The values are sorted by slot, then a running product within each slot takes
    ``ceil(log2 n)`` steps (step ``s``: ``y_i *= y_{i-s}`` where both are in one slot, Hillis
    and Steele's scan); the last of each slot is its product. Only ``mul``: every derivative is
    exact where values are zero.
    """
    xp = values.xp
    n = values.shape[0]
    dev = _backend.device(values.array)
    order = xp.argsort(slots, stable=True)
    ranked = xp.take(slots, order, axis=0)
    y = index_adjoints.take(values, order, 0)
    ones = constant(values, xp.ones((n,), dtype=values.array.dtype, device=dev))
    step = 1
    while step < n:
        same = xp.concat([xp.zeros((step,), dtype=xp.bool, device=dev), ranked[step:] == ranked[:-step]])
        shifted = F.cat([ones[:step], y[: n - step]], 0)
        y = y * F.where(same, shifted, ones)
        step *= 2
    last = xp.concat([ranked[1:] != ranked[:-1], xp.ones((min(n, 1),), dtype=xp.bool, device=dev)])
    kept = y * constant(values, xp.astype(last, values.array.dtype))
    summed = index_adjoints.scatter_add(ranked, F.reshape(kept, (n, 1)), size)
    return F.reshape(summed, (size,))


def _scatter_reduce_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """scatter_reduce: prod differentiated as products (:func:`segment_prod`); sum, mean,
    amax, amin: their own rule, linear in G, with the arrays it reads constants."""
    if captured["reduce"] == "prod":
        pos, spos, hit = captured["pos"], captured["spos"], captured["hit"]
        shape, size, include_self = tuple(node.shape), captured["flat"].shape[0], captured["include_self"]

        def composite(x: Tensor, s: Tensor) -> Tensor:
            flat = F.reshape(x, (-1,))
            vals = index_adjoints.take(F.reshape(s, (-1,)), spos, 0)
            product = segment_prod(vals, pos, size)
            return F.reshape(F.where(hit, flat * product if include_self else product, flat), shape)

        return through(composite, node)
    constants = {name: constant(node, captured[name]) for name in ("hit", "counts", "vals", "flat", "out")}
    return lift_with(node, agg=None, **constants)


def _median_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """median of all elements: its own rule, the flattened input (read for the mask of the
    elements equal to the median) a constant."""
    return lift_with(node, a=constant(node, captured["a"]))


double_backward_by(statistics.prod, _prod_rule)
double_backward_by(statistics.cumprod, _cumprod_rule)
double_backward_by(scatter_reduce, _scatter_reduce_rule)
double_backward_by(order_stats.median, _median_rule)
