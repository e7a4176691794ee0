"""``xpnet.autograd.function``: torch's ``torch.autograd.function`` names (``Function``,
``FunctionCtx``, ``once_differentiable``), for programs that import them from there."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .. import _dtypes
from .._autograd_api.function import Function, FunctionCtx
from .._double_backward import double_backward_ready
from ..tensor import Tensor, make_result
from . import is_grad_enabled, no_grad

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


def once_differentiable(fn: Callable[..., Any]) -> Callable[..., Any]:
    """torch's decorator for a ``Function.backward`` that cannot itself be differentiated.

    The backward runs without recording a graph. Under ``create_graph=True`` (when a
    gradient given to it has a graph), its results are marked as torch marks them:
    differentiating them again raises ``RuntimeError: trying to differentiate twice a
    function that was marked with @once_differentiable``.

    Args:
        fn: the ``backward(ctx, *grad_outputs)`` static method.
    """
    @functools.wraps(fn)
    def wrapper(ctx: Any, *grad_outputs: Any) -> Any:
        with no_grad():
            outputs = fn(ctx, *grad_outputs)
        if not is_grad_enabled() or not any(isinstance(g, Tensor) and g.requires_grad
                                            for g in grad_outputs):
            return outputs
        if not isinstance(outputs, tuple):
            return _delayed_error(outputs)
        return tuple(_delayed_error(o) for o in outputs)

    return wrapper


_TWICE = "trying to differentiate twice a function that was marked with @once_differentiable"


def _delayed_error(t: Any) -> Any:
    """``t`` (a result of a ``once_differentiable`` backward) as a node whose rule raises
    torch's RuntimeError: its values, with a graph that must not be differentiated."""
    if not isinstance(t, Tensor) or not _dtypes.is_floating(t.array.dtype):
        return t
    out = make_result(t.array, t.xp, (), None, "DelayedError")
    out.requires_grad = True
    out._backward = _raise_twice
    return out


def _raise_twice(g: Any) -> tuple[Any, ...]:
    raise RuntimeError(_TWICE)


double_backward_ready(_raise_twice)  # it reads nothing: on Tensors it raises the same
