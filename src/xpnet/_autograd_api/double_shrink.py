"""Double backward of the piecewise and gated activations of ``functional.activation_shrink``.

Each is one node whose rule is ``G * slope``, the slope dy/dx computed in the forward.
Under ``create_graph=True`` that same rule runs with ``slope`` given as a Tensor
(:func:`.higher_order.lift_with`): the saved slope as a constant where it is piecewise
constant, else recomputed from the input Tensor so that its derivative is torch's:

* hardsigmoid, threshold, softshrink, hardshrink, rrelu (drawn or mean slopes): constants
  (second derivative 0, as torch's ``*_backward`` double backward)
* logsigmoid: ``sigmoid(-x)``
* tanhshrink: ``tanh(x)**2`` (torch's ``x - tanh(x)``, differentiated)
* hardswish: ``x / 3 + 1/2`` on the open interval (-3, 3), the saved slope elsewhere (torch's
  ``hardswish_backward`` derivative is ``G / 3`` for -3 < x < 3 only)
* celu: ``e**(x / alpha')`` where x < 0 (alpha' = float32(alpha), torch's backward constant),
  the saved slope elsewhere (torch's ``elu_double_backward``: nonzero where x < 0 only)
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from .._double_backward import double_backward_by
from ..functional import activation, activation_shrink
from ..tensor import Tensor
from .higher_order import Rule, constant, lift_with, unsupported

_CONSTANT_SLOPE = ("hardsigmoid", "threshold", "softshrink", "hardshrink")


def _pointwise_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """The ops built by ``activation_shrink._pointwise``, by node name (see the module)."""
    (x,) = node._parents
    slope = captured["slope"]
    if node._op in _CONSTANT_SLOPE:
        return lift_with(node, slope=constant(node, slope))
    if node._op == "logsigmoid":
        return lift_with(node, slope=activation.sigmoid(-x))
    if node._op == "tanhshrink":
        t = F.tanh(x)
        return lift_with(node, slope=t * t)
    if node._op == "hardswish":
        v = x.array
        inside = (v > -3.0) & (v < 3.0)
        return lift_with(node, slope=F.where(inside, x / 3 + 0.5, constant(node, slope)))
    raise unsupported(node, "an activation of activation_shrink without a declared slope")


def _celu_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """celu: ``G slope`` with ``slope = e**(x / alpha') alpha' alpha`` where x < 0 (alpha: the
    rule's default argument), the saved slope (1, or its value at 0) elsewhere."""
    (x,) = node._parents
    (alpha,) = getattr(node._backward, "__defaults__", None) or (None,)
    if alpha is None:
        raise unsupported(node, "its rule does not say its alpha")
    xp, v = x.xp, x.array
    ginv = 1.0 / float(xp.asarray(alpha, dtype=xp.float32))  # as the first-order slope
    negative = v < 0
    e = F.exp(F.where(negative, x, 0.0) * ginv) * (ginv * alpha)
    return lift_with(node, slope=F.where(negative, e, constant(node, captured["slope"])))


def _rrelu_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """rrelu: ``G a`` with ``a`` (1 where x >= 0, else the drawn or mean slope) a constant."""
    return lift_with(node, a=constant(node, captured["a"]))


double_backward_by(activation_shrink._pointwise, _pointwise_rule)
double_backward_by(activation_shrink.celu, _celu_rule)
double_backward_by(activation_shrink.rrelu, _rrelu_rule)
