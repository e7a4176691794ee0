"""Turning what users pass to layers and losses into tensors the ops can take.

The dtype rule of layers (``Linear``): data is cast, parameters' rivals are not.

* a raw array (NumPy, CuPy, torch, array-api-strict -- not a Tensor) is data:
  it is wrapped without copying and cast to the layer's dtype if it differs;
* an integer or bool Tensor (it cannot require grad) is data too: cast;
* a floating Tensor of another dtype is an error (``TypeError``) that says
  how to fix it: ``x.to(dtype=...)`` or ``model.to(dtype=...)``. Casting it
  silently would hide a float64 model fed float32 (or the reverse).

So a layer's output always has the layer's dtype. An input of another
library or device is never moved: it is the ``RuntimeError`` of
:func:`xpnet.tensor.check_same_place`, which says how to move it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _dtypes
from ..creation import python_dtype, tensor
from ..tensor import Tensor, as_tensor, check_same_place


def layer_input(x: Any, like: Tensor, layer: str | Callable[[], str]) -> Tensor:
    """``x`` as a Tensor on ``like``'s library and device, with ``like``'s dtype (see above).

    ``layer`` names the layer in error messages; a callable is only called when
    there is an error to report (formatting a name on every call costs time).
    """
    if isinstance(x, Tensor):
        t = x
    else:
        t = as_tensor(x, layer if isinstance(layer, str) else layer())
    check_same_place(t, like, layer)
    if t.array.dtype == like.array.dtype:
        return t
    layer = layer if isinstance(layer, str) else layer()
    if isinstance(x, Tensor) and _dtypes.is_floating(t.array.dtype):
        raise TypeError(
            f"{layer} got a {t.dtype} input but its parameters are {like.dtype}: convert the "
            f"input with x.to(dtype=xn.{like.dtype.name}), or the model with "
            f"model.to(dtype=xn.{t.dtype.name})"
        )
    return Tensor(t.xp.astype(t.array, like.array.dtype))


def loss_input(x: Any, loss: str) -> Tensor:
    """A loss's prediction as a Tensor (arrays are wrapped, never copied)."""
    return as_tensor(x, loss)


def loss_target(target: Any, input: Tensor, loss: str) -> Any:
    """A loss's target: a Tensor or array as given; Python numbers and lists are made on
    ``input``'s library and device (floats with its dtype, ints as int64 class indices)."""
    if isinstance(target, Tensor) or not isinstance(target, (list, tuple, int, float)):
        return target
    kind = python_dtype(target)
    dtype = input.array.dtype if kind == "float32" else kind
    return tensor(target, dtype=dtype, device=input.device)
