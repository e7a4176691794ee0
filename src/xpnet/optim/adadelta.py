"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .optimizer import Optimizer, apply_, check_nonnegative, require


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler), as PyTorch's ``torch.optim.Adadelta``, step for step.

    For each parameter :math:`\theta` with gradient :math:`g` (:math:`-g` when
    ``maximize``), decay :math:`\rho`, at every step:

    .. math::
        g &\leftarrow g + \lambda \theta \\
        v_t &= \rho v_{t-1} + (1 - \rho) g^2 \\
        \Delta_t &= \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g \\
        u_t &= \rho u_{t-1} + (1 - \rho) \Delta_t^2 \\
        \theta &\leftarrow \theta - \gamma \Delta_t

    with :math:`v_0 = u_0 = 0`. Defaults as torch: ``lr=1.0, rho=0.9, eps=1e-6``.
    State per parameter: ``step``, ``square_avg`` (:math:`v`), ``acc_delta`` (:math:`u`).
    Raises ValueError for a negative ``lr``, ``eps`` or ``weight_decay``, or ``rho`` outside [0, 1].

    ``params``: the Tensors to optimize (``model.parameters()``), or a list of dicts, one per
    parameter group, each with ``"params"`` and the options it overrides.
    """

    def __init__(self, params: Any, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, *, maximize: bool = False) -> None:
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        check_nonnegative(group, "lr")
        require(0.0 <= group["rho"] <= 1.0, f"Invalid rho value: {group['rho']} (must be in [0, 1])")
        check_nonnegative(group, "eps", "weight_decay")

    def _update(self, p: Tensor, g: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        xp = p.xp
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(p.array)
            state["acc_delta"] = xp.zeros_like(p.array)
        state["step"] += 1
        rho, eps, wd = group["rho"], group["eps"], group["weight_decay"]
        if wd != 0:
            g = g + wd * p.array
        v = apply_(state["square_avg"], "*", rho)
        v = state["square_avg"] = apply_(v, "+", (1 - rho) * g * g)  # v = rho v + (1 - rho) g^2
        delta = xp.sqrt(state["acc_delta"] + eps) / xp.sqrt(v + eps) * g
        u = apply_(state["acc_delta"], "*", rho)
        state["acc_delta"] = apply_(u, "+", (1 - rho) * delta * delta)  # u = rho u + (1 - rho) delta^2
        p.array = apply_(p.array, "-", group["lr"] * delta)
