"""Reductions over axes. Backward spreads ``G`` back over the reduced axes.

Each takes torch's keywords (``dim=``, ``keepdim=``) beside the Array API's
(``axis=``, ``keepdims=``); the second positional argument is the axis.
"""

from __future__ import annotations

import builtins
import numbers
import operator
from typing import Any, NamedTuple

from .. import _backend, _dtypes
from .._double_backward import double_backward_ready
from .._size import reduced_count
from . import _promote
from ._core import Tensor, as_tensor, dim_index, dropped_shape, keepdims_shape, make_result, require_floating


class ValuesIndices(NamedTuple):
    """What ``max(x, dim)`` / ``min(x, dim)`` return: ``(values, indices)``, named as torch's."""

    values: Tensor
    indices: Tensor

    def __repr__(self) -> str:
        return (f"xpnet.return_types.{type(self).__name__}(\nvalues={self.values!r},"
                f"\nindices={self.indices!r})")


# torch.return_types.max / .min: the type of the result carries the op's name.
class _Max(ValuesIndices):
    __slots__ = ()


class _Min(ValuesIndices):
    __slots__ = ()


_Max.__name__ = _Max.__qualname__ = "max"
_Min.__name__ = _Min.__qualname__ = "min"
_RESULT = {"max": _Max, "min": _Min}


def axis_of(axis: Any, dim: Any, keepdims: bool, keepdim: bool | None,
            op: str) -> tuple[Any, bool]:
    """The axis and keepdims of a reduction given in either spelling (``dim=`` or ``axis=``)."""
    if dim is not None:
        if axis is not None and axis != dim:
            raise TypeError(f"{op}: got both axis={axis!r} and dim={dim!r}: pass one of them")
        axis = dim
    if isinstance(axis, list):
        axis = tuple(axis)
    return axis, keepdims if keepdim is None else bool(keepdim)


def sum(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
        keepdim: bool | None = None, dtype: Any = None) -> Tensor:
    """Sum over ``axis``/``dim`` (all axes when None).  dL/dx = G broadcast back over the axes.

    As in torch: bool and integer tensors sum to int64; ``dtype=`` casts the input first.

    Args:
        x: ``input``: a Tensor of any shape, on any device.
        axis: the axis or tuple of axes reduced (all when None); the second positional argument.
        keepdims: keep the reduced axes with size 1.
        dim: torch's name for ``axis`` (give one of them).
        keepdim: torch's name for ``keepdims``.
        dtype: cast ``x`` to this dtype first.

    Raises:
        TypeError: ``axis`` and ``dim`` are both given and differ.
    """
    x = as_tensor(x, "sum")
    axis, keepdims = axis_of(axis, dim, keepdims, keepdim, "sum")
    if dtype is not None:
        x = _promote.cast(x, _dtypes.resolve_name(dtype)) if x.dtype != dtype else x
    xp = x.xp
    shape = tuple(x.array.shape)
    kept = keepdims_shape(shape, axis)

    def backward(g: Any) -> tuple[Any]:
        return (xp.broadcast_to(xp.reshape(g, kept), shape),)

    if _dtypes.is_floating(x.array.dtype):
        out = xp.sum(x.array, axis=axis, keepdims=keepdims)
    else:  # torch: integers and bools sum to int64 (the Array API leaves it to the library)
        ints = x.array if x.dtype != "bool" else xp.astype(x.array, xp.int64)
        out = xp.sum(ints, axis=axis, keepdims=keepdims, dtype=xp.int64)
    return make_result(out, xp, (x,), backward, "sum", saves=False)


def mean(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
         keepdim: bool | None = None, dtype: Any = None) -> Tensor:
    """Mean over ``axis``/``dim``.  dL/dx = G / n broadcast back, n the count averaged.

    Raises TypeError for integer input, as torch (which raises RuntimeError) does;
    ``dtype=`` casts the input first.

    Args:
        x: ``input``: a floating Tensor of any shape, on any device (see ``dtype``).
        axis: the axis or tuple of axes reduced (all when None); the second positional argument.
        keepdims: keep the reduced axes with size 1.
        dim: torch's name for ``axis`` (give one of them).
        keepdim: torch's name for ``keepdims``.
        dtype: cast ``x`` to this dtype first.

    Raises:
        TypeError: ``x`` is not floating-point (and no floating ``dtype`` is given).
        TypeError: ``axis`` and ``dim`` are both given and differ.
    """
    x = as_tensor(x, "mean")
    if dtype is not None:
        x = _promote.cast(x, _dtypes.resolve_name(dtype)) if x.dtype != dtype else x
    require_floating(x, "mean")
    axis, keepdims = axis_of(axis, dim, keepdims, keepdim, "mean")
    xp = x.xp
    shape = tuple(x.array.shape)
    kept = keepdims_shape(shape, axis)
    count = reduced_count(shape, axis)

    def backward(g: Any) -> tuple[Any]:
        return (xp.broadcast_to(xp.reshape(g / count, kept), shape),)

    out = xp.mean(x.array, axis=axis, keepdims=keepdims)
    return make_result(out, xp, (x,), backward, "mean", saves=False)


def _amax(x: Tensor, axis: Any, keepdims: bool, name: str) -> Tensor:
    """The extremum over ``axis`` (all axes, or a tuple).  dL/dx = G shared among ties."""
    xp = x.xp
    shape = tuple(x.array.shape)
    kept = keepdims_shape(shape, axis)
    out = getattr(xp, name)(x.array, axis=axis, keepdims=True)

    def backward(g: Any) -> tuple[Any]:
        # Ties share the gradient equally, as torch's max() and amax() do.
        hit = xp.astype(x.array == out, g.dtype)
        return (hit * xp.reshape(g, kept) / xp.sum(hit, axis=axis, keepdims=True),)

    return make_result(out if keepdims else xp.reshape(out, dropped_shape(shape, axis)),
                       xp, (x,), backward, "a" + name)  # torch's amax / amin


def _values_indices(x: Tensor, axis: int, keepdims: bool, name: str) -> ValuesIndices:
    """``(values, indices)`` of the extremum along one axis.  dL/dx = G at the index, else 0."""
    xp = x.xp
    shape = tuple(x.array.shape)
    axis = dim_index(axis, len(shape), name)  # a 0-d tensor: torch allows dim 0 / -1
    if not shape:
        index = xp.zeros((), dtype=xp.int64, device=_backend.device(x.array))
        return _RESULT[name](make_result(x.array, xp, (x,), lambda g: (g,), name, saves=False),
                             make_result(index, xp, (), None, "arg" + name))
    index = getattr(xp, "arg" + name)(x.array, axis=axis, keepdims=True)
    values = getattr(xp, name)(x.array, axis=axis, keepdims=True)
    positions = xp.reshape(xp.arange(shape[axis], dtype=index.dtype, device=_backend.device(index)),
                           tuple(-1 if i == axis else 1 for i in range(len(shape))))

    def backward(g: Any) -> tuple[Any]:
        if not keepdims:
            g = xp.expand_dims(g, axis=axis)
        return (xp.where(positions == index, g, xp.zeros_like(g)),)

    if not keepdims:
        values, indices = xp.squeeze(values, axis=axis), xp.squeeze(index, axis=axis)
    else:
        indices = index
    return _RESULT[name](make_result(values, xp, (x,), backward, name, saves=False),
                         make_result(indices, xp, (), None, "arg" + name))


def _extremum(x: Any, axis: Any, keepdims: bool, dim: Any, keepdim: bool | None,
              name: str) -> Any:
    if isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
        axis = operator.index(axis)  # NumPy's integer scalars are dims, as in torch (not arrays)
    if isinstance(axis, Tensor) or _backend.is_array(axis):  # torch.max(a, b): elementwise
        from . import arithmetic

        other = getattr(arithmetic, "maximum" if name == "max" else "minimum", None)
        if other is not None:
            return other(x, axis)
        a, b = as_tensor(x, name), as_tensor(axis, name)
        return arithmetic.where(a >= b if name == "max" else a <= b, a, b)
    x = as_tensor(x, name)
    axis, keepdims = axis_of(axis, dim, keepdims, keepdim, name)
    if isinstance(axis, builtins.int):
        return _values_indices(x, axis, keepdims, name)
    return _amax(x, axis, keepdims, name)


def max(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
        keepdim: bool | None = None) -> Any:
    """The largest value, as in torch.

    ``max(x)``: the largest element (a 0-d tensor); dL/dx = G shared among ties.
    ``max(x, dim)``: ``(values, indices)`` along ``dim`` (:class:`ValuesIndices`), the first
    index among ties; dL/dx = G at the index. ``max(x, (0, 1))``: the values over several
    axes (torch's ``amax``). ``max(a, b)`` with ``b`` a tensor: the elementwise maximum.
    Raises IndexError for a dim out of range.

    Args:
        x: ``input``: a Tensor of any shape, on any device.
        axis: None (the extremum of all elements), an int (then ``(values, indices)``), a
            tuple of ints, or a Tensor (then the elementwise extremum of ``x`` and it).
        keepdims: keep the reduced axes with size 1.
        dim: torch's name for ``axis`` (give one of them).
        keepdim: torch's name for ``keepdims``.

    Raises:
        IndexError: ``dim`` is out of range.
        TypeError: ``axis`` and ``dim`` are both given and differ.
    """
    return _extremum(x, axis, keepdims, dim, keepdim, "max")


def min(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
        keepdim: bool | None = None) -> Any:
    """The smallest value, as :func:`max` (``min(x, dim)`` gives ``(values, indices)``).

    Args:
        x: ``input``: a Tensor of any shape, on any device.
        axis: None (the extremum of all elements), an int (then ``(values, indices)``), a
            tuple of ints, or a Tensor (then the elementwise extremum of ``x`` and it).
        keepdims: keep the reduced axes with size 1.
        dim: torch's name for ``axis`` (give one of them).
        keepdim: torch's name for ``keepdims``.

    Raises:
        IndexError: ``dim`` is out of range.
        TypeError: ``axis`` and ``dim`` are both given and differ.
    """
    return _extremum(x, axis, keepdims, dim, keepdim, "min")


def _arg(x: Any, axis: Any, keepdims: bool, dim: Any, keepdim: bool | None, name: str) -> Tensor:
    x = as_tensor(x, name)
    axis, keepdims = axis_of(axis, dim, keepdims, keepdim, name)
    xp = x.xp
    if axis is None and keepdims:  # torch: the flat index, shaped (1, 1, ...)
        out = xp.reshape(getattr(xp, name)(x.array), (1,) * x.ndim)
    else:
        out = getattr(xp, name)(x.array, axis=axis, keepdims=keepdims)
    return make_result(out, xp, (), None, name)


def argmax(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
           keepdim: bool | None = None) -> Tensor:
    """The index (int64) of the largest value along ``dim`` (of the flattened tensor when None).

    The first index among ties, as torch on the CPU. Not differentiable.

    Args:
        x: ``input``: a Tensor of any shape, on any device.
        axis: the axis searched (None: the index into the flattened tensor).
        keepdims: keep the reduced axes with size 1.
        dim: torch's name for ``axis`` (give one of them).
        keepdim: torch's name for ``keepdims``.

    Raises:
        TypeError: ``axis`` and ``dim`` are both given and differ.
    """
    return _arg(x, axis, keepdims, dim, keepdim, "argmax")


def argmin(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
           keepdim: bool | None = None) -> Tensor:
    """The index (int64) of the smallest value along ``dim``, as :func:`argmax`.

    Args:
        x: ``input``: a Tensor of any shape, on any device.
        axis: the axis searched (None: the index into the flattened tensor).
        keepdims: keep the reduced axes with size 1.
        dim: torch's name for ``axis`` (give one of them).
        keepdim: torch's name for ``keepdims``.

    Raises:
        TypeError: ``axis`` and ``dim`` are both given and differ.
    """
    return _arg(x, axis, keepdims, dim, keepdim, "argmin")


# Their rules read only xp and shapes: they run on Tensors too (see xpnet._double_backward).
double_backward_ready(sum, mean)
