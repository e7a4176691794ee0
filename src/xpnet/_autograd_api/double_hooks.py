"""Double backward through module backward hooks (``register_full_backward_hook``,
``register_full_backward_pre_hook``).

A module with backward hooks routes its inputs and outputs through identity nodes and a
hub node per side (:mod:`xpnet.nn.hooks`). Under ``create_graph=True`` those rules run as
they are: the routing nodes pass G on by position (a ``_Grads`` bundle, added up as the
sweep adds Tensors), and the hubs call the hooks with the gradients as Tensors that carry
their graph (as torch gives them) and pass on what the hooks return, graph included.
"""

from __future__ import annotations

from typing import Any

from .._double_backward import double_backward_by, double_backward_ready
from ..nn import hooks
from ..tensor import Tensor
from .higher_order import Rule

double_backward_ready(hooks._route_to)  # reads its position k only


def _as_is(node: Tensor, captured: dict[str, Any]) -> Rule:
    return node._backward  # type: ignore[return-value]  # (a hub: it handles Tensors itself)


double_backward_by(hooks._BackwardState.wrap_inputs, _as_is)
double_backward_by(hooks._BackwardState.wrap_outputs, _as_is)
