"""``Parameter``: a tensor that a :class:`~xpnet.nn.Module` finds and trains."""

from __future__ import annotations

from typing import Any

from .. import _backend
from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that is part of a model: ``Module.parameters()`` yields it.

    ``Parameter(data, requires_grad=True)`` wraps ``data`` -- a Tensor or a
    native array of any supported library (NumPy, CuPy, torch,
    array-api-strict) -- without copying it, on its namespace and device.
    Ops on a parameter give plain Tensors, as in PyTorch.
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        if isinstance(data, Tensor):
            data = data.array
        if not _backend.is_array(data):
            hint = "; build one with xn.tensor(...) first" if isinstance(data, (list, tuple)) else ""
            raise TypeError(
                f"Parameter wraps a Tensor or an array of an Array API library, got "
                f"{type(data).__name__}{hint}"
            )
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (Parameter, (self.array, self.requires_grad))


def rebind(p: Tensor, data: Any, grad: Any) -> None:
    """Point ``p`` at new arrays (another device or dtype), keeping the object itself.

    Optimizers hold the parameter objects, so ``Module.to`` moves a model by
    rebinding ``.data``/``.grad`` (and the cached namespace) in place.
    """
    p.array = data
    p.xp = _backend.namespace(data)
    p.grad = None if grad is None else Tensor(grad)
