"""SGD on NumPy arrays in place, with its options as 0-d arrays made once.

The generic ``sgd_step`` (:class:`xpnet._backend._ops.Ops`) checks on every pass
whether an array is writeable and converts each Python number (``buf * 0.9``) on
every call; on a small network's flat group that costs more than the arithmetic.
These are its passes on writeable NumPy arrays, in place, in the same order: the
same numbers (NumPy rounds a Python number to the array's dtype either way).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def sgd_plan(dtype: Any, lr: float, momentum: float, dampening: float, weight_decay: float,
             nesterov: bool) -> Callable[[Any, Any, dict[str, Any]], bool] | None:
    """:meth:`~xpnet._backend._ops.Ops.sgd_step` for a flat group's arrays (one optimizer's own, of one
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
        sgd_in_place(param, grad, buf, lr_, mu, wd_, keep_, nesterov)
        return True

    return plan


def sgd_in_place(param: Any, grad: Any, buf: Any, lr: Any, mu: Any, wd: Any, keep: Any,
                  nesterov: bool) -> None:
    """The passes of the generic ``sgd_step`` on writeable NumPy arrays, in place.

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
