"""RAdam: Adam whose adaptive step is switched on as the variance estimate becomes reliable."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .optimizer import Optimizer, apply_, check_betas, check_nonnegative


class RAdam(Optimizer):
    r"""RAdam (Liu et al.), as PyTorch's ``torch.optim.RAdam``, step for step.

    For each parameter :math:`\theta` with gradient :math:`g` (:math:`-g` when
    ``maximize``), at step :math:`t = 1, 2, \dots`:

    .. math::
        g &\leftarrow g + \lambda \theta
            \qquad \text{(or } \theta \leftarrow \theta (1 - \gamma \lambda)
            \text{ with decoupled\_weight\_decay)} \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g, \qquad
            v_t = \beta_2 v_{t-1} + (1 - \beta_2) g^2, \qquad
            \hat m_t = m_t / (1 - \beta_1^t) \\
        \rho_\infty &= \frac{2}{1 - \beta_2} - 1, \qquad
            \rho_t = \rho_\infty - \frac{2 t \beta_2^t}{1 - \beta_2^t} \\
        \theta &\leftarrow \theta - \gamma \hat m_t\, r_t \frac{\sqrt{1 - \beta_2^t}}{\sqrt{v_t} + \epsilon},
            \quad r_t = \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\rho_\infty}
            {(\rho_\infty - 4)(\rho_\infty - 2)\rho_t}} \qquad (\rho_t > 5) \\
        \theta &\leftarrow \theta - \gamma \hat m_t \qquad (\rho_t \le 5)

    Defaults as torch: ``lr=1e-3, betas=(0.9, 0.999), eps=1e-8``. State per
    parameter: ``step``, ``exp_avg`` (:math:`m`), ``exp_avg_sq`` (:math:`v`).
    Raises ValueError for a negative ``lr``, ``eps`` or ``weight_decay``, or betas outside [0, 1).

    ``params``: the Tensors to optimize (``model.parameters()``), or a list of dicts, one per
    parameter group, each with ``"params"`` and the options it overrides.
    ``decoupled_weight_decay``: shrink the parameter directly, \(\theta \leftarrow \theta (1 -
    \gamma \lambda)\), instead of adding to the gradient (AdamW's rule) (default False).
    """

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, decoupled_weight_decay: bool = False,
                 *, maximize: bool = False) -> None:
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize}
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
            state["exp_avg_sq"] = xp.zeros_like(p.array)
        state["step"] = step = state["step"] + 1
        lr, wd = group["lr"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        if wd != 0:
            if group["decoupled_weight_decay"]:
                p.array = apply_(p.array, "*", 1 - lr * wd)
            else:
                g = g + wd * p.array
        m = state["exp_avg"] = apply_(state["exp_avg"], "+", (1 - beta1) * (g - state["exp_avg"]))
        v = apply_(state["exp_avg_sq"], "*", beta2)
        v = state["exp_avg_sq"] = apply_(v, "+", (1 - beta2) * g * g)
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        m_hat = m / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive = bias_correction2**0.5 / (xp.sqrt(v) + group["eps"])
            p.array = apply_(p.array, "-", m_hat * lr * adaptive * rect)
        else:
            p.array = apply_(p.array, "-", m_hat * lr)
