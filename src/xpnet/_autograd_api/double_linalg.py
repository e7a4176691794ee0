"""Double backward of ``solve`` and the singular-value norms: their own rules, with the derived
arrays they keep recomputed as Tensors from their inputs (:func:`.higher_order.lift_with`).

* solve (``X = A^-1 B``): its rule keeps ``A`` broadcast to the batch shape and ``X`` before a
  vector right-hand side is squeezed; given here as ``expand(A)`` and the output Tensor (with
  its axis back). The rule's ``xp.linalg.solve`` is xpnet's ``solve`` on Tensors, so every
  order goes through this again. inv, det and slogdet run as they are (declared in
  :mod:`xpnet.functional.linalg_solve`).
* matrix_norm "nuc", 2, -2 (``d sum(S) = U V^T``, ``d s_i = u_i v_i^T``): the SVD factors
  ``U``, ``V^T`` come from :func:`xpnet.functional.linalg_svd.svd_factors`, a node with
  torch's SVD rule; which singular value is the largest / smallest stays the forward's choice.
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from .._double_backward import double_backward_by
from ..functional import linalg_norms, linalg_solve
from ..functional.linalg_svd import svd_factors
from ..tensor import Tensor
from .higher_order import Rule, lift_with


def _solve_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    a, b = node._parents
    vector = captured["vector"]
    x = F.unsqueeze(node, -1) if vector else node
    full = tuple(x.shape[:-2]) + tuple(a.shape[-2:])
    a_full = a if tuple(a.shape) == full else F.expand(a, full)
    if vector:  # rhs (B with its axis back) is read for its shape only
        return lift_with(node, a_full=a_full, x=x, rhs=F.unsqueeze(b, -1))
    return lift_with(node, a_full=a_full, x=x)


def _singular_norm_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    u, _, vh = svd_factors(node._parents[0])
    return lift_with(node, u=u, vh=vh)


double_backward_by(linalg_solve.solve, _solve_rule)
double_backward_by(linalg_norms._singular_norm, _singular_norm_rule)
