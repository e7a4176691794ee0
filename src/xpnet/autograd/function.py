"""``xpnet.autograd.function``: torch's ``torch.autograd.function`` names (``Function``,
``FunctionCtx``, ``once_differentiable``), for programs that import them from there."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .._autograd_api.function import Function, FunctionCtx

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


def once_differentiable(fn: Callable[..., Any]) -> Callable[..., Any]:
    """torch's decorator for a ``Function.backward`` that cannot itself be differentiated.

    The backward runs as written. A custom ``Function``'s backward is never differentiated
    again in xpnet (``create_graph=True`` through it raises NotImplementedError), so this
    only marks the intent.

    Args:
        fn: the ``backward(ctx, *grad_outputs)`` static method.
    """
    @functools.wraps(fn)
    def wrapper(ctx: Any, *grad_outputs: Any) -> Any:
        return fn(ctx, *grad_outputs)

    return wrapper
