"""Making tensors: from data (``tensor``, ``asarray``) and from scratch (``zeros``, ``randn``...).

Every creation passes ``dtype=`` and ``device=`` explicitly to the backend.
``device`` picks the library too: ``"cpu"`` is NumPy, ``"cuda"``/``"cuda:N"``
CuPy, and a device object (``torch.device``, ``array_api_strict.Device``)
that library. The default dtype is float32 on every backend.
"""

from __future__ import annotations

from typing import Any

from . import _backend, _dtypes
from .tensor import Tensor, _make


def _shape(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """``zeros(2, 3)`` and ``zeros((2, 3))`` both mean shape (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"a shape holds non-negative ints, got {shape!r}")
    return tuple(shape)


def _finish(data: Any, xp: Any, requires_grad: bool) -> Tensor:
    t = _make(data, xp)
    return t.requires_grad_() if requires_grad else t


def _python_dtype(obj: Any) -> str:
    """PyTorch's rule for Python data: floats give float32, ints int64, bools bool."""
    if isinstance(obj, bool):
        return "bool"
    if isinstance(obj, int):
        return "int64"
    if isinstance(obj, float):
        return _dtypes.get_default_dtype().name
    if isinstance(obj, (list, tuple)):
        kinds = {_python_dtype(o) for o in obj}
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
    target = _dtypes.resolve(dtype if dtype is not None else _python_dtype(data), xp)
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


def _filled(fill: str, shape: tuple[Any, ...], dtype: Any, device: Any,
            requires_grad: bool) -> Tensor:
    xp, dev = _backend.resolve(device)
    dt = _dtypes.resolve(dtype, xp)
    return _finish(getattr(xp, fill)(_shape(shape), dtype=dt, device=dev), xp, requires_grad)


def zeros(*shape: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _filled("zeros", shape, dtype, device, requires_grad)


def ones(*shape: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``."""
    return _filled("ones", shape, dtype, device, requires_grad)


def _random(kind: str, shape: tuple[Any, ...], dtype: Any, device: Any,
            requires_grad: bool) -> Tensor:
    xp, dev = _backend.resolve(device)
    dt = _dtypes.resolve(dtype, xp)
    if not _dtypes.is_floating(dt):
        raise TypeError(f"random tensors are floating point, got dtype {dtype}")
    draw = _backend.normal if kind == "normal" else _backend.uniform
    return _finish(draw(_shape(shape), xp=xp, device=dev, dtype=dt), xp, requires_grad)


def randn(*shape: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Samples of the standard normal N(0, 1), from the seeded generator of the device."""
    return _random("normal", shape, dtype, device, requires_grad)


def rand(*shape: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Samples of the uniform U[0, 1), from the seeded generator of the device."""
    return _random("uniform", shape, dtype, device, requires_grad)


def arange(start: Any, stop: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """``start, start + step, ...`` below ``stop``; int64 for int arguments, else float32."""
    if stop is None:
        start, stop = 0, start
    if step == 0:  # backends raise a bare ZeroDivisionError (or loop forever)
        raise ValueError(f"arange: step must be non-zero, got {step!r}")
    default = "int64" if all(isinstance(v, int) for v in (start, stop, step)) else "default"
    xp, dev = _backend.resolve(device)
    dt = _dtypes.resolve(dtype, xp, default=default)
    return _finish(xp.arange(start, stop, step, dtype=dt, device=dev), xp, requires_grad)


def manual_seed(seed: int) -> None:
    """Seed every backend's generator, so runs are reproducible on every device."""
    _backend.manual_seed(seed)
