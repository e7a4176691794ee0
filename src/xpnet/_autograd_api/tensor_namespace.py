"""The Array API namespace of xpnet Tensors: backward rules run on it to build a graph.

``tensor_namespace(xp)`` is a backend object (a :class:`xpnet._backend.Backend`) whose
namespace functions are xpnet ops over Tensors: ``T.exp(t)`` is ``xn.exp(t)``,
``T.where(t > 0, g, 0.0)`` is ``xn.where``, ``T.matmul`` is ``xn.matmul``, so that a
backward rule written against ``xp`` records a graph when it is handed ``T`` and
Tensors (``create_graph=True``) and runs on raw arrays otherwise. xpnet's own
operations come from the generic code (:class:`xpnet._backend._ops.Ops`):
``T.activation`` runs the activations' formulas, written once there, on Tensors.

Only the functions below exist: any other name raises AttributeError naming the
function and the way out, never a raw-array function that would read a Tensor's
values and silently cut the graph.
"""

from __future__ import annotations

from typing import Any

from .. import _backend, _dtypes
from .. import functional as F
from ..functional import linalg_solve
from ..tensor import Tensor, make_result
from . import index_adjoints

__all__ = ["TensorBackend", "tensor_namespace"]

# The names of the standard's dtypes and constants, taken over from the array library.
_CONSTANTS = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
              "float32", "float64", "complex64", "complex128", "e", "inf", "nan", "newaxis", "pi")


class TensorBackend(_backend.Backend):
    """The namespace of Tensors whose arrays belong to the backend ``raw`` (see the module).

    Attributes:
        raw: the backend object of the arrays inside the Tensors.
    """

    def __init__(self, raw: Any) -> None:  # no library functions copied: see __getattr__
        self.raw = raw
        self.namespace = raw.namespace
        self.library = f"xpnet tensors of {raw.library}"
        self.__dict__.update({name: getattr(raw, name) for name in _CONSTANTS if hasattr(raw, name)})
        self.__array_api_version__ = raw.__array_api_version__
        self.__name__ = f"xpnet.tensors.{raw.library}"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(
            f"xp.{name} is not available on Tensors yet: a backward rule that calls it cannot run "
            f"under create_graph=True (double backward); add it to "
            f"xpnet._autograd_api.tensor_namespace.TensorBackend as the matching xpnet op")

    def is_writeable(self, array: Any) -> bool:
        return False  # a Tensor in a graph is never updated in place by a rule

    # -- elementwise -------------------------------------------------------------------------
    exp = staticmethod(F.exp)
    log = staticmethod(F.log)
    sqrt = staticmethod(F.sqrt)
    tanh = staticmethod(F.tanh)
    sin = staticmethod(F.sin)
    cos = staticmethod(F.cos)
    sinh = staticmethod(F.sinh)
    cosh = staticmethod(F.cosh)
    abs = staticmethod(F.abs)
    maximum = staticmethod(F.maximum)
    minimum = staticmethod(F.minimum)
    add = staticmethod(F.add)
    subtract = staticmethod(F.sub)
    multiply = staticmethod(F.mul)
    divide = staticmethod(F.div)
    negative = staticmethod(F.neg)

    @staticmethod
    def where(condition: Any, x1: Any, x2: Any) -> Tensor:
        return F.where(condition, x1, x2)

    @staticmethod
    def sign(x: Tensor) -> Tensor:
        """-1, 0 or 1 by the sign of ``x``: a constant (its derivative is 0 almost everywhere)."""
        return make_result(x.xp.sign(x.array), x.xp, (), None, "")

    @staticmethod
    def isnan(x: Tensor) -> Tensor:
        """True where ``x`` is NaN: a constant (a boolean Tensor)."""
        return make_result(x.xp.isnan(x.array), x.xp, (), None, "")

    @staticmethod
    def astype(x: Tensor, dtype: Any, /, *, copy: bool = True, device: Any = None) -> Tensor:
        """``x`` cast to ``dtype`` (``x.to(dtype)``: the gradient is cast back)."""
        return F.to(x, dtype=dtype)

    def arange(self, start: Any, /, stop: Any = None, step: Any = 1, *, dtype: Any = None,
               device: Any = None) -> Tensor:
        """``xp.arange`` as a constant Tensor (``device``: a native one, or a Tensor's)."""
        _, native = _backend.resolve(device) if device is not None else (None, None)
        raw = self.raw.arange(start, stop, step, dtype=dtype, device=native)
        return make_result(raw, self.raw, (), None, "")

    @staticmethod
    def round(x: Tensor) -> Tensor:
        """``x`` rounded to integers: a constant (its derivative is 0 almost everywhere)."""
        return make_result(x.xp.round(x.array), x.xp, (), None, "")

    def zeros(self, shape: Any, *, dtype: Any = None, device: Any = None) -> Tensor:
        """Zeros of ``shape``: a constant (no graph); ``dtype``, ``device`` as a Tensor's (``g.dtype``)."""
        raw = self.raw
        native = None if device is None else _backend.resolve(device)[1]
        zeros = raw.zeros(shape, dtype=_dtypes.resolve(dtype, raw), device=native)
        return make_result(zeros, raw, (), None, "")

    def set_at(self, array: Tensor, index: Any, value: Any) -> Tensor:
        """``array`` with ``value`` (a Tensor or number) written at ``index`` (a constant), as
        a new Tensor: ``where(written, put_zeros(value), array)``; dL/dvalue = H[index],
        dL/darray = H where nothing was written."""
        raw, a = self.raw, array.array
        written = raw.set_at(raw.zeros(a.shape, dtype=raw.bool, device=_backend.device(a)), index, True)
        if isinstance(value, Tensor):
            target = tuple(a[index].shape)
            value = index_adjoints.put_zeros(self.broadcast_to(value, target), tuple(a.shape), index, None)
        return F.where(written, value, array)

    @staticmethod
    def zeros_like(x: Tensor, *, dtype: Any = None, device: Any = None) -> Tensor:
        """Zeros of ``x``'s shape: a constant (no graph)."""
        return make_result(x.xp.zeros_like(x.array, dtype=dtype, device=device), x.xp, (), None, "")

    @staticmethod
    def ones_like(x: Tensor, *, dtype: Any = None, device: Any = None) -> Tensor:
        """Ones of ``x``'s shape: a constant (no graph)."""
        return make_result(x.xp.ones_like(x.array, dtype=dtype, device=device), x.xp, (), None, "")

    # -- reductions and shapes -----------------------------------------------------------------
    @staticmethod
    def sum(x: Tensor, /, *, axis: Any = None, keepdims: bool = False) -> Tensor:
        return F.sum(x, axis, keepdims)

    @staticmethod
    def mean(x: Tensor, /, *, axis: Any = None, keepdims: bool = False) -> Tensor:
        return F.mean(x, axis, keepdims)

    @staticmethod
    def reshape(x: Tensor, /, shape: tuple[int, ...], *, copy: Any = None) -> Tensor:
        return F.reshape(x, shape)

    @staticmethod
    def broadcast_to(x: Tensor, /, shape: tuple[int, ...]) -> Tensor:
        return x if tuple(x.shape) == tuple(shape) else F.expand(x, tuple(shape))

    @staticmethod
    def expand_dims(x: Tensor, /, *, axis: int = 0) -> Tensor:
        return F.unsqueeze(x, axis)

    @staticmethod
    def permute_dims(x: Tensor, /, axes: tuple[int, ...]) -> Tensor:
        return F.permute_dims(x, axes)

    @staticmethod
    def matrix_transpose(x: Tensor, /) -> Tensor:
        return F.matrix_transpose(x)

    @staticmethod
    def cumulative_sum(x: Tensor, /, *, axis: int | None = None) -> Tensor:
        if axis is None:
            raise NotImplementedError("cumulative_sum without an axis is not available on Tensors")
        return F.cumsum(x, axis)

    @staticmethod
    def cumulative_prod(x: Tensor, /, *, axis: int | None = None) -> Tensor:
        if axis is None:
            raise NotImplementedError("cumulative_prod without an axis is not available on Tensors")
        return F.cumprod(x, axis)

    @staticmethod
    def concat(arrays: Any, /, *, axis: int | None = 0) -> Tensor:
        if axis is None:
            raise NotImplementedError("concat without an axis is not available on Tensors")
        return F.cat(list(arrays), axis)

    @staticmethod
    def flip(x: Tensor, /, *, axis: Any = None) -> Tensor:
        return F.flip(x, tuple(range(x.ndim)) if axis is None else axis)

    @staticmethod
    def moveaxis(x: Tensor, source: int, destination: int, /) -> Tensor:
        axes = [a for a in range(x.ndim) if a != source % x.ndim]
        axes.insert(destination % x.ndim, source % x.ndim)
        return x if axes == list(range(x.ndim)) else F.permute_dims(x, tuple(axes))

    @classmethod
    def take(cls, x: Tensor, indices: Any, /, *, axis: int | None = None) -> Tensor:
        """Slices of ``x`` along ``axis`` by the 1-d integer array ``indices`` (a constant)."""
        if axis is None:
            raise NotImplementedError("take without an axis is not available on Tensors")
        if axis % x.ndim == 0:
            return index_adjoints.take(x, indices, 0)
        moved = index_adjoints.take(cls.moveaxis(x, axis, 0), indices, 0)
        return cls.moveaxis(moved, 0, axis)

    @staticmethod
    def take_along_axis(x: Tensor, indices: Any, /, *, axis: int = -1) -> Tensor:
        """The values of ``x`` at the integer ``indices`` (a constant) along ``axis``."""
        return F.take_along_dim(x, indices, axis)

    @staticmethod
    def scatter_add(index: Any, values: Tensor, size: int) -> Tensor:
        """Rows of ``values`` (n, k) summed into ``size`` rows by ``index`` (n,), a constant."""
        return index_adjoints.scatter_add(index, values, size)

    @staticmethod
    def matmul(x1: Tensor, x2: Tensor, /) -> Tensor:
        return F.matmul(x1, x2)

    class linalg:  # the standard spells its extension xp.linalg
        """The ``linalg`` extension on Tensors: xpnet's differentiable ``inv`` and ``solve``."""

        inv = staticmethod(linalg_solve.inv)
        solve = staticmethod(linalg_solve.solve)

    # -- xpnet's operations (the rest is the generic code of Ops) ------------------------------
    def bias_act(self, z: Tensor, bias: Any, activation: str, negative_slope: float = 0.01) -> Any:
        """``Ops.bias_act`` without the in-place add (a Tensor of a graph is never overwritten)."""
        return self.activation(z if bias is None else z + bias, activation, negative_slope)


_CACHE: dict[int, TensorBackend] = {}


def tensor_namespace(raw: Any) -> TensorBackend:
    """The (one) :class:`TensorBackend` over the backend object ``raw``."""
    found = _CACHE.get(id(raw))
    if found is None or found.raw is not raw:
        found = _CACHE[id(raw)] = TensorBackend(raw)
    return found
