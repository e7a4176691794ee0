"""A CuPy ``ElementwiseKernel`` described as data, compiled on first use.

Keeping the source as plain strings lets tests read it (and compile the
loop body as C++ on a machine without a GPU); ``cupy`` is imported only
when a kernel first runs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

FLOATS = ("float32", "float64")


@dataclass(frozen=True)
class Kernel:
    """``ElementwiseKernel(in_params, out_params, operation, name)``: ``T`` is the arrays' dtype.

    Output parameters are passed in (they are updated in place, and may be read
    first); scalar ``T`` inputs are Python numbers, cast to ``T``.
    """

    name: str
    in_params: str
    out_params: str
    operation: str

    def __call__(self, *args: Any) -> Any:
        """Launch on the GPU of the first array argument (CuPy launches on the *current* GPU)."""
        kernel = _compiled(self)
        for a in args:
            device: Any = getattr(a, "device", None)
            if hasattr(device, "__enter__"):  # a cupy.cuda.Device
                with device:
                    return kernel(*args)
        return kernel(*args)


@functools.cache
def _compiled(kernel: Kernel) -> Any:
    import cupy

    return cupy.ElementwiseKernel(kernel.in_params, kernel.out_params, kernel.operation,
                                  kernel.name, options=("--fmad=false",))


def covers(*arrays: Any) -> bool:
    """Whether the kernels handle these arrays: all float32, or all float64."""
    dtype = arrays[0].dtype
    return dtype.name in FLOATS and all(a.dtype == dtype for a in arrays)


def promoted(xp: Any, g: Any, saved: Any) -> tuple[Any, Any]:
    """``(g, saved)`` in one dtype, as the generic ``g * f(saved)`` promotes (a kernel's ``T``: one type).

    A float64 gradient into a float32 layer gives a float64 result, as on every backend.
    """
    if g.dtype == saved.dtype:
        return g, saved
    dtype = xp.result_type(g, saved)
    return xp.astype(g, dtype), xp.astype(saved, dtype)


def literal(value: float) -> str:
    """A Python float as a C literal of type ``T`` (cast from the exact double)."""
    return f"((T){value!r})"
