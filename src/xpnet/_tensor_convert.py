"""Conversion methods of :class:`~xpnet.tensor.Tensor`, with torch's names.

``float()``, ``double()``, ``half()``, ``long()``, ``int()``, ``short()``, ``bool()``,
``type(dtype)``, ``type_as(other)``, ``to(...)`` in all of torch's forms, ``cpu()``, ``cuda()``,
``clone()``. Each returns the tensor itself when nothing changes (as torch does)
and is differentiable: the gradient goes back to the original dtype and device.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from . import _dtypes
from ._double_backward import double_backward_ready

if TYPE_CHECKING:
    from .tensor import Tensor

# torch's legacy type names (``t.type()`` -> ``"xpnet.FloatTensor"``).
TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
              "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
              "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor"}
_BY_TYPE_NAME = {v: k for k, v in TYPE_NAMES.items()}


def to(t: Tensor, *args: Any, device: Any = None, dtype: Any = None, non_blocking: bool = False,
       copy: bool = False) -> Tensor:
    """``t.to(dtype)``, ``t.to(device)``, ``t.to(device, dtype)``, ``t.to(other_tensor)`` (torch's forms).

    ``copy=True`` returns a new tensor even when nothing changes.
    """
    from .functional import to as _to
    from .tensor import Tensor

    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, bool):  # torch's positional non_blocking / copy
            continue
        elif _dtypes.is_dtype(arg) and not _is_device_name(arg):
            dtype = arg
        else:
            device = arg
    out = _to(t, device=device, dtype=dtype)
    return clone(out) if copy and out is t else out


def _is_device_name(arg: Any) -> bool:
    return isinstance(arg, str) and arg.split(":")[0] in ("cpu", "cuda")


def clone(t: Tensor) -> Tensor:
    """A copy with its own memory, in the graph.  dL/dt = G."""
    from .tensor import make_result

    out = t.xp.asarray(t.array, copy=True)
    return make_result(out, t.xp, (t,), _route, "clone", saves=False)


def _route(g: Any) -> tuple[Any]:
    return (g,)


double_backward_ready(_route)  # clone's rule reads only G


class ConversionMethods:
    """Tensor's conversion methods (see the module docstring)."""

    __slots__ = ()

    def cpu(self: Any) -> Tensor:
        """This tensor on the CPU (itself if there)."""
        return to(self, "cpu")

    def cuda(self: Any, device: Any = None, non_blocking: bool = False) -> Tensor:
        """This tensor on a CUDA GPU (``device``: an index or ``"cuda:N"``; CuPy for NumPy tensors)."""
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = f"cuda:{device}"
        return to(self, device)

    def astype(self: Any, dtype: Any) -> Tensor:
        return to(self, dtype=dtype)

    def float(self: Any) -> Tensor:
        """As float32."""
        return to(self, dtype="float32")

    def double(self: Any) -> Tensor:
        """As float64."""
        return to(self, dtype="float64")

    def half(self: Any) -> Tensor:
        """As float16."""
        return to(self, dtype="float16")

    def long(self: Any) -> Tensor:
        """As int64."""
        return to(self, dtype="int64")

    def int(self: Any) -> Tensor:
        """As int32."""
        return to(self, dtype="int32")

    def short(self: Any) -> Tensor:
        """As int16."""
        return to(self, dtype="int16")

    def bool(self: Any) -> Tensor:
        """As bool."""
        return to(self, dtype="bool")

    def type(self: Any, dtype: Any = None, non_blocking: builtins.bool = False) -> Any:
        """With no argument, torch's type name (``"xpnet.FloatTensor"``); else ``to(dtype)``.

        ``dtype`` may also be such a name (``"xpnet.DoubleTensor"``, ``"torch.LongTensor"``).
        """
        if dtype is None:
            cuda = ".cuda" if self.device.type == "cuda" else ""
            return f"xpnet{cuda}.{TYPE_NAMES.get(self.dtype.name, self.dtype.name)}"
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            name = dtype.rsplit(".", 1)[-1]
            if name not in _BY_TYPE_NAME:
                raise ValueError(f"invalid type {dtype!r}: expected one of {sorted(_BY_TYPE_NAME)}")
            dtype = _BY_TYPE_NAME[name]
        return to(self, dtype=dtype)

    def type_as(self: Any, other: Tensor) -> Tensor:
        """As ``other``'s dtype."""
        return to(self, dtype=other.dtype)

    def clone(self: Any, *, memory_format: Any = None) -> Tensor:
        """A copy with its own memory, in the graph (dL/dself = G)."""
        return clone(self)

    def is_floating_point(self: Any) -> builtins.bool:
        """Whether the dtype is a floating-point one."""
        return _dtypes.is_floating(self.array.dtype)

    @property
    def is_cuda(self: Any) -> builtins.bool:
        """Whether the tensor is on a CUDA GPU."""
        return bool(self.device.type == "cuda")

    def element_size(self: Any) -> builtins.int:
        """Bytes per element."""
        return self.dtype.itemsize
