"""Inverses, solves and determinants (torch.linalg's names), written with the Array API's
``linalg`` extension, each with its gradient:

* ``inv``:     X = A^-1;             dA = -X^T G X^T
* ``solve``:   X = A^-1 B;           dB = A^-T G,  dA = -dB X^T
* ``det``:     d = det A;            dA = G d A^-T
* ``slogdet``: (sign, log|det A|);   dA = G_logabsdet A^-T  (sign: no gradient)

All act on the last two dims, batches broadcast. A singular matrix raises
:class:`LinAlgError` (a RuntimeError, as torch's) where the library reports it.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from .. import _backend, _dtypes
from .._double_backward import double_backward_ready
from ._core import Tensor, as_tensor, check_same_place, make_result, needs_grad, unbroadcast

__all__ = ["LinAlgError", "det", "inv", "logdet", "slogdet", "solve"]


class LinAlgError(RuntimeError):
    """A matrix the operation cannot handle (singular, not positive-definite): torch's
    ``torch.linalg.LinAlgError``, a RuntimeError."""


class slogdet_result(NamedTuple):
    """What ``slogdet`` returns: ``(sign, logabsdet)``, named as torch's."""

    sign: Tensor
    logabsdet: Tensor


def linalg_of(xp: Any) -> Any:
    """The ``linalg`` extension of the namespace ``xp`` (the backend object's, or its library's)."""
    la = getattr(xp, "linalg", None)
    return la if la is not None else xp.namespace.linalg


def _square(x: Tensor, name: str) -> None:
    if not _dtypes.is_floating(x.array.dtype):
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{x.dtype}: convert it first, e.g. A.double()")
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        got = f"{x.shape[-2]} by {x.shape[-1]} matrices" if x.ndim >= 2 else f"a {x.ndim}-D tensor"
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {got}")


def _call(name: str, xp: Any, f: Any, *args: Any) -> Any:
    """``f(*args)``, a singular matrix reported as :class:`LinAlgError` whichever way the
    library reports it: an exception (NumPy, torch, CuPy), or non-finite results where its
    backend says it does not raise (``xp.linalg_raises``: JAX), checked where reading is free."""
    try:
        out = f(*args)
    except Exception as e:  # each library names its own error; torch's is a RuntimeError
        if "LinAlgError" in type(e).__name__ or "singular" in str(e).lower():
            raise LinAlgError(f"{name}: the input matrix is singular ({e}): its rows are not "
                              f"independent, so it has no inverse") from None
        raise
    if (not getattr(xp, "linalg_raises", True) and xp.on_host(_backend.device(out))
            and not bool(xp.all(xp.isfinite(out))) and bool(xp.all(xp.isfinite(args[0])))):
        raise LinAlgError(f"{name}: the input matrix is singular: its rows are not independent, "
                          "so it has no inverse")
    return out


def _broadcast_shape(s1: tuple[int, ...], s2: tuple[int, ...], name: str) -> tuple[int, ...]:
    n = max(len(s1), len(s2))
    s1, s2 = (1,) * (n - len(s1)) + s1, (1,) * (n - len(s2)) + s2
    if any(p != q and 1 not in (p, q) for p, q in zip(s1, s2)):
        raise RuntimeError(f"{name}: the batch dims {s1} and {s2} do not broadcast")
    return tuple(max(p, q) if 1 in (p, q) else p for p, q in zip(s1, s2))


def _t(xp: Any, a: Any) -> Any:
    return xp.matrix_transpose(a)


def inv(A: Any) -> Tensor:
    """The inverse of each square matrix.  Shapes: (..., n, n) -> (..., n, n).

    dA = -X^T G X^T with X = A^-1.

    Raises:
        RuntimeError: non-square or integer input.  LinAlgError: a singular matrix.
    """
    a = as_tensor(A, "linalg.inv")
    _square(a, "linalg.inv")
    xp = a.xp
    out = _call("linalg.inv", xp, linalg_of(xp).inv, a.array)

    def backward(g: Any) -> tuple[Any]:
        xt = _t(xp, out)
        return (-(xt @ g @ xt),)

    return make_result(out, xp, (a,), backward, "inv")


def solve(A: Any, B: Any, *, left: bool = True) -> Tensor:
    """X with ``A X = B`` (``left=False``: ``X A = B``).

    Shapes: A (..., n, n); B (..., n, k), or (..., n) (a batch of vectors, when its shape is
    A's batch shape with n); batch dims broadcast.  dB = A^-T G,  dA = -dB X^T.

    Raises:
        RuntimeError: non-square A, integer input, shapes that do not match.
        LinAlgError: a singular A.
    """
    a, b = as_tensor(A, "linalg.solve"), as_tensor(B, "linalg.solve")
    check_same_place(a, b, "linalg.solve")
    _square(a, "linalg.solve")
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return solve(a.mT, b.mT).mT
    xp = a.xp
    av, bv = a.array, b.array
    if av.dtype != bv.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found "
                           f"A of type {a.dtype} and B of type {b.dtype} instead")
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and tuple(b.shape) == tuple(a.shape[:-1]))
    rhs = xp.expand_dims(bv, axis=-1) if vector else bv
    if rhs.shape[-2] != av.shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({a.shape[-2]}x{a.shape[-1]} and {b.shape[-2] if not vector else b.shape[-1]}x"
                           f"{1 if vector else b.shape[-1]})")
    batch = _broadcast_shape(tuple(av.shape[:-2]), tuple(rhs.shape[:-2]), "linalg.solve")
    a_full = xp.broadcast_to(av, batch + tuple(av.shape[-2:]))
    rhs_full = xp.broadcast_to(rhs, batch + tuple(rhs.shape[-2:]))
    x = _call("linalg.solve", xp, linalg_of(xp).solve, a_full, rhs_full)

    def backward(g: Any) -> tuple[Any, Any]:
        g2 = xp.expand_dims(g, axis=-1) if vector else g
        gb = _call("linalg.solve", xp, linalg_of(xp).solve, _t(xp, a_full), g2)  # dB = A^-T G
        ga = -(gb @ _t(xp, x)) if needs_grad(a) else None  # dA = -dB X^T
        gb_out = None
        if needs_grad(b):
            gb_out = unbroadcast(xp, gb, tuple(rhs.shape))
            if vector:
                gb_out = xp.reshape(gb_out, tuple(bv.shape))
        return (unbroadcast(xp, ga, tuple(av.shape)) if ga is not None else None), gb_out

    out = xp.squeeze(x, axis=-1) if vector else x
    return make_result(out, xp, (a, b), backward, "solve")


def det(A: Any) -> Tensor:
    """The determinant of each square matrix.  Shapes: (..., n, n) -> (...).

    dA = G det(A) A^-T (needs A invertible; torch's rule for singular A is not reproduced).

    Raises:
        RuntimeError: non-square or integer input.
    """
    a = as_tensor(A, "linalg.det")
    _square(a, "linalg.det")
    xp, av = a.xp, a.array
    out = linalg_of(xp).det(av)

    def backward(g: Any) -> tuple[Any]:
        inv_t = _t(xp, _call("linalg.det", xp, linalg_of(xp).inv, av))
        return (xp.expand_dims(xp.expand_dims(g * out, axis=-1), axis=-1) * inv_t,)

    return make_result(out, xp, (a,), backward, "det")


def slogdet(A: Any) -> slogdet_result:
    """``(sign, logabsdet)`` of each square matrix's determinant (stable for large or tiny ones).

    d(logabsdet)/dA = A^-T;  ``sign`` has no gradient.

    Raises:
        RuntimeError: non-square or integer input.
    """
    a = as_tensor(A, "linalg.slogdet")
    _square(a, "linalg.slogdet")
    xp, av = a.xp, a.array
    sign, logabs = linalg_of(xp).slogdet(av)

    def backward(g: Any) -> tuple[Any]:
        inv_t = _t(xp, _call("linalg.slogdet", xp, linalg_of(xp).inv, av))
        return (xp.expand_dims(xp.expand_dims(g, axis=-1), axis=-1) * inv_t,)

    return slogdet_result(make_result(sign, xp, (), None, "slogdet"),
                          make_result(logabs, xp, (a,), backward, "slogdet"))


def logdet(A: Any) -> Tensor:
    """``log(det A)``: NaN for a negative determinant, -inf for a zero one (as torch).

    Composed: logabsdet + log(sign) (the sign is a constant), so dA = G A^-T (for det > 0;
    torch's gradient where det <= 0 is not reproduced).

    Args:
        A: a floating Tensor (..., n, n).

    Raises:
        RuntimeError: non-square or integer input.
    """
    sign, logabs = slogdet(A)
    xp = logabs.xp
    sv = sign.array
    zero = xp.zeros_like(sv)
    shift = xp.where(sv > zero, zero, xp.where(sv < zero, zero + math.nan, zero - math.inf))  # log(sign)
    return logabs + make_result(shift, xp, (), None, "logdet")


# The rules of inv, det and slogdet read only xp (its linalg.inv: xpnet's inv on Tensors), their
# node's input and output arrays and g: they run on Tensors as they are (xpnet._double_backward).
# solve's keeps derived arrays (the broadcast A, X before squeezing): _autograd_api.double_linalg.
double_backward_ready(inv, det, slogdet)
