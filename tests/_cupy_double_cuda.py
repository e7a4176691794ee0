"""The CuPy double's ``cupy.cuda`` (two devices, streams, events), ``cupy.random`` and ``ElementwiseKernel``.

Each class exposes only names that the real CuPy class has (tests/test_cupy_double.py
checks that by introspection); see tests/_cupy_double.py for the rules the double keeps.
"""

from __future__ import annotations

import types
from typing import Any

import cupy as real_cupy
import numpy as np

from _cuda_on_cpu import CpuKernel
from _cupy_double import Module, State, host_read, ndarray, unwrap, wrap


def cuda_module(state: State) -> Any:
    class Device:
        """``cupy.cuda.Device(device=None)``: an id (the current one by default); a context manager."""

        __module__ = "cupy.cuda.device"  # as the real class

        def __init__(self, device: Any = None) -> None:
            self.id = state.current if device is None else int(device)
            self._before: list[int] = []

        def _check(self) -> None:
            if not 0 <= self.id < state.count:
                raise runtime.CUDARuntimeError(f"cudaErrorInvalidDevice: invalid device ordinal {self.id}")

        def __enter__(self) -> Device:
            self._check()
            self._before.append(state.current)
            state.current = self.id
            return self

        def __exit__(self, *exc: Any) -> None:
            state.current = self._before.pop()

        def use(self) -> None:
            self._check()
            state.current = self.id

        def synchronize(self) -> None:
            host_read(state, "Device.synchronize()")

        @property
        def compute_capability(self) -> str:
            return "90"

        def __int__(self) -> int:
            return self.id

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Device) and other.id == self.id

        def __hash__(self) -> int:
            return hash(("cuda", self.id))

        def __repr__(self) -> str:
            return f"<CUDA Device {self.id}>"

    class CUDARuntimeError(RuntimeError):
        pass

    def getDeviceCount() -> int:
        return state.count

    def getDevice() -> int:
        return state.current

    def setDevice(device: int) -> None:
        Device(device).use()

    def getDeviceProperties(device: int) -> dict[str, Any]:
        return {"name": b"CuPy double (CPU)", "totalGlobalMem": 2**34}

    runtime = types.ModuleType("cupy.cuda.runtime")
    runtime.__dict__.update(getDeviceCount=getDeviceCount, getDevice=getDevice, setDevice=setDevice,
                            getDeviceProperties=getDeviceProperties, CUDARuntimeError=CUDARuntimeError)

    class Stream:
        """A CUDA stream: work is queued in order; ``synchronize`` waits for it."""

        def __init__(self, null: bool = False, non_blocking: bool = False, priority: int = 0) -> None:
            self.device_id = state.current

        def synchronize(self) -> None:
            host_read(state, "Stream.synchronize()")

        def __enter__(self) -> Stream:
            return self

        def __exit__(self, *exc: Any) -> None:
            pass

        def use(self) -> Stream:
            return self

    class Event:
        """A CUDA event: ``record`` marks a point in a stream; ``get_elapsed_time`` measures between two."""

        def __init__(self, block: bool = False, disable_timing: bool = False,
                     interprocess: bool = False) -> None:
            self.recorded = False

        def record(self, stream: Any = None) -> None:
            self.recorded = True

        def synchronize(self) -> None:
            host_read(state, "Event.synchronize()")

    def get_current_stream(device_id: int = -1) -> Stream:
        return Stream()

    def get_elapsed_time(start_event: Event, end_event: Event) -> float:
        if not (start_event.recorded and end_event.recorded):
            raise RuntimeError("cudaErrorInvalidResourceHandle: an event was not recorded")
        return 1.0

    def is_available() -> bool:
        return True

    device = types.ModuleType("cupy.cuda.device")
    device.Device = Device  # type: ignore[attr-defined]
    cuda = types.ModuleType("cupy.cuda")
    cuda.__dict__.update(Device=Device, runtime=runtime, device=device, Stream=Stream, Event=Event,
                         ExternalStream=Stream, get_current_stream=get_current_stream,
                         get_elapsed_time=get_elapsed_time, is_available=is_available)
    return cuda


_REAL_GENERATOR = set(dir(real_cupy.random.Generator))


def random_module(state: State) -> Any:
    class Generator:
        """``cupy.random.Generator``: only the real class's methods (14.2 has no ``permutation``)."""

        def __init__(self, numpy_generator: Any) -> None:
            self._gen = numpy_generator

        def __getattr__(self, name: str) -> Any:
            if name.startswith("_") or name not in _REAL_GENERATOR:
                raise AttributeError(f"'cupy.random.Generator' object has no attribute {name!r}")
            state.used.add(f"random.Generator.{name}")
            method = getattr(self._gen, name)
            return lambda *args, **kwargs: wrap(state, method(*unwrap(state, args), **unwrap(state, kwargs)))

    def default_rng(seed: Any = None) -> Generator:
        state.used.add("cupy.random.default_rng")
        return Generator(np.random.default_rng(seed))

    def rand(*size: int, dtype: Any = float) -> Any:
        state.used.add("cupy.random.rand")
        return wrap(state, np.random.default_rng().random(size, dtype=dtype))

    own = {"Generator": Generator, "default_rng": default_rng, "rand": rand}
    return Module(state, real_cupy.random, np.random, own)


def _params(spec: str) -> list[tuple[str, str]]:
    return [tuple(p.split()) for p in spec.split(",") if p.strip()]  # type: ignore[misc]


_CPU_KERNELS: dict[tuple[str, ...], CpuKernel] = {}  # compiled once per session


def kernel_class(state: State) -> Any:
    class ElementwiseKernel:
        """``cupy.ElementwiseKernel``: CuPy's type and device checks, then the body compiled as C++."""

        def __init__(self, in_params: str, out_params: str, operation: str, name: str = "kernel",
                     reduce_dims: bool = True, preamble: str = "", no_return: bool = False,
                     return_tuple: bool = False, **kwargs: Any) -> None:
            unknown = set(kwargs) - {"options", "loop_prep", "after_loop"}
            if unknown:
                raise TypeError(f"ElementwiseKernel got unexpected keyword(s) {sorted(unknown)}")
            self.in_params, self.out_params = in_params, out_params
            self.operation, self.name = operation, name
            self.params = _params(in_params) + _params(out_params)
            self.nin = len(_params(in_params))
            key = (in_params, out_params, operation, name)
            self._cpu = _CPU_KERNELS.setdefault(key, CpuKernel(self, state.build_dir))

        def __call__(self, *args: Any, size: Any = None, block_size: Any = None) -> Any:
            state.used.add("cupy.ElementwiseKernel.__call__")
            if len(args) not in (self.nin, len(self.params)):
                raise TypeError(f"Wrong number of arguments for {self.name!r}: "
                                f"{self.nin} or {len(self.params)} expected, {len(args)} given")
            seen: dict[str, Any] = {}
            for (typ, pname), a in zip(self.params, args):
                if isinstance(a, np.ndarray):
                    raise TypeError(f"Unsupported type {type(a)}")  # 0-d NumPy arrays included
                if isinstance(a, ndarray):
                    if typ in seen and seen[typ] != a.dtype:
                        raise TypeError(f"Type is mismatched. {pname} {typ} {seen[typ]} {a.dtype}")
                    seen.setdefault(typ, a.dtype)
            out = self._cpu(*unwrap(state, args))
            if len(args) == self.nin:
                return wrap(state, out)  # new outputs
            return args[self.nin] if len(self.params) - self.nin == 1 else tuple(args[self.nin:])

    return ElementwiseKernel


__all__ = ["cuda_module", "kernel_class", "random_module"]
