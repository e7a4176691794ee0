"""Making tensors: from data (``tensor``, ``asarray``) and from scratch (``zeros``, ``arange``...).

Every creation passes ``dtype=`` and ``device=`` explicitly to the backend.
``device`` picks the library too: ``"cpu"`` is NumPy, ``"cuda"``/``"cuda:N"``
CuPy, and a device object (``torch.device``, ``array_api_strict.Device``)
that library. The default dtype is float32 on every backend. The random draws
(``rand``, ``randn``, ...) build on the helpers here, in :mod:`xpnet.sampling`.
"""

from __future__ import annotations

from typing import Any

from . import _backend, _dtypes
from .tensor import Tensor, leaf


def _shape(shape: tuple[Any, ...], size: Any = None) -> tuple[int, ...]:
    """``zeros(2, 3)``, ``zeros((2, 3))`` and ``zeros(size=(2, 3))`` all mean shape (2, 3).

    As torch, a size that is not an int is a TypeError; a negative one is a ValueError
    (torch: RuntimeError).
    """
    if size is not None:
        if shape:
            raise TypeError("give the size either positionally or as size=..., not both")
        shape = tuple(size) if isinstance(size, (tuple, list)) else (size,)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if isinstance(n, bool) or not hasattr(n, "__index__"):
            raise TypeError(f"a size must be a tuple of ints, got {shape!r}")
        if n < 0:
            raise ValueError(f"a shape holds non-negative ints, got {shape!r}")
    return tuple(int(n) for n in shape)


def _finish(data: Any, xp: Any, requires_grad: bool) -> Tensor:
    t = leaf(data, xp)
    return t.requires_grad_() if requires_grad else t


def python_dtype(obj: Any) -> str:
    """The dtype name torch gives Python data ``obj`` (a number or nested lists of them).

    Floats give the default dtype (float32 unless set), ints int64, bools bool; a list
    takes the widest kind it holds. Other objects raise a TypeError saying what to pass.
    """
    if isinstance(obj, bool):
        return "bool"
    if isinstance(obj, int):
        return "int64"
    if isinstance(obj, float):
        return _dtypes.get_default_dtype().name
    if isinstance(obj, (list, tuple)):
        kinds = {python_dtype(o) for o in obj}
        default = _dtypes.get_default_dtype().name
        for kind in (default, "int64", "bool"):
            if kind in kinds:
                return kind
        return default
    hint = {"NoneType": ": replace None by a number, e.g. float('nan')",
            "complex": ": tensors hold real numbers; split it into real features, e.g. "
                       "[z.real, z.imag]",
            "str": ": parse the strings into numbers first"}.get(type(obj).__name__, "")
    raise TypeError(f"cannot make a tensor from {type(obj).__name__}{hint}")


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, or any array).

    Python floats become float32 and ints int64, as in PyTorch; an array keeps
    its dtype and, without ``device``, its library and device.

    Args:
        data: nested lists or tuples of numbers, a number, a Tensor or an array.
        dtype: an ``xn`` dtype (``xn.float32``), its name, or a dtype of the array library;
            None: from ``data`` (above).
        device: where the tensor lives: ``"cpu"`` (NumPy), ``"cuda"``/``"cuda:N"`` (CuPy), an
            ``xn.device``, or a device object of an array library (``torch.device("cpu")``
            makes a torch tensor); None: ``data``'s device for an array, else the default device.
        requires_grad: record operations on the result for autograd (floating dtypes only).

    Raises:
        TypeError: ``data`` holds no numbers (None, strings, complex), an unknown dtype, a size that is not
            ints, or ``requires_grad`` with a non-floating dtype.
        ValueError: an unknown device.
        RuntimeError: the device's library cannot reach its device (CuPy without a GPU).
        ValueError: ragged nested lists.
    """
    if isinstance(data, Tensor):
        data = data.array
    if _backend.is_array(data):
        src_xp = _backend.namespace(data)
        _dtypes.check_supported(data.dtype, "xn.tensor")
        xp, dev = _backend.resolve(device, like=(src_xp, _backend.device(data)))
        moved = _backend.move(data, xp, dev)
        target = _dtypes.resolve(dtype, xp, default=None)
        if target is not None and moved.dtype != target:
            out = xp.astype(moved, target)
        else:
            out = xp.asarray(moved, copy=True) if moved is data else moved
        return _finish(out, xp, requires_grad)
    xp, dev = _backend.resolve(device)
    target = _dtypes.resolve(dtype if dtype is not None else python_dtype(data), xp)
    try:
        out = xp.asarray(data, dtype=target, device=dev)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"cannot make a tensor from this data: {exc}") from None
    return _finish(out, xp, requires_grad)


def asarray(obj: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """``obj`` as a Tensor, without copying when it is already an array.

    An array keeps its namespace, device and dtype; ``device``/``dtype``, when
    given and different, move or cast it (which copies). Python data is
    converted as by :func:`tensor`.

    Args:
        obj: a Tensor, an array, nested lists or a number.
        dtype: an ``xn`` dtype (``xn.float32``), its name, or a dtype of the array library;
            None: ``obj``'s dtype (Python data: as :func:`tensor`).
        device: where the tensor lives: ``"cpu"`` (NumPy), ``"cuda"``/``"cuda:N"`` (CuPy), an
            ``xn.device``, or a device object of an array library (``torch.device("cpu")``
            makes a torch tensor); None: ``obj``'s device for an array, else the default device.
        requires_grad: make the result require gradients (floating dtypes only).

    Raises:
        TypeError: an unknown dtype, a size that is not ints, or ``requires_grad`` with a
            non-floating dtype.
        ValueError: an unknown device.
        RuntimeError: the device's library cannot reach its device (CuPy without a GPU).
    """
    if isinstance(obj, Tensor):
        out = obj if device is None and dtype is None else obj.to(device=device, dtype=dtype)
        return out.requires_grad_() if requires_grad else out
    if not _backend.is_array(obj):
        return tensor(obj, dtype=dtype, device=device, requires_grad=requires_grad)
    xp = _backend.namespace(obj)
    _dtypes.check_supported(obj.dtype, "xn.asarray")
    if device is not None:
        xp, dev = _backend.resolve(device, like=(xp, _backend.device(obj)))
        obj = _backend.move(obj, xp, dev)
    target = _dtypes.resolve(dtype, xp, default=None)
    if target is not None and obj.dtype != target:
        obj = xp.astype(obj, target)
    return _finish(obj, xp, requires_grad)


def _filled(fill: str, shape: tuple[int, ...], dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    xp, dev = _backend.resolve(device)
    dt = _dtypes.resolve(dtype, xp)
    return _finish(getattr(xp, fill)(shape, dtype=dt, device=dev), xp, requires_grad)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          **kwargs: Any) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros(size=(2, 3))``.

    Args:
        *size: the shape: ints (``2, 3``), one tuple (``(2, 3)``), or ``size=(2, 3)``: ``size``.
        dtype: an ``xn`` dtype (``xn.float32``), its name, or a dtype of the array library;
            None: the default float dtype (float32, see :func:`set_default_dtype`).
        device: where the tensor lives: ``"cpu"`` (NumPy), ``"cuda"``/``"cuda:N"`` (CuPy), an
            ``xn.device``, or a device object of an array library (``torch.device("cpu")``
            makes a torch tensor); None: the default device (:func:`set_default_device`).
        requires_grad: record operations on the result for autograd (floating dtypes only).
        **kwargs: ``size=`` as a keyword.

    Raises:
        TypeError: an unknown dtype, a size that is not ints, or ``requires_grad`` with a
            non-floating dtype.
        ValueError: an unknown device.
        RuntimeError: the device's library cannot reach its device (CuPy without a GPU).
    """
    return _filled("zeros", _shape(size, **kwargs), dtype, device, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
         **kwargs: Any) -> Tensor:
    """A tensor of ones: ``ones(2, 3)``, ``ones((2, 3))`` or ``ones(size=(2, 3))``.

    Args:
        *size: the shape: ints (``2, 3``), one tuple (``(2, 3)``), or ``size=(2, 3)``: ``size``.
        dtype: an ``xn`` dtype (``xn.float32``), its name, or a dtype of the array library;
            None: the default float dtype (float32, see :func:`set_default_dtype`).
        device: where the tensor lives: ``"cpu"`` (NumPy), ``"cuda"``/``"cuda:N"`` (CuPy), an
            ``xn.device``, or a device object of an array library (``torch.device("cpu")``
            makes a torch tensor); None: the default device (:func:`set_default_device`).
        requires_grad: record operations on the result for autograd (floating dtypes only).
        **kwargs: ``size=`` as a keyword.

    Raises:
        TypeError: an unknown dtype, a size that is not ints, or ``requires_grad`` with a
            non-floating dtype.
        ValueError: an unknown device.
        RuntimeError: the device's library cannot reach its device (CuPy without a GPU).
    """
    return _filled("ones", _shape(size, **kwargs), dtype, device, requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          **kwargs: Any) -> Tensor:
    """A tensor of the given size holding whatever the memory held (fill it before use).

    Args:
        *size: the shape: ints (``2, 3``), one tuple (``(2, 3)``), or ``size=(2, 3)``: ``size``.
        dtype: an ``xn`` dtype (``xn.float32``), its name, or a dtype of the array library;
            None: the default float dtype (float32, see :func:`set_default_dtype`).
        device: where the tensor lives: ``"cpu"`` (NumPy), ``"cuda"``/``"cuda:N"`` (CuPy), an
            ``xn.device``, or a device object of an array library (``torch.device("cpu")``
            makes a torch tensor); None: the default device (:func:`set_default_device`).
        requires_grad: record operations on the result for autograd (floating dtypes only).
        **kwargs: ``size=`` as a keyword.

    Raises:
        TypeError: an unknown dtype, a size that is not ints, or ``requires_grad`` with a
            non-floating dtype.
        ValueError: an unknown device.
        RuntimeError: the device's library cannot reach its device (CuPy without a GPU).
    """
    return _filled("empty", _shape(size, **kwargs), dtype, device, requires_grad)


def full(size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value``.

    Without ``dtype``, as torch: a bool fill gives bool, an int int64, a float float32.

    Args:
        size: the shape, a tuple of ints (or one int).
        fill_value: the value of every element.
        dtype: an ``xn`` dtype (``xn.float32``), its name, or a dtype of the array library;
            None: from ``fill_value`` (see above).
        device: where the tensor lives: ``"cpu"`` (NumPy), ``"cuda"``/``"cuda:N"`` (CuPy), an
            ``xn.device``, or a device object of an array library (``torch.device("cpu")``
            makes a torch tensor); None: the default device (:func:`set_default_device`).
        requires_grad: record operations on the result for autograd (floating dtypes only).

    Raises:
        TypeError: an unknown dtype, a size that is not ints, or ``requires_grad`` with a
            non-floating dtype.
        ValueError: an unknown device.
        RuntimeError: the device's library cannot reach its device (CuPy without a GPU).
    """
    shape = _shape((size,))
    if dtype is None and isinstance(fill_value, (bool, int)):
        dtype = "bool" if isinstance(fill_value, bool) else "int64"
    xp, dev = _backend.resolve(device)
    dt = _dtypes.resolve(dtype, xp)
    return _finish(xp.full(shape, fill_value, dtype=dt, device=dev), xp, requires_grad)


def like(input: Any, name: str, dtype: Any, device: Any) -> tuple[Any, Any, Any, tuple[int, ...]]:
    """``(xp, device, dtype, shape)`` for a ``*_like`` tensor: ``input``'s, unless given."""
    source = input.array if isinstance(input, Tensor) else input
    if not _backend.is_array(source):
        raise TypeError(f"{name}() expects a Tensor as input, got {type(input).__name__}")
    here = (_backend.namespace(source), _backend.device(source))
    xp, dev = _backend.resolve(device, like=here)
    if dtype is None and xp is here[0]:
        return xp, dev, source.dtype, tuple(source.shape)
    dt = _dtypes.resolve(dtype if dtype is not None else _dtypes.wrap(source.dtype), xp)
    return xp, dev, dt, tuple(source.shape)


def zeros_like(input: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,
               memory_format: Any = None) -> Tensor:
    """Zeros of ``input``'s shape, dtype, library and device (``dtype``/``device`` override).

    Args:
        input: a Tensor (or array) whose shape, dtype, library and device the result takes.
        dtype: overrides ``input``'s dtype.
        device: overrides ``input``'s device (and library, e.g. ``"cuda"``).
        requires_grad: record operations on the result for autograd (floating dtypes only).
        memory_format: accepted for torch programs and ignored (arrays have one layout).

    Raises:
        TypeError: ``input`` is not a Tensor or array, an unknown dtype, a size that is not ints, or
            ``requires_grad`` with a non-floating dtype.
        ValueError: an unknown device.
        RuntimeError: the device's library cannot reach its device (CuPy without a GPU).
    """
    xp, dev, dt, shape = like(input, "zeros_like", dtype, device)
    return _finish(xp.zeros(shape, dtype=dt, device=dev), xp, requires_grad)


def ones_like(input: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,
              memory_format: Any = None) -> Tensor:
    """Ones of ``input``'s shape, dtype, library and device.

    Args:
        input: a Tensor (or array) whose shape, dtype, library and device the result takes.
        dtype: overrides ``input``'s dtype.
        device: overrides ``input``'s device (and library, e.g. ``"cuda"``).
        requires_grad: record operations on the result for autograd (floating dtypes only).
        memory_format: accepted for torch programs and ignored (arrays have one layout).

    Raises:
        TypeError: ``input`` is not a Tensor or array, an unknown dtype, a size that is not ints, or
            ``requires_grad`` with a non-floating dtype.
        ValueError: an unknown device.
        RuntimeError: the device's library cannot reach its device (CuPy without a GPU).
    """
    xp, dev, dt, shape = like(input, "ones_like", dtype, device)
    return _finish(xp.ones(shape, dtype=dt, device=dev), xp, requires_grad)


def empty_like(input: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,
               memory_format: Any = None) -> Tensor:
    """An uninitialised tensor of ``input``'s shape, dtype, library and device.

    Args:
        input: a Tensor (or array) whose shape, dtype, library and device the result takes.
        dtype: overrides ``input``'s dtype.
        device: overrides ``input``'s device (and library, e.g. ``"cuda"``).
        requires_grad: record operations on the result for autograd (floating dtypes only).
        memory_format: accepted for torch programs and ignored (arrays have one layout).

    Raises:
        TypeError: ``input`` is not a Tensor or array, an unknown dtype, a size that is not ints, or
            ``requires_grad`` with a non-floating dtype.
        ValueError: an unknown device.
        RuntimeError: the device's library cannot reach its device (CuPy without a GPU).
    """
    xp, dev, dt, shape = like(input, "empty_like", dtype, device)
    return _finish(xp.empty(shape, dtype=dt, device=dev), xp, requires_grad)


def full_like(input: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """``fill_value`` in ``input``'s shape, dtype, library and device (a float fill of an
    integer tensor is truncated, as torch).

    Args:
        input: a Tensor (or array) whose shape, dtype, library and device the result takes.
        fill_value: the value of every element.
        dtype: overrides ``input``'s dtype.
        device: overrides ``input``'s device (and library, e.g. ``"cuda"``).
        requires_grad: record operations on the result for autograd (floating dtypes only).
        memory_format: accepted for torch programs and ignored (arrays have one layout).

    Raises:
        TypeError: ``input`` is not a Tensor or array, an unknown dtype, a size that is not ints, or
            ``requires_grad`` with a non-floating dtype.
        ValueError: an unknown device.
        RuntimeError: the device's library cannot reach its device (CuPy without a GPU).
    """
    xp, dev, dt, shape = like(input, "full_like", dtype, device)
    name = _dtypes.wrap(dt).name
    if isinstance(fill_value, float) and not _dtypes.is_floating(dt) and name != "bool":
        fill_value = int(fill_value)
    return _finish(xp.full(shape, fill_value, dtype=dt, device=dev), xp, requires_grad)


def new(input: Any, fill: str, size: tuple[Any, ...], dtype: Any = None, device: Any = None,
        requires_grad: bool = False, fill_value: Any = None) -> Tensor:
    """``input.new_zeros(size)`` and friends: a new tensor of ``size`` with ``input``'s dtype,
    library and device (unless given)."""
    xp, dev, dt, _ = like(input, f"new_{fill}", dtype, device)
    shape = _shape(size)
    if fill == "full":
        return _finish(xp.full(shape, fill_value, dtype=dt, device=dev), xp, requires_grad)
    return _finish(getattr(xp, fill)(shape, dtype=dt, device=dev), xp, requires_grad)


def eye(n: int, m: Any = None, *, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The (n, m) identity matrix (m = n when not given): ones on the diagonal, zeros elsewhere.

    Args:
        n: the number of rows.
        m: the number of columns (None: ``n``).
        dtype: an ``xn`` dtype (``xn.float32``), its name, or a dtype of the array library;
            None: the default float dtype (float32, see :func:`set_default_dtype`).
        device: where the tensor lives: ``"cpu"`` (NumPy), ``"cuda"``/``"cuda:N"`` (CuPy), an
            ``xn.device``, or a device object of an array library (``torch.device("cpu")``
            makes a torch tensor); None: the default device (:func:`set_default_device`).
        requires_grad: record operations on the result for autograd (floating dtypes only).

    Raises:
        TypeError: an unknown dtype, a size that is not ints, or ``requires_grad`` with a
            non-floating dtype.
        ValueError: an unknown device.
        RuntimeError: the device's library cannot reach its device (CuPy without a GPU).
    """
    rows, cols = _shape((n, n if m is None else m))
    xp, dev = _backend.resolve(device)
    dt = _dtypes.resolve(dtype, xp)
    return _finish(xp.eye(rows, cols, dtype=dt, device=dev), xp, requires_grad)


def linspace(start: Any, end: Any, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included.

    Computed as torch computes it, so float32 values match torch's to the bit (float64
    ones within an ulp of max(|start|, |end|)): with
    ``step = (end - start) / (steps - 1)`` in the result's dtype, the first half is
    ``start + step * i`` and the second half ``end - step * (steps - 1 - i)``, each
    rounded once (torch uses a fused multiply-add; float64 holds float32's products exactly).

    Args:
        start: the first value.
        end: the last value.
        steps: how many values (0 or more).
        dtype: an ``xn`` dtype (``xn.float32``), its name, or a dtype of the array library;
            None: the default float dtype (float32, see :func:`set_default_dtype`).
        device: where the tensor lives: ``"cpu"`` (NumPy), ``"cuda"``/``"cuda:N"`` (CuPy), an
            ``xn.device``, or a device object of an array library (``torch.device("cpu")``
            makes a torch tensor); None: the default device (:func:`set_default_device`).
        requires_grad: record operations on the result for autograd (floating dtypes only).

    Raises:
        TypeError: an unknown dtype, a size that is not ints, or ``requires_grad`` with a
            non-floating dtype.
        ValueError: an unknown device.
        RuntimeError: the device's library cannot reach its device (CuPy without a GPU).
        RuntimeError: ``steps`` is not a non-negative int.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise RuntimeError(f"linspace: number of steps must be a non-negative int, got {steps!r}")
    xp, dev = _backend.resolve(device)
    dt = _dtypes.resolve(dtype, xp)
    if not _dtypes.is_floating(dt):
        values = xp.linspace(float(start), float(end), steps, dtype=xp.float64, device=dev)
        return _finish(xp.astype(values, dt), xp, requires_grad)
    if steps <= 1:
        return _finish(xp.full((steps,), start, dtype=dt, device=dev), xp, requires_grad)
    first = xp.asarray(start, dtype=dt, device=dev)
    last = xp.asarray(end, dtype=dt, device=dev)
    step = (last - first) / (steps - 1)
    wide = xp.float64
    i = xp.arange(steps, dtype=wide, device=dev)
    if dt != wide:
        first, last, step = (xp.astype(v, wide) for v in (first, last, step))
    values = xp.where(i < steps // 2, first + step * i, last - step * ((steps - 1) - i))
    return _finish(values if dt == wide else xp.astype(values, dt), xp, requires_grad)


def from_numpy(ndarray: Any) -> Tensor:
    """A tensor sharing memory with the NumPy array ``ndarray`` (no copy)."""
    if not _backend.is_array(ndarray) or _backend.library(_backend.namespace(ndarray)) != "numpy":
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    return leaf(ndarray, _backend.namespace(ndarray))


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a Tensor, sharing memory when it already is an array of that dtype and device."""
    return asarray(data, dtype=dtype, device=device)



def arange(start: Any, stop: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """``start, start + step, ...`` below ``stop``; int64 for int arguments, else float32.

    Args:
        start: the first value (the end, from 0, when ``stop`` is None).
        stop: the end, excluded.
        step: the spacing (not 0).
        dtype: an ``xn`` dtype (``xn.float32``), its name, or a dtype of the array library;
            None: int64 when all arguments are ints, else the default float dtype.
        device: where the tensor lives: ``"cpu"`` (NumPy), ``"cuda"``/``"cuda:N"`` (CuPy), an
            ``xn.device``, or a device object of an array library (``torch.device("cpu")``
            makes a torch tensor); None: the default device (:func:`set_default_device`).
        requires_grad: record operations on the result for autograd (floating dtypes only).

    Raises:
        TypeError: an unknown dtype, a size that is not ints, or ``requires_grad`` with a
            non-floating dtype.
        ValueError: an unknown device.
        RuntimeError: the device's library cannot reach its device (CuPy without a GPU).
        ValueError: ``step`` is 0.
    """
    if stop is None:
        start, stop = 0, start
    if step == 0:  # backends raise a bare ZeroDivisionError (or loop forever)
        raise ValueError(f"arange: step must be non-zero, got {step!r}")
    default = "int64" if all(isinstance(v, int) for v in (start, stop, step)) else "default"
    xp, dev = _backend.resolve(device)
    dt = _dtypes.resolve(dtype, xp, default=default)
    return _finish(xp.arange(start, stop, step, dtype=dt, device=dev), xp, requires_grad)


def manual_seed(seed: int) -> None:
    """Seed every backend's generator, so runs are reproducible on every device.

    Args:
        seed: an int: NumPy's, CuPy's, torch's and array-api-strict's generators are all
            seeded from it.
    """
    _backend.manual_seed(seed)


__all__ = [
    "arange", "as_tensor", "asarray", "empty", "empty_like", "eye", "from_numpy", "full", "full_like",
    "linspace", "manual_seed", "ones", "ones_like", "tensor", "zeros", "zeros_like",
]
