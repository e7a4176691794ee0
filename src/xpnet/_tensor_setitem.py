"""``x[index] = value`` on a Tensor, with torch's autograd rules (see :mod:`._tensor_inplace`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _backend, _dtypes
from ._tensor_inplace import (
    check_leaf,
    grad_for,
    graph_input,
    is_tensor,
    needs_grad,
    operand,
    record,
    recording,
    split,
)
from .autograd import bump

if TYPE_CHECKING:
    from .tensor import Tensor


def _native_index(t: Tensor, index: Any) -> Any:
    """``index`` with Tensors and lists as native arrays, and ``...`` added if it names too few axes."""
    from .functional._core import check_same_place

    parts = index if isinstance(index, tuple) else (index,)
    native = []
    for part in parts:
        if is_tensor(part):
            check_same_place(t, part, "x[index] = value")
            part = part.array
        elif isinstance(part, list):
            part = t.xp.asarray(part, device=_backend.device(t.array))
        native.append(part)
    masks = any(getattr(p, "dtype", None) is not None and _dtypes.wrap(p.dtype).name == "bool"
                for p in native)
    if not masks and all(p is not Ellipsis for p in native) and sum(p is not None for p in native) < t.ndim:
        native.append(Ellipsis)
    return native[0] if len(native) == 1 else tuple(native)


def setitem(t: Tensor, index: Any, value: Any) -> None:
    """``t[index] = value`` (a number, tensor or array, broadcast to the selection, cast to t's dtype).

    Recorded on tensors in a graph, as torch does:
    dL/dt_old = G with zeros at ``index``,  dL/dvalue = G[index] summed to value's shape.
    RuntimeError on a leaf that requires grad while grad mode is on.
    """
    from .functional._core import as_tensor, python_number

    check_leaf(t)
    xp = t.xp
    where = _native_index(t, index)
    if is_tensor(value) or _backend.is_array(value):
        value = as_tensor(value, "x[index] = value")
        v: Any = operand(t, value, "setitem")
    else:
        number = python_number(value)
        kind = _dtypes._kind(_dtypes.wrap(t.array.dtype).name)
        v = (bool, int, float, complex)[kind](number)  # torch casts the value to t's dtype
    rec = recording(t, value)
    old = split(t) if rec else None
    if _backend.is_writeable(t.array):
        t.array[where] = v
    else:  # immutable arrays (JAX): the tensor is rebound to the updated copy
        t.array = xp.set_at(t.array, where, v)
    bump(t)
    if old is None:
        return

    def backward(g: Any) -> tuple[Any, Any]:
        g_old = xp.set_at(xp.asarray(g, copy=True), where, 0)
        return g_old, (grad_for(value, g[where]) if needs_grad(value) else None)

    record(t, old, (old, graph_input(value)), backward, "setitem", saves=False)
