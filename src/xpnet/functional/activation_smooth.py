"""More activations (torch's names and defaults), each with its derivative written next to it.

ELU, SELU, SiLU, Mish, Softplus, Softsign, Hardtanh, ReLU6 and PReLU. Every
one is a single graph node; at a kink (x = 0 for ELU, the clip points of
Hardtanh) the gradient is torch's choice, named in the docstring.
"""

from __future__ import annotations

from typing import Any

from ._core import Tensor, as_tensor, check_same_place, make_result, require_floating

# SELU's constants (Klambauer et al. 2017), to the digits torch uses.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _input(x: Any, op: str) -> Tensor:
    x = as_tensor(x, op)
    require_floating(x, op)
    return x


def _number(value: Any, name: str, op: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{op}: {name} must be a number, got {value!r}")
    return float(value)


def elu(x: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` where x > 0, else ``alpha (e**x - 1)``.

    dL/dx = G where x > 0, else G alpha e**x (= G (out + alpha)); at x = 0 the
    left branch, as torch. ``inplace`` is accepted and ignored (xpnet never
    overwrites an input).
    """
    return _elu(_input(x, "elu"), _number(alpha, "alpha", "elu"), 1.0, "elu")


def selu(x: Any, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with torch's constants (alpha = 1.6733, scale = 1.0507).

    dL/dx = G scale where x > 0, else G scale alpha e**x.

    Args:
        x: ``input``, a floating Tensor of any shape, on any device; the result has its shape.
        inplace: accepted for torch programs and ignored: the result is a new tensor.
    """
    return _elu(_input(x, "selu"), SELU_ALPHA, SELU_SCALE, "selu")


def _elu(x: Tensor, alpha: float, scale: float, op: str) -> Tensor:
    xp, v = x.xp, x.array
    positive = v > 0
    # exp of the negative part only: exp of a large positive x would overflow (a warning)
    e = xp.exp(xp.where(positive, 0.0, v))
    out = xp.where(positive, v * scale, (e - 1) * (alpha * scale))

    def backward(g: Any) -> tuple[Any]:
        return (xp.where(positive, g * scale, g * e * (alpha * scale)),)

    return make_result(out, xp, (x,), backward, op)


def _sigmoid_parts(xp: Any, v: Any) -> tuple[Any, Any]:
    """``(sigmoid(v), log(1 + e**v))`` without overflow: e**-|v| is never above 1."""
    e = xp.exp(-xp.abs(v))
    sig = xp.where(v >= 0, 1 / (1 + e), e / (1 + e))
    softplus = xp.maximum(v, 0.0) + xp.log1p(e)
    return sig, softplus


def silu(x: Any, inplace: bool = False) -> Tensor:
    """``x sigmoid(x)`` (also called swish).  dL/dx = G s (1 + x (1 - s)), s = sigmoid(x).

    Args:
        x: ``input``, a floating Tensor of any shape, on any device; the result has its shape.
        inplace: accepted for torch programs and ignored: the result is a new tensor.
    """
    x = _input(x, "silu")
    xp, v = x.xp, x.array
    s, _ = _sigmoid_parts(xp, v)
    out = v * s

    def backward(g: Any) -> tuple[Any]:
        return (g * s * (1 + v * (1 - s)),)

    return make_result(out, xp, (x,), backward, "silu")


def mish(x: Any, inplace: bool = False) -> Tensor:
    """``x tanh(softplus(x))``.

    dL/dx = G (t + x sigmoid(x) (1 - t**2)),  t = tanh(softplus(x)).

    Args:
        x: ``input``, a floating Tensor of any shape, on any device; the result has its shape.
        inplace: accepted for torch programs and ignored: the result is a new tensor.
    """
    x = _input(x, "mish")
    xp, v = x.xp, x.array
    s, sp = _sigmoid_parts(xp, v)
    t = xp.tanh(sp)
    out = v * t

    def backward(g: Any) -> tuple[Any]:
        return (g * (t + v * s * (1 - t * t)),)

    return make_result(out, xp, (x,), backward, "mish")


def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + e**(beta x)) / beta``, and ``x`` itself where ``beta x > threshold`` (as torch).

    dL/dx = G sigmoid(beta x), and G where beta x > threshold.
    """
    x = _input(x, "softplus")
    beta = _number(beta, "beta", "softplus")
    threshold = _number(threshold, "threshold", "softplus")
    xp, v = x.xp, x.array
    z = v * beta
    linear = z > threshold
    s, sp = _sigmoid_parts(xp, z)
    out = xp.where(linear, v, sp / beta)

    def backward(g: Any, beta: float = beta) -> tuple[Any]:  # beta: read by its double backward
        return (xp.where(linear, g, g * s),)

    return make_result(out, xp, (x,), backward, "softplus")


def softsign(x: Any) -> Tensor:
    """``x / (1 + |x|)``.  dL/dx = G / (1 + |x|)**2."""
    x = _input(x, "softsign")
    xp, v = x.xp, x.array
    d = 1 + xp.abs(v)
    out = v / d

    def backward(g: Any) -> tuple[Any]:
        return (g / (d * d),)

    return make_result(out, xp, (x,), backward, "softsign")


def hardtanh(x: Any, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` clipped to ``[min_val, max_val]``.

    dL/dx = G strictly inside, 0 outside and at the clip points (torch's choice).

    Args:
        x: ``input``, a Tensor of any shape, on any device; the result has its shape.
        min_val: the lower clip point.
        max_val: the upper clip point.
        inplace: accepted for torch programs and ignored: the result is a new tensor.
    """
    x = _input(x, "hardtanh")
    low = _number(min_val, "min_val", "hardtanh")
    high = _number(max_val, "max_val", "hardtanh")
    if low > high:
        raise ValueError(f"hardtanh: min_val ({low}) must not exceed max_val ({high})")
    return _clip(x, low, high, "hardtanh")


def relu6(x: Any, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)``: ``hardtanh(x, 0, 6)``; the gradient is 0 at 0 and 6 (as torch).

    dL/dx = G where 0 < x < 6, else 0.

    Args:
        x: ``input``, a Tensor of any shape, on any device; the result has its shape.
        inplace: accepted for torch programs and ignored: the result is a new tensor.
    """
    return _clip(_input(x, "relu6"), 0.0, 6.0, "relu6")


def _clip(x: Tensor, low: float, high: float, op: str) -> Tensor:
    xp, v = x.xp, x.array
    out = xp.clip(v, min=low, max=high)
    inside = (v > low) & (v < high)

    def backward(g: Any) -> tuple[Any]:
        return (xp.where(inside, g, 0.0),)

    return make_result(out, xp, (x,), backward, op)


def prelu(input: Any, weight: Any) -> Tensor:
    """``x`` where x > 0, else ``a x``, with a learned slope ``a`` per channel.

    input: (N, C, *), or any shape with one shared slope; weight: (1,) (one slope
    for every element) or (C,) with C the size of axis 1 of the input.
    dL/dx = G where x > 0, else G a;  dL/da = sum of G x over x <= 0, per channel.
    """
    x = _input(input, "prelu")
    w = as_tensor(weight, "prelu")
    check_same_place(x, w, "prelu")
    xp, v = x.xp, x.array
    n = w.array.shape[0] if len(w.array.shape) == 1 else -1
    shape = tuple(v.shape)
    if n == 1 or len(w.array.shape) == 0:
        a = xp.reshape(w.array, (1,) * len(shape))
        channel = None
    else:
        channel = 1
        if n < 0 or len(shape) < 2 or shape[channel] != n:
            raise ValueError(
                f"prelu: weight of shape {tuple(w.array.shape)} does not fit input of shape "
                f"{shape}: give one slope (shape (1,)) or one per channel (axis 1 of an input "
                f"of 2 or more dimensions, as torch)"
            )
        a = xp.reshape(w.array, tuple(n if i == channel else 1 for i in range(len(shape))))
    positive = v > 0
    out = xp.where(positive, v, a * v)

    def backward(g: Any) -> tuple[Any, Any]:
        gx = xp.where(positive, g, a * g) if x.requires_grad else None
        if not w.requires_grad:
            return gx, None
        ga = xp.where(positive, 0.0, v * g)
        if channel is None:
            gw = xp.reshape(xp.sum(ga), tuple(w.array.shape))
        else:
            axes = tuple(i for i in range(len(shape)) if i != channel)
            gw = xp.sum(ga, axis=axes) if axes else ga
        return gx, gw

    return make_result(out, xp, (x, w), backward, "prelu")
