"""Bias + activation on NumPy arrays: the generic formulas, with in-place passes and no Python scalars.

The sibling of :func:`xpnet.functional.fused.bias_act`. It computes the very
same formulas in the same order (so the same numbers), but:

* it works in place in the fresh GEMM output ``z`` where the twin allocates,
  which saves a full-size buffer per pass on large layers;
* its constants are 0-d arrays of ``z``'s dtype: NumPy spends about 0.25 us
  converting a Python scalar such as the ``1`` in ``1 + e`` on every call,
  which is most of the cost of a pass on a small layer.

Covers float32/float64 arrays and relu, sigmoid and tanh; None (the twin
runs) for anything else. ``z`` is a fresh GEMM output, as the twin requires:
writeable, and its own. ``xp`` is NumPy's namespace: its ``where``
is a bitwise select on large arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

_CONSTANTS = {np.dtype(t): (np.ones((), t), np.zeros((), t)) for t in (np.float32, np.float64)}
_MINUS_ONE = {np.dtype(t): -np.ones((), t) for t in (np.float32, np.float64)}


def bias_act(xp: Any, z: Any, bias: Any, activation: str, negative_slope: float = 0.01
             ) -> tuple[Any, Callable[[Any], Any]] | None:
    """``(Y, grad)`` as :func:`xpnet.functional.fused.bias_act`, or None when not covered."""
    kind = _KINDS.get(activation)
    if kind is None or type(z) is not np.ndarray or not z.ndim:  # NumPy ufuncs give 0-d
        return None  # input a scalar back, which the in-place passes cannot write into
    constants = _CONSTANTS.get(z.dtype)  # (1, 0) as 0-d arrays of z's dtype
    if constants is None:
        return None
    if bias is not None:
        if type(bias) is not np.ndarray or bias.dtype != z.dtype:
            return None
        np.add(z, bias, z)
    one, zero = constants
    return kind(xp, z, one, zero)


def _relu(xp: Any, z: Any, one: Any, zero: Any) -> tuple[Any, Callable[[Any], Any]]:
    y = np.maximum(z, zero, out=z)  # Y = max(Z, 0), in place (maximum takes out= by keyword only)

    def grad(g: Any) -> Any:  # G where Y > 0, else 0 (xp.where: a bitwise select when large)
        return xp.where(np.greater(y, zero), g, 0.0)

    return y, grad


def _sigmoid(xp: Any, z: Any, one: Any, zero: Any) -> tuple[Any, Callable[[Any], Any]]:
    y = np.minimum(z, zero)
    np.exp(y, y)  # e**min(Z, 0): 1 where Z >= 0, else e**Z
    e = np.copysign(z, _MINUS_ONE[z.dtype])  # -|Z|
    np.exp(e, e)  # e**-|Z|: never overflows
    np.add(e, one, e)
    np.divide(y, e, y)  # Y = e**min(Z, 0) / (1 + e**-|Z|)

    def grad(g: Any) -> Any:  # G * Y * (1 - Y)
        out = np.multiply(g, y)
        return np.multiply(out, np.subtract(one, y), out)

    return y, grad


def _tanh(xp: Any, z: Any, one: Any, zero: Any) -> tuple[Any, Callable[[Any], Any]]:
    y = np.tanh(z, z)

    def grad(g: Any) -> Any:  # G * (1 - Y**2)
        t = np.multiply(y, y)
        np.subtract(one, t, t)
        return np.multiply(g, t, t)

    return y, grad


_KINDS = {"relu": _relu, "sigmoid": _sigmoid, "tanh": _tanh}
