"""Activation functions, each with its derivative written next to it."""

from __future__ import annotations

import math
from typing import Any

from .. import _backend, _dtypes
from ._core import Tensor, as_tensor, make_result, require_floating
from ._promote import floating_array
from ._special import clamp, erf
from .fused import bias_act


def relu(x: Any) -> Tensor:
    """``max(x, 0)``.  dL/dx = G where x > 0, else 0."""
    x = as_tensor(x, "relu")
    xp = x.xp
    if not _dtypes.is_floating(x.array.dtype):  # torch keeps an integer input's dtype
        return make_result(xp.where(x.array > 0, x.array, xp.zeros_like(x.array)), xp, (), None, "relu")
    out = xp.maximum(x.array, 0.0)

    def backward(g: Any) -> tuple[Any]:
        return (xp.where(out > 0, g, 0.0),)

    return make_result(out, xp, (x,), backward, "relu")


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    """``x`` where x > 0, else ``negative_slope * x``.  dL/dx = G or G * negative_slope."""
    x = as_tensor(x, "leaky_relu")
    xp = x.xp
    positive = x.array > 0
    out = xp.where(positive, x.array, x.array * negative_slope)

    def backward(g: Any) -> tuple[Any]:
        return (xp.where(positive, g, g * negative_slope),)

    return make_result(out, xp, (x,), backward, "leaky_relu")


def sigmoid(x: Any) -> Tensor:
    """``1 / (1 + e**-x)``.  dL/dx = G * out * (1 - out).

    Computed as ``e**min(x, 0) / (1 + e**-|x|)`` so that no exp overflows for large
    |x|: that is ``1 / (1 + e**-x)`` where x >= 0 and ``e**x / (1 + e**x)`` elsewhere.
    The formulas are those of the fused layers (:func:`xpnet.functional.fused.bias_act`,
    without a bias), run through the same NumPy and CuPy siblings.
    """
    x = as_tensor(x, "sigmoid")
    xp = x.xp
    # bias_act may overwrite its input: CuPy's kernel does, so it gets a copy; NumPy's sibling
    # and the generic twin compute the sigmoid into new arrays (a test holds them to it).
    a = floating_array(xp, x.array)  # an integer input: the default float dtype, as torch
    z = a if xp is _backend.numpy_xp or a is not x.array else xp.asarray(a, copy=True)
    out, act_grad = _backend.dispatch(bias_act, xp, z, None, "sigmoid")

    def backward(g: Any) -> tuple[Any]:
        return (act_grad(g),)

    return make_result(out, xp, (x,), backward, "sigmoid")


def tanh(x: Any) -> Tensor:
    """Hyperbolic tangent.  dL/dx = G * (1 - out**2).

    Args:
        x: ``input``, a floating Tensor of any shape, on any device; the result has its shape,
            dtype, library and device.
    """
    x = as_tensor(x, "tanh")
    xp = x.xp
    out = xp.tanh(floating_array(xp, x.array))

    def backward(g: Any) -> tuple[Any]:
        return (g * (1 - out * out),)

    return make_result(out, xp, (x,), backward, "tanh")


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
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
    xp, v = x.xp, x.array
    # Beyond |x| = 10, tanh(u) = sign(x) and x phi(x) = 0 to double precision: the
    # powers of x are taken of ``vc`` so that they cannot overflow (a NumPy warning).
    vc = clamp(xp, v, -10.0, 10.0)
    if approximate == "tanh":
        t = xp.tanh(_SQRT_2_OVER_PI * (vc + 0.044715 * vc * vc * vc))
        out = 0.5 * v * (1 + t)

        def backward(g: Any) -> tuple[Any]:
            du = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * vc * vc)
            return (g * (0.5 * (1 + t) + 0.5 * vc * (1 - t * t) * du),)

    elif approximate == "none":
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
