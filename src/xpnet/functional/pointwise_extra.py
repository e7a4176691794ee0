"""More elementwise ops and fused products with torch's names.

* ``nan_to_num``: NaN, +inf, -inf replaced;  dL/dx = G where x is finite, else 0 (torch's)
* ``lerp``: start + w (end - start);  d/dstart = G (1 - w), d/dend = G w, d/dw = G (end - start)
* ``hypot``: sqrt(a**2 + b**2);  d/da = G a / out  (composed)
* ``fmod``: a - b trunc(a / b) (the sign of a);  d/da = G,  d/db = -G trunc(a / b)
* ``frac``: x - trunc(x);  dL/dx = G
* ``addmm``/``baddbmm``: beta input + alpha (m1 @ m2)  (composed of mm / bmm)
"""

from __future__ import annotations

from typing import Any

from .. import _dtypes
from ._core import Tensor, as_tensor, make_result, needs_grad, node, operands, unbroadcast, value
from .arithmetic import sqrt
from .pointwise import trunc
from .products import bmm, mm

__all__ = ["addmm", "baddbmm", "fmod", "frac", "hypot", "lerp", "nan_to_num"]


def nan_to_num(input: Any, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """``input`` with NaN -> ``nan``, +inf -> ``posinf``, -inf -> ``neginf``.

    ``posinf``/``neginf`` None: the dtype's largest / lowest finite value. Integer input
    comes back unchanged (a copy).  dL/dx = G where x is finite, 0 where it was replaced.

    Args:
        input: a Tensor.
        nan: the value for NaN.
        posinf: the value for +inf.
        neginf: the value for -inf.
    """
    x = as_tensor(input, "nan_to_num")
    xp, a = x.xp, x.array
    if not _dtypes.is_floating(a.dtype):
        return make_result(xp.asarray(a, copy=True), xp, (), None, "nan_to_num")
    info = xp.finfo(a.dtype)
    high = info.max if posinf is None else posinf
    low = info.min if neginf is None else neginf
    finite = xp.isfinite(a)
    out = xp.where(xp.isnan(a), xp.asarray(nan, dtype=a.dtype, device=a.device), a)
    out = xp.where(xp.isinf(a) & (a > 0), xp.asarray(high, dtype=a.dtype, device=a.device), out)
    out = xp.where(xp.isinf(a) & (a < 0), xp.asarray(low, dtype=a.dtype, device=a.device), out)

    def backward(g: Any) -> tuple[Any]:
        return (xp.where(finite, g, xp.zeros_like(g)),)

    return make_result(out, xp, (x,), backward, "nan_to_num")


def lerp(input: Any, end: Any, weight: Any) -> Tensor:
    """Linear interpolation ``input + weight * (end - input)`` (all three broadcast).

    Args:
        input: the start, a floating Tensor.
        end: the end, a Tensor of the same dtype.
        weight: a Python number or a Tensor.
    """
    start = as_tensor(input, "lerp")
    return start + weight * (end - start)


def hypot(input: Any, other: Any) -> Tensor:
    """``sqrt(input**2 + other**2)`` elementwise (broadcasting).  d/da = G a / out.

    Args:
        input: a floating Tensor.
        other: a Tensor or number, broadcast with ``input``.
    """
    a = as_tensor(input, "hypot")
    return sqrt(a * a + other * other)


def fmod(input: Any, other: Any) -> Tensor:
    """C's remainder ``a - b * trunc(a / b)``: the sign of the dividend (``remainder``: the divisor's).

    ``other`` may be a Python number.  d/da = G,  d/db = -G trunc(a / b).

    Args:
        input: the dividend, a Tensor.
        other: the divisor, a Tensor or number.
    """
    a, b, xp = operands(input, other, "fmod")
    av, bv = value(a), value(b)
    r = xp.remainder(av, bv)
    a_arr = av if isinstance(a, Tensor) else xp.asarray(av, dtype=r.dtype, device=r.device)
    zero = xp.zeros_like(r)
    wrong_sign = (r != zero) & ((r < zero) != (a_arr < zero))
    out = xp.where(wrong_sign, r - bv, r)

    def backward(g: Any) -> tuple[Any, Any]:
        ga = unbroadcast(xp, g, tuple(av.shape)) if needs_grad(a) else None
        gb = None
        if needs_grad(b):
            quotient = xp.round((av - out) / bv)  # = trunc(a / b), exact (a - out = b * it)
            gb = unbroadcast(xp, -g * quotient, tuple(bv.shape))
        return ga, gb

    return make_result(out, xp, (node(a), node(b)), backward, "fmod")


def frac(input: Any) -> Tensor:
    """The fractional part ``x - trunc(x)`` (the sign of x).  dL/dx = G.

    Args:
        input: a floating Tensor.
    """
    x = as_tensor(input, "frac")
    return x - trunc(x)


def _scaled_sum(input: Any, product: Tensor, beta: Any, alpha: Any) -> Tensor:
    scaled = product if alpha == 1 else product * alpha
    if beta == 0:  # torch ignores input then (NaN in it does not propagate)
        return scaled
    base = as_tensor(input, "addmm")
    return scaled + (base if beta == 1 else base * beta)


def addmm(input: Any, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``; input (n, p) or broadcastable to it.

    Shapes: mat1 (n, m), mat2 (m, p).  Raises as :func:`mm` for mismatched shapes.

    Args:
        input: the Tensor added.
        mat1: (n, m).
        mat2: (m, p).
        beta: the factor of ``input``.
        alpha: the factor of the product.
    """
    return _scaled_sum(input, mm(mat1, mat2), beta, alpha)


def baddbmm(input: Any, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (batch1 @ batch2)`` per batch.

    Shapes: batch1 (b, n, m), batch2 (b, m, p), input broadcastable to (b, n, p).

    Args:
        input: the Tensor added.
        batch1: (b, n, m).
        batch2: (b, m, p).
        beta: the factor of ``input``.
        alpha: the factor of the product.
    """
    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha)
