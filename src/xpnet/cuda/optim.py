"""Whole optimizer updates of one parameter as one kernel (twins: ``optim.sgd``, ``optim.adam``).

Every kernel reads the gradient and updates the parameter and its state
buffers in place (they are output parameters, read first). Step-dependent
scalars (``1 - dampening``, Adam's bias corrections) are computed in Python
exactly as the twin computes them, then cast to ``T``. Options the twin
tests with Python ``if``s are fixed per kernel (one compiled variant each).
"""

from __future__ import annotations

import functools
from typing import Any

from ._kernel import Kernel, covers

_DECAY = "T d = grad; if (wd != (T)0) d = d + wd * param;"  # g <- g + lambda theta (L2)


@functools.cache
def sgd_kernel(momentum: bool, nesterov: bool, first: bool) -> Kernel:
    """SGD for one parameter; ``first``: the momentum buffer starts as ``g`` (b_1 = g)."""
    if not momentum:
        return Kernel("xpnet_sgd", "T grad, T lr, T wd", "T param",
                      f"{_DECAY} param = param - lr * d;")  # theta <- theta - gamma g
    buf = "buf = d;" if first else "buf = buf * momentum; buf = buf + dampening1 * d;"  # b_t
    step = "d = d + momentum * buf;" if nesterov else "d = buf;"  # g <- g + mu b_t, or b_t
    return Kernel(f"xpnet_sgd_momentum{'_nesterov' if nesterov else ''}{'_first' if first else ''}",
                  "T grad, T lr, T wd, T momentum, T dampening1", "T param, T buf",
                  f"{_DECAY} {buf} {step} param = param - lr * d;")


def sgd_step(xp: Any, param: Any, grad: Any, buf: Any, *, lr: float, momentum: float,
             dampening: float, weight_decay: float, nesterov: bool) -> Any:
    """As :func:`xpnet.optim.sgd.sgd_step`, in one kernel; None when not covered.

    With ``g = grad + weight_decay param``: ``b = g`` at the first step, then
    ``b = momentum b + (1 - dampening) g``; ``d = g + momentum b`` (Nesterov) or ``b``;
    ``param = param - lr d`` (``d = g`` without momentum).

    Args:
        xp: the CuPy namespace.
        param: the parameter's CuPy array, float32 or float64, updated in place.
        grad: its gradient, the same dtype and shape.
        buf: the momentum buffer (None before the first step with momentum).
        lr: the learning rate.
        momentum: the momentum factor (0: plain SGD).
        dampening: the dampening of the momentum.
        weight_decay: the L2 penalty added to the gradient.
        nesterov: use Nesterov momentum.

    Returns:
        ``(param, buf)``, or None when the arrays are not all float32 or all float64 (the
        caller then runs the generic twin).
    """
    if not covers(param, grad) or (buf is not None and not covers(param, buf)):
        return None
    if momentum == 0:
        sgd_kernel(False, False, False)(grad, lr, weight_decay, param)
        return param, buf
    first = buf is None
    if first:
        buf = xp.empty_like(param)
    sgd_kernel(True, bool(nesterov), first)(grad, lr, weight_decay, momentum, 1 - dampening, param, buf)
    return param, buf


@functools.cache
def adam_kernel(decoupled: bool, amsgrad: bool) -> Kernel:
    """Adam/AdamW for one parameter (see :class:`xpnet.optim.Adam` for the update rule)."""
    decay = ("T d = grad; if (wd != (T)0) param = param * decay;"  # theta <- theta (1 - gamma lambda)
             if decoupled else _DECAY)
    vhat = ("max_exp_avg_sq = (exp_avg_sq > max_exp_avg_sq || exp_avg_sq != exp_avg_sq)"
            " ? exp_avg_sq : max_exp_avg_sq; T vhat = max_exp_avg_sq;"  # max(v_hat, v_t), NaN kept
            if amsgrad else "T vhat = exp_avg_sq;")
    return Kernel(
        f"xpnet_adam{'w' if decoupled else ''}{'_amsgrad' if amsgrad else ''}",
        "T grad, T wd, T decay, T one_minus_beta1, T beta2, T one_minus_beta2, T step_size, "
        "T bias_correction2_sqrt, T eps",
        "T param, T exp_avg, T exp_avg_sq" + (", T max_exp_avg_sq" if amsgrad else ""),
        f"{decay} "
        "exp_avg = exp_avg + one_minus_beta1 * (d - exp_avg); "  # m_t = m + (1 - b1)(g - m)
        "exp_avg_sq = exp_avg_sq * beta2; "  # v_t = b2 v
        "exp_avg_sq = exp_avg_sq + one_minus_beta2 * d * d; "  # ... + (1 - b2) g g
        f"{vhat} "
        "T denom = sqrt(vhat) / bias_correction2_sqrt + eps; "  # sqrt(v_hat) / sqrt(1 - b2^t) + eps
        "param = param - step_size * (exp_avg / denom);",  # theta - gamma / (1 - b1^t) m / denom
    )


def adam_step(xp: Any, param: Any, grad: Any, exp_avg: Any, exp_avg_sq: Any, max_exp_avg_sq: Any, *,
              step: int, lr: float, beta1: float, beta2: float, eps: float, weight_decay: float,
              decoupled: bool) -> Any:
    """As :func:`xpnet.optim.adam.adam_step`, in one kernel; None when not covered.

    With ``g = grad`` (+ ``weight_decay param`` for Adam; AdamW, ``decoupled``, multiplies
    ``param`` by ``1 - lr weight_decay`` instead): ``m = m + (1 - beta1)(g - m)``,
    ``v = beta2 v + (1 - beta2) g**2``, ``vhat = v`` (amsgrad: ``max(vhat, v)``),
    ``param = param - lr / (1 - beta1**step) m / (sqrt(vhat) / sqrt(1 - beta2**step) + eps)``.

    Args:
        xp: the CuPy namespace.
        param: the parameter's CuPy array, float32 or float64, updated in place.
        grad: its gradient, the same dtype and shape.
        exp_avg: ``m``, the first-moment buffer, updated in place.
        exp_avg_sq: ``v``, the second-moment buffer, updated in place.
        max_exp_avg_sq: amsgrad's ``vhat`` buffer, or None without amsgrad.
        step: the step number, 1, 2, ...
        lr: the learning rate.
        beta1: the first moment's decay.
        beta2: the second moment's decay.
        eps: added to the denominator.
        weight_decay: the weight decay.
        decoupled: AdamW's decoupled weight decay.

    Returns:
        ``(param, exp_avg, exp_avg_sq, max_exp_avg_sq)``, or None when the arrays are not all
        float32 or all float64 (the caller then runs the generic twin).
    """
    buffers = [exp_avg, exp_avg_sq] + ([] if max_exp_avg_sq is None else [max_exp_avg_sq])
    if not covers(param, grad, *buffers):
        return None
    step_size = lr / (1 - beta1**step)
    bias_correction2_sqrt = (1 - beta2**step) ** 0.5
    adam_kernel(bool(decoupled), max_exp_avg_sq is not None)(
        grad, weight_decay, 1 - lr * weight_decay, 1 - beta1, beta2, 1 - beta2, step_size,
        bias_correction2_sqrt, eps, param, *buffers)
    return param, exp_avg, exp_avg_sq, max_exp_avg_sq
