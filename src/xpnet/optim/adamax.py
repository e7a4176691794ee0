"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .optimizer import Optimizer, apply_, check_betas, check_nonnegative


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, section 7), as PyTorch's ``torch.optim.Adamax``, step for step.

    For each parameter :math:`\theta` with gradient :math:`g` (:math:`-g` when
    ``maximize``), at step :math:`t = 1, 2, \dots`:

    .. math::
        g &\leftarrow g + \lambda \theta \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g \\
        u_t &= \max(\beta_2 u_{t-1}, |g| + \epsilon) \\
        \theta &\leftarrow \theta - \frac{\gamma}{1 - \beta_1^t} \frac{m_t}{u_t}

    with :math:`m_0 = u_0 = 0`. Defaults as torch: ``lr=2e-3, betas=(0.9, 0.999), eps=1e-8``.
    State per parameter: ``step``, ``exp_avg`` (:math:`m`), ``exp_inf`` (:math:`u`).
    Raises ValueError for a negative ``lr``, ``eps`` or ``weight_decay``, or betas outside [0, 1).

    ``params``: the Tensors to optimize (``model.parameters()``), or a list of dicts, one per
    parameter group, each with ``"params"`` and the options it overrides.
    """

    def __init__(self, params: Any, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, *, maximize: bool = False) -> None:
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize}
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        check_nonnegative(group, "lr", "eps")
        check_betas(group["betas"])
        check_nonnegative(group, "weight_decay")

    def _update(self, p: Tensor, g: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        xp = p.xp
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(p.array)
            state["exp_inf"] = xp.zeros_like(p.array)
        state["step"] = step = state["step"] + 1
        beta1, beta2 = group["betas"]
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.array
        m = state["exp_avg"] = apply_(state["exp_avg"], "+", (1 - beta1) * (g - state["exp_avg"]))
        u = state["exp_inf"] = apply_(state["exp_inf"], "=",
                                      xp.maximum(state["exp_inf"] * beta2, xp.abs(g) + group["eps"]))
        clr = group["lr"] / (1 - beta1**step)
        p.array = apply_(p.array, "-", clr * (m / u))
