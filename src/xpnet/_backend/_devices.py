"""Namespaces and devices: which library an array belongs to, and where it lives.

This package is the only place in xpnet that imports NumPy, CuPy, torch or
``array_api_compat``; the rest of the code receives a namespace ``xp`` and
calls the Array API on it.
"""

from __future__ import annotations

import importlib
from typing import Any

import array_api_compat as compat
import numpy as np

from ._base import Backend
from ._cupy import CupyBackend
from ._jax import JaxBackend
from ._numpy import NumpyBackend
from ._strict import StrictBackend
from ._torch import TorchBackend

# The libraries with a backend of their own: how to recognise the namespace, and the class.
# Adding a library is one subclass in one file and one line here; any other library the
# standard covers gets the generic Backend.
LIBRARIES: tuple[tuple[Any, type[Backend]], ...] = (
    (compat.is_numpy_namespace, NumpyBackend),
    (compat.is_cupy_namespace, CupyBackend),
    (compat.is_torch_namespace, TorchBackend),
    (compat.is_array_api_strict_namespace, StrictBackend),
    (compat.is_jax_namespace, JaxBackend),
)
_BY_NAMESPACE: dict[Any, Backend] = {}  # a library's Array API namespace -> its backend object


def backend_for(ns: Any) -> Backend:
    """The backend object of the Array API namespace ``ns`` (array-api-compat's), made once:
    the class :data:`LIBRARIES` gives for it, else the generic :class:`Backend`. Dask's
    namespace is refused (TypeError saying to compute the array first)."""
    if isinstance(ns, Backend):
        return ns
    try:
        return _BY_NAMESPACE[ns]
    except KeyError:
        pass
    if compat.is_dask_namespace(ns):
        raise TypeError(_DASK)
    cls = next((cls for recognise, cls in LIBRARIES if recognise(ns)), Backend)
    backend = _BY_NAMESPACE[ns] = cls(ns)
    return backend


_DASK = ("xpnet does not take dask arrays: a dask array is a lazy graph of NumPy (or CuPy) "
         "chunks, and xpnet's ops, updates and gradients need materialised arrays. Compute "
         "it first (xn.asarray(dask_array.compute())), or feed the chunks batch by batch "
         "(each block's .compute()) through a DataLoader")

# NumPy's backend object: array_api_compat.numpy with its hot functions bound to C.
numpy_xp = backend_for(compat.array_namespace(np.empty(0)))

# type(array) -> backend. array_namespace costs about a microsecond; the
# namespace of an array never changes with its type, so resolve it once.
_NAMESPACES: dict[type, Backend] = {}


def is_array(obj: Any) -> bool:
    """Whether ``obj`` is an array of a library the Array API supports."""
    return type(obj) in _NAMESPACES or compat.is_array_api_obj(obj)


def namespace(array: Any) -> Any:
    """The backend object of ``array``: its library's namespace plus xpnet's operations
    (cached per array type)."""
    try:
        return _NAMESPACES[type(array)]
    except KeyError:
        pass
    try:
        ns = compat.array_namespace(array)
    except TypeError:
        raise TypeError(
            f"expected an array of an Array API library (numpy, cupy, torch, "
            f"array_api_strict, ...), got {type(array).__name__}"
        ) from None
    backend = _NAMESPACES[type(array)] = backend_for(ns)
    return backend


def device(array: Any) -> Any:
    """The device object of ``array`` (``"cpu"`` for NumPy)."""
    return compat.device(array)


def library(xp: Any) -> str:
    """The short name of the library behind namespace ``xp`` (``"numpy"``, ``"torch"``, ...)."""
    return str(backend_for(xp).library)


def describe(xp: Any, dev: Any) -> str:
    """A device as people read it: ``numpy cpu``, ``cupy cuda:0``, ``torch cuda:1``."""
    return str(xp.describe(dev))


def _cupy() -> Any:
    try:
        import cupy
    except ImportError:
        raise RuntimeError(
            "device 'cuda' needs CuPy, which is not installed: "
            "pip install 'xpnet[cuda]' (or the cupy-cudaXXx wheel for your CUDA)"
        ) from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDA driver missing or broken
        raise RuntimeError(f"CuPy is installed but cannot reach a GPU: {exc}") from None
    if count == 0:
        raise RuntimeError("CuPy is installed but sees no CUDA device")
    return cupy


def _cupy_xp() -> Any:
    """CuPy's backend object, without touching a GPU (``cupy.empty(0)`` would open GPU 0)."""
    import array_api_compat.cupy as compat_cupy

    return backend_for(compat_cupy)


def cuda_available() -> bool:
    """Whether ``device="cuda"`` would work (CuPy installed and a GPU visible)."""
    try:
        _cupy()
    except RuntimeError:
        return False
    return True


def cuda_device_count() -> int:
    """How many GPUs CuPy sees: 0 without CuPy, a driver or a GPU (never raises)."""
    try:
        return int(_cupy().cuda.runtime.getDeviceCount())
    except RuntimeError:
        return 0


def cuda_device(spec: Any = None) -> Any:
    """CuPy's ``Device`` for ``spec``: None (the current GPU), an int, ``"cuda"``, ``"cuda:N"``, a Device."""
    cupy = _cupy()
    if spec is None or (isinstance(spec, int) and not isinstance(spec, bool)):
        index = spec
    elif isinstance(spec, str):
        index = _parse_cuda(spec.strip().lower())
        if index is None:
            raise ValueError(f"unknown CUDA device {spec!r}: expected 'cuda', 'cuda:N' or an int")
    elif type(spec).__module__.split(".")[0] == "cupy":
        index = spec.id
    else:
        raise ValueError(f"unknown CUDA device {spec!r}: expected 'cuda', 'cuda:N', an int or a "
                         "cupy.cuda.Device")
    count = cupy.cuda.runtime.getDeviceCount()
    if index is not None and not 0 <= index < count:
        raise ValueError(f"CUDA device {spec!r} does not exist: CuPy sees {count} GPU(s)")
    return cupy.cuda.Device(index)


def _parse_cuda(spec: str) -> int | None:
    if spec == "cuda":
        return 0
    if spec.startswith("cuda:") and spec[5:].isdigit():
        return int(spec[5:])
    return None


_DEVICE_HELP = (
    "expected 'cpu', 'cuda', 'cuda:N' or 'numpy', or a device object of an array "
    "library (torch.device, array_api_strict.Device, cupy.cuda.Device)"
)


def resolve(spec: Any, like: Any = None) -> tuple[Any, Any]:
    """Turn a device spec into ``(namespace, device)``.

    ``spec`` is None (the namespace and device of ``like``, else NumPy's cpu),
    a string, or a device object of an array library, which selects that
    library. A string is read by the library of ``like`` when that library
    has such a device (a torch tensor's ``"cuda"`` is torch's CUDA; an
    array_api_strict array's ``"device1"`` is its fake second device);
    otherwise ``"cpu"`` is NumPy and ``"cuda"``/``"cuda:N"`` is CuPy. ``"numpy"``
    always means NumPy's cpu, the way back from any library.
    """
    if spec is None:
        if like is None:
            return _DEFAULT[0]
        return like
    if isinstance(spec, str):
        return _resolve_string(spec, like)
    unwrap = getattr(spec, "__xpnet_device__", None)  # an xn.device
    if unwrap is not None:
        return unwrap() or _resolve_string(str(spec), like)
    module = type(spec).__module__.split(".")[0]
    for _, cls in LIBRARIES:  # a library's device object selects that library
        if module in cls.device_modules:
            if cls is CupyBackend:
                _cupy()  # a clear error without CuPy or a GPU
            return backend_for(importlib.import_module(cls.namespace_module)), spec
    raise ValueError(f"unknown device {spec!r}: {_DEVICE_HELP}")


# Where creation functions put tensors given no device (xn.set_default_device).
_DEFAULT: list[tuple[Any, Any]] = [(numpy_xp, "cpu")]


def set_default_device(place: tuple[Any, Any] | None) -> None:
    """Make ``place`` (``(namespace, device)``, or None for NumPy's cpu) what ``resolve(None)`` gives."""
    _DEFAULT[0] = (numpy_xp, "cpu") if place is None else place


def _resolve_string(spec: str, like: Any) -> tuple[Any, Any]:
    text = spec.strip().lower()
    if like is not None:
        native = like[0].parse_device(text, like[1])  # a torch tensor's "cuda" is torch's
        if native is not None:
            return like[0], native
    if text == "cpu" or text == "numpy":
        return numpy_xp, "cpu"
    index = _parse_cuda(text)
    if index is not None:
        cupy = _cupy()
        if index >= cupy.cuda.runtime.getDeviceCount():
            raise ValueError(
                f"device {spec!r} does not exist: CuPy sees "
                f"{cupy.cuda.runtime.getDeviceCount()} GPU(s)"
            )
        return _cupy_xp(), cupy.cuda.Device(index)
    raise ValueError(f"unknown device {spec!r}: {_DEVICE_HELP}")


def device_scope(xp: Any, dev: Any) -> Any:
    """A context manager under which ops of namespace ``xp`` run on ``dev`` (CuPy: ``dev``)."""
    return xp.device_scope(dev)


def on_host(xp: Any, dev: Any) -> bool:
    """Whether reading a value of this device is free (no wait for a GPU queue)."""
    return bool(xp.on_host(dev))


def scalar_value(obj: Any) -> Any:
    """A Python number for a scalar number of another type (``np.float64(2)``), else None.

    NumPy's scalars are strongly typed (NEP 50): ``float32_array * np.float64(2)``
    is float64. A Python number adapts to the array's dtype instead.
    """
    if isinstance(obj, bool):
        return bool(obj)
    if isinstance(obj, (int, float)):
        return int(obj) if isinstance(obj, int) else float(obj)
    if isinstance(obj, np.generic) and obj.dtype.kind in "biuf":
        return obj.item()
    return None


def same_device(xp: Any, a: Any, b: Any) -> bool:
    """Whether two arrays of namespace ``xp`` live on the same device."""
    return bool(xp.same_device(a, b))
