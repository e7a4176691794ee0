"""torch's Tensor methods for the ops of :mod:`xpnet.functional`: each one line calling its op.

``Tensor`` inherits them (``class Tensor(TensorMethods)``); they add no state
(``__slots__ = ()``) and none sits on the hot path (the operators ``+ - * / @`` are the
ops themselves, bound at the end of ``functional/__init__.py``). Signatures, keyword names
and defaults are torch's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .tensor import Tensor


class LateFunctional:
    """``xpnet.functional`` for a module that functional imports (``tensor.py``, this one).

    ``F = LateFunctional(globals())``: the first attribute read imports functional and
    puts the module itself in the holder's ``F`` in place of this stand-in, so later
    calls pay nothing more than a plain import's global lookup (``F.add``).
    """

    __slots__ = ("_globals",)

    def __init__(self, module_globals: dict[str, Any]) -> None:
        self._globals = module_globals

    def __getattr__(self, name: str) -> Any:
        from . import functional

        self._globals["F"] = functional
        return getattr(functional, name)


F: Any = LateFunctional(globals())


def _creation() -> Any:
    from . import creation

    return creation


def _sizes(args: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else args


class TensorMethods:
    """The methods torch's Tensor has for xpnet's functional ops (see :mod:`xpnet.functional`)."""

    __slots__ = ()

    # -- new tensors like this one (its dtype, library and device unless given) ----------------
    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
        return _creation().new(self, "zeros", size, dtype, device, requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
        return _creation().new(self, "ones", size, dtype, device, requires_grad)

    def new_empty(self, *size: Any, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
        return _creation().new(self, "empty", size, dtype, device, requires_grad)

    def new_full(self, size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
        return _creation().new(self, "full", (size,), dtype, device, requires_grad, fill_value)

    def new_tensor(self, data: Any, *, dtype: Any = None, device: Any = None,
                   requires_grad: bool = False) -> Tensor:
        _, dev, dt, _ = _creation().like(self, "new_tensor", dtype, device)
        return _creation().tensor(data, dtype=dt, device=dev, requires_grad=requires_grad)

    # -- shape ----------------------------------------------------------------------------
    def unsqueeze(self, dim: int) -> Tensor:
        return F.unsqueeze(self, dim)

    def squeeze(self, dim: Any = None) -> Tensor:
        return F.squeeze(self, dim)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return F.flatten(self, start_dim, end_dim)

    def unflatten(self, dim: int, sizes: Any) -> Tensor:
        return F.unflatten(self, dim, sizes)

    def view_as(self, other: Any) -> Tensor:
        return F.reshape(self, tuple(other.shape))

    def reshape_as(self, other: Any) -> Tensor:
        return F.reshape(self, tuple(other.shape))

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        return F.transpose(self, dim0, dim1)

    swapaxes = swapdims = transpose

    def t(self) -> Tensor:
        return F.t(self)

    def expand(self, *sizes: Any) -> Tensor:
        return F.expand(self, *sizes)

    def expand_as(self, other: Any) -> Tensor:
        return F.expand(self, tuple(other.shape))

    def repeat(self, *sizes: Any) -> Tensor:
        return F.repeat(self, *sizes)

    def tile(self, dims: Any) -> Tensor:
        return F.tile(self, dims)

    def split(self, split_size: Any, dim: int = 0) -> tuple[Tensor, ...]:
        return F.split(self, split_size, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        return F.chunk(self, chunks, dim)

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        return F.unbind(self, dim)

    def narrow(self, dim: int, start: int, length: int) -> Tensor:
        return F.narrow(self, dim, start, length)

    def flip(self, *dims: Any) -> Tensor:
        return F.flip(self, _sizes(dims))

    def movedim(self, source: Any, destination: Any) -> Tensor:
        return F.movedim(self, source, destination)

    moveaxis = movedim

    def contiguous(self, memory_format: Any = None) -> Tensor:
        """This tensor itself: arrays here are always usable as they are."""
        return self  # type: ignore[return-value]

    # -- elementwise math -----------------------------------------------------------------
    def pow(self, exponent: Any) -> Tensor:
        return F.pow(self, exponent)

    def rsqrt(self) -> Tensor:
        return F.rsqrt(self)

    def square(self) -> Tensor:
        return F.square(self)

    def reciprocal(self) -> Tensor:
        return F.reciprocal(self)

    def sin(self) -> Tensor:
        return F.sin(self)

    def cos(self) -> Tensor:
        return F.cos(self)

    def tan(self) -> Tensor:
        return F.tan(self)

    def log1p(self) -> Tensor:
        return F.log1p(self)

    def expm1(self) -> Tensor:
        return F.expm1(self)

    def log2(self) -> Tensor:
        return F.log2(self)

    def log10(self) -> Tensor:
        return F.log10(self)

    def neg(self) -> Tensor:
        return F.neg(self)

    negative = neg

    def sign(self) -> Tensor:
        return F.sign(self)

    def round(self, decimals: int = 0) -> Tensor:
        return F.round(self, decimals=decimals)

    def floor(self) -> Tensor:
        return F.floor(self)

    def ceil(self) -> Tensor:
        return F.ceil(self)

    def trunc(self) -> Tensor:
        return F.trunc(self)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        return F.clamp(self, min, max)

    clip = clamp

    def maximum(self, other: Any) -> Tensor:
        return F.maximum(self, other)

    def minimum(self, other: Any) -> Tensor:
        return F.minimum(self, other)

    def where(self, condition: Any, other: Any) -> Tensor:
        return F.where(condition, self, other)

    def floor_divide(self, other: Any) -> Tensor:
        return F.floor_divide(self, other)

    def remainder(self, other: Any) -> Tensor:
        return F.remainder(self, other)

    def __floordiv__(self, other: Any) -> Tensor:
        return F.floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return F.floor_divide(other, self)

    def __mod__(self, other: Any) -> Tensor:
        return F.remainder(self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return F.remainder(other, self)

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        return F.masked_fill(self, mask, value)

    # -- reading and writing by index (xpnet.functional.gathering) ------------------------
    def gather(self, dim: int, index: Any, *, sparse_grad: bool = False) -> Tensor:
        return F.gather(self, dim, index)

    def scatter(self, dim: int, index: Any, src: Any = None, *, value: Any = None,
                reduce: str | None = None) -> Tensor:
        return F.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add(self, dim: int, index: Any, src: Any) -> Tensor:
        return F.scatter_add(self, dim, index, src)

    def scatter_(self, dim: int, index: Any, src: Any = None, *, value: Any = None,
                 reduce: str | None = None) -> Tensor:
        """:meth:`scatter` in place (recorded in the graph as torch's)."""
        return F.gathering.written_in_place(
            self, "scatter_", lambda t: F.scatter(t, dim, index, src, value=value, reduce=reduce), src)

    def scatter_add_(self, dim: int, index: Any, src: Any) -> Tensor:
        """:meth:`scatter_add` in place (recorded in the graph as torch's)."""
        return F.gathering.written_in_place(
            self, "scatter_add_", lambda t: F.scatter_add(t, dim, index, src), src)

    def index_select(self, dim: int, index: Any) -> Tensor:
        return F.index_select(self, dim, index)

    def masked_select(self, mask: Any) -> Tensor:
        return F.masked_select(self, mask)

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        return F.nonzero(self, as_tuple=as_tuple)

    def multinomial(self, num_samples: int, replacement: bool = False, *, generator: Any = None) -> Tensor:
        from .sampling import multinomial

        return multinomial(self, num_samples, replacement, generator=generator)

    # torch's keyword spellings of the operators (x.add(y, alpha=2), x.div(y, rounding_mode=...))
    def add(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return F.arith_keywords.add(self, other, alpha=alpha)

    def sub(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return F.arith_keywords.sub(self, other, alpha=alpha)

    subtract = sub

    def mul(self, other: Any) -> Tensor:
        return F.mul(self, other)

    multiply = mul

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        return F.arith_keywords.div(self, other, rounding_mode=rounding_mode)

    divide = div

    def true_divide(self, other: Any) -> Tensor:
        return F.div(self, other)

    # -- sorting --------------------------------------------------------------------------
    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        return F.sort(self, dim, descending, stable)

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
        return F.argsort(self, dim, descending, stable)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
        return F.topk(self, k, dim, largest, sorted)

    # -- reductions and statistics --------------------------------------------------------
    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
        return F.norm(self, p, dim, keepdim, dtype)

    def std(self, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
            correction: Any = None) -> Tensor:
        return F.std(self, dim, unbiased, keepdim, correction=correction)

    def var(self, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
            correction: Any = None) -> Tensor:
        return F.var(self, dim, unbiased, keepdim, correction=correction)

    def prod(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
        return F.prod(self, dim, keepdim, dtype=dtype)

    def cumsum(self, dim: int, *, dtype: Any = None) -> Tensor:
        return F.cumsum(self, dim, dtype=dtype)

    def cumprod(self, dim: int, *, dtype: Any = None) -> Tensor:
        return F.cumprod(self, dim, dtype=dtype)

    def logsumexp(self, dim: Any, keepdim: bool = False) -> Tensor:
        return F.logsumexp(self, dim, keepdim)

    def any(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return F.any(self, dim, keepdim)

    def all(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return F.all(self, dim, keepdim)

    # -- products -------------------------------------------------------------------------
    def mm(self, mat2: Any) -> Tensor:
        return F.mm(self, mat2)

    def bmm(self, mat2: Any) -> Tensor:
        return F.bmm(self, mat2)

    def mv(self, vec: Any) -> Tensor:
        return F.mv(self, vec)

    def dot(self, other: Any) -> Tensor:
        return F.dot(self, other)

    def outer(self, vec2: Any) -> Tensor:
        return F.outer(self, vec2)

    # -- comparisons and logic (boolean results, outside the graph) ----------------------
    def eq(self, other: Any) -> Tensor:
        return F.eq(self, other)

    def ne(self, other: Any) -> Tensor:
        return F.ne(self, other)

    def lt(self, other: Any) -> Tensor:
        return F.lt(self, other)

    def le(self, other: Any) -> Tensor:
        return F.le(self, other)

    def gt(self, other: Any) -> Tensor:
        return F.gt(self, other)

    def ge(self, other: Any) -> Tensor:
        return F.ge(self, other)

    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne

    def equal(self, other: Any) -> bool:
        return bool(F.equal(self, other))

    def isclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                equal_nan: bool = False) -> Tensor:
        return F.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                 equal_nan: bool = False) -> bool:
        return bool(F.allclose(self, other, rtol, atol, equal_nan))

    def isnan(self) -> Tensor:
        return F.isnan(self)

    def isinf(self) -> Tensor:
        return F.isinf(self)

    def isfinite(self) -> Tensor:
        return F.isfinite(self)

    def logical_and(self, other: Any) -> Tensor:
        return F.logical_and(self, other)

    def logical_or(self, other: Any) -> Tensor:
        return F.logical_or(self, other)

    def logical_xor(self, other: Any) -> Tensor:
        return F.logical_xor(self, other)

    def logical_not(self) -> Tensor:
        return F.logical_not(self)

    def bitwise_and(self, other: Any) -> Tensor:
        return F.bitwise_and(self, other)

    def bitwise_or(self, other: Any) -> Tensor:
        return F.bitwise_or(self, other)

    def bitwise_xor(self, other: Any) -> Tensor:
        return F.bitwise_xor(self, other)

    def bitwise_not(self) -> Tensor:
        return F.bitwise_not(self)

    __and__, __or__, __xor__, __invert__ = bitwise_and, bitwise_or, bitwise_xor, bitwise_not
    __rand__, __ror__, __rxor__ = bitwise_and, bitwise_or, bitwise_xor
