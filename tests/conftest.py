"""One ``xp`` fixture: every test that takes it runs on every backend.

Backends: numpy, array_api_strict (its CPU device and its fake ``device1``,
which proves no hidden NumPy call and no silent device change), torch (CPU,
and CUDA when present), cupy (when a GPU is present), jax (its CPU device, with
``jax_enable_x64`` on, which xpnet requires; immutable arrays: the Tensor rebinds).
A backend that is not installed, or has no device, is skipped with the reason
shown in the summary.

Pick backends with ``--backend numpy,torch`` or ``XPNET_TEST_BACKENDS``.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import xpnet as xn

ALL_BACKENDS = ("numpy", "array_api_strict", "array_api_strict-device1", "torch", "torch-cuda",
                "cupy", "jax")
# Run only when named (--backend cupy-double): xpnet's CuPy path on the CuPy double of
# tests/_cupy_double.py (the real array-api-compat CuPy layer over NumPy memory; no GPU).
OPT_IN_BACKENDS = ("cupy-double",)


@dataclass
class Backend:
    """A backend under test: its namespace, the device to create on, and converters."""

    name: str
    ns: Any  # xpnet's backend object of this library: its Array API namespace, and xpnet's ops
    device: Any  # what to pass as device= to xpnet (and to ns.asarray)

    def array(self, values: Any, dtype: str = "float32") -> Any:
        """A native array of this backend holding ``values`` (lists or a NumPy array)."""
        host = np.asarray(values, dtype=dtype)
        if self.name.startswith("torch"):
            import torch

            return torch.from_numpy(host.copy()).to(self.device)
        if self.name == "cupy":
            return self.ns.asarray(host)
        return self.ns.asarray(host, device=self.device)

    def tensor(self, values: Any, dtype: str = "float32", requires_grad: bool = False) -> xn.Tensor:
        return xn.Tensor(self.array(values, dtype), requires_grad=requires_grad)

    def numpy(self, obj: Any) -> np.ndarray:
        """Host NumPy copy of a Tensor or native array."""
        data = obj.array if isinstance(obj, xn.Tensor) else obj
        from xpnet._backend import to_numpy

        return np.asarray(to_numpy(data))

    def same_place(self, obj: Any) -> bool:
        """Whether a Tensor/array lives in this backend's namespace and on its device."""
        from xpnet import _backend

        data = obj.array if isinstance(obj, xn.Tensor) else obj
        if _backend.namespace(data) is not self.ns:
            return False
        return bool(self.name == "numpy" or _backend.device(data) == self.expected_device)

    @property
    def expected_device(self) -> Any:
        if self.name == "cupy":
            import cupy

            return cupy.cuda.Device(0)
        return self.device

    def __getattr__(self, name: str) -> Any:  # xp.float32, xp.sum, ... from the namespace
        return getattr(self.ns, name)

    def __repr__(self) -> str:
        return self.name


def _backend_for(namespace: Any) -> Any:
    from xpnet import _backend

    return _backend.backend_for(namespace)


def _make_backend(name: str) -> Backend:
    """Build a backend, or skip the test with the reason it is unavailable."""
    if name == "numpy":
        from xpnet._backend import numpy_xp

        return Backend(name, numpy_xp, "cpu")
    if name.startswith("array_api_strict"):
        strict = pytest.importorskip("array_api_strict")
        dev = strict.Device("device1" if name.endswith("device1") else "CPU_DEVICE")
        return Backend(name, _backend_for(strict), dev)
    if name.startswith("torch"):
        torch = pytest.importorskip("torch")
        import array_api_compat.torch as torch_xp

        if name == "torch-cuda":
            if not torch.cuda.is_available():
                pytest.skip("torch-cuda: no CUDA device")
            torch.backends.cuda.matmul.allow_tf32 = False
            torch.backends.cudnn.allow_tf32 = False
            return Backend(name, _backend_for(torch_xp), torch.device("cuda"))
        return Backend(name, _backend_for(torch_xp), torch.device("cpu"))
    if name == "cupy":
        try:
            importlib.import_module("cupy")
        except ImportError:
            pytest.skip("cupy: not installed")
        if not xn.cuda_available():
            pytest.skip("cupy: no CUDA device")
        from xpnet import _backend

        return Backend(name, _backend.resolve("cuda")[0], "cuda")  # xpnet's CuPy namespace
    if name == "jax":
        jax = pytest.importorskip("jax")
        # xpnet refuses JAX arrays until JAX's 64-bit mode is on (without it JAX silently makes
        # float64 and int64 arrays 32-bit; torch's semantics need both): docs/backends.md.
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        return Backend(name, _backend_for(jnp), jax.devices("cpu")[0])
    raise ValueError(name)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--backend", default=os.environ.get("XPNET_TEST_BACKENDS", "all"),
                     help="comma-separated backends to test: " + ", ".join(ALL_BACKENDS))


def selected_backends(config: pytest.Config) -> list[str]:
    value = config.getoption("--backend")
    if value == "all":
        return list(ALL_BACKENDS)
    names = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if n not in ALL_BACKENDS + OPT_IN_BACKENDS]
    if unknown:
        raise pytest.UsageError(f"unknown backend(s) {unknown}: choose from "
                                f"{ALL_BACKENDS + OPT_IN_BACKENDS}")
    return names


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "xp" in metafunc.fixturenames:
        metafunc.parametrize("xp", selected_backends(metafunc.config), indirect=True)


@pytest.fixture
def xp(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The backend under test (parametrized over every selected backend)."""
    xn.manual_seed(0)
    if request.param != "cupy-double":
        yield _make_backend(request.param)
        return
    pytest.importorskip("cupy", reason="cupy-double: cupy not installed")
    from _cupy_double import installed, session_double

    with installed(session_double(tmp_path_factory.getbasetemp() / "cupy-double")):
        from xpnet import _backend

        xn.manual_seed(0)
        yield Backend("cupy", _backend.resolve("cuda")[0], "cuda")


@pytest.fixture
def torch() -> Any:
    """PyTorch, as the reference implementation (skips when not installed)."""
    return pytest.importorskip("torch")
