"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_``, as in ``torch.nn.utils``.

Both rebind each parameter's ``.grad`` to a new array (gradients may be shared
or read-only) and never wait for the device: the clip coefficient stays an array.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import _backend
from ..functional._core import p_norm
from ..tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(params: list[Tensor], where: str) -> tuple[list[Tensor], Any]:
    """The parameters that have a ``.grad`` and their common namespace (None when there are none)."""
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"{where} expects Tensors (or one Tensor), got {type(p).__name__}")
    with_grad = [p for p in params if p.grad is not None]
    if not with_grad:
        return [], None
    first = _grad(with_grad[0])
    xp = _backend.namespace(first)
    for p in with_grad[1:]:
        if _backend.namespace(_grad(p)) is not xp or not _backend.same_device(xp, first, _grad(p)):
            here = _backend.describe(xp, _backend.device(first))
            there = _backend.describe(_backend.namespace(_grad(p)), _backend.device(_grad(p)))
            raise RuntimeError(
                f"{where}: gradients on different devices ({here}, {there}): move the parameters "
                "to one device with .to(...) first"
            )
    return with_grad, xp


def _grad(p: Tensor) -> Any:
    """The native array of ``p.grad`` (``p`` is one that :func:`_grads` returned)."""
    return p.grad.array  # type: ignore[union-attr]


def _norm(xp: Any, g: Any, p: float) -> Any:
    """The ``p``-norm of all elements of ``g`` as a 0-d array (``p`` may be ``inf``, ``-inf``, 0)."""
    return p_norm(xp, g, p)


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    r"""Scale all gradients together so that their total norm is at most ``max_norm``.

    The total norm is the ``norm_type``-norm of all gradients taken as one vector
    (``float('inf')``: the largest absolute value). Every gradient is multiplied by

    .. math::  c = \min\left(1, \frac{\text{max\_norm}}{\text{total} + 10^{-6}}\right)

    computed on the device (no host synchronisation). Returns the total norm
    (before clipping) as a 0-d Tensor. With ``error_if_nonfinite=True`` a nan
    or infinite norm raises RuntimeError (this check waits for the device).

    Args:
        parameters: a Tensor or an iterable of Tensors (``model.parameters()``); those whose
            ``.grad`` is None are skipped. All on one library and device.
        max_norm: the largest total norm allowed.
        norm_type: ``p`` of the p-norm (``float('inf')`` for the max-norm).
        error_if_nonfinite: raise when the total norm is nan or infinite.

    Returns:
        The total norm before clipping, a 0-d Tensor on the gradients' device.

    Raises:
        RuntimeError: ``error_if_nonfinite`` and the total norm is nan or infinite.
    """
    max_norm, norm_type = float(max_norm), float(norm_type)
    everything = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    params, xp = _grads(everything, "clip_grad_norm_")
    if xp is None:
        return _zero_norm(everything)
    norms = [_norm(xp, _grad(p), norm_type) for p in params]
    dtype = xp.result_type(*norms)
    total = _norm(xp, xp.stack([xp.astype(n, dtype) for n in norms]), norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
            "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
            "norm anyway, set `error_if_nonfinite=False`"
        )
    coef = xp.minimum(max_norm / (total + 1e-6), xp.ones_like(total))
    as_dtype: dict[Any, Any] = {}
    for p in params:
        dt = _grad(p).dtype
        if dt not in as_dtype:
            as_dtype[dt] = coef if dt == coef.dtype else xp.astype(coef, dt)
        p.grad.array = _grad(p) * as_dtype[dt]  # type: ignore[union-attr]
    return Tensor(total)


def _zero_norm(params: list[Tensor]) -> Tensor:
    """``0.0`` when no parameter has a gradient: on the first parameter's library and device."""
    if not params:
        xp, dev = _backend.resolve(None)
        return Tensor(xp.asarray(0.0, dtype=xp.float32, device=dev))
    first = params[0]
    return Tensor(first.xp.zeros((), dtype=first.array.dtype, device=_backend.device(first.array)))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clip every gradient element to ``[-clip_value, clip_value]``.

    Args:
        parameters: a Tensor or an iterable of Tensors (``model.parameters()``); those whose
            ``.grad`` is None are skipped. Each ``.grad`` is clipped in place.
        clip_value: the largest absolute value a gradient element may keep.
    """
    clip_value = float(clip_value)
    everything = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    params, xp = _grads(everything, "clip_grad_value_")
    for p in params:
        p.grad.array = xp.minimum(xp.maximum(_grad(p), -clip_value), clip_value)  # type: ignore[union-attr]  # clip with no mask: no GPU wait


from .param_vector import parameters_to_vector, vector_to_parameters  # noqa: E402

__all__ += ["parameters_to_vector", "vector_to_parameters"]
