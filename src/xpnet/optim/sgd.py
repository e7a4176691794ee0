"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from .. import _backend
from ..tensor import Tensor
from .optimizer import Optimizer, apply_, check_nonnegative, require


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

    ``params``: the Tensors to optimize (``model.parameters()``), or a list of dicts, one per
    parameter group, each with ``"params"`` and the options it overrides. ``lr``: the learning
    rate \(\gamma\) (default 1e-3); ``weight_decay``: \(\lambda\), added to the gradient as
    \(\lambda \theta\) (default 0).
    """

    def __init__(self, params: Any, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False) -> None:
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize}
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        check_nonnegative(group, "lr", "momentum", "weight_decay")
        momentum = group["momentum"]
        require(not group["nesterov"] or (momentum > 0 and group["dampening"] == 0),
                "Nesterov momentum requires a momentum and zero dampening: set momentum > 0 "
                f"and dampening=0 (got momentum={momentum}, dampening={group['dampening']})")

    _plan_options = itemgetter("lr", "momentum", "dampening", "weight_decay", "nesterov")

    def _flat_plan(self, xp: Any, dtype: Any, options: tuple[Any, ...]) -> Any:
        """NumPy's :func:`xpnet.cpu.sgd_plan` (``sgd_step`` with the options made once); None
        for a subclass with its own ``_update``, which the plan would bypass."""
        if type(self)._update is not SGD._update:
            return None
        make = _backend.sibling(xp, "sgd_plan")
        return None if make is None else make(dtype, *options)

    def _update(self, p: Tensor, g: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        p.array, buf = _backend.dispatch(sgd_step, p.xp, p.array, g, state.get("momentum_buffer"),
                                 lr=group["lr"], momentum=group["momentum"],
                                 dampening=group["dampening"], weight_decay=group["weight_decay"],
                                 nesterov=group["nesterov"])
        if buf is not None:
            state["momentum_buffer"] = buf


def sgd_step(xp: Any, param: Any, grad: Any, buf: Any, *, lr: float, momentum: float,
             dampening: float, weight_decay: float, nesterov: bool) -> tuple[Any, Any]:
    """One SGD update of one parameter array: returns ``(param, momentum_buffer)``.

    The generic twin, in ``xp`` only (its CuPy sibling: :func:`xpnet.cuda.sgd_step`).
    ``buf`` is None before the first step with momentum, and stays None without.
    ``param`` and ``buf`` are updated in place where writeable (:func:`apply_`).
    """
    g = grad
    if weight_decay != 0:
        g = g + weight_decay * param  # g <- g + lambda theta
    if momentum != 0:
        if buf is None:  # b_1 = g: our own copy, never the caller's gradient array
            buf = g if g is not grad else xp.asarray(g, copy=True)
        else:  # b_t = mu b_{t-1} + (1 - tau) g
            buf = apply_(buf, "*", momentum)
            buf = apply_(buf, "+", g if dampening == 0 else (1 - dampening) * g)
        g = g + momentum * buf if nesterov else buf
    return apply_(param, "-", lr * g), buf  # theta <- theta - gamma g
