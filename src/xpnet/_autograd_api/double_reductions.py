"""Double backward of reductions whose rule keeps derived values: amax/amin, logsumexp, var, std.

* amax, amin (and max/min over several axes): G is routed by the constant weights
  ``hit / count`` (ties share it, as the first-order rule); their derivative in x is 0
  almost everywhere, so the rule is linear in G with constant coefficients.
* max, min along one dim (values, indices): the rule reads only G, the axis and integer
  positions: declared as it is.
* logsumexp: its own rule, ``G exp(x - out)``, with ``out`` the node reshaped (keepdim).
* var: differentiate ``sum((x - mean(x))**2) / (N - correction)``; std: its square root
  (refused where a std is 0, where the second derivative is undefined).
* layer_norm: differentiate ``(x - mean) / sqrt(var + eps) * w + b``; the node keeps no eps,
  so ``var + eps`` is written ``var(x) + (1 / rstd**2 - var(x0))``: at the point x0 of the
  node the same number (to rounding), with the same derivatives in x.
* batch_norm: the same over the batch axes in training; in evaluation (running statistics,
  constants) ``xhat = xhat0 + (x - x0) rstd``: exactly the node's value at x0, affine in x.
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from .._double_backward import double_backward_by, double_backward_ready
from ..functional import normalization, reduction, statistics
from ..tensor import CONSTANT, Tensor, make_result
from .higher_order import Rule, constant, lift_with, through, unsupported

double_backward_ready(reduction._values_indices)


def _amax_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """amax/amin: ``dL/dx = w * G`` (G with the reduced axes kept), ``w = hit / count`` constant."""
    (x,) = node._parents
    xp, axis, out = node.xp, captured["axis"], captured["out"]
    hit = xp.astype(x.array == out, x.array.dtype)
    weights = make_result(hit / xp.sum(hit, axis=axis, keepdims=True), xp, (), None, "")
    kept = tuple(captured["kept"])
    return lambda g: (weights * F.reshape(g, kept),)


def _logsumexp_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """logsumexp: its own rule with ``out`` (kept axes) the node reshaped."""
    return lift_with(node, out=F.reshape(node, tuple(captured["out"].shape)))


def _var_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """var: differentiate ``sum((x - mean(x))**2, dim) / (N - correction)``."""
    dim, denominator = captured["dim"], captured["denominator"]
    if not denominator:
        raise unsupported(node, "N - correction is 0")
    shape = tuple(node.shape)

    def composite(x: Tensor) -> Tensor:
        centered = x - F.mean(x, dim, True)
        return F.reshape(F.sum(centered * centered, dim, True) / denominator, shape)

    return through(composite, node)


def _std_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """std: differentiate ``sqrt(var)``; refused where a std is 0 (or N - correction is 0)."""
    dim, denominator = captured["dim"], captured["denominator"]
    xp = node.xp
    if not denominator or bool(xp.any(node.array == 0)):
        raise unsupported(node, "a standard deviation is 0, where its second derivative is undefined")
    shape = tuple(node.shape)

    def composite(x: Tensor) -> Tensor:
        centered = x - F.mean(x, dim, True)
        return F.reshape(F.sqrt(F.sum(centered * centered, dim, True) / denominator), shape)

    return through(composite, node)


def _layer_norm_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """layer_norm: differentiate its forward (see the module docstring for eps)."""
    x = node._parents[0]
    xp, axes, rstd = node.xp, captured["axes"], captured["rstd"]
    centred = x.array - xp.mean(x.array, axis=axes, keepdims=True)
    eps = make_result(1 / (rstd * rstd) - xp.mean(centred * centred, axis=axes, keepdims=True),
                      xp, (), None, "")

    def composite(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
        c = x - F.mean(x, axes, True)
        out = c * F.rsqrt(F.mean(c * c, axes, True) + eps)
        if w is not CONSTANT:
            out = out * w
        return out if b is CONSTANT else out + b

    return through(composite, node)


def _batch_norm_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """batch_norm: differentiate its forward (see the module docstring)."""
    x = node._parents[0]
    xp, axes, rstd = node.xp, captured["axes"], captured["rstd"]
    stat_shape = tuple(x.shape[1] if i == 1 else 1 for i in range(x.ndim))
    if captured["training"]:
        centred = x.array - xp.mean(x.array, axis=axes, keepdims=True)
        eps = constant(node, 1 / (rstd * rstd) - xp.mean(centred * centred, axis=axes, keepdims=True))
    else:
        xhat0, r, x0 = (constant(node, a) for a in (captured["xhat"], rstd, x.array))

    def composite(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
        if captured["training"]:
            c = x - F.mean(x, axes, True)
            out = c * F.rsqrt(F.mean(c * c, axes, True) + eps)
        else:
            out = xhat0 + (x - x0) * r
        if w is not CONSTANT:
            out = out * F.reshape(w, stat_shape)
        return out if b is CONSTANT else out + F.reshape(b, stat_shape)

    return through(composite, node)


double_backward_by(normalization.batch_norm, _batch_norm_rule)
double_backward_by(normalization.layer_norm, _layer_norm_rule)
double_backward_by(reduction._amax, _amax_rule)
double_backward_by(statistics.logsumexp, _logsumexp_rule)
double_backward_by(statistics.var, _var_rule)
double_backward_by(statistics.std, _std_rule)

