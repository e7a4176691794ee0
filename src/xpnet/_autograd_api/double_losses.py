"""Double backward of the binary cross-entropies and the smooth L1 loss: their own rules.

Each rule keeps one derived array; under ``create_graph=True`` it runs on Tensors with
that array recomputed from the input Tensors (:func:`.higher_order.lift_with`), and the
reduction's ``share`` (``g / count`` or ``g``, a function of G only) as it is:

* binary_cross_entropy: ``share(G) (p - y) / max(p (1 - p), 1e-12)`` (nothing derived)
* binary_cross_entropy_with_logits: ``e = exp(-|x|)``
* smooth_l1_loss: ``d = x - y`` (``sign(d)`` a constant: its derivative is 0)

(l1_loss and huber_loss are compositions of converted ops already.)
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from .._double_backward import double_backward_by
from ..functional import loss, loss_extra
from ..tensor import Tensor
from .higher_order import Rule, lift_with


def _bce_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    return lift_with(node, share=captured["share"])


def _bce_logits_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    x = node._parents[0]
    return lift_with(node, share=captured["share"], e=F.exp(-F.abs(x)))


def _smooth_l1_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    x, y = node._parents
    return lift_with(node, share=captured["share"], d=x - y)


double_backward_by(loss.binary_cross_entropy, _bce_rule)
double_backward_by(loss.binary_cross_entropy_with_logits, _bce_logits_rule)
double_backward_by(loss_extra.smooth_l1_loss, _smooth_l1_rule)
