"""Special functions in pure Array API code that never wait for a GPU: ``erf``, ``clamp``, ``sign``.

array-api-compat's CuPy ``clip`` and ``sign`` write through boolean masks, and
every boolean-mask index in CuPy reads a count back from the GPU (a host
wait). ``clamp`` and ``sign`` here use ``maximum``/``minimum``/``where`` only.

The error function (the standard has no ``erf``):

Near zero, the Maclaurin series
    erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1));
far from it, the continued fraction
    erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))).
With the switch at |x| = 2 both reach float64 round-off (1e-15; 6e-7 in float32).
"""

from __future__ import annotations

import math
from typing import Any

_SWITCH = 2.0
_SERIES_TERMS = 60
_FRACTION_TERMS = 80


def clamp(xp: Any, x: Any, min: Any = None, max: Any = None) -> Any:
    """``x`` limited to ``[min, max]`` (either may be None), as ``torch.clamp``: NaN stays NaN.

    ``minimum(maximum(x, min), max)``: no boolean mask, so no wait for a GPU.
    """
    if min is not None:
        x = xp.maximum(x, min)
    if max is not None:
        x = xp.minimum(x, max)
    return x


def sign(xp: Any, x: Any) -> Any:
    """``-1``, ``0`` or ``1`` by the sign of ``x``, NaN kept (``torch.sign``), by ``where`` only."""
    return xp.where(x > 0, 1, xp.where(x < 0, -1, x))


def _series(xp: Any, x: Any) -> Any:
    """erf by its Maclaurin series, on x clipped to [-2, 2] (the lanes beyond are not used)."""
    s = clamp(xp, x, -_SWITCH, _SWITCH)
    s2 = s * s
    term = s
    total = s
    for n in range(1, _SERIES_TERMS):
        term = term * (-s2) / n
        total = total + term / (2 * n + 1)
    return total * (2 / math.sqrt(math.pi))


def _fraction(xp: Any, ax: Any, cap: float) -> Any:
    """erfc(|x|) by the continued fraction, evaluated from the tail, on |x| clipped to
    [2, cap] (``c * c`` cannot overflow)."""
    c = clamp(xp, ax, _SWITCH, cap)
    frac = c
    for k in range(_FRACTION_TERMS, 0, -1):
        frac = c + (k / 2) / frac
    return xp.exp(-c * c) / (math.sqrt(math.pi) * frac)


def erf(xp: Any, x: Any) -> Any:
    """erf(x) elementwise, accurate to about 1e-15 in float64."""
    ax = xp.abs(x)
    erfc = _fraction(xp, ax, 10.0)  # erfc(|x| >= 10) < 1e-44: erf is +-1 there
    tail = xp.where(x < 0, erfc - 1, 1 - erfc)
    return xp.where(ax <= _SWITCH, _series(xp, x), tail)


def erfc(xp: Any, x: Any) -> Any:
    """erfc(x) = 1 - erf(x) elementwise, accurate relative to itself where it is tiny (x > 2:
    the continued fraction directly, not 1 - erf; it underflows to 0 beyond x = 27)."""
    ax = xp.abs(x)
    upper = xp.where(ax <= _SWITCH, 1 - _series(xp, ax), _fraction(xp, ax, 27.0))  # erfc(|x|)
    return xp.where(x < 0, 2 - upper, upper)
