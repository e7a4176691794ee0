"""RMSprop: gradients divided by a running root mean square of themselves."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .optimizer import Optimizer, apply_, check_nonnegative


class RMSprop(Optimizer):
    r"""RMSprop (Hinton), as PyTorch's ``torch.optim.RMSprop``, step for step.

    For each parameter :math:`\theta` with gradient :math:`g` (:math:`-g` when
    ``maximize``), smoothing constant :math:`\alpha`, momentum :math:`\mu`:

    .. math::
        g &\leftarrow g + \lambda \theta \\
        v_t &= \alpha v_{t-1} + (1 - \alpha) g^2 \\
        \bar g_t &= \alpha \bar g_{t-1} + (1 - \alpha) g \qquad \text{(centered)} \\
        a_t &= \sqrt{v_t - \bar g_t^2} + \epsilon \ \text{(centered)}
            \quad\text{or}\quad a_t = \sqrt{v_t} + \epsilon \\
        b_t &= \mu b_{t-1} + g / a_t, \quad \theta \leftarrow \theta - \gamma b_t
            \qquad (\mu > 0) \\
        \theta &\leftarrow \theta - \gamma\, g / a_t \qquad (\mu = 0)

    with all buffers starting at 0. State per parameter: ``step``, ``square_avg``
    (:math:`v`), ``momentum_buffer`` (:math:`b`, when :math:`\mu > 0`), ``grad_avg``
    (:math:`\bar g`, when centered).

    ``params``: the Tensors to optimize (``model.parameters()``), or a list of dicts, one per
    parameter group, each with ``"params"`` and the options it overrides. ``lr``: the learning
    rate \(\gamma\) (default 1e-2); ``eps``: \(\epsilon\), added to the denominator for
    numerical stability (default 1e-8); ``weight_decay``: \(\lambda\), added to the gradient
    as \(\lambda \theta\) (default 0).
    """

    def __init__(self, params: Any, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        defaults = {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay,
                    "momentum": momentum, "centered": centered, "maximize": maximize}
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        check_nonnegative(group, "lr", "eps", "momentum", "weight_decay", "alpha")

    def _update(self, p: Tensor, g: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        xp = p.xp
        alpha, momentum, wd = group["alpha"], group["momentum"], group["weight_decay"]
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(p.array)
        state["step"] += 1
        if wd != 0:
            g = g + wd * p.array
        v = apply_(state["square_avg"], "*", alpha)
        v = state["square_avg"] = apply_(v, "+", (1 - alpha) * g * g)
        if group["centered"]:
            mean = state.get("grad_avg")
            if mean is None:
                mean = xp.zeros_like(p.array)
            mean = state["grad_avg"] = apply_(mean, "+", (1 - alpha) * (g - mean))  # lerp
            avg = xp.sqrt(v - mean * mean) + group["eps"]
        else:
            avg = xp.sqrt(v) + group["eps"]
        if momentum > 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = xp.zeros_like(p.array)
            buf = apply_(buf, "*", momentum)
            buf = state["momentum_buffer"] = apply_(buf, "+", g / avg)
            p.array = apply_(p.array, "-", group["lr"] * buf)
        else:
            p.array = apply_(p.array, "-", group["lr"] * (g / avg))
