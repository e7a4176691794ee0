"""Whole optimizer updates of one parameter as one kernel (generic: ``Ops.sgd_step``, ``Ops.adam_step``).

Every kernel reads the gradient and updates the parameter and its state
buffers in place (they are output parameters, read first). Step-dependent
scalars (``1 - dampening``, Adam's bias corrections) are computed in Python
exactly as the generic code computes them, then cast to ``T``. Options the generic code
tests with Python ``if``s are fixed per kernel (one compiled variant each).
"""

from __future__ import annotations

import functools
from typing import Any

from ._cuda_kernel import Kernel

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


def launch_sgd(xp: Any, param: Any, grad: Any, buf: Any, *, lr: float, momentum: float,
               dampening: float, weight_decay: float, nesterov: bool) -> tuple[Any, Any]:
    """``Ops.sgd_step`` in one kernel, for arrays the kernels cover (all float32 or all float64).

    With ``g = grad + weight_decay param``: ``b = g`` at the first step, then
    ``b = momentum b + (1 - dampening) g``; ``d = g + momentum b`` (Nesterov) or ``b``;
    ``param = param - lr d`` (``d = g`` without momentum). Returns ``(param, buf)``.
    """
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


def launch_adam(param: Any, grad: Any, exp_avg: Any, exp_avg_sq: Any, max_exp_avg_sq: Any, *,
                step: int, lr: float, beta1: float, beta2: float, eps: float, weight_decay: float,
                decoupled: bool) -> tuple[Any, Any, Any, Any]:
    """``Ops.adam_step`` in one kernel, for arrays the kernels cover (all float32 or all float64).

    With ``g = grad`` (+ ``weight_decay param`` for Adam; AdamW, ``decoupled``, multiplies
    ``param`` by ``1 - lr weight_decay`` instead): ``m = m + (1 - beta1)(g - m)``,
    ``v = beta2 v + (1 - beta2) g**2``, ``vhat = v`` (amsgrad: ``max(vhat, v)``),
    ``param = param - lr / (1 - beta1**step) m / (sqrt(vhat) / sqrt(1 - beta2**step) + eps)``.
    """
    buffers = [exp_avg, exp_avg_sq] + ([] if max_exp_avg_sq is None else [max_exp_avg_sq])
    step_size = lr / (1 - beta1**step)
    bias_correction2_sqrt = (1 - beta2**step) ** 0.5
    adam_kernel(bool(decoupled), max_exp_avg_sq is not None)(
        grad, weight_decay, 1 - lr * weight_decay, 1 - beta1, beta2, 1 - beta2, step_size,
        bias_correction2_sqrt, eps, param, *buffers)
    return param, exp_avg, exp_avg_sq, max_exp_avg_sq
