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
        return _compiled(self)(*args)


@functools.cache
def _compiled(kernel: Kernel) -> Any:
    import cupy

    return cupy.ElementwiseKernel(kernel.in_params, kernel.out_params, kernel.operation,
                                  kernel.name, options=("--fmad=false",))


def covers(*arrays: Any) -> bool:
    """Whether the kernels handle these arrays: all float32, or all float64."""
    dtype = arrays[0].dtype
    return dtype.name in FLOATS and all(a.dtype == dtype for a in arrays)


def literal(value: float) -> str:
    """A Python float as a C literal of type ``T`` (cast from the exact double)."""
    return f"((T){value!r})"
