"""Optimizer steps on NumPy: large parameters run the generic twins in blocks; SGD's small ones
run in place.

Each function has the signature and the results of its twin in
:mod:`xpnet.optim`; it returns None (the twin then runs) where it does not
apply (Adam's small parameters, non-contiguous or read-only arrays) and for a
first step that still has to create its state buffers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..optim.adam import adam_step as adam_twin
from ..optim.sgd import sgd_step as sgd_twin
from . import blocked
from .blocked import applies, in_blocks


def sgd_step(xp: Any, param: Any, grad: Any, buf: Any, *, lr: float, momentum: float,
             dampening: float, weight_decay: float, nesterov: bool) -> tuple[Any, Any] | None:
    """:func:`xpnet.optim.sgd.sgd_step` in cache-sized blocks on every core (large parameters),
    or its passes in place, writeability checked once (small ones, such as a whole small
    network's flat group: there the twin's check on every pass costs more than the arithmetic)."""
    if param.size >= blocked.MIN_SIZE:
        return _sgd_blocked(xp, param, grad, buf, lr=lr, momentum=momentum, dampening=dampening,
                            weight_decay=weight_decay, nesterov=nesterov)
    if (type(param) is not np.ndarray or type(grad) is not np.ndarray or not param.flags.writeable
            or (momentum != 0 and (type(buf) is not np.ndarray or not buf.flags.writeable))):
        return None  # also the first momentum step, which creates the buffer: the twin does it
    _sgd_in_place(param, grad, buf if momentum != 0 else None, lr, momentum,
                  weight_decay if weight_decay != 0 else None,
                  1 - dampening if dampening != 0 else None, nesterov)
    return param, buf


def sgd_plan(dtype: Any, lr: float, momentum: float, dampening: float, weight_decay: float,
             nesterov: bool) -> Callable[[Any, Any, dict[str, Any]], bool] | None:
    """:func:`xpnet.optim.sgd.sgd_step` for a flat group's arrays (one optimizer's own, of one
    float dtype, writeable and contiguous), its options fixed: NumPy converts each Python
    number in ``buf * 0.9`` on every call, so the numbers are made 0-d arrays of ``dtype``
    once here (the same values: NumPy rounds the number to the dtype either way).
    None for another dtype; the plan returns False for a group without its momentum buffer
    yet (a momentum switched on midway: ``sgd_step`` makes it).
    """
    if np.dtype(dtype) not in (np.float32, np.float64):
        return None
    lr_, mu, wd, keep = (np.array(v, dtype) for v in (lr, momentum, weight_decay, 1 - dampening))
    wd_ = wd if weight_decay != 0 else None
    keep_ = keep if dampening != 0 else None

    def plan(param: Any, grad: Any, state: dict[str, Any]) -> bool:
        buf = state.get("momentum_buffer") if momentum != 0 else None
        if momentum != 0 and buf is None:
            return False
        _sgd_in_place(param, grad, buf, lr_, mu, wd_, keep_, nesterov)
        return True

    return plan


def _sgd_in_place(param: Any, grad: Any, buf: Any, lr: Any, mu: Any, wd: Any, keep: Any,
                  nesterov: bool) -> None:
    """The passes of :func:`xpnet.optim.sgd.sgd_step` on writeable NumPy arrays, in place.

    ``buf`` None: no momentum; ``wd`` None: no weight decay; ``keep`` (1 - dampening)
    None: no dampening. The numbers are Python numbers or 0-d arrays of the arrays'
    dtype: the same results (NumPy rounds a Python number to the dtype either way).
    """
    g = grad
    if wd is not None:
        g = g + np.multiply(wd, param)  # g <- g + lambda theta
    if buf is not None:
        np.multiply(buf, mu, buf)  # b_t = mu b_{t-1} + (1 - tau) g
        np.add(buf, g if keep is None else np.multiply(keep, g), buf)
        g = g + np.multiply(mu, buf) if nesterov else buf
    np.subtract(param, np.multiply(lr, g), param)  # theta <- theta - gamma g


def _sgd_blocked(xp: Any, param: Any, grad: Any, buf: Any, **options: Any) -> tuple[Any, Any] | None:
    if options["momentum"] != 0 and buf is None:
        return None  # the first momentum step allocates the buffer: the twin does it
    updated = [param] if buf is None else [param, buf]
    if not applies(updated, [grad]):
        return None
    in_blocks(lambda p, g, b: sgd_twin(xp, p, g, b, **options), [param, grad, buf])
    return param, buf


def adam_step(xp: Any, param: Any, grad: Any, exp_avg: Any, exp_avg_sq: Any,
              max_exp_avg_sq: Any, **options: Any) -> tuple[Any, Any, Any, Any] | None:
    """:func:`xpnet.optim.adam.adam_step` in cache-sized blocks on every core."""
    if param.size < blocked.MIN_SIZE:
        return None
    updated = [param, exp_avg, exp_avg_sq] + ([] if max_exp_avg_sq is None else [max_exp_avg_sq])
    if not applies(updated, [grad]):
        return None
    in_blocks(lambda p, g, m, v, vmax: adam_twin(xp, p, g, m, v, vmax, **options),
              [param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq])
    return param, exp_avg, exp_avg_sq, max_exp_avg_sq


def _large(param: Any) -> bool:
    """Whether blocks can pay off for this parameter (read each call: tests shrink MIN_SIZE)."""
    return bool(param.size >= blocked.MIN_SIZE)


adam_step.worth = _large  # type: ignore[attr-defined]
