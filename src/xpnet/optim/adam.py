"""Adam and AdamW: one update, with L2 or decoupled weight decay."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .optimizer import Optimizer, apply_, check_betas, require


class Adam(Optimizer):
    r"""Adam (Kingma & Ba), as PyTorch's ``torch.optim.Adam``, step for step.

    For each parameter :math:`\theta` with gradient :math:`g` (:math:`-g` when
    ``maximize``), at step :math:`t = 1, 2, \dots`:

    .. math::
        g &\leftarrow g + \lambda \theta
            \qquad \text{(or } \theta \leftarrow \theta (1 - \gamma \lambda)
            \text{ with decoupled weight decay: AdamW)} \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2) g^2 \\
        \hat v_t &= \max(\hat v_{t-1}, v_t) \ \text{(amsgrad)} \quad\text{or}\quad \hat v_t = v_t \\
        \theta &\leftarrow \theta - \frac{\gamma}{1 - \beta_1^t}
            \frac{m_t}{\sqrt{\hat v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

    with :math:`m_0 = v_0 = \hat v_0 = 0`. State per parameter: ``step`` (a Python
    int), ``exp_avg`` (:math:`m`), ``exp_avg_sq`` (:math:`v`), ``max_exp_avg_sq``
    (:math:`\hat v`, only with ``amsgrad``).
    """

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *,
                 maximize: bool = False, decoupled_weight_decay: bool = False) -> None:
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
        require(lr >= 0.0, f"Invalid learning rate: {lr} (must be >= 0)")
        require(eps >= 0.0, f"Invalid epsilon value: {eps} (must be >= 0)")
        check_betas(group["betas"])
        require(wd >= 0.0, f"Invalid weight_decay value: {wd} (must be >= 0)")

    def _update(self, p: Tensor, g: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        xp = p._xp
        lr, wd, eps, amsgrad = group["lr"], group["weight_decay"], group["eps"], group["amsgrad"]
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(p.data)
            state["exp_avg_sq"] = xp.zeros_like(p.data)
            if amsgrad:
                state["max_exp_avg_sq"] = xp.zeros_like(p.data)
        state["step"] = step = state["step"] + 1
        if wd != 0:
            if group["decoupled_weight_decay"]:
                p.data = apply_(p.data, "*", 1 - lr * wd)
            else:
                g = g + wd * p.data
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m = state["exp_avg"] = apply_(m, "+", (1 - beta1) * (g - m))  # lerp, as PyTorch
        v = apply_(v, "*", beta2)
        v = state["exp_avg_sq"] = apply_(v, "+", (1 - beta2) * g * g)
        if amsgrad:
            if "max_exp_avg_sq" not in state:  # amsgrad switched on after the first step
                state["max_exp_avg_sq"] = xp.zeros_like(p.data)
            v = state["max_exp_avg_sq"] = apply_(state["max_exp_avg_sq"], "=",
                                                 xp.maximum(state["max_exp_avg_sq"], v))
        step_size = lr / (1 - beta1**step)
        denom = xp.sqrt(v) / (1 - beta2**step) ** 0.5 + eps
        p.data = apply_(p.data, "-", step_size * (m / denom))


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter), as ``torch.optim.AdamW``.

    The same update as :class:`Adam`, except that weight decay shrinks the
    parameter directly instead of adding to the gradient:

    .. math::
        \theta \leftarrow \theta (1 - \gamma \lambda), \quad\text{then the Adam step with } g
    """

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
