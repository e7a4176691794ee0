"""ASGD: SGD with a decaying step and a running (Polyak) average of the iterates."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .optimizer import Optimizer, apply_, check_nonnegative


class ASGD(Optimizer):
    r"""Averaged SGD (Polyak & Juditsky 1992), as PyTorch's ``torch.optim.ASGD``, step for step.

    At step :math:`t = 1, 2, \dots` with gradient :math:`g` (:math:`-g` when ``maximize``):

    .. math::
        g &\leftarrow g + \lambda_{wd} \theta \\
        \theta &\leftarrow \theta (1 - \lambda \eta_{t-1}) - \eta_{t-1} g \\
        a &\leftarrow \theta \text{ if } \mu_{t-1} = 1 \text{ else } a + \mu_{t-1} (\theta - a) \\
        \eta_t &= \frac{\gamma}{(1 + \lambda \gamma t)^{\alpha}}, \qquad
        \mu_t = \frac{1}{\max(1, t - t_0)}

    with :math:`\eta_0 = \gamma` (``lr``), :math:`\mu_0 = 1`. The average :math:`a` is
    ``state["ax"]`` (evaluate with it; the parameters themselves follow SGD). Defaults as
    torch: ``lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0``. State per parameter:
    ``step``, ``eta``, ``mu`` (Python numbers), ``ax``. Raises ValueError for a negative
    ``lr`` or ``weight_decay``.

    Args:
        params: the Tensors to optimize (``model.parameters()``) or a list of group dicts.
        lr: gamma.
        lambd: the decay term.
        alpha: eta's power.
        t0: the step where averaging starts.
        weight_decay: L2 penalty.
        maximize: ascend instead.
    """

    def __init__(self, params: Any, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0.0, *, maximize: bool = False) -> None:
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        check_nonnegative(group, "lr", "weight_decay")

    def _update(self, p: Tensor, g: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        xp = p.xp
        lr, lambd = group["lr"], group["lambd"]
        if not state:
            state["step"] = 0
            state["eta"] = float(lr)
            state["mu"] = 1.0
            state["ax"] = xp.zeros_like(p.array)
        state["step"] = step = state["step"] + 1
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.array
        eta = float(state["eta"])
        p.array = apply_(p.array, "*", 1 - lambd * eta)  # decay term
        p.array = apply_(p.array, "-", eta * g)
        mu = float(state["mu"])
        if mu != 1:
            state["ax"] = apply_(state["ax"], "+", (p.array - state["ax"]) * mu)
        else:
            state["ax"] = apply_(state["ax"], "=", p.array)
        state["eta"] = lr / ((1 + lambd * lr * step) ** group["alpha"])
        state["mu"] = 1 / max(1, step - group["t0"])
