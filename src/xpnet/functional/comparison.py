"""Comparisons, tests and logic with torch's names: boolean tensors outside the graph.

None of these is differentiable (their results are booleans), so none records a node.
"""

from __future__ import annotations

import math
from typing import Any

from .. import _dtypes
from ._core import Tensor, as_tensor, make_result, operands, value
from .arithmetic import compare

__all__ = ["all", "allclose", "any", "bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor",
           "eq", "equal", "ge", "greater", "greater_equal", "gt",
           "isclose", "isfinite", "isinf", "isnan", "le", "less", "less_equal", "logical_and",
           "logical_not", "logical_or", "logical_xor", "lt", "ne", "not_equal"]


def eq(input: Any, other: Any) -> Tensor:
    """``input == other`` elementwise (broadcast; ``other`` may be a number)."""
    return compare(input, other, "__eq__")


def ne(input: Any, other: Any) -> Tensor:
    """``input != other`` elementwise."""
    return compare(input, other, "__ne__")


def lt(input: Any, other: Any) -> Tensor:
    """``input < other`` elementwise."""
    return compare(input, other, "__lt__")


def le(input: Any, other: Any) -> Tensor:
    """``input <= other`` elementwise."""
    return compare(input, other, "__le__")


def gt(input: Any, other: Any) -> Tensor:
    """``input > other`` elementwise."""
    return compare(input, other, "__gt__")


def ge(input: Any, other: Any) -> Tensor:
    """``input >= other`` elementwise."""
    return compare(input, other, "__ge__")


# torch's long spellings of the same comparisons
greater = gt
greater_equal = ge
less = lt
less_equal = le
not_equal = ne


def _leaf(out: Any, xp: Any) -> Tensor:
    return make_result(out, xp, (), None, "")


def _unary_test(input: Any, name: str) -> Tensor:
    x = as_tensor(input, name)
    return _leaf(getattr(x.xp, name)(x.array), x.xp)


def isnan(input: Any) -> Tensor:
    """True where x is NaN.

    Args:
        input: ``x``, a Tensor (or array) of any shape, on any device.

    Returns:
        A bool Tensor of ``x``'s shape, library and device, outside the graph.
    """
    return _unary_test(input, "isnan")


def isinf(input: Any) -> Tensor:
    """True where x is +inf or -inf.

    Args:
        input: ``x``, a Tensor (or array) of any shape, on any device.

    Returns:
        A bool Tensor of ``x``'s shape, library and device, outside the graph.
    """
    return _unary_test(input, "isinf")


def isfinite(input: Any) -> Tensor:
    """True where x is neither NaN nor infinite.

    Args:
        input: ``x``, a Tensor (or array) of any shape, on any device.

    Returns:
        A bool Tensor of ``x``'s shape, library and device, outside the graph.
    """
    return _unary_test(input, "isfinite")


def _truth(xp: Any, v: Any) -> Any:
    """A value as booleans (nonzero is True), as torch's logical ops read their inputs."""
    if isinstance(v, (bool, int, float)):
        return bool(v)
    return v if v.dtype == xp.bool else v != 0


def _logical(input: Any, other: Any, name: str) -> Tensor:
    a, b, xp = operands(input, other, name)
    av, bv = _truth(xp, value(a)), _truth(xp, value(b))
    if isinstance(av, bool):
        av, bv = bv, av  # the standard's logical ops take an array first
    return _leaf(getattr(xp, name)(av, bv), xp)


def logical_and(input: Any, other: Any) -> Tensor:
    """``input and other`` elementwise (nonzero counts as True); a bool tensor."""
    return _logical(input, other, "logical_and")


def logical_or(input: Any, other: Any) -> Tensor:
    """``input or other`` elementwise; a bool tensor."""
    return _logical(input, other, "logical_or")


def logical_xor(input: Any, other: Any) -> Tensor:
    """Exactly one of ``input``, ``other`` nonzero, elementwise; a bool tensor."""
    return _logical(input, other, "logical_xor")


def logical_not(input: Any) -> Tensor:
    """``not input`` elementwise (zero gives True); a bool tensor."""
    x = as_tensor(input, "logical_not")
    return _leaf(x.xp.logical_not(_truth(x.xp, x.array)), x.xp)


def _bitwise(input: Any, other: Any, name: str, op: Any) -> Tensor:
    a, b, xp = operands(input, other, name)
    return _leaf(op(value(a), value(b)), xp)


def bitwise_and(input: Any, other: Any) -> Tensor:
    """``input & other``: bitwise for integers, logical for bools (the ``&`` operator)."""
    return _bitwise(input, other, "bitwise_and", lambda a, b: a & b)


def bitwise_or(input: Any, other: Any) -> Tensor:
    """``input | other``: bitwise for integers, logical for bools (the ``|`` operator)."""
    return _bitwise(input, other, "bitwise_or", lambda a, b: a | b)


def bitwise_xor(input: Any, other: Any) -> Tensor:
    """``input ^ other``: bitwise for integers, logical for bools (the ``^`` operator)."""
    return _bitwise(input, other, "bitwise_xor", lambda a, b: a ^ b)


def bitwise_not(input: Any) -> Tensor:
    """``~input``: bitwise for integers, logical for bools; floats raise, as in torch."""
    x = as_tensor(input, "bitwise_not")
    if _dtypes.is_floating(x.array.dtype):
        raise TypeError(f"~ (bitwise_not) is only for integer and bool tensors, got {x.dtype}; "
                        "for a mask from floats compare first, e.g. ~(x > 0)")
    return _leaf(~x.array, x.xp)


def _dims(dim: Any) -> Any:
    return tuple(dim) if isinstance(dim, list) else dim


def any(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Whether any element (over ``dim``, all when None) is nonzero; a bool tensor.

    Args:
        input: a Tensor of any shape and dtype, on any device.
        dim: the axis or tuple of axes reduced (all when None).
        keepdim: keep the reduced axes with size 1.
    """
    x = as_tensor(input, "any")
    return _leaf(x.xp.any(x.array, axis=_dims(dim), keepdims=keepdim), x.xp)


def all(input: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Whether every element (over ``dim``, all when None) is nonzero; a bool tensor.

    Args:
        input: a Tensor of any shape and dtype, on any device.
        dim: the axis or tuple of axes reduced (all when None).
        keepdim: keep the reduced axes with size 1.
    """
    x = as_tensor(input, "all")
    return _leaf(x.xp.all(x.array, axis=_dims(dim), keepdims=keepdim), x.xp)


def isclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """``|input - other| <= atol + rtol * |other|`` elementwise (torch's formula); a bool tensor.

    Infinities are close only to themselves; NaNs only when ``equal_nan``.

    Args:
        input: a Tensor (or array, or number) broadcast with ``other``.
        other: a Tensor (or array, or number) on the same device as ``input``.
        rtol: the relative tolerance.
        atol: the absolute tolerance.
        equal_nan: count NaN as close to NaN.
    """
    a, b, xp = operands(input, other, "isclose")
    av, bv = value(a), value(b)
    gap = abs(av - bv)  # infinite between +inf and -inf or a finite value: never close
    close = (av == bv) | ((gap <= atol + rtol * abs(bv)) & (gap < math.inf))
    if equal_nan:
        close = close | ((av != av) & (bv != bv))  # NaN is the value unequal to itself
    return _leaf(close, xp)


def allclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """Whether :func:`isclose` holds everywhere (a Python bool; waits for the device).

    Args:
        input: a Tensor (or array, or number) broadcast with ``other``.
        other: a Tensor (or array, or number) on the same device as ``input``.
        rtol: the relative tolerance of ``|input - other| <= atol + rtol * |other|``.
        atol: the absolute tolerance.
        equal_nan: count NaN as close to NaN.

    Raises:
        RuntimeError: the tensors are on different devices or of different array libraries.
    """
    return bool(all(isclose(input, other, rtol, atol, equal_nan)).array)


def equal(input: Any, other: Any) -> bool:
    """Whether both tensors have the same shape and the same values (a Python bool).

    Args:
        input: a Tensor (or array).
        other: a Tensor (or array) of the same library and device; different shapes give
            False.
    """
    a, b = as_tensor(input, "equal"), as_tensor(other, "equal")
    if a.shape != b.shape:
        return False
    return bool(a.xp.all(a.array == b.array))
