"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from ..tensor import Tensor
from .optimizer import Optimizer, check_nonnegative, require


class SGD(Optimizer):
    r"""Stochastic gradient descent (PyTorch's ``torch.optim.SGD``, step for step).

    For each parameter :math:`\theta` with gradient :math:`g` (:math:`-g` when
    ``maximize``), learning rate :math:`\gamma`, momentum :math:`\mu`,
    dampening :math:`\tau` and weight decay :math:`\lambda`:

    .. math::
        g &\leftarrow g + \lambda \theta \\
        b_1 &= g, \qquad b_t = \mu b_{t-1} + (1 - \tau) g \qquad (\mu \ne 0) \\
        g &\leftarrow g + \mu b_t \ \text{(nesterov)} \quad\text{or}\quad g \leftarrow b_t \\
        \theta &\leftarrow \theta - \gamma g

    State per parameter: ``momentum_buffer`` (:math:`b_t`, only when :math:`\mu \ne 0`).

    ``params``: the Tensors to optimize (``model.parameters()``), or a list of dicts, one per
    parameter group, each with ``"params"`` and the options it overrides. ``lr``: the learning
    rate \(\gamma\) (default 1e-3); ``weight_decay``: \(\lambda\), added to the gradient as
    \(\lambda \theta\) (default 0).
    """

    def __init__(self, params: Any, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False) -> None:
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize}
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        check_nonnegative(group, "lr", "momentum", "weight_decay")
        momentum = group["momentum"]
        require(not group["nesterov"] or (momentum > 0 and group["dampening"] == 0),
                "Nesterov momentum requires a momentum and zero dampening: set momentum > 0 "
                f"and dampening=0 (got momentum={momentum}, dampening={group['dampening']})")

    _plan_options = itemgetter("lr", "momentum", "dampening", "weight_decay", "nesterov")

    def _flat_plan(self, xp: Any, dtype: Any, options: tuple[Any, ...]) -> Any:
        """The backend's ``xp.sgd_plan`` (the update with its options made once: NumPy makes
        one); None for a subclass with its own ``_update``, which the plan would bypass."""
        if type(self)._update is not SGD._update:
            return None
        return xp.sgd_plan(dtype, *options)

    def _update(self, p: Tensor, g: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        # the update above, in the backend's xp.sgd_step (one kernel on CuPy)
        p.array, buf = p.xp.sgd_step(p.array, g, state.get("momentum_buffer"), lr=group["lr"],
                                     momentum=group["momentum"], dampening=group["dampening"],
                                     weight_decay=group["weight_decay"], nesterov=group["nesterov"])
        if buf is not None:
            state["momentum_buffer"] = buf
