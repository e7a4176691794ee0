"""Double backward of the binary cross-entropies and the smooth L1 loss: their own rules.

Each rule keeps one derived array; under ``create_graph=True`` it runs on Tensors with
that array recomputed from the input Tensors (:func:`.higher_order.lift_with`), and the
reduction's ``share`` (``g / count`` or ``g``, a function of G only) as it is:

* binary_cross_entropy: ``share(G) (p - y) / max(p (1 - p), 1e-12)``, ``share(G) (log(1 - p) - log p)``
  (nothing derived)
* binary_cross_entropy_with_logits: ``e = exp(-|x|)``
* smooth_l1_loss: ``d = x - y`` (``sign(d)`` a constant: its derivative is 0)
* kl_div: ``e**t`` (log_target) or ``log y`` (where y > 0, else log 1)
* poisson_nll_loss: ``e**x`` or ``log(x + eps)``; with ``full``, ``y`` where y > 1 (else 1) and its log
* margin_ranking_loss: ``x1 - x2`` (the target, even one that requires grad, is read as ``yv``:
  its input array, lifted to the target Tensor)

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


def _kl_div_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    y = node._parents[1]
    given: dict[str, Any] = {"share": captured["share"]}
    if captured.get("p") is not None:
        given["p"] = F.exp(y)
    if captured.get("log_t") is not None:
        given["log_t"] = F.log(F.where(y.array > 0, y, 1.0))
    return lift_with(node, **given)


def _poisson_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    x, y = node._parents
    given: dict[str, Any] = {"share": captured["share"]}
    if captured.get("e") is not None:
        given["e"] = F.exp(x)
    if captured.get("logx") is not None:
        given["logx"] = F.log(x + captured["eps"])
    if captured.get("safe") is not None:
        given["safe"] = F.where(captured["big"], y, 1.0)
        given["log_safe"] = F.log(given["safe"])
    return lift_with(node, **given)


def _margin_ranking_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    a, b, _ = node._parents
    return lift_with(node, share=captured["share"], diff=a - b)


double_backward_by(loss_extra.kl_div, _kl_div_rule)
double_backward_by(loss_extra.poisson_nll_loss, _poisson_rule)
double_backward_by(loss_extra.margin_ranking_loss, _margin_ranking_rule)
double_backward_by(loss.binary_cross_entropy, _bce_rule)
double_backward_by(loss.binary_cross_entropy_with_logits, _bce_logits_rule)
double_backward_by(loss_extra.smooth_l1_loss, _smooth_l1_rule)
