"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .optimizer import Optimizer, apply_, require


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
    """

    def __init__(self, params: Any, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False) -> None:
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize}
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        lr, momentum, wd = group["lr"], group["momentum"], group["weight_decay"]
        require(lr >= 0.0, f"Invalid learning rate: {lr} (must be >= 0)")
        require(momentum >= 0.0, f"Invalid momentum value: {momentum} (must be >= 0)")
        require(wd >= 0.0, f"Invalid weight_decay value: {wd} (must be >= 0)")
        require(not group["nesterov"] or (momentum > 0 and group["dampening"] == 0),
                "Nesterov momentum requires a momentum and zero dampening: set momentum > 0 "
                f"and dampening=0 (got momentum={momentum}, dampening={group['dampening']})")

    def _update(self, p: Tensor, g: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        momentum, wd = group["momentum"], group["weight_decay"]
        if wd != 0:
            g = g + wd * p.data
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:  # b_1 = g: our own copy, never the .grad array itself
                buf = g if g is not p.grad else p._xp.asarray(g, copy=True)
            else:
                buf = apply_(buf, "*", momentum)
                buf = apply_(buf, "+", (1 - group["dampening"]) * g)
            state["momentum_buffer"] = buf
            g = g + momentum * buf if group["nesterov"] else buf
        p.data = apply_(p.data, "-", group["lr"] * g)
