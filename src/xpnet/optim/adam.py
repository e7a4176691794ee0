"""Adam and AdamW: one update, with L2 or decoupled weight decay."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .optimizer import Optimizer, check_betas, check_nonnegative


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

    ``params``: the Tensors to optimize (``model.parameters()``), or a list of dicts, one per
    parameter group, each with ``"params"`` and the options it overrides. ``lr``: the learning
    rate \(\gamma\) (default 1e-3); ``betas``: \((\beta_1, \beta_2)\), the decay rates of the
    running averages (default (0.9, 0.999)); ``eps``: \(\epsilon\), added to the denominator
    for numerical stability (default 1e-8); ``weight_decay``: \(\lambda\), added to the
    gradient as \(\lambda \theta\) (default 0); ``decoupled_weight_decay``: shrink the
    parameter directly, \(\theta \leftarrow \theta (1 - \gamma \lambda)\), instead of adding
    to the gradient (AdamW's rule).
    """

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *,
                 maximize: bool = False, decoupled_weight_decay: bool = False) -> None:
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize,
                    "decoupled_weight_decay": decoupled_weight_decay}
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
        if group["amsgrad"] and "max_exp_avg_sq" not in state:  # also if switched on later
            state["max_exp_avg_sq"] = xp.zeros_like(p.array)
        state["step"] += 1
        beta1, beta2 = group["betas"]
        p.array, m, v, v_max = xp.adam_step(  # the update above (one kernel on CuPy)
            p.array, g, state["exp_avg"], state["exp_avg_sq"],
            state["max_exp_avg_sq"] if group["amsgrad"] else None,
            step=state["step"], lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
            weight_decay=group["weight_decay"], decoupled=group["decoupled_weight_decay"])
        state["exp_avg"], state["exp_avg_sq"] = m, v
        if v_max is not None:
            state["max_exp_avg_sq"] = v_max


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter), as ``torch.optim.AdamW``.

    The same update as :class:`Adam`, except that weight decay shrinks the
    parameter directly instead of adding to the gradient:

    .. math::
        \theta \leftarrow \theta (1 - \gamma \lambda), \quad\text{then the Adam step with } g

    ``params``: the Tensors to optimize (``model.parameters()``), or a list of dicts, one per
    parameter group, each with ``"params"`` and the options it overrides. ``lr``: the learning
    rate \(\gamma\) (default 1e-3); ``betas``: \((\beta_1, \beta_2)\), the decay rates of the
    running averages (default (0.9, 0.999)); ``eps``: \(\epsilon\), added to the denominator
    for numerical stability (default 1e-8); ``weight_decay``: \(\lambda\) of the decoupled
    decay (default 1e-2); ``amsgrad``: use the running maximum of \(v_t\); ``maximize``:
    ascend (the step uses \(-g\)).
    """

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
