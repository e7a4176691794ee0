"""Tensor's reflected operators, comparisons and most-used math methods, each one functional op.

``2 + t``, ``t == u``, ``t.T``, ``t.sum(dim=1)``, ``t.reshape(...)``, ``t.exp()``: one line each
calling its op in :mod:`xpnet.functional` (read late: functional imports the tensor modules).
``Tensor`` inherits them; they add no state. The forward operators (``t + u``, ``t @ u``,
``t[i]``, ...) are the ops themselves, bound at the end of ``functional/__init__.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._tensor_methods import LateFunctional

if TYPE_CHECKING:
    from . import functional as F
    from .tensor import Tensor
else:
    F = LateFunctional(globals())


class OperatorMethods:
    """The reflected operators, comparisons, transposes, reductions and math methods of Tensor."""

    __slots__ = ()

    def __radd__(self, other: Any) -> Tensor:
        return F.add(other, self)

    def __rsub__(self, other: Any) -> Tensor:
        return F.sub(other, self)

    def __rmul__(self, other: Any) -> Tensor:
        return F.mul(other, self)

    def __rtruediv__(self, other: Any) -> Tensor:
        return F.div(other, self)

    def __rpow__(self, other: Any) -> Tensor:
        return F.pow(other, self)

    def __rmatmul__(self, other: Any) -> Tensor:
        return F.matmul(other, self)

    def __pos__(self: Any) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return F.abs(self)

    # Comparisons give boolean tensors outside the graph, as in PyTorch.
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return F.compare(self, other, "__eq__")

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return F.compare(self, other, "__ne__")

    def __lt__(self, other: Any) -> Tensor:
        return F.compare(self, other, "__lt__")

    def __le__(self, other: Any) -> Tensor:
        return F.compare(self, other, "__le__")

    def __gt__(self, other: Any) -> Tensor:
        return F.compare(self, other, "__gt__")

    def __ge__(self, other: Any) -> Tensor:
        return F.compare(self, other, "__ge__")

    # -- methods ------------------------------------------------------------------------
    @property
    def T(self: Any) -> Tensor:
        """The axes reversed (the transpose of a matrix)."""
        return F.permute_dims(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> Tensor:
        """The last two axes swapped (a batch of transposed matrices)."""
        return F.matrix_transpose(self)

    # Reductions take torch's dim=/keepdim= beside axis=/keepdims= (see functional.reduction).
    def sum(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
            keepdim: bool | None = None, dtype: Any = None) -> Tensor:
        return F.sum(self, axis, keepdims, dim=dim, keepdim=keepdim, dtype=dtype)

    def mean(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
             keepdim: bool | None = None, dtype: Any = None) -> Tensor:
        return F.mean(self, axis, keepdims, dim=dim, keepdim=keepdim, dtype=dtype)

    def max(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
            keepdim: bool | None = None) -> Any:
        """The largest element, or ``(values, indices)`` along ``dim`` (see :func:`xpnet.max`)."""
        return F.max(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def min(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
            keepdim: bool | None = None) -> Any:
        """The smallest element, or ``(values, indices)`` along ``dim`` (see :func:`xpnet.min`)."""
        return F.min(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def argmax(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
               keepdim: bool | None = None) -> Tensor:
        return F.argmax(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def argmin(self, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
               keepdim: bool | None = None) -> Tensor:
        return F.argmin(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return F.reshape(self, shape)

    def view(self, *shape: Any) -> Tensor:
        return self.reshape(*shape)

    def permute(self, *axes: Any) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return F.permute_dims(self, axes)

    def matmul(self, other: Any) -> Tensor:
        return F.matmul(self, other)

    def exp(self) -> Tensor:
        return F.exp(self)

    def log(self) -> Tensor:
        return F.log(self)

    def sqrt(self) -> Tensor:
        return F.sqrt(self)

    def abs(self) -> Tensor:
        return F.abs(self)

    def relu(self) -> Tensor:
        return F.relu(self)

    def sigmoid(self) -> Tensor:
        return F.sigmoid(self)

    def tanh(self) -> Tensor:
        return F.tanh(self)

    def softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor:
        return F.softmax(self, axis, dim=dim)

    def log_softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor:
        return F.log_softmax(self, axis, dim=dim)

    def asin(self) -> Tensor:
        return F.asin(self)

    def acos(self) -> Tensor:
        return F.acos(self)

    def atan(self) -> Tensor:
        return F.atan(self)

    def sinh(self) -> Tensor:
        return F.sinh(self)

    def cosh(self) -> Tensor:
        return F.cosh(self)

    def asinh(self) -> Tensor:
        return F.asinh(self)

    def acosh(self) -> Tensor:
        return F.acosh(self)

    def atanh(self) -> Tensor:
        return F.atanh(self)

    def exp2(self) -> Tensor:
        return F.exp2(self)

    def erf(self) -> Tensor:
        return F.erf(self)

    def erfc(self) -> Tensor:
        return F.erfc(self)

    def erfinv(self) -> Tensor:
        return F.erfinv(self)

    def logit(self, eps: float | None = None) -> Tensor:
        return F.logit(self, eps)

    def atan2(self, other: Any) -> Tensor:
        return F.atan2(self, other)

    arcsin = asin
    arccos = acos
    arctan = atan
    arctan2 = atan2
    arcsinh = asinh
    arccosh = acosh
    arctanh = atanh

    def take_along_dim(self, indices: Any, dim: int | None = None) -> Tensor:
        return F.take_along_dim(self, indices, dim)

    def index_add(self, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Tensor:
        return F.index_add(self, dim, index, source, alpha=alpha)

    def index_add_(self: Any, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Tensor:
        """:meth:`index_add` in place (recorded in the graph as torch's)."""
        return F.gathering.written_in_place(
            self, "index_add_", lambda t: F.index_add(t, dim, index, source, alpha=alpha), source)
