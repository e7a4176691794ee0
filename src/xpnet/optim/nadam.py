"""NAdam: Adam with Nesterov momentum and a momentum schedule."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .optimizer import Optimizer, apply_, check_betas, check_nonnegative


class NAdam(Optimizer):
    r"""NAdam (Dozat), as PyTorch's ``torch.optim.NAdam``, step for step.

    For each parameter :math:`\theta` with gradient :math:`g` (:math:`-g` when
    ``maximize``), momentum decay :math:`\psi`, at step :math:`t = 1, 2, \dots`:

    .. math::
        g &\leftarrow g + \lambda \theta
            \qquad \text{(or } \theta \leftarrow \theta (1 - \gamma \lambda)
            \text{ with decoupled\_weight\_decay)} \\
        \mu_t &= \beta_1 \left(1 - \tfrac12\, 0.96^{t \psi}\right), \qquad
            \Pi_t = \textstyle\prod_{i \le t} \mu_i \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g, \qquad
            v_t = \beta_2 v_{t-1} + (1 - \beta_2) g^2 \\
        d &= \sqrt{v_t / (1 - \beta_2^t)} + \epsilon \\
        \theta &\leftarrow \theta - \frac{\gamma (1 - \mu_t)}{1 - \Pi_t} \frac{g}{d}
            - \frac{\gamma \mu_{t+1}}{1 - \Pi_t \mu_{t+1}} \frac{m_t}{d}

    Defaults as torch: ``lr=2e-3, betas=(0.9, 0.999), eps=1e-8, momentum_decay=4e-3``.
    State per parameter: ``step``, ``mu_product`` (:math:`\Pi_t`, a Python float: torch keeps
    a 0-d float32 tensor, so the two differ by float32 rounding, about 1e-7 relative, unless
    torch's default dtype is float64), ``exp_avg`` (:math:`m`), ``exp_avg_sq`` (:math:`v`).
    Raises ValueError for a negative ``lr``, ``eps``, ``weight_decay`` or ``momentum_decay``,
    or betas outside [0, 1).

    ``params``: the Tensors to optimize (``model.parameters()``), or a list of dicts, one per
    parameter group, each with ``"params"`` and the options it overrides.
    ``decoupled_weight_decay``: shrink the parameter directly, \(\theta \leftarrow \theta (1 -
    \gamma \lambda)\), instead of adding to the gradient (AdamW's rule) (default False).
    """

    def __init__(self, params: Any, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False) -> None:
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        check_nonnegative(group, "lr", "eps")
        check_betas(group["betas"])
        check_nonnegative(group, "weight_decay", "momentum_decay")

    def _update(self, p: Tensor, g: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        xp = p.xp
        if not state:
            state["step"] = 0
            state["mu_product"] = 1.0
            state["exp_avg"] = xp.zeros_like(p.array)
            state["exp_avg_sq"] = xp.zeros_like(p.array)
        state["step"] = step = state["step"] + 1
        lr, wd, psi = group["lr"], group["weight_decay"], group["momentum_decay"]
        beta1, beta2 = group["betas"]
        if wd != 0:
            if group["decoupled_weight_decay"]:
                p.array = apply_(p.array, "*", 1 - lr * wd)
            else:
                g = g + wd * p.array
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
        state["mu_product"] = mu_product = state["mu_product"] * mu
        m = state["exp_avg"] = apply_(state["exp_avg"], "+", (1 - beta1) * (g - state["exp_avg"]))
        v = apply_(state["exp_avg_sq"], "*", beta2)
        v = state["exp_avg_sq"] = apply_(v, "+", (1 - beta2) * g * g)
        denom = xp.sqrt(v / (1 - beta2**step)) + group["eps"]
        p.array = apply_(p.array, "-", (lr * (1.0 - mu) / (1.0 - mu_product)) * (g / denom))
        p.array = apply_(p.array, "-", (lr * mu_next / (1.0 - mu_product * mu_next)) * (m / denom))
