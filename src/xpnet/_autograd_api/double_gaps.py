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
  A distance of 0 between two different points is refused (p other than 0, 1, inf; see
  :func:`_cdist_rule`); ``cdist(x, x)``'s own pairs are exact.
"""

from __future__ import annotations

import math
from typing import Any

from .. import _backend
from .. import functional as F
from .._double_backward import double_backward_by, double_backward_ready
from ..functional import encoding, padding, pointwise, pointwise_extra, triangular
from ..tensor import Tensor
from .higher_order import Rule, lift_with, unsupported

double_backward_ready(padding._constant, triangular._triangle, pointwise_extra.nan_to_num,
                      pointwise_extra.fmod, pointwise.floor_divide)


def _cdist_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    """cdist: its own rule on Tensors with ``diff`` and ``ad = |diff|`` recomputed from the inputs.

    Where a distance is 0 its share is 0 (torch's first-order convention) with derivative 0.
    That is exact for ``cdist(x, x)``'s own pairs (x_i - x_i is 0 for every x). Between two
    different points the second derivative of a norm at 0 does not exist, and none that a rule
    can give is right for every loss (``sum(cdist(a, b)**2)`` has Hessian 2 there, ``sum(cdist(a,
    b))`` an infinite one): refused for p other than 0, 1 and inf, as ``norm`` is. p = 1 and
    inf keep ``sign(D)``, a constant (0 at the pair), as ``abs`` at 0; so does a single zero
    difference of a nonzero distance (its share is 0, as torch's first order).
    """
    a, b = node._parents
    p, xp, out = captured["p"], node.xp, node.array
    if p not in (0, 1, math.inf):
        zero = out == 0
        if a is b:  # cdist(x, x): the diagonal pairs are the same point
            n = out.shape[-1]
            idx = xp.arange(n, dtype=xp.int64, device=_backend.device(out))
            zero = zero & (xp.reshape(idx, (n, 1)) != xp.reshape(idx, (1, n)))
        if bool(xp.any(zero)):
            raise unsupported(node, f"a distance between two different points is 0, where the "
                                    f"second derivative of the {p}-norm does not exist; torch has no "
                                    f"double backward for cdist at all; cdist(x, x)'s own pairs are fine")
    diff = F.unsqueeze(a, -2) - F.unsqueeze(b, -3)
    ad = F.abs(diff)
    if p != math.inf:  # read only as sign(D) |D|**(p - 1), 0 where D = 0 whatever |D| is
        ad = F.where(ad.array > 0, ad, 1.0)  # there: 1, so that its derivative is 0, not 0 * inf
    return lift_with(node, diff=diff, ad=ad)


double_backward_by(encoding.cdist, _cdist_rule)
