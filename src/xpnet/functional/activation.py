"""Activation functions, each with its derivative written next to it.

relu, leaky_relu, sigmoid, tanh and GELU's tanh form run the backend's
``xp.activation`` (their formulas are written once, in :mod:`xpnet._backend._ops`,
shared with the fused layers of :mod:`.fused`); each docstring repeats the rule.
"""

from __future__ import annotations

import math
from typing import Any

from .. import _dtypes
from ._core import Tensor, as_tensor, make_result, require_floating
from ._promote import floating_array
from ._special import clamp, erf


def relu(x: Any) -> Tensor:
    """``max(x, 0)``.  dL/dx = G where x > 0, else 0."""
    x = as_tensor(x, "relu")
    xp, a = x.xp, x.array
    if not _dtypes.is_floating(a.dtype):  # torch keeps an integer input's dtype
        return make_result(xp.where(a > 0, a, xp.zeros_like(a)), xp, (), None, "relu")
    return _node(x, a, "relu", 0.01, "relu")


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    """``x`` where x > 0, else ``negative_slope * x``.  dL/dx = G or G * negative_slope."""
    x = as_tensor(x, "leaky_relu")
    return _activation(x, "leaky_relu", negative_slope)


def sigmoid(x: Any) -> Tensor:
    """``1 / (1 + e**-x)``.  dL/dx = G * out * (1 - out).

    Computed as ``e**min(x, 0) / (1 + e**-|x|)`` so that no exp overflows for large
    |x|: that is ``1 / (1 + e**-x)`` where x >= 0 and ``e**x / (1 + e**x)`` elsewhere.
    """
    return _activation(as_tensor(x, "sigmoid"), "sigmoid", 0.01)


def _activation(x: Tensor, name: str, negative_slope: float, op: str | None = None) -> Tensor:
    """The node (named ``op``, default ``name``) of ``xp.activation(name)`` on ``x`` (an
    integer input: the default float dtype, as torch)."""
    return _node(x, floating_array(x.xp, x.array), name, negative_slope, op or name)


def _node(x: Tensor, a: Any, name: str, negative_slope: float, op: str) -> Tensor:
    """The node of ``xp.activation(name)`` on ``a``: ``x``'s floating array (or its cast,
    which the backend may then overwrite)."""
    xp = x.xp
    out, act_grad = xp.activation(a, name, negative_slope, a is not x.array)  # overwrite: a cast

    def backward(g: Any) -> tuple[Any]:
        return (act_grad(g),)

    return make_result(out, xp, (x,), backward, op)


def tanh(x: Any) -> Tensor:
    """Hyperbolic tangent.  dL/dx = G * (1 - out**2).

    Args:
        x: ``input``, a floating Tensor of any shape, on any device; the result has its shape,
            dtype, library and device.
    """
    return _activation(as_tensor(x, "tanh"), "tanh", 0.01)


_INV_SQRT_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def gelu(x: Any, approximate: str = "none") -> Tensor:
    """``x * Phi(x)``, Phi the standard normal CDF (``approximate="tanh"``: its tanh fit).

    exact:  Phi(x) = (1 + erf(x / sqrt 2)) / 2,  dL/dx = G (Phi(x) + x phi(x)),
            phi(x) = e**(-x**2/2) / sqrt(2 pi)
    tanh:   out = x (1 + tanh(u)) / 2,  u = sqrt(2/pi) (x + 0.044715 x**3),
            dL/dx = G ((1 + t)/2 + x (1 - t**2) sqrt(2/pi) (1 + 3*0.044715 x**2) / 2)
    """
    x = as_tensor(x, "gelu")
    if approximate == "tanh":
        return _activation(x, "gelu_tanh", 0.01, "gelu")
    xp, v = x.xp, x.array
    # Beyond |x| = 10, x phi(x) = 0 to double precision: the square is taken of ``vc``
    # so that it cannot overflow (a NumPy warning).
    vc = clamp(xp, v, -10.0, 10.0)
    if approximate == "none":
        cdf = 0.5 * (1 + erf(xp, v * _INV_SQRT_2))
        out = v * cdf

        def backward(g: Any) -> tuple[Any]:
            return (g * (cdf + vc * xp.exp(-0.5 * vc * vc) * _INV_SQRT_2PI),)

    else:
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return make_result(out, xp, (x,), backward, "gelu")


def softmax(x: Any, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """``e**x / sum(e**x)`` along ``axis`` (shifted by the max for stability).

    dL/dx = out * (G - sum(G * out, axis))

    Args:
        x: ``input``, a floating Tensor of any shape, on any device; the result has its shape.
        axis: the axis the probabilities sum to 1 along (the second positional argument).
        dim: torch's name for ``axis`` (give one of them).
    """
    x = as_tensor(x, "softmax")
    require_floating(x, "softmax")
    xp = x.xp
    axis = axis if dim is None else dim  # torch's keyword
    e = xp.exp(x.array - xp.max(x.array, axis=axis, keepdims=True))
    out = e / xp.sum(e, axis=axis, keepdims=True)

    def backward(g: Any) -> tuple[Any]:
        return (out * (g - xp.sum(g * out, axis=axis, keepdims=True)),)

    return make_result(out, xp, (x,), backward, "softmax")


def log_softmax(x: Any, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """``x - log(sum(e**x))`` along ``axis``, without overflow.

    dL/dx = G - softmax(x) * sum(G, axis)

    Args:
        x: ``input``, a floating Tensor of any shape, on any device; the result has its shape.
        axis: the axis normalised along (the second positional argument).
        dim: torch's name for ``axis`` (give one of them).
    """
    x = as_tensor(x, "log_softmax")
    require_floating(x, "log_softmax")
    xp = x.xp
    axis = axis if dim is None else dim  # torch's keyword
    z = x.array - xp.max(x.array, axis=axis, keepdims=True)
    out = z - xp.log(xp.sum(xp.exp(z), axis=axis, keepdims=True))

    def backward(g: Any) -> tuple[Any]:
        return (g - xp.exp(out) * xp.sum(g, axis=axis, keepdims=True),)

    return make_result(out, xp, (x,), backward, "log_softmax")
