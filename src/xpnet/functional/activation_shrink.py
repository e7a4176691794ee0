"""Piecewise and gated activations with torch's names and defaults: logsigmoid, hardsigmoid,
hardswish, tanhshrink, threshold, celu, softshrink, hardshrink, rrelu, softmin and glu.

The elementwise ones are single graph nodes, derivative next to the value; at a kink the
gradient is torch's (named in each docstring). softmin and glu are composed of softmax,
sigmoid and slicing, which are exact.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from ._core import Tensor, make_result
from .activation_smooth import _input, _number

_SIXTH32 = 0.16666667163372040  # float32(1/6): torch's hardsigmoid_backward constant


def _pointwise(x: Tensor, op: str, f: Callable[[Any, Any], tuple[Any, Any]]) -> Tensor:
    """One node: ``f(xp, v)`` gives the value and dy/dx; backward is ``G * dy/dx``."""
    xp = x.xp
    out, slope = f(xp, x.array)

    def backward(g: Any) -> tuple[Any]:
        return (g * slope,)

    return make_result(out, xp, (x,), backward, op)


def logsigmoid(input: Any) -> Tensor:
    """``log(sigmoid(x)) = min(x, 0) - log(1 + e**-|x|)`` (no overflow).

    dL/dx = G (1 - sigmoid(x)) = G sigmoid(-x). Input: any shape; output: the same.

    Args:
        input: a floating Tensor of any shape, on any device; the result has its shape.
    """
    def f(xp: Any, v: Any) -> tuple[Any, Any]:
        e = xp.exp(-xp.abs(v))
        sig_neg = xp.where(v >= 0, e / (1 + e), 1 / (1 + e))  # sigmoid(-v)
        return xp.minimum(v, 0.0) - xp.log1p(e), sig_neg

    return _pointwise(_input(input, "logsigmoid"), "logsigmoid", f)


def hardsigmoid(input: Any, inplace: bool = False) -> Tensor:
    """``clip(x / 6 + 1/2, 0, 1)``.  dL/dx = G / 6 for -3 < x < 3, else 0 (torch's open interval).

    The 1/6 of the gradient is torch's float32 constant (0.16666667163...), in every dtype.

    ``inplace`` is accepted and ignored (the result is a new tensor).

    Args:
        input: a floating Tensor of any shape, on any device; the result has its shape.
        inplace: accepted for torch programs and ignored: the result is a new tensor.
    """
    def f(xp: Any, v: Any) -> tuple[Any, Any]:
        inside = (v > -3.0) & (v < 3.0)
        return xp.clip(v / 6 + 0.5, 0.0, 1.0), xp.astype(inside, v.dtype) * _SIXTH32

    return _pointwise(_input(input, "hardsigmoid"), "hardsigmoid", f)


def hardswish(input: Any, inplace: bool = False) -> Tensor:
    """``x * hardsigmoid(x)`` (MobileNetV3).

    dL/dx = 0 for x < -3, G (x / 3 + 1/2) for -3 <= x <= 3, G above (torch's choice at the kinks).

    Args:
        input: a floating Tensor of any shape, on any device; the result has its shape.
        inplace: accepted for torch programs and ignored: the result is a new tensor.
    """
    def f(xp: Any, v: Any) -> tuple[Any, Any]:
        out = v * xp.clip(v / 6 + 0.5, 0.0, 1.0)
        slope = xp.where(v < -3.0, 0.0, xp.where(v <= 3.0, v / 3 + 0.5, 1.0))
        return out, slope

    return _pointwise(_input(input, "hardswish"), "hardswish", f)


def tanhshrink(input: Any) -> Tensor:
    """``x - tanh(x)``.  dL/dx = G tanh(x)**2.

    Args:
        input: a floating Tensor of any shape, on any device; the result has its shape.
    """
    def f(xp: Any, v: Any) -> tuple[Any, Any]:
        t = xp.tanh(v)
        return v - t, t * t

    return _pointwise(_input(input, "tanhshrink"), "tanhshrink", f)


def threshold(input: Any, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, else ``value``.  dL/dx = G where x > threshold, else 0.

    Args:
        input: a floating Tensor of any shape, on any device; the result has its shape.
        threshold: the cut (a number).
        value: what replaces x at or below it.
        inplace: accepted for torch programs and ignored: the result is a new tensor.
    """
    t = _number(threshold, "threshold", "threshold")
    val = _number(value, "value", "threshold")

    def f(xp: Any, v: Any) -> tuple[Any, Any]:
        above = v > t
        return xp.where(above, v, val), xp.astype(above, v.dtype)

    return _pointwise(_input(input, "threshold"), "threshold", f)


def celu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha (e**(x / alpha) - 1))``.

    dL/dx = G where x > 0, else G e**(x / alpha) (torch's float32 1/alpha).
    Raises ValueError for alpha = 0.

    Args:
        input: a floating Tensor of any shape, on any device; the result has its shape.
        alpha: the negative side tends to -alpha.
        inplace: accepted for torch programs and ignored: the result is a new tensor.
    """
    a = _number(alpha, "alpha", "celu")
    if a == 0:
        raise ValueError("celu: alpha must not be 0 (the negative side is alpha (e**(x/alpha) - 1))")

    def f(xp: Any, v: Any) -> tuple[Any, Any]:
        positive = v > 0
        inv = 1.0 / a  # torch multiplies by 1/alpha (elu's input_scale), not divides
        e = xp.exp(xp.where(positive, 0.0, v) * inv)
        # torch's backward uses 1 / float32(alpha) (derivatives.yaml: 1.0/alpha.toFloat())
        ginv = 1.0 / float(xp.asarray(a, dtype=xp.float32))
        de = xp.exp(xp.where(positive, 0.0, v) * ginv) * (ginv * a)
        return xp.where(positive, v, (e - 1) * a), xp.where(positive, xp.ones_like(v), de)

    x = _input(input, "celu")
    out, slope = f(x.xp, x.array)

    def backward(g: Any, alpha: float = a) -> tuple[Any]:  # alpha: read by its double backward
        return (g * slope,)

    return make_result(out, x.xp, (x,), backward, "celu")


def _lambd(lambd: Any, op: str) -> float:
    lam = _number(lambd, "lambd", op)
    if lam < 0:
        raise RuntimeError(f"{op}: lambda must be greater or equal to 0, but found to be {lam}.")
    return lam


def softshrink(input: Any, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0.

    dL/dx = G where |x| > lambd, else 0. Raises RuntimeError (torch's) for a negative lambd.

    Args:
        input: a floating Tensor of any shape, on any device; the result has its shape.
        lambd: the half-width of the zero band (0 or more).
    """
    lam = _lambd(lambd, "softshrink")

    def f(xp: Any, v: Any) -> tuple[Any, Any]:
        out = xp.where(v > lam, v - lam, xp.where(v < -lam, v + lam, 0.0))
        return out, xp.astype((v > lam) | (v < -lam), v.dtype)

    return _pointwise(_input(input, "softshrink"), "softshrink", f)


def hardshrink(input: Any, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, else 0.  dL/dx = G where |x| > lambd, else 0.

    Args:
        input: a floating Tensor of any shape, on any device; the result has its shape.
        lambd: the half-width of the zero band.
    """
    lam = _number(lambd, "lambd", "hardshrink")

    def f(xp: Any, v: Any) -> tuple[Any, Any]:
        keep = (v < -lam) | (v > lam)
        return xp.where(keep, v, 0.0), xp.astype(keep, v.dtype)

    return _pointwise(_input(input, "hardshrink"), "hardshrink", f)


def rrelu(input: Any, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU: ``x`` where x >= 0, else ``a x``.

    In evaluation (``training=False``, torch's default for the function) ``a = (lower + upper) / 2``;
    in training each element draws ``a ~ U(lower, upper)`` from xpnet's generator
    (``xpnet.manual_seed``; the draws are not torch's). dL/dx = G where x >= 0, else G a.

    Args:
        input: a floating Tensor of any shape, on any device; the result has its shape.
        lower: the range of the negative slope.
        upper: as ``lower``.
        training: draw random slopes (True) or use their mean (False).
        inplace: accepted for torch programs and ignored: the result is a new tensor.
    """
    x = _input(input, "rrelu")
    lo, hi = _number(lower, "lower", "rrelu"), _number(upper, "upper", "rrelu")
    if lo > hi:
        raise ValueError(f"rrelu: lower ({lo}) must be at most upper ({hi})")
    xp, v = x.xp, x.array
    if training:
        from ..sampling import rand_like

        slope = rand_like(x).array * (hi - lo) + lo
    else:
        slope = xp.full_like(v, (lo + hi) / 2)
    a = xp.where(v >= 0, xp.ones_like(v), slope)

    def backward(g: Any) -> tuple[Any]:
        return (g * a,)

    return make_result(v * a, xp, (x,), backward, "rrelu")


def _softmax_dim(ndim: int, name: str) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to "
                  "include dim=X as an argument.", UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmin(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """``softmax(-x, dim)``: weights that favour the smallest entries.

    ``dim=None`` picks torch's implicit dimension with torch's UserWarning. ``dtype`` casts first.

    Args:
        input: a floating Tensor, on any device; the result has its shape.
        dim: the axis whose entries sum to 1.
        dtype: cast the input to it first (None: keep).
    """
    from .activation import softmax

    x = _input(input, "softmin")
    if dim is None:
        dim = _softmax_dim(x.ndim, "softmin")
    if dtype is not None:
        x = x.to(dtype)
    return softmax(-x, dim=dim)


def glu(input: Any, dim: int = -1) -> Tensor:
    """Gated linear unit: ``a * sigmoid(b)`` where ``a, b`` are the two halves of ``dim``.

    Input: ``(*, 2n, *)``; output: ``(*, n, *)``. Raises RuntimeError (torch's) for an odd size.

    Args:
        input: a floating Tensor whose ``dim`` has an even size.
        dim: the axis to halve.
    """
    x = _input(input, "glu")
    if x.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim + x.ndim if dim < 0 else dim
    size = x.shape[d]
    if size % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {size}")
    a, b = x.split(size // 2, d)
    return a * b.sigmoid()
