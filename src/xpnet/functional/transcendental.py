"""Inverse trigonometric, hyperbolic and special functions with torch's names: forward, then derivative.

Notation: ``G = dL/d(out)``. Integer and boolean inputs are cast to the default float
dtype first, as torch. Outside an op's domain (``asin(2)``, ``acosh(0.5)``) the result
is NaN, as in torch and the Array API.
"""

from __future__ import annotations

import math
from typing import Any

from .._double_backward import double_backward_ready
from ._core import Tensor, make_result, needs_grad, node, unbroadcast
from ._promote import floating_array as floating
from ._special import erf as _erf
from ._special import erfc as _erfc
from .pointwise import _pair, _unary

__all__ = ["acos", "acosh", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh",
           "asin", "asinh", "atan", "atan2", "atanh", "cosh", "erf", "erfc", "erfinv", "exp2", "logit",
           "sinh"]

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
_LN2 = math.log(2)


def asin(input: Any) -> Tensor:
    """``arcsin(x)`` on [-1, 1].  dL/dx = G / sqrt(1 - x**2).

    Args:
        input: ``x``, a Tensor (or an array of an Array API library) of any shape and device.

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    return _unary(input, "asin", lambda xp, a: xp.asin(a), lambda xp, a, o, g: g / xp.sqrt(1 - a * a))


def acos(input: Any) -> Tensor:
    """``arccos(x)`` on [-1, 1].  dL/dx = -G / sqrt(1 - x**2).

    Args:
        input: ``x``, a Tensor (or an array of an Array API library) of any shape and device.

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    return _unary(input, "acos", lambda xp, a: xp.acos(a), lambda xp, a, o, g: -g / xp.sqrt(1 - a * a))


def atan(input: Any) -> Tensor:
    """``arctan(x)``.  dL/dx = G / (1 + x**2).

    Args:
        input: ``x``, a Tensor (or an array of an Array API library) of any shape and device.

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    return _unary(input, "atan", lambda xp, a: xp.atan(a), lambda xp, a, o, g: g / (1 + a * a))


def sinh(input: Any) -> Tensor:
    """``sinh(x)``.  dL/dx = G cosh(x).

    Args:
        input: ``x``, a Tensor (or an array of an Array API library) of any shape and device.

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    return _unary(input, "sinh", lambda xp, a: xp.sinh(a), lambda xp, a, o, g: g * xp.cosh(a))


def cosh(input: Any) -> Tensor:
    """``cosh(x)``.  dL/dx = G sinh(x).

    Args:
        input: ``x``, a Tensor (or an array of an Array API library) of any shape and device.

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    return _unary(input, "cosh", lambda xp, a: xp.cosh(a), lambda xp, a, o, g: g * xp.sinh(a))


def asinh(input: Any) -> Tensor:
    """``arsinh(x)``.  dL/dx = G / sqrt(x**2 + 1).

    Args:
        input: ``x``, a Tensor (or an array of an Array API library) of any shape and device.

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    return _unary(input, "asinh", lambda xp, a: xp.asinh(a), lambda xp, a, o, g: g / xp.sqrt(a * a + 1))


def acosh(input: Any) -> Tensor:
    """``arcosh(x)`` for x >= 1.  dL/dx = G / sqrt(x**2 - 1).

    Args:
        input: ``x``, a Tensor (or an array of an Array API library) of any shape and device.

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    return _unary(input, "acosh", lambda xp, a: xp.acosh(a), lambda xp, a, o, g: g / xp.sqrt(a * a - 1))


def atanh(input: Any) -> Tensor:
    """``artanh(x)`` on (-1, 1).  dL/dx = G / (1 - x**2).

    Args:
        input: ``x``, a Tensor (or an array of an Array API library) of any shape and device.

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    return _unary(input, "atanh", lambda xp, a: xp.atanh(a), lambda xp, a, o, g: g / (1 - a * a))


def exp2(input: Any) -> Tensor:
    """``2**x``.  dL/dx = G out ln 2.

    Args:
        input: ``x``, a Tensor (or an array of an Array API library) of any shape and device.

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    return _unary(input, "exp2", lambda xp, a: 2.0 ** a, lambda xp, a, o, g: g * o * _LN2)


def erf(input: Any) -> Tensor:
    """The error function ``2/sqrt(pi) int_0^x e**(-t**2) dt``.  dL/dx = G 2/sqrt(pi) e**(-x**2).

    Computed in Array API calls only (a series and a continued fraction: about 1e-15 in
    float64), so it runs on every backend without a host read.

    Args:
        input: ``x``, a Tensor (or an array of an Array API library) of any shape and device.

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    return _unary(input, "erf", _erf, lambda xp, a, o, g: g * _TWO_OVER_SQRT_PI * xp.exp(-a * a))


def erfc(input: Any) -> Tensor:
    """``1 - erf(x)``.  dL/dx = -G 2/sqrt(pi) e**(-x**2).

    Args:
        input: ``x``, a Tensor (or an array of an Array API library) of any shape and device.

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    return _unary(input, "erfc", _erfc,
                  lambda xp, a, o, g: -g * _TWO_OVER_SQRT_PI * xp.exp(-a * a))


_ERFINV_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                   -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_ERFINV_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _erfinv(xp: Any, x: Any) -> Any:
    """erf's inverse on [-1, 1] (NaN outside, +-inf at +-1): Giles' single-precision fit, then
    three Newton steps, on ``erf(y) = |x|`` near 0 and on ``log erfc(y) = log(1 - |x|)`` in the
    tails (nearly linear there, so the steps converge from the fit even at 1 - 1e-16)."""
    inside = xp.abs(x) < 1
    a = xp.where(inside, x, xp.zeros_like(x))  # the fit and Newton run on safe values only
    ax = xp.abs(a)
    w = -xp.log((1 - ax) * (1 + ax))
    central, tail = w - 2.5, xp.sqrt(w) - 3
    p = xp.full_like(a, _ERFINV_CENTRAL[0])
    q = xp.full_like(a, _ERFINV_TAIL[0])
    for c, t in zip(_ERFINV_CENTRAL[1:], _ERFINV_TAIL[1:]):
        p = c + p * central
        q = t + q * tail
    y = xp.where(w < 5, p, q) * ax  # |erfinv(x)|
    complement = 1 - ax  # exact near 1, where erf(y) itself rounds to 1
    log_complement = xp.log(complement)
    tail = ax > 0.5
    for _ in range(3):  # Newton: on erf(y) = |x| near 0, on log erfc(y) = log(1 - |x|) in the tails
        d = _TWO_OVER_SQRT_PI * xp.exp(-y * y)  # erf'(y)
        e = _erfc(xp, y)
        y = y + xp.where(tail, (xp.log(e) - log_complement) * e / d, (ax - _erf(xp, y)) / d)
    y = xp.where(a < 0, -y, y)
    edge = xp.where(x > 0, xp.full_like(x, math.inf), xp.full_like(x, -math.inf))
    y = xp.where(xp.abs(x) == 1, edge, y)
    return xp.where(inside | (xp.abs(x) == 1), y, xp.full_like(x, math.nan))


def erfinv(input: Any) -> Tensor:
    """The inverse of :func:`erf` on [-1, 1] (+-inf at +-1, NaN outside).

    dL/dx = G sqrt(pi)/2 e**(out**2).

    Args:
        input: ``x``, a Tensor (or an array of an Array API library) of any shape and device.

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    return _unary(input, "erfinv", _erfinv_wide, lambda xp, a, o, g: g / _TWO_OVER_SQRT_PI * xp.exp(o * o))


def _erfinv_wide(xp: Any, x: Any) -> Any:
    """:func:`_erfinv` computed in float64 for narrower floats (float32's own erf would leave
    the Newton steps about 1e-5 off; torch's float32 erfinv is within an ulp)."""
    if x.dtype == xp.float64:
        return _erfinv(xp, x)
    return xp.astype(_erfinv(xp, xp.astype(x, xp.float64)), x.dtype)


def logit(input: Any, eps: float | None = None) -> Tensor:
    """``log(x / (1 - x))``, with x first clamped to ``[eps, 1 - eps]`` when ``eps`` is given.

    dL/dx = G / (x (1 - x)), and 0 where ``eps`` clamped x (torch's rule).

    Args:
        input: ``x``, a Tensor (or an array of an Array API library) of any shape and device.
        eps: None (no clamping: 0 and 1 give -inf and inf) or a number in [0, 0.5].

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    if eps is None:
        return _unary(input, "logit", lambda xp, a: xp.log(a / (1 - a)),
                      lambda xp, a, o, g: g / (a * (1 - a)))
    lo, hi = float(eps), 1 - float(eps)

    def forward(xp: Any, a: Any) -> Any:
        c = xp.clip(a, min=lo, max=hi)
        return xp.log(c / (1 - c))

    def derivative(xp: Any, a: Any, o: Any, g: Any) -> Any:
        inside = (a >= lo) & (a <= hi)
        return xp.where(inside, g / (a * (1 - a)), xp.zeros_like(g))

    return _unary(input, "logit", forward, derivative)


def atan2(input: Any, other: Any) -> Tensor:
    """``atan2(y, x)``: the angle of the point (x, y), in (-pi, pi].

    dL/dy = G x / (x**2 + y**2),  dL/dx = -G y / (x**2 + y**2).

    Args:
        input: ``y``, a Tensor, an array or a Python number.
        other: ``x``, a Tensor, an array or a Python number (at least one of the two is a
            Tensor or array); the two broadcast, dtypes promote as torch's.

    Raises:
        TypeError: both are Python numbers.
        RuntimeError: the tensors are on different devices or of different array libraries.
    """
    y, x, xp, yv, xv = _pair(input, other, "atan2")
    yv = floating(xp, yv) if isinstance(y, Tensor) else None  # integers: the default float dtype
    xv = floating(xp, xv) if isinstance(x, Tensor) else None
    if yv is None:  # a Python number: an array of the other's dtype (it broadcasts)
        yv = xp.full_like(xv, float(y))
    if xv is None:
        xv = xp.full_like(yv, float(x))
    out = xp.atan2(yv, xv)

    def backward(g: Any) -> tuple[Any, Any]:
        r2 = xv * xv + yv * yv
        gy = unbroadcast(xp, g * xv / r2, y.array.shape) if needs_grad(y) else None
        gx = unbroadcast(xp, -g * yv / r2, x.array.shape) if needs_grad(x) else None
        return gy, gx

    return make_result(out, xp, (node(y), node(x)), backward, "atan2")


# NumPy's and torch's other spellings.
arcsin = asin
arccos = acos
arctan = atan
arctan2 = atan2
arcsinh = asinh
arccosh = acosh
arctanh = atanh


# These rules read only xp, the operands and the output (the derivative formulas are
# functions of their arguments only): they run on Tensors too (see xpnet._double_backward).
# logit(eps=...) is not declared: its derivative closes over the clamp bounds (refused).
double_backward_ready(asin, acos, atan, sinh, cosh, asinh, acosh, atanh, exp2, erf, erfc, erfinv,
                      logit, atan2)

