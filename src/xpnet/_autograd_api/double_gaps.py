"""Double backward of pad, tril/triu, nan_to_num, fmod, floor_divide and cdist.

* pad (constant mode): its rule (G cropped, written into zeros of the input's shape) runs on
  Tensors as it is (``T.zeros``, ``T.set_at``); the other modes are index_select already.
* tril, triu (and tril_, triu_): ``where(mask, G, 0)``, the mask a constant: as it is.
* nan_to_num (and nan_to_num_): ``where(finite, G, 0)``: as it is.
* fmod: ``dL/da = G``, ``dL/db = -G trunc(a / b)``; its rule reads the quotient as
  ``round((a - out) / b)``, a constant on Tensors (``T.round``: derivative 0, as torch's
  ``div(rounding_mode="trunc")``): as it is.
* floor_divide: its rule raises torch's error (no derivative), with or without create_graph.
* cdist: its own rule, with the differences ``D = x1_i - x2_j`` and ``|D|`` recomputed as
  Tensors; the distance ``r`` is the node itself. torch has no double backward for cdist.
  p = 2: ``share = D / r`` where r > 0, and 0 (with derivative 0) where r = 0 -- torch's
  first-order convention held constant around the pair, see :func:`_cdist_rule`.
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from .._double_backward import double_backward_by, double_backward_ready
from ..functional import encoding, padding, pointwise, pointwise_extra, triangular
from ..tensor import Tensor
from .higher_order import Rule, lift_with

double_backward_ready(padding._constant, triangular._triangle, pointwise_extra.nan_to_num,
                      pointwise_extra.fmod, pointwise.floor_divide)


def _cdist_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """cdist: its own rule on Tensors with ``diff`` and ``ad = |diff|`` recomputed from the inputs.

    Where a distance is 0 (p = 2 and other p > 1) the rule's ``share`` is 0 (torch's
    first-order convention) and stays 0 for nearby inputs in the rule's graph: the pair adds
    nothing to a second derivative (its norm has none there).
    """
    a, b = node._parents
    diff = F.unsqueeze(a, -2) - F.unsqueeze(b, -3)
    return lift_with(node, diff=diff, ad=F.abs(diff))


double_backward_by(encoding.cdist, _cdist_rule)
