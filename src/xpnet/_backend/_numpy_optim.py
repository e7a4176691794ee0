"""SGD on NumPy arrays in place, with its options as 0-d arrays made once.

The generic ``sgd_step`` (:class:`xpnet._backend._ops.Ops`) checks on every pass
whether an array is writeable and converts each Python number (``buf * 0.9``) on
every call; on a small network's flat group that costs more than the arithmetic.
NumPy's backend runs the same formula (``Ops.sgd``) with writeability checked once
(``in_place``) and, in a plan, its numbers made 0-d arrays of the dtype once: the
same numbers (NumPy rounds a Python number to the array's dtype either way).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np


def sgd_plan(sgd: Any, dtype: Any, lr: float, momentum: float, dampening: float, weight_decay: float,
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
    mu_ = mu if momentum != 0 else None
    wd_ = wd if weight_decay != 0 else None
    keep_ = keep if dampening != 0 else None

    def plan(param: Any, grad: Any, state: dict[str, Any]) -> bool:
        buf = state.get("momentum_buffer") if momentum != 0 else None
        if momentum != 0 and buf is None:
            return False
        sgd(param, grad, buf, lr_, mu_, keep_, wd_, nesterov, in_place)
        return True

    return plan


# ``a op= value`` on NumPy arrays known to be writeable (checked once by the caller): the
# operators themselves, so a pass costs no Python call of ours.
in_place = {"+": operator.iadd, "-": operator.isub, "*": operator.imul, "/": operator.itruediv}
