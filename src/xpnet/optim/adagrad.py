"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .optimizer import Optimizer, apply_, check_nonnegative


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al.), as PyTorch's ``torch.optim.Adagrad``, step for step.

    For each parameter :math:`\theta` with gradient :math:`g` (:math:`-g` when
    ``maximize``), at step :math:`t = 1, 2, \dots`:

    .. math::
        g &\leftarrow g + \lambda \theta \\
        \tilde\gamma_t &= \gamma / (1 + (t - 1) \eta) \qquad (\eta = \text{lr\_decay}) \\
        s_t &= s_{t-1} + g^2, \qquad s_0 = \text{initial\_accumulator\_value} \\
        \theta &\leftarrow \theta - \tilde\gamma_t\, g / (\sqrt{s_t} + \epsilon)

    State per parameter: ``step`` and ``sum`` (:math:`s`).

    ``params``: the Tensors to optimize (``model.parameters()``), or a list of dicts, one per
    parameter group, each with ``"params"`` and the options it overrides. ``lr_decay``:
    \(\eta\) (default 0); ``weight_decay``: \(\lambda\), added to the gradient as \(\lambda
    \theta\) (default 0); ``initial_accumulator_value``: \(s_0\) (default 0); ``eps``:
    \(\epsilon\), added to the denominator for numerical stability (default 1e-10).
    """

    def __init__(self, params: Any, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10, *,
                 maximize: bool = False) -> None:
        defaults = {"lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "eps": eps,
                    "maximize": maximize}
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        check_nonnegative(group, "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def _update(self, p: Tensor, g: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        xp = p.xp
        if not state:
            state["step"] = 0
            state["sum"] = xp.full_like(p.array, group["initial_accumulator_value"])
        state["step"] = step = state["step"] + 1
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.array
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        s = state["sum"] = apply_(state["sum"], "+", g * g)
        p.array = apply_(p.array, "-", clr * (g / (xp.sqrt(s) + group["eps"])))
