"""``set_grad_enabled`` and ``inference_mode``: torch's switches of grad mode.

Both set :data:`xpnet.autograd.grad_mode` (per thread) and restore it on exit; both
work as context managers and as decorators, as in torch.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from ..autograd import grad_mode

__all__ = ["inference_mode", "set_grad_enabled"]

F = TypeVar("F", bound=Callable[..., Any])


def _decorate(fn: F, mode: bool | None) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        previous = grad_mode.enabled
        if mode is not None:
            grad_mode.enabled = mode
        try:
            return fn(*args, **kwargs)
        finally:
            grad_mode.enabled = previous

    return wrapper  # type: ignore[return-value]


class set_grad_enabled:
    """Turn recording of the graph on or off: ``set_grad_enabled(is_train)``.

    As in torch, the mode changes when the object is made, so it works as a plain
    call, as ``with set_grad_enabled(False): ...`` (restored on exit), and as a
    decorator (the mode then holds only while the function runs).
    """

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(mode) expects a bool, got {type(mode).__name__}")
        self.mode = mode
        self.previous = grad_mode.enabled
        grad_mode.enabled = mode

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        grad_mode.enabled = self.previous

    def __call__(self, fn: F) -> F:
        grad_mode.enabled = self.previous  # as a decorator, the call itself changes nothing
        return _decorate(fn, self.mode)

    def clone(self) -> set_grad_enabled:
        return set_grad_enabled(self.mode)


class inference_mode:
    """Run without recording the graph, for inference: ``with xn.inference_mode(): ...``.

    Here it is :class:`xpnet.no_grad` under torch's name (torch also forbids using
    such tensors in autograd later; xpnet only records nothing). ``inference_mode(False)``
    changes nothing. Works bare as a decorator (``@xn.inference_mode``) too.

    Args:
        mode: True (record nothing), False (change nothing), or a function (the bare decorator).
    """

    def __new__(cls, mode: Any = True) -> Any:
        if callable(mode):  # bare @inference_mode
            return _decorate(mode, False)
        return super().__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)

    def __enter__(self) -> None:
        self.previous = grad_mode.enabled
        if self.mode:
            grad_mode.enabled = False

    def __exit__(self, *exc: object) -> None:
        grad_mode.enabled = self.previous

    def __call__(self, fn: F) -> F:
        return _decorate(fn, False if self.mode else None)

    def clone(self) -> inference_mode:
        return inference_mode(self.mode)
