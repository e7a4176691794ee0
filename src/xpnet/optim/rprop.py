"""Rprop: resilient backpropagation, a per-element step size driven by gradient signs."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .optimizer import Optimizer, apply_, check_nonnegative, require


class Rprop(Optimizer):
    r"""Rprop (Riedmiller & Braun 1993), as PyTorch's ``torch.optim.Rprop``, step for step.

    For each element, with gradient :math:`g_t` (:math:`-g_t` when ``maximize``) and the
    previous one :math:`g_{t-1}` (0 at first; set to 0 after a sign change):

    .. math::
        \eta_t &= \mathrm{clip}\big(\eta_{t-1} \cdot
            \{\eta_+ \text{ if } g_t g_{t-1} > 0;\ \eta_- \text{ if } < 0;\ 1 \text{ if } = 0\},
            \ s_{min}, s_{max}\big) \\
        g_t &\leftarrow 0 \text{ where } g_t g_{t-1} < 0 \\
        \theta &\leftarrow \theta - \eta_t\, \mathrm{sign}(g_t)

    with :math:`\eta_0 =` ``lr``. Defaults as torch: ``lr=1e-2, etas=(0.5, 1.2),
    step_sizes=(1e-6, 50)``. State per parameter: ``step``, ``prev``, ``step_size``.
    Raises ValueError for a negative ``lr`` or etas not ``0 < eta- < 1 < eta+`` (torch's words).

    Args:
        params: the Tensors to optimize (``model.parameters()``) or a list of group dicts.
        lr: the first step size.
        etas: (eta-, eta+), the step size factors.
        step_sizes: (min, max) step size.
        maximize: ascend instead.
    """

    def __init__(self, params: Any, lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, maximize: bool = False) -> None:
        defaults = {"lr": lr, "etas": tuple(etas), "step_sizes": tuple(step_sizes),
                    "maximize": maximize}
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        check_nonnegative(group, "lr")
        etaminus, etaplus = group["etas"]
        require(0.0 < etaminus < 1.0 < etaplus, f"Invalid eta values: {etaminus}, {etaplus}")

    def _update(self, p: Tensor, g: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        xp = p.xp
        if not state:
            state["step"] = 0
            state["prev"] = xp.zeros_like(p.array)
            state["step_size"] = xp.full_like(p.array, group["lr"])
        state["step"] += 1
        etaminus, etaplus = group["etas"]
        lo, hi = group["step_sizes"]
        sign = xp.sign(g * state["prev"])
        factor = xp.where(sign > 0, etaplus, xp.where(sign < 0, etaminus, xp.ones_like(sign)))
        size = state["step_size"] = apply_(state["step_size"], "=",
                                           xp.clip(state["step_size"] * factor, lo, hi))
        g = xp.where(sign < 0, xp.zeros_like(g), g)  # after a sign change: no step, forget g
        p.array = apply_(p.array, "-", xp.sign(g) * size)
        state["prev"] = apply_(state["prev"], "=", g)
