"""Run xpnet's CuPy ``ElementwiseKernel`` sources on the CPU, compiled as C++ (no GPU needed).

An ``ElementwiseKernel`` is a loop body in CUDA C++ over named scalars: the
inputs (const), and the outputs (references, updated in place). This helper
wraps the same body in a C++ loop over host arrays, compiles it with the
system's C++ compiler (no fused multiply-add, as the kernels are compiled on
the GPU), and runs it with ``ElementwiseKernel``'s calling convention:
``kernel(*inputs, *outputs)``, inputs broadcast, Python scalars cast to ``T``,
missing outputs allocated, outputs written in place and returned.

It checks the kernels' formulas and the Python wrappers around them (argument
order, in-place updates) against their generic twins without a GPU; it does
not check CUDA specifics (NVRTC, device math libraries, launch).
"""

from __future__ import annotations

import ctypes
import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

CXX = shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")
_CTYPES = {"float32": "float", "float64": "double"}


def _params(spec: str) -> list[str]:
    names = []
    for part in spec.split(","):
        words = part.split()
        assert len(words) == 2 and words[0] == "T", f"unsupported kernel parameter {part!r}"
        names.append(words[1])
    return names


def source(kernel: Any, dtype: str) -> str:
    """The C++ translation unit running ``kernel``'s body over arrays of ``dtype``."""
    ins, outs = _params(kernel.in_params), _params(kernel.out_params)
    lines = [f"    const T {name} = ((const T*)p[{k}])[i];" for k, name in enumerate(ins)]
    lines += [f"    T& {name} = ((T*)p[{len(ins) + k}])[i];" for k, name in enumerate(outs)]
    body = "\n".join(lines)
    return (f"#include <cmath>\nusing namespace std;\ntypedef {_CTYPES[dtype]} T;\n"
            f'extern "C" void run(long n, void** p) {{\n  for (long i = 0; i < n; ++i) {{\n'
            f"{body}\n    {kernel.operation}\n  }}\n}}\n")


class CpuKernel:
    """``kernel`` as a callable with ``cupy.ElementwiseKernel``'s conventions, on NumPy arrays."""

    def __init__(self, kernel: Any, build_dir: Path) -> None:
        self.kernel = kernel
        self.build_dir = build_dir
        self.n_in = len(_params(kernel.in_params))
        self.n_out = len(_params(kernel.out_params))
        self._libs: dict[str, Any] = {}

    def _lib(self, dtype: str) -> Any:
        if dtype not in self._libs:
            code = source(self.kernel, dtype)
            stem = f"{self.kernel.name}_{dtype}_{hashlib.sha1(code.encode()).hexdigest()[:10]}"
            src, lib = self.build_dir / f"{stem}.cpp", self.build_dir / f"{stem}.so"
            src.write_text(code)
            subprocess.run([CXX, "-O1", "-ffp-contract=off", "-shared", "-fPIC", "-o", str(lib),
                            str(src)], check=True, capture_output=True, text=True)
            self._libs[dtype] = ctypes.CDLL(str(lib))
        return self._libs[dtype]

    def __call__(self, *args: Any) -> Any:
        inputs, outputs = list(args[:self.n_in]), list(args[self.n_in:])
        arrays = [a for a in outputs + inputs if isinstance(a, np.ndarray)]
        dtype = arrays[0].dtype  # T: from the outputs first, as CuPy decides it
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
        outputs += [np.zeros(shape, dtype) for _ in range(self.n_out - len(outputs))]
        buffers = [np.array(np.broadcast_to(np.asarray(a, dtype=dtype), shape), dtype=dtype, order="C")
                   for a in inputs + outputs]
        pointers = (ctypes.c_void_p * len(buffers))(*(b.ctypes.data for b in buffers))
        self._lib(dtype.name).run(ctypes.c_long(int(np.prod(shape))), pointers)
        for out, buf in zip(outputs, buffers[self.n_in:]):
            out[...] = buf
        return outputs[0] if self.n_out == 1 else tuple(outputs)
