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

    def view(self: Any, *shape: Any) -> Tensor:
        """``reshape`` (xpnet never refuses non-contiguous data); ``view(dtype)``: the same bytes
        read as another dtype (torch's; the last dimension scales by the sizes' ratio), cut
        from the graph as torch's is."""
        if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list)):
            from . import _dtypes
            from .tensor import leaf

            native = _dtypes.resolve(shape[0], self.xp, default=None)
            return leaf(self.xp.bitcast(self.array, native), self.xp)
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

    def scatter_reduce(self, dim: int, index: Any, src: Any, reduce: str, *,
                       include_self: bool = True) -> Tensor:
        return F.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    def scatter_reduce_(self: Any, dim: int, index: Any, src: Any, reduce: str, *,
                        include_self: bool = True) -> Tensor:
        """:meth:`scatter_reduce` in place (recorded in the graph as torch's; the op reads
        the old values, so it runs on a copy of them)."""
        return F.gathering.written_in_place(
            self, "scatter_reduce_",
            lambda t: F.scatter_reduce(t.clone(), dim, index, src, reduce, include_self=include_self), src)

    # torch's names for triangles, rearranging, order statistics, counting (gaps1)
    def tril(self, diagonal: int = 0) -> Tensor:
        return F.tril(self, diagonal)

    def triu(self, diagonal: int = 0) -> Tensor:
        return F.triu(self, diagonal)

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
        return F.diagonal(self, offset, dim1, dim2)

    def diag(self, diagonal: int = 0) -> Tensor:
        return F.diag(self, diagonal)

    def trace(self) -> Tensor:
        return F.trace(self)

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        return F.roll(self, shifts, dims)

    def diff(self, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Tensor:
        return F.diff(self, n, dim, prepend, append)

    def repeat_interleave(self, repeats: Any = None, dim: int | None = None, *,
                          output_size: int | None = None) -> Tensor:
        return F.repeat_interleave(self, repeats, dim, output_size=output_size)

    def kron(self, other: Any) -> Tensor:
        return F.kron(self, other)

    def nan_to_num(self, nan: float = 0.0, posinf: float | None = None,
                   neginf: float | None = None) -> Tensor:
        return F.nan_to_num(self, nan, posinf, neginf)

    def lerp(self, end: Any, weight: Any) -> Tensor:
        return F.lerp(self, end, weight)

    def hypot(self, other: Any) -> Tensor:
        return F.hypot(self, other)

    def fmod(self, other: Any) -> Tensor:
        return F.fmod(self, other)

    def frac(self) -> Tensor:
        return F.frac(self)

    def addmm(self, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return F.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return F.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def amax(self, dim: Any = (), keepdim: bool = False) -> Tensor:
        return F.amax(self, dim, keepdim)

    def amin(self, dim: Any = (), keepdim: bool = False) -> Tensor:
        return F.amin(self, dim, keepdim)

    def aminmax(self, *, dim: int | None = None, keepdim: bool = False) -> Any:
        return F.aminmax(self, dim=dim, keepdim=keepdim)

    def median(self, dim: int | None = None, keepdim: bool = False) -> Any:
        return F.median(self, dim, keepdim)

    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False) -> Any:
        return F.kthvalue(self, k, dim, keepdim)

    def mode(self, dim: int = -1, keepdim: bool = False) -> Any:
        return F.mode(self, dim, keepdim)

    def cummax(self, dim: int) -> Any:
        return F.cummax(self, dim)

    def cummin(self, dim: int) -> Any:
        return F.cummin(self, dim)

    def quantile(self, q: Any, dim: int | None = None, keepdim: bool = False, *,
                 interpolation: str = "linear") -> Tensor:
        return F.quantile(self, q, dim, keepdim, interpolation=interpolation)

    def count_nonzero(self, dim: Any = None) -> Tensor:
        return F.count_nonzero(self, dim)

    def argwhere(self) -> Tensor:
        return F.argwhere(self)

    def unique(self, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,
               dim: int | None = None) -> Any:
        return F.unique(self, sorted, return_inverse, return_counts, dim)

    def histc(self, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
        return F.histc(self, bins, min, max)

    def bernoulli(self, p: float | None = None, *, generator: Any = None) -> Tensor:
        return F.bernoulli(self, p, generator=generator)

    def det(self) -> Tensor:
        return F.det(self)

    def inverse(self) -> Tensor:
        return F.inv(self)

    def slogdet(self) -> Any:
        return F.slogdet(self)

    def logdet(self) -> Tensor:
        return F.logdet(self)

    # in place (recorded in the graph as torch's; each op's backward never reads its input)
    def tril_(self: Any, diagonal: int = 0) -> Tensor:
        return F.gathering.written_in_place(self, "tril_", lambda t: F.tril(t, diagonal))

    def triu_(self: Any, diagonal: int = 0) -> Tensor:
        return F.gathering.written_in_place(self, "triu_", lambda t: F.triu(t, diagonal))

    def nan_to_num_(self: Any, nan: float = 0.0, posinf: float | None = None,
                    neginf: float | None = None) -> Tensor:
        return F.gathering.written_in_place(self, "nan_to_num_",
                                            lambda t: F.nan_to_num(t, nan, posinf, neginf))

    def lerp_(self: Any, end: Any, weight: Any) -> Tensor:
        return F.gathering.written_in_place(self, "lerp_", lambda t: F.lerp(t, end, weight), end, weight)

    def frac_(self: Any) -> Tensor:
        return F.gathering.written_in_place(self, "frac_", F.frac)

    def addmm_(self: Any, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return F.gathering.written_in_place(
            self, "addmm_", lambda t: F.addmm(t, mat1, mat2, beta=beta, alpha=alpha), mat1, mat2)

    def baddbmm_(self: Any, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return F.gathering.written_in_place(
            self, "baddbmm_", lambda t: F.baddbmm(t, batch1, batch2, beta=beta, alpha=alpha), batch1, batch2)
