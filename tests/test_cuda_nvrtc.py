"""Every CuPy kernel of xpnet compiles for the GPU, without a GPU: CuPy's own code, NVRTC (or nvcc).

Each ``ElementwiseKernel`` CuPy's backend launches (``_cupy.all_kernels()``: every
activation and optimizer variant, float32 and float64) is rendered by CuPy's own code generator, with
CuPy's headers, and compiled for ``compute_90`` by NVRTC with the kernel's
options, as CuPy does on its first launch; the compiler's log must be empty.
NVRTC is found by CuPy (the ``nvidia-cuda-nvrtc-cu12`` wheel of the test extra,
or a CUDA toolkit); without it, ``nvcc`` on the PATH compiles the same source;
without either the test is skipped, saying so.
"""

from __future__ import annotations

import io
import shutil
import subprocess

import numpy as np
import pytest

cupy = pytest.importorskip("cupy", reason="cupy not installed (it imports without a GPU)")

from xpnet._backend import _cuda_kernel, _cupy  # noqa: E402

ARCH = "90"  # H100/H200
ARRAY_INPUTS = {"b", "g", "y", "z", "grad"}  # the other inputs are Python numbers at every call


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

    assert 'options=("--fmad=false",)' in inspect.getsource(_cuda_kernel._compiled)
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

    kernels = _cupy.all_kernels()
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


def test_all_kernels_lists_every_kernel_defined():
    """A kernel added to the activation tables, or an optimizer variant, cannot miss the test."""
    from xpnet._backend import _cuda_activation, _cuda_optim

    listed = _cupy.all_kernels()
    defined = [v for v in vars(_cuda_activation).values() if isinstance(v, _cuda_kernel.Kernel)]
    defined += [k for table in (_cuda_activation.FORWARD, _cuda_activation.BACKWARD) for k in table.values()]
    assert all(k in listed for k in defined)
    flags = (False, True)
    variants = {_cuda_optim.sgd_kernel(m, n, f) for m in flags for n in flags for f in flags
                if m or not (n or f)}
    variants |= {_cuda_optim.adam_kernel(d, a) for d in flags for a in flags}
    assert variants <= set(listed) and len(set(k.name for k in listed)) == len(listed)
