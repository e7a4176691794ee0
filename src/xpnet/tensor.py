"""``Tensor``: an array of any Array API library, plus what autograd needs.

A tensor holds its native array in ``.array`` (a NumPy, CuPy, torch or
array-api-strict array), the array's namespace ``xp`` (resolved once), and,
when it was computed from tensors that require grad, the op's inputs and the
closure that sends the gradient back to them. The ops themselves live in
:mod:`xpnet.functional`; the operators here only call them. Method groups live
beside this file: in-place methods (``_tensor_inplace``), conversions
(``_tensor_convert``), printing (``_tensor_format``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from sys import getrefcount
from typing import TYPE_CHECKING, Any

from . import _backend, _dtypes, _tensor_convert, _tensor_format, autograd
from ._device import device as _device_type
from ._size import Size
from ._tensor_convert import ConversionMethods
from ._tensor_inplace import InPlaceMethods
from ._tensor_methods import TensorMethods
from .autograd import CLOCK as _CLOCK
from .autograd import grad_mode

Backward = Callable[[Any], tuple[Any, ...]]
# Numbers tensors in the order they are made: a topological order of any graph
# (an op's output is made after its inputs), which backward() sweeps in reverse.
_creation_order = itertools.count()
_SCALARS = (int, float, bool)
_new = object.__new__


class Tensor(TensorMethods, InPlaceMethods, ConversionMethods):
    """An n-dimensional array that records the ops applied to it for ``backward()``.

    ``Tensor(data, requires_grad=False)`` wraps the array ``data`` without
    copying it; use :func:`xpnet.tensor` to build one from Python data.

    Attributes, as in torch: ``.data`` (a Tensor sharing memory, outside the graph),
    ``.grad`` (a Tensor or None), ``.shape`` (an :class:`xpnet.Size`), ``.dtype``
    (an ``xn`` dtype), ``.device`` (an :class:`xpnet.device`), ``.requires_grad``,
    ``.grad_fn``, ``.is_leaf``. Beyond torch: ``.array`` is the native array of the
    backend (NumPy, CuPy, torch, array-api-strict) with no copy, and ``.xp`` its
    Array API namespace; ``np.asarray(t)`` and DLPack (``np.from_dlpack(t)``,
    ``torch.from_dlpack(t)``) work too.
    """

    __slots__ = ("array", "_grad", "_spare", "requires_grad", "xp", "_parents", "_backward", "_op",
                 "_retains_grad", "_seq", "_version", "_saved", "__weakref__")
    __array_ufunc__ = None  # NumPy defers ``ndarray + Tensor`` to Tensor.__radd__

    array: Any
    requires_grad: bool
    _spare: Tensor | None  # set by the grad setter only: an emptied ``.grad`` nobody else holds

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        if isinstance(data, Tensor):
            data = data.array
        self.array = data
        try:
            self.xp = _backend.namespace(data)
        except TypeError:  # xn.Tensor([1, 2]): Python data, in the default float dtype as torch
            self.array = data = _python_data(data)
            self.xp = _backend.namespace(data)
        _dtypes.check_supported(data.dtype, "Tensor(...)")
        self._grad: Tensor | None = None
        self._parents: tuple[Tensor, ...] = ()
        self._backward: Backward | None = None
        self._op = ""
        self._retains_grad = False
        self._seq = next(_creation_order)
        self._version = 0
        self._saved: int | None = None
        self.requires_grad = bool(requires_grad)
        if requires_grad:
            _require_floating(self)

    # -- what the array is --------------------------------------------------------------
    @property
    def data(self) -> Tensor:
        """The same values as a Tensor cut from the graph, sharing memory (torch's ``.data``).

        ``w.data -= lr * w.grad.data`` updates ``w`` without recording the update;
        the native array itself is :attr:`array`. Where arrays are immutable (JAX) it is
        an alias whose array is this tensor's own slot, read and written through
        (:mod:`xpnet._tensor_alias`).
        """
        if self.xp.immutable:
            return _alias(self)
        return _make(self.array, self.xp)

    @data.setter
    def data(self, value: Any) -> None:
        array = value.array if isinstance(value, Tensor) else value
        if not _backend.is_array(array):
            raise TypeError(f"Tensor.data must be set to a Tensor or an array, got {type(value).__name__}")
        _dtypes.check_supported(array.dtype, "Tensor.data = ...")
        self.array = array
        self.xp = _backend.namespace(array)

    @property
    def grad(self) -> Tensor | None:
        """``dL/d self`` after ``backward()``: a Tensor of this tensor's shape, or None.

        Gradients accumulate: each ``backward()`` adds to it, until ``zero_grad()``
        (or ``t.grad = None``). Its native array is ``t.grad.array``.
        """
        return self._grad

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is None:  # zero_grad()
            old = self._grad
            if old is not None:
                self._grad = None
                if getrefcount(old) == 2 and not old.requires_grad:  # `old` and the argument only
                    old.array = None  # nobody kept it: its memory goes now, as torch's set_to_none,
                    self._spare = old  # and the next backward refills the object (first_grad)
            return
        if not isinstance(value, Tensor):
            if not _backend.is_array(value):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got "
                                f"{type(value).__name__}")
            value = _make(value, _backend.namespace(value))
        if tuple(value.array.shape) != tuple(self.array.shape):
            raise RuntimeError(f"assigned grad has data of a different size: {tuple(value.shape)} for a "
                               f"tensor of shape {tuple(self.shape)}")
        self._grad = value

    @property
    def shape(self) -> Size:
        """The shape, an :class:`xpnet.Size` (a tuple)."""
        return Size(self.array.shape)

    @property
    def ndim(self) -> int:
        return len(self.array.shape)

    @property
    def dtype(self) -> _dtypes.DType:
        """The dtype as an ``xn`` dtype (``xn.float32``); ``.data.dtype`` is the native one."""
        return _dtypes.wrap(self.array.dtype)

    @property
    def device(self) -> _device_type:
        """Where the values live: an :class:`xpnet.device` (``== "cpu"``, ``.type``, ``.index``).

        The native device object of the array is ``xpnet._backend.device(t.array)``.
        """
        return _device_type.of(self.xp, _backend.device(self.array))

    @property
    def is_leaf(self) -> bool:
        return self._backward is None

    @property
    def grad_fn(self) -> str | None:
        """The name of the op that made this tensor, or None for a leaf."""
        return self._op if self._backward is not None else None

    def size(self, dim: int | None = None) -> Any:
        """The shape (an :class:`xpnet.Size`), or the length of axis ``dim``."""
        return Size(self.array.shape) if dim is None else int(self.array.shape[dim])

    def dim(self) -> int:
        """The number of axes (``ndim``)."""
        return len(self.array.shape)

    ndimension = dim

    def numel(self) -> int:
        """The number of elements."""
        return autograd._size(self.array.shape)

    nelement = numel

    def __len__(self) -> int:
        if not self.array.shape:
            raise TypeError("len() of a 0-d tensor")
        return int(self.array.shape[0])

    def __repr__(self) -> str:
        return _tensor_format.tensor_repr(self)

    def __format__(self, spec: str) -> str:
        return _tensor_format.tensor_format(self, spec)

    # -- autograd -----------------------------------------------------------------------
    # ``t.backward(gradient=None)``: the sweep itself, with no method frame in between
    # (a small network's step is mostly such frames).
    backward = autograd.backward

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this non-leaf tensor after ``backward()``."""
        self._retains_grad = True
        return self

    def detach(self) -> Tensor:
        """The same data (no copy), cut from the graph (an alias of this tensor where arrays are
        immutable, as :attr:`data`)."""
        if self.xp.immutable:
            return _alias(self)
        return _make(self.array, self.xp)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad:
            _require_floating(self)
        self.requires_grad = requires_grad
        return self

    # -- leaving xpnet ------------------------------------------------------------------
    def numpy(self) -> Any:
        """The values as a NumPy array (copied from the device when it is not the CPU)."""
        return _backend.to_numpy(self.array)

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        """``np.asarray(t)``: the values as NumPy (copied from the device when not on the CPU)."""
        host = _backend.to_numpy(self.array)
        return host if dtype is None else host.astype(dtype, copy=False)

    def __dlpack__(self, *args: Any, **kwargs: Any) -> Any:
        return self.array.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self) -> Any:
        return self.array.__dlpack_device__()

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number (waits for the device)."""
        if self.numel() != 1:
            raise ValueError(f"item() needs a one-element tensor, got shape {tuple(self.shape)}")
        value = self.xp.reshape(self.array, ())
        if _dtypes.wrap(value.dtype).name == "bool":
            return bool(value)
        if _dtypes.is_floating(value.dtype):
            return float(value)
        return int(value)

    def tolist(self) -> Any:
        return self.numpy().tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        return bool(self.item())

    def __index__(self) -> int:
        return int(self.item())

    # -- moving (the other conversions: _tensor_convert) ----------------------------------
    def to(self, *args: Any, device: Any = None, dtype: Any = None, non_blocking: bool = False,
           copy: bool = False) -> Tensor:
        """This tensor on ``device`` and/or with ``dtype`` (itself when nothing changes).

        Forms, as torch's: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``.
        Device strings follow :class:`xpnet.device`: a torch tensor's ``"cuda"`` stays torch;
        a NumPy/CuPy tensor's ``"cuda"`` is CuPy and ``"cpu"`` is NumPy. Differentiable:
        the gradient flows back to the original device and dtype.
        """
        return _tensor_convert.to(self, *args, device=device, dtype=dtype, copy=copy)

    # -- operators: each is an op of xpnet.functional --------------------------------------
    # ``a + b``, ``a - b``, ``a * b``, ``a / b``, ``a @ b``, ``a ** b``, ``-a`` and ``a[i]``
    # are the functional ops themselves, set below once xpnet.functional exists (a method
    # calling them would cost one call more on every operator).
    if TYPE_CHECKING:
        def __add__(self, other: Any) -> Tensor: ...
        def __sub__(self, other: Any) -> Tensor: ...
        def __mul__(self, other: Any) -> Tensor: ...
        def __truediv__(self, other: Any) -> Tensor: ...
        def __matmul__(self, other: Any) -> Tensor: ...
        def __pow__(self, other: Any) -> Tensor: ...
        def __neg__(self) -> Tensor: ...
        def __getitem__(self, index: Any) -> Tensor: ...

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

    def __pos__(self) -> Tensor:
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
    def T(self) -> Tensor:
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


    __hash__ = object.__hash__


def _python_data(data: Any) -> Any:
    """``Tensor(data)`` of Python numbers (nested lists): an array of the default float dtype
    (float32), as ``torch.Tensor``."""
    if isinstance(data, int) and not isinstance(data, bool):
        raise TypeError(f"xn.Tensor({data}) would be torch's uninitialised tensor of size {data}: "
                        f"write xn.empty({data}) for that, or xn.tensor({data}) for the number")
    from .creation import tensor

    return tensor(data, dtype=_dtypes.resolve(None, _backend.numpy_xp)).array


def _require_floating(t: Tensor) -> None:
    if not _dtypes.is_floating(t.array.dtype):
        raise TypeError(
            f"only floating-point tensors can require grad, got {t.dtype}: "
            "create it with dtype=xn.float32 (or float64)"
        )


def _make(data: Any, xp: Any) -> Tensor:
    """A new leaf tensor around ``data`` with namespace ``xp`` (no lookup)."""
    return make_result(data, xp, (), None, "")


autograd.wrap = _make


def make_result(data: Any, xp: Any, parents: tuple[Tensor, ...], backward: Backward | None,
                op: str, saves: bool = True) -> Tensor:
    """The output of an op: recorded in the graph when grad mode is on and an input needs grad.

    ``saves``: whether ``backward`` reads the inputs' (or the output's) values. Then the
    time is noted (``autograd.CLOCK``), so that backward() refuses to use values changed
    in place since (PyTorch's rule); ops that only route the gradient (add, reshape, ...)
    pass False.
    """
    t = _new(Tensor)
    t.array = data
    t.xp = xp
    t._grad = None
    t._op = op
    t._retains_grad = False
    t._seq = next(_creation_order)
    t._version = 0  # stamped by every in-place update of .data (see autograd.bump)
    if grad_mode.enabled:
        for p in parents:
            if p.requires_grad:
                t.requires_grad = True
                t._parents = parents
                t._backward = backward
                t._saved = _CLOCK[0] if saves else None
                return t
    t.requires_grad = False
    t._parents = ()
    t._backward = None
    t._saved = None
    return t


def next_seq() -> int:
    """The next creation number (an in-place op makes its tensor newer than its inputs)."""
    return next(_creation_order)


# A stand-in input for Python scalars in binary ops: never needs a gradient.
CONSTANT = _make(None, None)


from . import functional as F  # noqa: E402  (functional builds on Tensor)
from ._tensor_alias import alias as _alias  # noqa: E402  (a Tensor subclass)

# The operators declared in the class body (see there).
Tensor.__add__ = F.add  # type: ignore[method-assign]
Tensor.__sub__ = F.sub  # type: ignore[method-assign]
Tensor.__mul__ = F.mul  # type: ignore[method-assign]
Tensor.__truediv__ = F.div  # type: ignore[method-assign]
Tensor.__matmul__ = F.matmul  # type: ignore[method-assign]
Tensor.__pow__ = F.pow  # type: ignore[method-assign]
Tensor.__neg__ = F.neg  # type: ignore[method-assign]
Tensor.__getitem__ = F.getitem  # type: ignore[method-assign]
