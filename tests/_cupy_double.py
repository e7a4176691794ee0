"""A CuPy double on the CPU: NumPy memory behind CuPy's rules, built from the real, installed CuPy.

CuPy imports without a GPU, so its surface is known here: the double exposes a
name only where the real ``cupy`` has it (module functions, ``ndarray`` methods,
``random.Generator`` methods, ``cuda.Device``/``Stream``/``Event``), checks the
keywords of each call against the real function's signature, and runs the
computation with NumPy. Where CuPy raises, it raises:

* an array used while another GPU is current (CuPy without peer access);
* a NumPy array handed to a CuPy function or kernel (``Unsupported type``);
* arrays of different dtypes for one type parameter ``T`` of an
  ``ElementwiseKernel`` (``Type is mismatched``);
* implicit conversion to NumPy (``__array__``).

It has two GPUs and CuPy's current-device rule: results and allocations land
on the current device (``with Device(1):`` changes it). With ``no_host_read``
set, every operation that waits for the GPU to read a value on the host raises
:class:`HostRead`: ``bool()``, ``int()``, ``float()``, ``operator.index``,
``item()``, ``tolist()``, ``get()``, boolean-mask indexing (CuPy reads the count
of True values), ``synchronize()``.

``installed(double)`` puts it in ``sys.modules`` as ``cupy`` and re-imports
array-api-compat's CuPy wrapper on top of it, so xpnet runs through the real
compatibility layer, as on a GPU. ``ElementwiseKernel`` bodies are compiled as
C++ (tests/_cuda_on_cpu.py).
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cupy as real_cupy
import numpy as np


class HostRead(RuntimeError):
    """An operation that would wait for the GPU and read a value on the host."""


class State:
    def __init__(self, build_dir: Path) -> None:
        self.current = 0
        self.count = 2
        self.no_host_read = False
        self.build_dir = build_dir
        self.used: set[str] = set()  # "cupy.zeros", "ndarray.astype", ... as called


class Double:
    """The modules of the double (``cupy``, ``cupy.cuda``, ...) and their shared state."""

    def __init__(self, build_dir: Path) -> None:
        self.state = build(State(build_dir))

    @contextlib.contextmanager
    def no_host_read(self) -> Iterator[None]:
        self.state.no_host_read = True
        try:
            yield
        finally:
            self.state.no_host_read = False


def host_read(state: State, what: str) -> None:
    if state.no_host_read:
        raise HostRead(f"{what} waits for the GPU: the value is read on the host")


# -- arrays -------------------------------------------------------------------------------------

_REAL_NDARRAY = set(dir(real_cupy.ndarray))
_PASS = (int, float, complex, bool, str, slice, type(None), type(Ellipsis), np.dtype, type, np.generic)


def _peer(state: State, dev: int) -> None:
    if dev != state.current:
        raise ValueError(f"The device where the array resides ({dev}) is different from the current "
                         f"device ({state.current}). Peer access is unavailable between these devices.")


def unwrap(state: State, obj: Any, *, host_ok: bool = False) -> Any:
    """NumPy values for a call; raises as CuPy for arrays of another device or NumPy arrays."""
    if isinstance(obj, ndarray):
        _peer(state, obj._dev)
        return obj._a
    if isinstance(obj, np.ndarray):
        if not host_ok:
            raise TypeError(f"Unsupported type {type(obj)}")
        return obj
    if isinstance(obj, (list, tuple)):
        return type(obj)(unwrap(state, o, host_ok=host_ok) for o in obj)
    return obj


def wrap(state: State, obj: Any) -> Any:
    if isinstance(obj, (np.ndarray, np.generic)):
        return ndarray._of(np.asarray(obj) if isinstance(obj, np.generic) else obj, state.current)
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(wrap(state, o) for o in obj)
    if isinstance(obj, tuple) and any(isinstance(o, (np.ndarray, np.generic)) for o in obj):
        return tuple(wrap(state, o) for o in obj)  # NumPy's SlogdetResult, ...: CuPy gives a tuple
    if isinstance(obj, list):
        return [wrap(state, o) for o in obj]
    return obj


def _key(state: State, key: Any) -> Any:
    parts = key if isinstance(key, tuple) else (key,)
    for p in parts:
        if isinstance(p, (ndarray, np.ndarray)) and p.dtype == np.bool_:
            host_read(state, "boolean-mask indexing (CuPy reads the number of True values)")
    return tuple(unwrap(state, p, host_ok=True) for p in parts) if isinstance(key, tuple) \
        else unwrap(state, key, host_ok=True)


class ndarray:
    """A CuPy array: a NumPy array and the id of the GPU it lives on."""

    __module__ = "cupy"  # as the real class: xpnet tells a library by its types' module
    __array_ufunc__ = None  # NumPy scalars defer to our reflected operators, as with CuPy
    _state: State

    def __init__(self, shape: Any, dtype: Any = float, memptr: Any = None, strides: Any = None,
                 order: str = "C") -> None:
        self._a = np.empty(shape, dtype=dtype, order=order)
        self._dev = self._state.current

    @classmethod
    def _of(cls, a: np.ndarray, dev: int) -> ndarray:
        obj = object.__new__(cls)
        obj._a, obj._dev = a, dev
        return obj

    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    strides = property(lambda self: self._a.strides)
    nbytes = property(lambda self: self._a.nbytes)
    itemsize = property(lambda self: self._a.itemsize)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: self._wrap(self._a.T))
    mT = property(lambda self: self._wrap(np.swapaxes(self._a, -1, -2)))
    device = property(lambda self: self._state.cuda.Device(self._dev))

    def _wrap(self, a: np.ndarray) -> ndarray:
        return ndarray._of(a, self._dev)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in _REAL_NDARRAY:
            raise AttributeError(f"'cupy.ndarray' object has no attribute {name!r}")
        state = self._state
        state.used.add(f"ndarray.{name}")
        if name in ("get", "item", "tolist") or name in _HOST_READS:
            host_read(state, f"ndarray.{name}()")
        attr = getattr(self._a, name)
        if not callable(attr):
            return wrap(state, attr)

        def method(*args: Any, **kwargs: Any) -> Any:
            _peer(state, self._dev)
            out = attr(*unwrap(state, args), **unwrap(state, kwargs))
            return out if name in ("get", "item", "tolist") else wrap(state, out)

        return method

    def get(self, stream: Any = None, order: str = "C", out: Any = None, blocking: bool = True) -> Any:
        host_read(self._state, "ndarray.get()")
        return self._a.copy()

    def _scalar(self, kind: Any, what: str) -> Any:
        host_read(self._state, what)
        return kind(self._a)

    def __bool__(self) -> bool:
        return bool(self._scalar(bool, "bool(array)"))

    def __int__(self) -> int:
        return int(self._scalar(int, "int(array)"))

    def __float__(self) -> float:
        return float(self._scalar(float, "float(array)"))

    def __complex__(self) -> complex:
        return complex(self._scalar(complex, "complex(array)"))

    def __index__(self) -> int:
        host_read(self._state, "operator.index(array)")
        return self._a.__index__()

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("Implicit conversion to a NumPy array is not allowed. "
                        "Please use `.get()` to construct a NumPy array explicitly.")

    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self) -> Iterator[ndarray]:
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        host_read(self._state, "repr(array)")
        return repr(self._a).replace("array", "cupy.array", 1)

    __str__ = __repr__
    __hash__ = None  # type: ignore[assignment]

    def __getitem__(self, key: Any) -> Any:
        _peer(self._state, self._dev)
        return wrap(self._state, self._a[_key(self._state, key)])

    def __setitem__(self, key: Any, value: Any) -> None:
        _peer(self._state, self._dev)
        self._a[_key(self._state, key)] = unwrap(self._state, value, host_ok=True)


def _binary(name: str, in_place: bool) -> Any:
    numpy_method = getattr(np.ndarray, name)

    def method(self: ndarray, *args: Any) -> Any:
        if any(not isinstance(a, (ndarray, *_PASS)) for a in args):
            return NotImplemented
        state = self._state
        _peer(state, self._dev)
        out = numpy_method(self._a, *unwrap(state, args))
        if out is NotImplemented:
            return out
        return self if in_place else wrap(state, out)

    method.__name__ = name
    return method


_OPS = ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor",
        "lshift", "rshift")
for _op in _OPS:
    for _name in (f"__{_op}__", f"__r{_op}__"):
        setattr(ndarray, _name, _binary(_name, False))
    setattr(ndarray, f"__i{_op}__", _binary(f"__i{_op}__", True))
for _name in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__", "__neg__", "__pos__",
              "__abs__", "__invert__"):
    setattr(ndarray, _name, _binary(_name, False))


# -- module functions ---------------------------------------------------------------------------

_CREATION = {"array", "asarray", "asanyarray", "ascontiguousarray"}  # take host data
_HOST_READS = {"asnumpy", "nonzero", "argwhere", "flatnonzero", "unique", "compress", "extract"}
_UFUNC_KEYWORDS = {"out", "dtype", "casting"}


def _accepts(real: Any, args: tuple, kwargs: dict, qualname: str) -> None:
    """Raise TypeError where the real function would refuse these arguments."""
    if isinstance(real, real_cupy.ufunc):
        bad = set(kwargs) - _UFUNC_KEYWORDS
        if bad:
            raise TypeError(f"{qualname} (a CuPy ufunc) got unexpected keyword(s) {sorted(bad)}")
        return
    try:
        sig = inspect.signature(real)
    except (TypeError, ValueError):
        return  # a Cython function without a signature: its existence is all we know
    sig.bind(*args, **kwargs)


def function(state: State, qualname: str, real: Any, impl: Any) -> Any:
    """``impl`` (NumPy's) under CuPy's rules, with the real function's signature checked first."""
    name = qualname.rsplit(".", 1)[-1]

    def call(*args: Any, **kwargs: Any) -> Any:
        state.used.add(qualname)
        _accepts(real, args, kwargs, qualname)
        if name in _HOST_READS:
            host_read(state, f"{qualname}()")
        if name in _CREATION and args and not isinstance(args[0], ndarray):
            args = (np.array(args[0]), *args[1:])  # host data is copied to the GPU, never shared
        elif name in _CREATION and args and args[0]._dev != state.current:  # a copy between GPUs
            args = (ndarray._of(args[0]._a.copy(), state.current), *args[1:])
        out = impl(*unwrap(state, args, host_ok=name in _CREATION), **unwrap(state, kwargs))
        return out if name == "asnumpy" else wrap(state, out)

    call.__name__ = name
    call.__wrapped__ = real  # type: ignore[attr-defined]
    return call


def _missing(qualname: str) -> Any:
    def missing(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"the CuPy double does not implement {qualname}")

    return missing


class Module(types.ModuleType):
    """A double of a real CuPy module: only the real module's names, NumPy behind them."""

    def __init__(self, state: State, real: Any, numpy_module: Any, own: dict[str, Any]) -> None:
        super().__init__(real.__name__)
        self._state, self._real, self._numpy = state, real, numpy_module
        self.__dict__.update(own)
        self.__all__ = [n for n in dir(real) if not n.startswith("_")]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        real = getattr(self._real, name)  # AttributeError where the real CuPy lacks it
        numpy_value = getattr(self._numpy, name, None)
        if real is numpy_value or (isinstance(real, type) and issubclass(real, np.generic)):
            value = real  # dtypes, finfo, ...: the same objects in both libraries
        elif callable(real) and callable(numpy_value) and not isinstance(real, type):
            value = function(self._state, f"{self.__name__}.{name}", real, numpy_value)
        elif isinstance(real, types.ModuleType):
            value = Module(self._state, real, numpy_value or types.ModuleType(name), {})
        else:
            value = _missing(f"{self.__name__}.{name}") if callable(real) else real
        setattr(self, name, value)
        return value


def build(state: State) -> State:
    """Create the modules of the double around ``state``; returns the state (with .cupy etc.)."""
    from _cupy_double_cuda import cuda_module, kernel_class, random_module

    ndarray._state = state
    cuda = cuda_module(state)
    random = random_module(state)
    state.cuda = cuda  # type: ignore[attr-defined]
    own = {"ndarray": ndarray, "cuda": cuda, "random": random,
           "ElementwiseKernel": kernel_class(state), "ufunc": real_cupy.ufunc,
           "__version__": real_cupy.__version__, "__file__": __file__}
    cupy = Module(state, real_cupy, np, own)
    cupy.linalg = Module(state, real_cupy.linalg, np.linalg, {})  # type: ignore[attr-defined]
    cupy.fft = Module(state, real_cupy.fft, np.fft, {})  # type: ignore[attr-defined]
    state.cupy = cupy  # type: ignore[attr-defined]
    state.modules = {"cupy": cupy, "cupy.cuda": cuda, "cupy.cuda.device": cuda.device,  # type: ignore[attr-defined]
                     "cupy.cuda.runtime": cuda.runtime, "cupy.random": random,
                     "cupy.linalg": cupy.linalg, "cupy.fft": cupy.fft}
    return state


def _clear_compat_caches() -> None:
    """array-api-compat caches class -> namespace lookups: they change when ``cupy`` does."""
    from array_api_compat.common import _helpers

    for value in vars(_helpers).values():
        if hasattr(value, "cache_clear"):
            value.cache_clear()


_SESSION: list[Double] = []


def session_double(build_dir: Path) -> Double:
    """The one double of this test session (its ``ndarray`` class is shared: one state)."""
    if not _SESSION:
        build_dir.mkdir(parents=True, exist_ok=True)
        _SESSION.append(Double(build_dir))
    return _SESSION[0]


@contextlib.contextmanager
def installed(double: Double) -> Iterator[Any]:
    """``cupy`` is the double, and ``array_api_compat.cupy`` is built on it; yields that namespace."""
    import array_api_compat

    from xpnet._backend import _cuda_kernel, _devices, _random

    compat_names = [n for n in sys.modules if n.startswith("array_api_compat.cupy")]
    saved = {n: sys.modules[n] for n in [*double.state.modules, *compat_names, "cupyx"] if n in sys.modules}
    saved_attr = array_api_compat.__dict__.get("cupy")
    for n in compat_names:
        del sys.modules[n]
    sys.modules.update(double.state.modules)
    sys.modules["cupyx"] = None  # type: ignore[assignment]  # the real cupyx cannot run on the double
    caches = (_devices._NAMESPACES, _devices._BY_NAMESPACE, _random._global.natives, _random._global.pending)
    before = [dict(c) for c in caches]
    _clear_compat_caches()
    _cuda_kernel._compiled.cache_clear()
    try:
        xp = importlib.import_module("array_api_compat.cupy")
        yield xp
    finally:
        for n in [n for n in sys.modules if n.startswith("array_api_compat.cupy")]:
            del sys.modules[n]
        for n in [*double.state.modules, "cupyx"]:
            sys.modules.pop(n, None)
        sys.modules.update(saved)
        if saved_attr is None:
            array_api_compat.__dict__.pop("cupy", None)
        else:
            array_api_compat.cupy = saved_attr
        for c, b in zip(caches, before):
            c.clear()
            c.update(b)
        _clear_compat_caches()
        _cuda_kernel._compiled.cache_clear()
        double.state.current = 0
        double.state.no_host_read = False
