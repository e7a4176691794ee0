"""Double backward of the smooth activations: each differentiated as its forward definition.

Their first-order rules keep derived values (``sigmoid(x)``, ``e**x``, the CDF), so under
``create_graph=True`` each node is differentiated as the op written with primitives whose
rules run on Tensors (:func:`.higher_order.through`):

* gelu (exact): ``x (1 + erf(x / sqrt 2)) / 2``
* elu, selu: ``scale x`` where x > 0, else ``scale alpha (e**x - 1)`` (e**x of the negative
  part only, as the forward)
* silu: ``x sigmoid(x)``;  mish: ``x tanh(softplus(x))``, softplus(x) = max(x, 0) + log1p(e**-|x|)
* softplus: ``x`` where the node was linear (beta x > threshold: a constant mask), else
  ``(max(z, 0) + log1p(e**-|z|)) / beta``, z = beta x (beta: the rule's default argument)
* softsign: ``x / (1 + |x|)``
* prelu: its own rule, with the slope ``a`` (the weight reshaped) given as a Tensor
* hardtanh, relu6: their rule (G where inside the clip, a mask) runs on Tensors as it is
"""

from __future__ import annotations

import math
from typing import Any

from .. import functional as F
from .._double_backward import double_backward_by, double_backward_ready
from ..functional import activation, activation_smooth
from ..tensor import Tensor
from .higher_order import Rule, lift_with, through, unsupported

double_backward_ready(activation_smooth._clip)

_INV_SQRT_2 = 1 / math.sqrt(2)


def _gelu_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """gelu, exact form: differentiate ``x (1 + erf(x / sqrt 2)) / 2``."""
    return through(lambda x: x * (0.5 * (1 + F.erf(x * _INV_SQRT_2))), node)


def _elu_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """elu and selu: differentiate their forward with the node's ``alpha`` and ``scale``."""
    alpha, scale = captured["alpha"], captured["scale"]

    def composite(x: Tensor) -> Tensor:
        positive = x > 0
        e = F.exp(F.where(positive, 0.0, x))
        return F.where(positive, x * scale, (e - 1) * (alpha * scale))

    return through(composite, node)


def _silu_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    return through(lambda x: x * activation.sigmoid(x), node)


def _mish_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    def composite(x: Tensor) -> Tensor:
        softplus = F.maximum(x, 0.0) + F.log1p(F.exp(-F.abs(x)))
        return x * F.tanh(softplus)

    return through(composite, node)


def _softplus_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    (beta,) = getattr(node._backward, "__defaults__", None) or (None,)
    if beta is None:
        raise unsupported(node, "its rule does not say its beta")
    linear = captured["linear"]

    def composite(x: Tensor) -> Tensor:
        z = x * beta
        return F.where(linear, x, (F.maximum(z, 0.0) + F.log1p(F.exp(-F.abs(z)))) / beta)

    return through(composite, node)


def _softsign_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    return through(lambda x: x / (1 + F.abs(x)), node)


def _prelu_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """prelu: its own rule; ``a``, the weight reshaped to broadcast, recomputed from the weight."""
    w = node._parents[1]
    return lift_with(node, a=F.reshape(w, tuple(captured["a"].shape)))


double_backward_by(activation.gelu, _gelu_rule)
double_backward_by(activation_smooth._elu, _elu_rule)
double_backward_by(activation_smooth.silu, _silu_rule)
double_backward_by(activation_smooth.mish, _mish_rule)
double_backward_by(activation_smooth.softplus, _softplus_rule)
double_backward_by(activation_smooth.softsign, _softsign_rule)
double_backward_by(activation_smooth.prelu, _prelu_rule)
