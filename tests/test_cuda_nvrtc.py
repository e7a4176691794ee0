"""Every CuPy kernel of xpnet compiles for the GPU, without a GPU: CuPy's own code, NVRTC (or nvcc).

Each ``ElementwiseKernel`` of :mod:`xpnet.cuda` (every activation and optimizer
variant, float32 and float64) is rendered by CuPy's own code generator, with
CuPy's headers, and compiled for ``compute_90`` by NVRTC with the kernel's
options, as CuPy does on its first launch; the compiler's log must be empty.
NVRTC is found by CuPy (the ``nvidia-cuda-nvrtc-cu12`` wheel of the test extra,
or a CUDA toolkit); without it, ``nvcc`` on the PATH compiles the same source;
without either the test is skipped, saying so.
"""

from __future__ import annotations

import io
import itertools
import shutil
import subprocess

import numpy as np
import pytest

cupy = pytest.importorskip("cupy", reason="cupy not installed (it imports without a GPU)")

from xpnet.cuda import activation, optim  # noqa: E402

ARCH = "90"  # H100/H200
ARRAY_INPUTS = {"b", "g", "y", "z", "grad"}  # the other inputs are Python numbers at every call


def all_kernels() -> list:
    kernels = [*activation.FORWARD.values(), *activation.BACKWARD.values(), activation.GELU_FORWARD,
               activation.GELU_BACKWARD, optim.sgd_kernel(False, False, False)]
    kernels += [optim.sgd_kernel(True, n, f) for n, f in itertools.product((False, True), repeat=2)]
    kernels += [optim.adam_kernel(d, a) for d, a in itertools.product((False, True), repeat=2)]
    return kernels


def render(kernel, dtype: str) -> str:
    """The CUDA source CuPy generates for ``kernel`` on contiguous 1-d arrays of ``dtype``."""
    from cupy._core import _carray, _kernel

    kind = {"array": 1, "indexer": 2, "scalar": 3}  # CuPy's _ArgKind
    dt = np.dtype(dtype)
    ins = _kernel._get_param_info(kernel.in_params, True)
    outs = _kernel._get_param_info(kernel.out_params, False)
    infos = [_kernel._ArgInfo(kind["array"], cupy.ndarray, dt, 1, True, True) if p.name in ARRAY_INPUTS
             else _kernel._ArgInfo(kind["scalar"], float, dt, 0, True, True) for p in ins]
    infos += [_kernel._ArgInfo(kind["array"], cupy.ndarray, dt, 1, True, True) for _ in outs]
    infos.append(_kernel._ArgInfo(kind["indexer"], _carray.Indexer, None, 1, True, True))
    params = ins + outs + _kernel._get_param_info("CIndexer _ind", False)
    return _kernel._get_elementwise_kernel_code(tuple(infos), _kernel._TypeMap((("T", dt),)), params,
                                                kernel.operation, kernel.name, "", "", "", ())


def _options() -> tuple[str, ...]:
    """CuPy's options for an ElementwiseKernel (headers, ``-ftz=true``) and xpnet's (``--fmad=false``)."""
    import inspect

    from cupy._core import core

    from xpnet.cuda import _kernel as ours

    assert 'options=("--fmad=false",)' in inspect.getsource(ours._compiled)
    headers = (f"-I{core._get_header_dir_path()}", *core._get_cccl_include_options())
    return ("--fmad=false", "-ftz=true", *headers)


def _nvrtc_compile(source: str, options: tuple[str, ...]) -> str:
    from cupy.cuda import compiler

    log = io.StringIO()
    program = compiler._NVRTCProgram(source, "kern.cu", (), (), name_expressions=None, method="ptx")
    ptx, _ = program.compile((*options, f"-arch=compute_{ARCH}", "--device-as-default-execution-space"), log)
    assert log.getvalue().strip() == "", log.getvalue()
    return ptx.decode() if isinstance(ptx, bytes) else ptx


def _nvcc_compile(source: str, options: tuple[str, ...], tmp_path) -> str:
    cu, ptx = tmp_path / "kern.cu", tmp_path / "kern.ptx"
    cu.write_text(source)
    done = subprocess.run([shutil.which("nvcc"), "-ptx", f"-arch=compute_{ARCH}", *options, str(cu),
                           "-o", str(ptx)], capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr
    return ptx.read_text()


def _nvrtc_available() -> bool:
    try:
        from cupy.cuda import nvrtc

        nvrtc.getVersion()
    except Exception:  # the library is missing: CuPy raises its loader's own error
        return False
    return True


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_kernel_compiles_with_cupys_code_generator(dtype, tmp_path):
    from cupy._core import core

    kernels = all_kernels()
    assert len({k.name for k in kernels}) == len(kernels)  # one compiled variant each
    header = "".join(f"#include <{h}>\n" for h in core._cupy_header_list)
    source = header + "\n".join(render(k, dtype) for k in kernels)
    assert source.count("typedef float T;" if dtype == "float32" else "typedef double T;") == len(kernels)
    options = _options()
    if _nvrtc_available():
        ptx = _nvrtc_compile(source, options)
    elif shutil.which("nvcc"):
        ptx = _nvcc_compile(source, options, tmp_path)
    else:
        pytest.skip("neither NVRTC (pip install nvidia-cuda-nvrtc-cu12) nor nvcc found")
    for k in kernels:
        assert f".entry {k.name}(" in ptx, k.name
