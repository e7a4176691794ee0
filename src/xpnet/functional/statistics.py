"""Statistics and norms with torch's names and keywords: forward, then the chain rule.

Each takes ``dim`` (an int, a tuple, or None for all axes) and ``keepdim``, as torch;
``G`` is the gradient arriving at the output (reshaped to keep the reduced axes
before it is broadcast back over them).
"""

from __future__ import annotations

import math
from typing import Any

from .. import _backend, _dtypes
from .._size import reduced_count
from ._core import Tensor, as_tensor, dim_index, dropped_shape, keepdims_shape, make_result

__all__ = ["cumprod", "cumsum", "logsumexp", "norm", "prod", "std", "var"]


def _dims(dim: Any) -> Any:
    return tuple(dim) if isinstance(dim, list) else dim


def _floating_only(x: Tensor, name: str) -> None:
    if not _dtypes.is_floating(x.array.dtype):
        raise RuntimeError(f"{name} needs a floating-point tensor, got {x.dtype} (as torch): convert "
                           "it first, e.g. x.float()")


def _correction(name: str, dim: Any, unbiased: Any, correction: Any) -> tuple[Any, float]:
    """torch's overloads: ``var(x, unbiased)``, ``var(x, dim, unbiased)``, ``var(x, dim, correction=c)``."""
    if isinstance(dim, bool):  # var(x, False): the second argument is unbiased
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}: give unbiased or correction, not both")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return _dims(dim), float(correction)


def var(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None) -> Tensor:
    """Variance over ``dim``: ``sum((x - mean)**2) / (N - correction)`` (correction 1 by default).

    dL/dx = G * 2 (x - mean) / (N - correction).

    Args:
        input: ``x``, a floating Tensor of any shape, on any device.
        dim: the axis or tuple of axes reduced (all when None); a bool here is taken as
            ``unbiased`` (torch's ``var(x, False)``).
        unbiased: True (default): ``correction=1``; False: ``correction=0``.
        keepdim: keep the reduced axes with size 1.
        correction: subtracted from the count ``N`` in the denominator (default 1).

    Raises:
        RuntimeError: ``input`` is not floating-point (as torch).
        TypeError: both ``unbiased`` and ``correction`` are given.
    """
    x, dim, c, kept, denominator = _spread(input, dim, unbiased, correction, "var")
    xp = x.xp
    out = xp.var(x.array, axis=dim, correction=c, keepdims=keepdim)

    def backward(g: Any) -> tuple[Any]:
        centered = x.array - xp.mean(x.array, axis=dim, keepdims=True)
        return (xp.reshape(g, kept) * (2 / denominator if denominator else math.inf) * centered,)

    return make_result(out, xp, (x,), backward, "var")


def _spread(input: Any, dim: Any, unbiased: Any, correction: Any,
            name: str) -> tuple[Tensor, Any, Any, tuple[int, ...], Any]:
    """What var and std share: ``(x, dim, correction, kept shape, N - correction)``."""
    x = as_tensor(input, name)
    _floating_only(x, name)
    dim, c = _correction(name, dim, unbiased, correction)
    shape = tuple(x.array.shape)
    return x, dim, c, keepdims_shape(shape, dim), max(reduced_count(shape, dim) - c, 0)


def std(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None) -> Tensor:
    """Standard deviation over ``dim``: ``sqrt(var(x, dim, correction))``.

    dL/dx = G (x - mean) / ((N - correction) out).

    Args:
        input: ``x``, a floating Tensor of any shape, on any device.
        dim: the axis or tuple of axes reduced (all when None); a bool here is taken as
            ``unbiased`` (torch's ``var(x, False)``).
        unbiased: True (default): ``correction=1``; False: ``correction=0``.
        keepdim: keep the reduced axes with size 1.
        correction: subtracted from the count ``N`` in the denominator (default 1).

    Raises:
        RuntimeError: ``input`` is not floating-point (as torch).
        TypeError: both ``unbiased`` and ``correction`` are given.
    """
    x, dim, c, kept, denominator = _spread(input, dim, unbiased, correction, "std")
    xp = x.xp
    out = xp.std(x.array, axis=dim, correction=c, keepdims=keepdim)

    def backward(g: Any) -> tuple[Any]:
        centered = x.array - xp.mean(x.array, axis=dim, keepdims=True)
        scale = xp.reshape(g, kept) / (xp.reshape(out, kept) * denominator)
        return (scale * centered,)

    return make_result(out, xp, (x,), backward, "std")




def norm(input: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    """The vector p-norm over ``dim`` (all elements when None): ``(sum |x|**p) ** (1/p)``.

    ``p`` is a number, ``inf``/``-inf`` (max/min of ``|x|``), 0 (count of nonzeros) or
    ``"fro"`` (2). dL/dx = G sign(x) |x|**(p-1) / out**(p-1) (0 where out is 0);
    p=2: G x / out; p=1: G sign(x); p=inf: G sign(x) at the largest |x|, shared by ties.

    Args:
        input: ``x``, a Tensor of any shape, on any device; integer input is cast to the
            default float dtype.
        p: the order (see above).
        dim: the axis or tuple of axes reduced (all elements when None).
        keepdim: keep the reduced axes with size 1.
        dtype: cast ``input`` to this dtype first.

    Raises:
        NotImplementedError: ``p`` is not a number, ``inf``, ``-inf`` or ``"fro"``.
    """
    x = as_tensor(input, "norm")
    if dtype is not None:
        x = x.to(dtype=dtype)
    _floating_only(x, "norm")
    if p == "fro" or p is None:
        p = 2
    if isinstance(p, str):
        raise NotImplementedError(f"norm: p={p!r} is not supported; use a number, inf, -inf or 'fro'")
    dim = _dims(dim)
    xp, xv, kept = x.xp, x.array, keepdims_shape(tuple(x.array.shape), dim)
    a = xp.abs(xv)
    if math.isinf(p):
        out = (xp.max if p > 0 else xp.min)(a, axis=dim, keepdims=True)
    elif p == 0:
        out = xp.sum(xp.astype(xv != 0, xv.dtype), axis=dim, keepdims=True)
    elif p == 1:
        out = xp.sum(a, axis=dim, keepdims=True)
    elif p == 2:
        out = xp.sqrt(xp.sum(xv * xv, axis=dim, keepdims=True))
    else:
        out = xp.sum(a**p, axis=dim, keepdims=True) ** (1 / p)

    def backward(g: Any) -> tuple[Any]:
        g = xp.reshape(g, kept)
        zero = xp.zeros_like(xv)
        if p == 0:
            return (zero,)
        if p == 1:
            return (g * xp.sign(xv),)
        if math.isinf(p):
            hit = xp.astype(a == out, xv.dtype)
            return (g * xp.sign(xv) * hit / xp.sum(hit, axis=dim, keepdims=True),)
        safe = xp.where(out == 0, xp.ones_like(out), out)
        if p == 2:
            return (xp.where(out == 0, zero, g * xv / safe),)
        return (xp.where(out == 0, zero, g * xp.sign(xv) * a ** (p - 1) / safe ** (p - 1)),)

    result = out if keepdim else xp.reshape(out, dropped_shape(tuple(xv.shape), dim))
    return make_result(result, xp, (x,), backward, "norm")


def _integer_sum_dtype(xp: Any, x: Tensor, dtype: Any) -> Any:
    """torch's accumulation dtype: ``dtype`` if given; integers and bools widen to int64."""
    if dtype is not None:
        return _dtypes.resolve(dtype, xp)
    if _dtypes.is_floating(x.array.dtype):
        return None
    return xp.int64


def prod(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The product over ``dim`` (all elements when None); integers give int64, as torch.

    dL/dx_i = G * prod_{j != i} x_j: out / x_i where x_i != 0; where x_i is the only
    zero, the product of the others; 0 where another element is zero too.

    Args:
        input: ``x``, a Tensor of any shape, on any device.
        dim: the axis reduced (all elements when None).
        keepdim: keep the reduced axis with size 1.
        dtype: the dtype to accumulate in (``input`` is cast first); by default floating
            input keeps its dtype and integer or bool input gives int64.
    """
    x = as_tensor(input, "prod")
    xp = x.xp
    target = _integer_sum_dtype(xp, x, dtype)
    xv = x.array if target is None or x.array.dtype == target else xp.astype(x.array, target)
    out = xp.prod(xv, axis=dim, keepdims=True)
    kept = tuple(out.shape)

    def backward(g: Any) -> tuple[Any]:
        g = xp.reshape(g, kept)
        is_zero = xv == 0
        nonzero = xp.where(is_zero, xp.ones_like(xv), xv)
        others = xp.prod(nonzero, axis=dim, keepdims=True)  # product of the nonzero elements
        zeros = xp.sum(xp.astype(is_zero, xv.dtype), axis=dim, keepdims=True)
        at_zero = xp.where(zeros == 1, others, xp.zeros_like(others))
        return (g * xp.where(is_zero, at_zero, out / nonzero),)

    result = out if keepdim else xp.reshape(out, dropped_shape(tuple(xv.shape), dim))
    return make_result(result, xp, (x,), backward, "prod")


def cumsum(input: Any, dim: int, *, dtype: Any = None) -> Tensor:
    """Running sums along ``dim``: ``out_i = x_0 + ... + x_i``; integers give int64.

    dL/dx_i = G_i + ... + G_last: the running sum of G from the end (flip, cumsum, flip).

    Args:
        input: ``x``, a Tensor of any shape, on any device; the result has its shape.
        dim: the axis summed along.
        dtype: the dtype of the result (``input`` is cast first); by default floating
            input keeps its dtype and integer or bool input gives int64.
    """
    x = as_tensor(input, "cumsum")
    xp = x.xp
    target = _integer_sum_dtype(xp, x, dtype)
    xv = x.array if target is None or x.array.dtype == target else xp.astype(x.array, target)
    axis = dim_index(dim, xv.ndim, "cumsum")
    if xv.ndim == 0:
        return make_result(xv, xp, (x,), lambda g: (g,), "cumsum", saves=False)

    def backward(g: Any) -> tuple[Any]:
        return (xp.flip(xp.cumulative_sum(xp.flip(g, axis=axis), axis=axis), axis=axis),)

    return make_result(xp.cumulative_sum(xv, axis=axis), xp, (x,), backward, "cumsum", saves=False)


def logsumexp(input: Any, dim: Any, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``dim``, computed without overflow (shifted by the max).

    dL/dx = G exp(x - out): the softmax of x along ``dim``, times G.

    Args:
        input: ``x``, a floating Tensor of any shape, on any device.
        dim: the axis or tuple of axes reduced.
        keepdim: keep the reduced axes with size 1.
    """
    x = as_tensor(input, "logsumexp")
    xp, xv = x.xp, x.array
    dim = _dims(dim)
    if not _dtypes.is_floating(xv.dtype):
        xv = xp.astype(xv, _dtypes.resolve(None, xp))  # the default float dtype
    peak = xp.max(xv, axis=dim, keepdims=True)
    peak = xp.where(xp.isinf(peak), xp.zeros_like(peak), peak)
    out = peak + xp.log(xp.sum(xp.exp(xv - peak), axis=dim, keepdims=True))

    def backward(g: Any) -> tuple[Any]:
        return (xp.reshape(g, tuple(out.shape)) * xp.exp(xv - out),)

    result = out if keepdim else xp.reshape(out, dropped_shape(tuple(xv.shape), dim))
    return make_result(result, xp, (x,), backward, "logsumexp")


def cumprod(input: Any, dim: int, *, dtype: Any = None) -> Tensor:
    """Running products along ``dim``: ``out_i = x_0 * ... * x_i``; integers give int64.

    dL/dx_i = sum_{j >= i} G_j prod_{k <= j, k != i} x_k, computed without dividing
    (exact where some x_k are zero, as torch) from the (n, n) running products
    ``C[i, j] = prod_{i < k <= j} x_k``: the backward costs n**2 memory per row of
    length n along ``dim``.

    Args:
        input: a Tensor or an array of any supported library.
        dim: the axis to run along (negative counts from the end).
        dtype: the result's dtype (the input is cast first); None: the input's, with
            integers and bools in int64 as torch.

    Raises:
        IndexError: ``dim`` out of range.
    """
    x = as_tensor(input, "cumprod")
    xp = x.xp
    target = _integer_sum_dtype(xp, x, dtype)
    xv = x.array if target is None or x.array.dtype == target else xp.astype(x.array, target)
    axis = dim_index(dim, xv.ndim, "cumprod")
    if xv.ndim == 0:
        return make_result(xv, xp, (x,), lambda g: (g,), "cumprod", saves=False)
    out = xp.cumulative_prod(xv, axis=axis)

    def backward(g: Any) -> tuple[Any]:
        xl, gl, ol = (xp.moveaxis(a, axis, -1) for a in (xv, g, out))
        n = xl.shape[-1]
        dev = _backend.device(xl)
        steps = xp.arange(n, device=dev)
        after = xp.reshape(steps, (1, n)) > xp.reshape(steps, (n, 1))  # [i, k]: k > i
        ones = xp.ones_like(xl[..., :1, None])
        runs = xp.cumulative_prod(xp.where(after, xp.expand_dims(xl, axis=-2), ones), axis=-1)  # C[.., i, j]
        from_i = xp.reshape(steps, (1, n)) >= xp.reshape(steps, (n, 1))  # [i, j]: j >= i
        summed = xp.sum(xp.where(from_i, xp.expand_dims(gl, axis=-2) * runs, xp.zeros_like(runs)), axis=-1)
        before = xp.concat([xp.ones_like(ol[..., :1]), ol[..., :-1]], axis=-1)  # prod_{k < i} x_k
        return (xp.moveaxis(before * summed, -1, axis),)

    return make_result(out, xp, (x,), backward, "cumprod")
