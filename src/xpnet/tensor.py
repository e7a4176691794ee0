"""``Tensor``: an array of any Array API library, plus what autograd needs.

A tensor holds its native array in ``.array`` (a NumPy, CuPy, torch or
array-api-strict array), the array's namespace ``xp`` (resolved once), and,
when it was computed from tensors that require grad, the op's inputs and the
closure that sends the gradient back to them. The ops themselves live in
:mod:`xpnet.functional`, which imports this module and not the reverse (no import
cycle): ``a + b`` is ``functional.add`` itself, bound to the class at the end of
``functional/__init__.py``; the methods here read ``functional`` late (``F``). Method
groups live beside this file: reflected operators, comparisons and the common math
methods (``_tensor_operators``), torch's other methods (``_tensor_methods``), in-place
methods (``_tensor_inplace``), conversions (``_tensor_convert``), printing (``_tensor_format``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from sys import getrefcount
from typing import TYPE_CHECKING, Any

from . import _backend, _dtypes, _tensor_convert, _tensor_format, autograd
from ._device import device as _device_type
from ._size import Size
from ._tensor_convert import ConversionMethods
from ._tensor_inplace import InPlaceMethods, alias
from ._tensor_methods import LateFunctional, TensorMethods
from ._tensor_operators import OperatorMethods
from .autograd import CLOCK as _CLOCK
from .autograd import grad_mode

if TYPE_CHECKING:
    from . import functional as F
else:
    # xpnet.functional imports this module (its ops build Tensors), so this one reads it late:
    # the first F.<op> call puts the module itself here (no cost per call after that).
    F = LateFunctional(globals())

Backward = Callable[[Any], tuple[Any, ...]]
# Numbers tensors in the order they are made: a topological order of any graph
# (an op's output is made after its inputs), which backward() sweeps in reverse.
_creation_order = itertools.count()
_SCALARS = (int, float, bool)
_new = object.__new__


class Tensor(OperatorMethods, TensorMethods, InPlaceMethods, ConversionMethods):
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
        the native array itself is :attr:`array`. Immutable arrays (JAX): an alias of this slot.
        """
        return alias(self) if self.xp.immutable else leaf(self.array, self.xp)

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
            value = leaf(value, _backend.namespace(value))
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
        return math.prod(self.array.shape)

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
    backward = autograd.tensor_backward

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this non-leaf tensor after ``backward()``."""
        self._retains_grad = True
        return self

    def detach(self) -> Tensor:
        """The same data (no copy), cut from the graph (an alias if arrays are immutable: .data)."""
        return alias(self) if self.xp.immutable else leaf(self.array, self.xp)

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
    # are the functional ops themselves, bound at the end of ``functional/__init__.py``
    # (a method calling them would cost one call more on every operator; binding them here
    # would make this module import functional, which imports this one: an import cycle).
    if TYPE_CHECKING:
        def __add__(self, other: Any) -> Tensor: ...
        def __sub__(self, other: Any) -> Tensor: ...
        def __mul__(self, other: Any) -> Tensor: ...
        def __truediv__(self, other: Any) -> Tensor: ...
        def __matmul__(self, other: Any) -> Tensor: ...
        def __pow__(self, other: Any) -> Tensor: ...
        def __neg__(self) -> Tensor: ...
        def __getitem__(self, index: Any) -> Tensor: ...

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


def leaf(data: Any, xp: Any) -> Tensor:
    """A new leaf Tensor around the native array ``data`` of namespace ``xp``.

    No copy, no namespace lookup and no check: for arrays the library made itself (an
    op's result, a creation); ``xn.asarray`` and ``functional``'s ``as_tensor`` check
    what users give. The Tensor does not require grad.
    """
    return make_result(data, xp, (), None, "")


autograd.wrap = leaf


def as_tensor(obj: Any, op: str = "op") -> Tensor:
    """``obj`` as a Tensor: Tensors pass through, arrays are wrapped (never copied).

    The input check of every op and layer (not torch's ``xn.as_tensor``, which also takes
    Python data): anything else is a TypeError naming ``op``.
    """
    if isinstance(obj, Tensor):
        return obj
    if _backend.is_array(obj):
        _dtypes.check_supported(obj.dtype, op)
        return leaf(obj, _backend.namespace(obj))
    raise TypeError(
        f"{op} expects a Tensor or an array of an Array API library, got {type(obj).__name__}"
        + ("; build one with xn.tensor(...)" if isinstance(obj, (list, tuple)) else "")
    )


def check_same_place(a: Tensor, b: Tensor, op: str | Callable[[], str]) -> None:
    """Raise a teaching error when ``a`` and ``b`` are of different libraries or devices.

    ``op`` names the operation in the message; a callable is called only to report an
    error (a layer's name is formatted from its sizes, which costs time on every call).
    """
    xp = a.xp
    if xp is b.xp and (xp.one_device or xp.same_device(a.array, b.array)):
        return
    if not isinstance(op, str):
        op = op()
    where_a = _backend.describe(a.xp, _backend.device(a.array))
    where_b = _backend.describe(b.xp, _backend.device(b.array))
    kind = "devices" if a.xp is b.xp else "array libraries"
    raise RuntimeError(
        f"{op}: tensors on different {kind} ({where_a} and {where_b}): move one to the "
        f"other's with .to(...), e.g. b = b.to(a.device) (xpnet never copies between "
        f"devices behind your back)"
    )


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
CONSTANT = leaf(None, None)
