"""What every op shares: turning inputs into tensors, checking they can meet, and
summing a gradient back over the axes that broadcasting stretched."""

from __future__ import annotations

import math
import operator
from typing import Any

from .. import _backend, _dtypes
from ..tensor import CONSTANT, Tensor, as_tensor, check_same_place, make_result
from . import _promote

# as_tensor and check_same_place are Tensor's (xpnet.tensor: layers use them too); the ops
# import them from here with the rest of their toolkit.
__all__ = ["CONSTANT", "SCALARS", "Tensor", "as_tensor", "check_same_place", "make_result",
           "operands", "unbroadcast", "value"]

SCALARS = (int, float, bool)
_FLOAT_SEEN = _promote.FLOAT_SEEN  # the floating dtype met last with a Python number


def operands(a: Any, b: Any, op: str) -> tuple[Any, Any, Any]:
    """The two inputs of a binary op and their namespace.

    Each input comes back as a Tensor or a Python number: numbers stay scalars so
    they never promote float32 to float64 (NumPy's scalars, such as
    ``np.float64(0.5)``, become Python numbers first, as in PyTorch).
    Tensors whose dtypes differ, and tensors that torch's rule casts for a number
    (an int tensor with a float), are cast first: see :mod:`._promote`.
    """
    if isinstance(a, Tensor) and isinstance(b, Tensor):  # the common case, checked at once
        check_same_place(a, b, op)
        if a.array.dtype is not b.array.dtype:  # torch's dtype rule (one identity check)
            return _promote.promote(a, b)
        return a, b, a.xp
    if not isinstance(a, Tensor):
        a = python_number(a)
    if not isinstance(b, Tensor):
        b = python_number(b)
    a_scalar = isinstance(a, SCALARS)
    b_scalar = isinstance(b, SCALARS)
    if a_scalar and b_scalar:
        raise TypeError(f"{op} needs at least one Tensor, got two Python numbers")
    if not a_scalar:
        a = as_tensor(a, op)
    if not b_scalar:
        b = as_tensor(b, op)
    if a_scalar:
        if type(a) is bool:
            a = _promote.bool_scalar(b, a)
        elif b.array.dtype is not _FLOAT_SEEN[0]:
            b = _promote.with_scalar(b, a)
        return a, b, b.xp
    if not b_scalar:
        check_same_place(a, b, op)
        if a.array.dtype is not b.array.dtype:
            return _promote.promote(a, b)
    elif type(b) is bool:
        b = _promote.bool_scalar(a, b)
    elif a.array.dtype is not _FLOAT_SEEN[0]:
        a = _promote.with_scalar(a, b)
    return a, b, a.xp


def require_floating(x: Tensor, op: str) -> None:
    """A TypeError for integer or bool input to an op whose result is a fraction (mean, softmax).

    NumPy would answer in float64, which is not the float32 default; PyTorch refuses too.
    """
    if not _dtypes.is_floating(x.array.dtype):
        raise TypeError(f"{op} needs a floating-point tensor, got {x.dtype}: convert it first, "
                        f"e.g. x.to(dtype=xn.float32)")


def python_number(x: Any) -> Any:
    """``x`` as a plain Python number if it is any kind of scalar number, else ``x``."""
    if type(x) in SCALARS:
        return x
    number = _backend.scalar_value(x)
    return x if number is None else number


def value(x: Any) -> Any:
    """The native array of a Tensor, or the Python scalar itself."""
    return x.array if isinstance(x, Tensor) else x


def node(x: Any) -> Tensor:
    """A graph input for ``x``: the Tensor itself, or CONSTANT for a Python scalar."""
    return x if isinstance(x, Tensor) else CONSTANT


def needs_grad(x: Any) -> bool:
    return isinstance(x, Tensor) and x.requires_grad


def p_norm(xp: Any, a: Any, p: float, axis: Any = None, keepdims: bool = False) -> Any:
    """The ``p``-norm of the native array ``a`` over ``axis`` (None: all elements); ``p`` may
    be ``inf``, ``-inf`` or 0 (the count of nonzeros), as torch's ``norm``."""
    if p == 2.0:
        return xp.sqrt(xp.sum(a * a, axis=axis, keepdims=keepdims))
    size = xp.abs(a)
    if p == 1.0:
        return xp.sum(size, axis=axis, keepdims=keepdims)
    if p == math.inf:
        return xp.max(size, axis=axis, keepdims=keepdims)
    if p == -math.inf:
        return xp.min(size, axis=axis, keepdims=keepdims)
    if p == 0.0:
        return xp.sum(xp.astype(size != 0, a.dtype), axis=axis, keepdims=keepdims)
    return xp.sum(size**p, axis=axis, keepdims=keepdims) ** (1.0 / p)


def unbroadcast(xp: Any, g: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``g`` over the axes broadcasting added or stretched, so it has ``shape``.

    If ``y = x + b`` broadcast ``b`` of shape (out,) over a batch (N, out), every
    row used the same ``b``: its gradient is the sum of the rows' gradients.
    """
    gshape = tuple(g.shape)
    if gshape == tuple(shape):
        return g
    extra = len(gshape) - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and gshape[extra + i] != 1
    )
    if axes:
        g = xp.sum(g, axis=axes, keepdims=True)
    return xp.reshape(g, tuple(shape))


def keepdims_shape(shape: tuple[int, ...], axis: Any) -> tuple[int, ...]:
    """``shape`` with the reduced axes kept as 1 (for broadcasting a gradient back)."""
    ndim = len(shape)
    if axis is None:
        return (1,) * ndim
    axes = {a % ndim for a in (axis if isinstance(axis, tuple) else (axis,))}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def dropped_shape(shape: tuple[int, ...], axis: Any) -> tuple[int, ...]:
    """``shape`` without the reduced axes (``keepdims=False``); ``()`` when ``axis`` is None."""
    if axis is None:
        return ()
    axes = {a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,))}
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def dim_index(dim: Any, ndim: int, name: str) -> int:
    """``dim`` as an index in ``[0, ndim)``; an IndexError naming the valid range otherwise."""
    if isinstance(dim, bool) or not hasattr(dim, "__index__"):
        raise TypeError(f"{name}: dim must be an int, got {dim!r}")
    dim = operator.index(dim)  # a Python int, or NumPy's (torch takes both)
    top = max(ndim, 1)  # torch lets a 0-d tensor use dim 0 or -1
    if not -top <= dim < top:
        raise IndexError(f"{name}: Dimension out of range (expected to be in range of "
                         f"[{-top}, {top - 1}], but got {dim})")
    return dim % top
