"""Double backward across dtypes: casts between operands, ``atan2`` with a Python number.

* A cast (``_promote.cast``: torch's dtype rule between operands, ``float32 * float64``):
  dL/dx = G cast back to x's dtype, by ``to`` (whose own gradient casts forward again).
* ``atan2(y, x)`` whose operand is a Python number or an integer tensor: the rule reads
  that operand as an array of the result's dtype (``full_like``, or cast), a constant of
  the graph; the rule runs as it is with that constant as a Tensor.
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from .._double_backward import double_backward_by
from ..functional import _promote, transcendental
from ..tensor import Tensor, make_result
from .higher_order import Rule, lift_with, unsupported


def _cast_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    src = captured["src"]
    return lambda g: (F.to(g, dtype=src),)


def _atan2_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    given = {}
    for array_name, name in (("yv", "y"), ("xv", "x")):
        t, v = captured[name], captured[array_name]
        if isinstance(t, Tensor) and t.array is v:
            continue  # the operand itself: lifted to its Tensor
        if isinstance(t, Tensor) and t.requires_grad:  # (a cast integer tensor never requires grad)
            raise unsupported(node, f"its operand '{name}' was converted")
        given[array_name] = make_result(v, node.xp, (), None, "")
    return lift_with(node, **given)


double_backward_by(_promote.cast, _cast_rule)
double_backward_by(transcendental.atan2, _atan2_rule)
