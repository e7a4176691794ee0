"""Elementwise math with torch's names: each forward, then its derivative.

Notation: ``G = dL/d(out)``. Integer and boolean inputs of ops whose result is a
fraction (``sin``, ``rsqrt``, ...) are cast to the default float dtype first, as torch;
``floor``/``ceil``/``round``/``trunc``/``sign`` keep an integer input's dtype.
Ops whose derivative is zero almost everywhere (``sign``, ``round``, ``floor``)
send back zeros, as torch does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .. import _backend, _dtypes
from .._double_backward import double_backward_ready
from ._core import Tensor, as_tensor, make_result, needs_grad, node, operands, unbroadcast, value
from ._promote import floating_array as floating
from .arithmetic import clip, where

__all__ = ["ceil", "clamp", "cos", "expm1", "floor", "floor_divide", "log10", "log1p", "log2", "masked_fill",
           "maximum", "minimum", "reciprocal", "remainder", "round", "rsqrt", "sign", "sin",
           "square", "tan", "trunc"]


def _unary(x: Any, name: str, forward: Callable[[Any, Any], Any],
           derivative: Callable[[Any, Any, Any, Any], Any]) -> Tensor:
    """``forward(xp, x)`` as a node whose backward is ``derivative(xp, x, out, G)``."""
    x = as_tensor(x, name)
    xp = x.xp
    a = floating(xp, x.array)
    out = forward(xp, a)

    def backward(g: Any) -> tuple[Any]:
        return (derivative(xp, a, out, g),)

    return make_result(out, xp, (x,), backward, name)


def rsqrt(input: Any) -> Tensor:
    """``1 / sqrt(x)``.  dL/dx = -G out**3 / 2.

    Args:
        input: ``x``, a Tensor (or an array of an Array API library, wrapped without a
            copy) of any shape, on any device. Integer and bool input is cast to the
            default float dtype first, as torch. The result has ``x``'s shape, library and device.

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    return _unary(input, "rsqrt", lambda xp, a: 1 / xp.sqrt(a), lambda xp, a, o, g: -0.5 * g * o * o * o)


def square(input: Any) -> Tensor:
    """``x * x``.  dL/dx = 2 G x.

    Args:
        input: ``x``, a Tensor (or an array of an Array API library, wrapped without a
            copy) of any shape, on any device. Integer input stays integer (no gradient flows
            to it), as torch. The result has ``x``'s shape, library and device.

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    x = as_tensor(input, "square")
    if not _dtypes.is_floating(x.array.dtype):  # torch keeps integers integer here
        return make_result(x.array * x.array, x.xp, (), None, "square")
    return _unary(x, "square", lambda xp, a: a * a, lambda xp, a, o, g: 2 * g * a)


def reciprocal(input: Any) -> Tensor:
    """``1 / x``.  dL/dx = -G out**2.

    Args:
        input: ``x``, a Tensor (or an array of an Array API library, wrapped without a
            copy) of any shape, on any device. Integer and bool input is cast to the
            default float dtype first, as torch. The result has ``x``'s shape, library and device.

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    return _unary(input, "reciprocal", lambda xp, a: 1 / a, lambda xp, a, o, g: -g * o * o)


def sin(input: Any) -> Tensor:
    """``sin(x)``.  dL/dx = G cos(x).

    Args:
        input: ``x``, a Tensor (or an array of an Array API library, wrapped without a
            copy) of any shape, on any device. Integer and bool input is cast to the
            default float dtype first, as torch. The result has ``x``'s shape, library and device.

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    return _unary(input, "sin", lambda xp, a: xp.sin(a), lambda xp, a, o, g: g * xp.cos(a))


def cos(input: Any) -> Tensor:
    """``cos(x)``.  dL/dx = -G sin(x).

    Args:
        input: ``x``, a Tensor (or an array of an Array API library, wrapped without a
            copy) of any shape, on any device. Integer and bool input is cast to the
            default float dtype first, as torch. The result has ``x``'s shape, library and device.

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    return _unary(input, "cos", lambda xp, a: xp.cos(a), lambda xp, a, o, g: -g * xp.sin(a))


def tan(input: Any) -> Tensor:
    """``tan(x)``.  dL/dx = G (1 + out**2).

    Args:
        input: ``x``, a Tensor (or an array of an Array API library, wrapped without a
            copy) of any shape, on any device. Integer and bool input is cast to the
            default float dtype first, as torch. The result has ``x``'s shape, library and device.

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    return _unary(input, "tan", lambda xp, a: xp.tan(a), lambda xp, a, o, g: g * (1 + o * o))


def log1p(input: Any) -> Tensor:
    """``log(1 + x)``, exact for small x.  dL/dx = G / (1 + x).

    Args:
        input: ``x``, a Tensor (or an array of an Array API library, wrapped without a
            copy) of any shape, on any device. Integer and bool input is cast to the
            default float dtype first, as torch. The result has ``x``'s shape, library and device.

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    return _unary(input, "log1p", lambda xp, a: xp.log1p(a), lambda xp, a, o, g: g / (1 + a))


def expm1(input: Any) -> Tensor:
    """``exp(x) - 1``, exact for small x.  dL/dx = G (out + 1).

    Args:
        input: ``x``, a Tensor (or an array of an Array API library, wrapped without a
            copy) of any shape, on any device. Integer and bool input is cast to the
            default float dtype first, as torch. The result has ``x``'s shape, library and device.

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    return _unary(input, "expm1", lambda xp, a: xp.expm1(a), lambda xp, a, o, g: g * (o + 1))


def log2(input: Any) -> Tensor:
    """``log2(x)``.  dL/dx = G / (x ln 2).

    Args:
        input: ``x``, a Tensor (or an array of an Array API library, wrapped without a
            copy) of any shape, on any device. Integer and bool input is cast to the
            default float dtype first, as torch. The result has ``x``'s shape, library and device.

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    return _unary(input, "log2", lambda xp, a: xp.log2(a), lambda xp, a, o, g: g / (a * math.log(2)))


def log10(input: Any) -> Tensor:
    """``log10(x)``.  dL/dx = G / (x ln 10).

    Args:
        input: ``x``, a Tensor (or an array of an Array API library, wrapped without a
            copy) of any shape, on any device. Integer and bool input is cast to the
            default float dtype first, as torch. The result has ``x``'s shape, library and device.

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    return _unary(input, "log10", lambda xp, a: xp.log10(a),
                  lambda xp, a, o, g: g / (a * math.log(10)))


def _stepwise(x: Any, name: str, forward: Callable[[Any, Any], Any]) -> Tensor:
    """A piecewise-constant op: integer input passes through; dL/dx = 0."""
    x = as_tensor(x, name)
    xp = x.xp
    if not _dtypes.is_floating(x.array.dtype) and name != "sign":
        return make_result(x.array, xp, (), None, name)

    def backward(g: Any) -> tuple[Any]:
        return (xp.zeros_like(g),)

    return make_result(forward(xp, x.array), xp, (x,), backward, name, saves=False)


def sign(input: Any) -> Tensor:
    """-1, 0 or 1 by the sign of x (bool stays bool).  dL/dx = 0.

    Args:
        input: ``x``, a Tensor (or an array of an Array API library) of any shape, on any
            device. Integer input keeps its dtype (no gradient flows to it), as torch; the
            result has ``x``'s shape, dtype, library and device.

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    x = as_tensor(input, "sign")
    if _dtypes.wrap(x.array.dtype).name == "bool":
        return make_result(x.array, x.xp, (), None, "sign")
    return _stepwise(x, "sign", lambda xp, a: xp.sign(a))


def floor(input: Any) -> Tensor:
    """The largest integer <= x.  dL/dx = 0.

    Args:
        input: ``x``, a Tensor (or an array of an Array API library) of any shape, on any
            device. Integer input keeps its dtype (no gradient flows to it), as torch; the
            result has ``x``'s shape, dtype, library and device.

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    return _stepwise(input, "floor", lambda xp, a: xp.floor(a))


def ceil(input: Any) -> Tensor:
    """The smallest integer >= x.  dL/dx = 0.

    Args:
        input: ``x``, a Tensor (or an array of an Array API library) of any shape, on any
            device. Integer input keeps its dtype (no gradient flows to it), as torch; the
            result has ``x``'s shape, dtype, library and device.

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    return _stepwise(input, "ceil", lambda xp, a: xp.ceil(a))


def trunc(input: Any) -> Tensor:
    """x rounded toward zero.  dL/dx = 0.

    Args:
        input: ``x``, a Tensor (or an array of an Array API library) of any shape, on any
            device. Integer input keeps its dtype (no gradient flows to it), as torch; the
            result has ``x``'s shape, dtype, library and device.

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array.
    """
    return _stepwise(input, "trunc", lambda xp, a: xp.trunc(a))


def round(input: Any, *, decimals: int = 0) -> Tensor:
    """x rounded to ``decimals`` places, halves to even (``round(2.5) == 2``).  dL/dx = 0.

    As torch: with ``decimals`` it is ``round(x * 10**d) / 10**d``.

    Args:
        input: ``x``, a Tensor (or an array of an Array API library) of any shape, on any
            device. Integer input keeps its dtype (no gradient flows to it), as torch; the
            result has ``x``'s shape, dtype, library and device.

        decimals: the number of decimal places (negative: tens, hundreds...).

    Raises:
        TypeError: ``input`` is neither a Tensor nor an array, or ``decimals`` is not an int.
    """
    if not isinstance(decimals, int) or isinstance(decimals, bool):
        raise TypeError(f"round: decimals must be an int, got {decimals!r}")
    if decimals == 0:
        return _stepwise(input, "round", lambda xp, a: xp.round(a))
    scale = 10.0 ** abs(decimals)
    if decimals > 0:
        return _stepwise(input, "round", lambda xp, a: xp.round(a * scale) / scale)
    return _stepwise(input, "round", lambda xp, a: xp.round(a / scale) * scale)


def _pair(input: Any, other: Any, name: str) -> tuple[Any, Any, Any, Any, Any]:
    a, b, xp = operands(input, other, name)
    return a, b, xp, value(a), value(b)


def maximum(input: Any, other: Any) -> Tensor:
    """The larger of x and y, elementwise.

    dL/dx = G where x > y, G/2 where x == y, else 0 (and the mirror for y), as torch.

    Args:
        input: ``x``, a Tensor, an array, or a Python number.
        other: ``y``, a Tensor, an array, or a Python number (at least one of the two is
            a Tensor or array). The two broadcast to the result's shape; dtypes promote
            as torch's (a Python number never widens a float32 tensor).

    Raises:
        TypeError: both are Python numbers.
        RuntimeError: the tensors are on different devices or of different array libraries.
    """
    return _extreme(input, other, "maximum")


def minimum(input: Any, other: Any) -> Tensor:
    """The smaller of x and y, elementwise.  dL/dx = G where x < y, G/2 at ties, else 0.

    Args:
        input: ``x``, a Tensor, an array, or a Python number.
        other: ``y``, a Tensor, an array, or a Python number (at least one of the two is
            a Tensor or array). The two broadcast to the result's shape; dtypes promote
            as torch's (a Python number never widens a float32 tensor).

    Raises:
        TypeError: both are Python numbers.
        RuntimeError: the tensors are on different devices or of different array libraries.
    """
    return _extreme(input, other, "minimum")


def _extreme(input: Any, other: Any, name: str) -> Tensor:
    a, b, xp, av, bv = _pair(input, other, name)
    if not isinstance(b, Tensor):
        out = _with_scalar(xp, name, av, bv)
    elif not isinstance(a, Tensor):
        out = _with_scalar(xp, name, bv, av)
    else:
        out = getattr(xp, name)(av, bv)

    def backward(g: Any) -> tuple[Any, Any]:
        zero = xp.zeros_like(g)
        wins_a = (av > bv) if name == "maximum" else (av < bv)
        wins_b = (bv > av) if name == "maximum" else (bv < av)
        tie = g / 2
        ga = xp.where(wins_a, g, xp.where(av == bv, tie, zero)) if needs_grad(a) else None
        gb = xp.where(wins_b, g, xp.where(av == bv, tie, zero)) if needs_grad(b) else None
        return (unbroadcast(xp, ga, a.array.shape) if ga is not None else None,
                unbroadcast(xp, gb, b.array.shape) if gb is not None else None)

    return make_result(out, xp, (node(a), node(b)), backward, name)


def _with_scalar(xp: Any, name: str, av: Any, s: Any) -> Any:
    """``maximum(array, number)``: the standard's clip, which keeps the array's dtype."""
    return xp.clip(av, min=s) if name == "maximum" else xp.clip(av, max=s)


def clamp(input: Any, min: Any = None, max: Any = None) -> Tensor:
    """``x`` limited to ``[min, max]``; either bound a number or a Tensor (broadcast).

    Computed as ``minimum(maximum(x, min), max)`` (so ``min > max`` gives ``max``, as
    torch). dL/dx = G where min <= x <= max; dL/dmin = G where x < min < max;
    dL/dmax = G where x > max or max < min.

    Args:
        input: ``x``, a Tensor (or array) of any shape, on any device.
        min: the lower bound: None (no bound), a number, or a Tensor broadcast with ``x``.
        max: the upper bound: None (no bound), a number, or a Tensor broadcast with ``x``.

    Raises:
        RuntimeError: both ``min`` and ``max`` are None, or a bound Tensor is on another
            device than ``x``.
    """
    x = as_tensor(input, "clamp")
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if not isinstance(min, Tensor) and not isinstance(max, Tensor) and not _is_array(min, max):
        return clip(x, min, max)  # numbers: the standard's clip, one node
    xp = x.xp
    lo = None if min is None else operands(x, min, "clamp")[1]
    hi = None if max is None else operands(x, max, "clamp")[1]
    xv, lov, hiv = x.array, value(lo), value(hi)
    out = xv
    if lo is not None:
        out = xp.maximum(out, lov) if isinstance(lo, Tensor) else xp.clip(out, min=lov)
    if hi is not None:
        out = xp.minimum(out, hiv) if isinstance(hi, Tensor) else xp.clip(out, max=hiv)

    def backward(g: Any) -> tuple[Any, Any, Any]:
        zero = xp.zeros_like(g)
        inside = xp.ones_like(g, dtype=xp.bool)
        if lo is not None:
            inside = inside & (xv >= lov)
        if hi is not None:
            inside = inside & (xv <= hiv)
        gx = unbroadcast(xp, xp.where(inside, g, zero), xv.shape) if x.requires_grad else None
        glo = ghi = None
        if needs_grad(lo):
            below = xv < lov if hi is None else (xv < lov) & (lov < hiv)
            glo = unbroadcast(xp, xp.where(below, g, zero), lov.shape)
        if needs_grad(hi):
            above = xv > hiv if lo is None else (xv > hiv) | (hiv < lov)
            ghi = unbroadcast(xp, xp.where(above, g, zero), hiv.shape)
        return gx, glo, ghi

    return make_result(out, xp, (x, node(lo), node(hi)), backward, "clamp")


def _is_array(*objs: Any) -> bool:
    return any(_backend.is_array(o) for o in objs)


def masked_fill(input: Any, mask: Any, value: Any) -> Tensor:
    """``input`` with ``value`` where ``mask`` is True.  dL/dx = G where not mask, else 0."""
    return where(mask, value, input)


def floor_divide(input: Any, other: Any) -> Tensor:
    """``x // y``: the quotient rounded toward minus infinity (Python's and torch's rule).

    Not differentiable: backward through it raises, as in torch.

    Args:
        input: ``x``, a Tensor, an array, or a Python number.
        other: ``y``, a Tensor, an array, or a Python number (at least one of the two is
            a Tensor or array). The two broadcast to the result's shape; dtypes promote
            as torch's (a Python number never widens a float32 tensor).

    Raises:
        RuntimeError: on ``backward()`` through the result.
        TypeError: both are Python numbers.
        RuntimeError: the tensors are on different devices or of different array libraries.
    """
    a, b, xp, av, bv = _pair(input, other, "floor_divide")

    def backward(g: Any) -> tuple[Any, Any]:
        raise RuntimeError("the derivative of floor_divide is not implemented (it is zero almost "
                           "everywhere, and torch refuses it too): divide detached values, "
                           "a.detach() // b")

    return make_result(av // bv, xp, (node(a), node(b)), backward, "floor_divide", saves=False)


def remainder(input: Any, other: Any) -> Tensor:
    """``x % y`` with the sign of the divisor (Python's and torch's rule, not C's fmod).

    dL/dx = G,  dL/dy = -G floor(x / y).

    Args:
        input: ``x``, a Tensor, an array, or a Python number.
        other: ``y``, a Tensor, an array, or a Python number (at least one of the two is
            a Tensor or array). The two broadcast to the result's shape; dtypes promote
            as torch's (a Python number never widens a float32 tensor).

    Raises:
        TypeError: both are Python numbers.
        RuntimeError: the tensors are on different devices or of different array libraries.
    """
    a, b, xp, av, bv = _pair(input, other, "remainder")

    def backward(g: Any) -> tuple[Any, Any]:
        ga = unbroadcast(xp, g, a.array.shape) if needs_grad(a) else None
        gb = unbroadcast(xp, -g * (av // bv), b.array.shape) if needs_grad(b) else None
        return ga, gb

    return make_result(av % bv, xp, (node(a), node(b)), backward, "remainder")


# These rules read only xp, the operands and the output (and _unary's derivative formulas,
# functions of their arguments only): they run on Tensors too (see xpnet._double_backward).
double_backward_ready(_extreme, _unary, _stepwise, clamp, rsqrt, square, reciprocal, sin, cos, tan, log1p,
                      expm1, log2, log10)
