"""Activations on NumPy arrays: the generic formulas, with in-place passes and no Python scalars.

NumPy's override of :meth:`xpnet._backend._ops.Ops.activation`. It computes the
very same formulas in the same order (so the same numbers), but:

* it may write the result into the caller's scratch array (``out``: the fresh GEMM
  output of a fused layer) where the generic code allocates, which saves a
  full-size buffer per pass on large layers;
* its constants are 0-d arrays of the input's dtype: NumPy spends about 0.25 us
  converting a Python scalar such as the ``1`` in ``1 + e`` on every call, which
  is most of the cost of a pass on a small layer.

Covers float32/float64 arrays of at least one dimension and relu, sigmoid and tanh
(:data:`KINDS`); NumPy's backend calls the generic code for anything else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

# (1, 0) as 0-d arrays of each covered dtype, and -1 (copysign's sign source).
CONSTANTS = {np.dtype(t): (np.ones((), t), np.zeros((), t)) for t in (np.float32, np.float64)}
_MINUS_ONE = {np.dtype(t): -np.ones((), t) for t in (np.float32, np.float64)}

ActGrad = Callable[[Any], Any]


def relu(xp: Any, z: Any, one: Any, zero: Any, out: Any) -> tuple[Any, ActGrad]:
    # Y = max(Z, 0), into ``out`` when given (a keyword argument costs NumPy time to parse)
    y = np.maximum(z, zero) if out is None else np.maximum(z, zero, out=out)

    def grad(g: Any) -> Any:  # G where Y > 0, else 0 (xp.where: a bitwise select when large)
        return xp.where(np.greater(y, zero), g, 0.0)

    return y, grad


def sigmoid(xp: Any, z: Any, one: Any, zero: Any, out: Any) -> tuple[Any, ActGrad]:
    y = np.minimum(z, zero)  # a new array: z is read again below
    np.exp(y, y)  # e**min(Z, 0): 1 where Z >= 0, else e**Z
    e = np.copysign(z, _MINUS_ONE[z.dtype])  # -|Z|
    np.exp(e, e)  # e**-|Z|: never overflows
    np.add(e, one, e)
    np.divide(y, e, y)  # Y = e**min(Z, 0) / (1 + e**-|Z|)

    def grad(g: Any) -> Any:  # G * Y * (1 - Y)
        d = np.multiply(g, y)
        return np.multiply(d, np.subtract(one, y), d)

    return y, grad


def tanh(xp: Any, z: Any, one: Any, zero: Any, out: Any) -> tuple[Any, ActGrad]:
    y = np.tanh(z) if out is None else np.tanh(z, out)

    def grad(g: Any) -> Any:  # G * (1 - Y**2)
        t = np.multiply(y, y)
        np.subtract(one, t, t)
        return np.multiply(g, t, t)

    return y, grad


KINDS = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh}
