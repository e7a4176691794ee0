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


def erf(xp: Any, x: Any) -> Any:
    """erf(x) elementwise, accurate to about 1e-15 in float64."""
    ax = xp.abs(x)
    # Series on |x| <= 2 (clipped so the unused lanes cannot overflow).
    s = clamp(xp, x, -_SWITCH, _SWITCH)
    s2 = s * s
    term = s
    total = s
    for n in range(1, _SERIES_TERMS):
        term = term * (-s2) / n
        total = total + term / (2 * n + 1)
    series = total * (2 / math.sqrt(math.pi))
    # Continued fraction on |x| > 2, evaluated from the tail (erfc(|x| >= 10) < 1e-44,
    # so |x| is capped there: c * c cannot overflow).
    c = clamp(xp, ax, _SWITCH, 10.0)
    frac = c
    for k in range(_FRACTION_TERMS, 0, -1):
        frac = c + (k / 2) / frac
    erfc = xp.exp(-c * c) / (math.sqrt(math.pi) * frac)
    tail = xp.where(x < 0, erfc - 1, 1 - erfc)
    return xp.where(ax <= _SWITCH, series, tail)
