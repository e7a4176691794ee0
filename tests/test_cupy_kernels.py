"""CuPy's backend (its fused kernels) against the generic code, and its declining to it.

Each test runs on three kernel backends:

* ``cupy``: the real kernels on a GPU (skipped without CuPy and a GPU);
* ``cpu-emulation``: CuPy's backend class over NumPy memory, its kernel sources
  compiled as C++ (tests/_cuda_on_cpu.py; skipped without a C++ compiler). This
  checks the formulas and the Python around them, not CUDA itself;
* ``cupy-double``: the same C++ kernels behind the CuPy double (tests/_cupy_double.py:
  the real array-api-compat CuPy layer over NumPy memory, with CuPy's type,
  device and argument checks; skipped without CuPy installed or a C++ compiler).

The reference is always the generic :class:`xpnet._backend.Backend` over the same
namespace: the code every other library runs.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import xpnet as xn
from _cuda_on_cpu import CXX, CpuKernel
from xpnet import _backend, nn, optim
from xpnet._backend import Backend, _cuda_kernel, _cupy
from xpnet._backend._cupy import CupyBackend


class EmulatedCupy(CupyBackend):
    """CuPy's backend over NumPy arrays: its kernels (compiled as C++) and its choices;
    creation without GPU placement (there is no GPU)."""

    def _on(self, device: Any, make: Any, args: Any, kwargs: Any) -> Any:
        return make(*args, **kwargs)


@dataclass
class Kernels:
    name: str
    xp: Any  # CuPy's backend object (or the emulation)

    @property
    def generic(self) -> Backend:
        """The generic backend over the same namespace."""
        return Backend(self.xp.namespace)

    def array(self, host: np.ndarray) -> Any:
        return self.xp.asarray(host) if self.name == "cupy" else host.copy()

    def host(self, a: Any) -> np.ndarray:
        return np.asarray(_backend.to_numpy(a))


_CPU_KERNELS: dict[Any, CpuKernel] = {}  # compiled once per session


@pytest.fixture(params=["cupy", "cpu-emulation", "cupy-double"])
def kernels(request, monkeypatch, tmp_path_factory) -> Any:
    if request.param == "cupy":
        pytest.importorskip("cupy", reason="cupy: not installed")
        if not xn.cuda_available():
            pytest.skip("cupy: no CUDA device")
        yield Kernels("cupy", _backend.resolve("cuda")[0])  # CuPy's backend object
        return
    if CXX is None:
        pytest.skip(f"{request.param}: no C++ compiler")
    build = tmp_path_factory.getbasetemp() / "kernels"
    if request.param == "cupy-double":
        pytest.importorskip("cupy", reason="cupy-double: cupy not installed (it imports without a GPU)")
        from _cupy_double import installed, session_double

        with installed(session_double(build)):
            yield Kernels("cupy", _backend.resolve("cuda")[0])
        return
    build.mkdir(exist_ok=True)
    monkeypatch.setattr(_cuda_kernel, "_compiled",
                        lambda k: _CPU_KERNELS.setdefault(k, CpuKernel(k, build)))
    yield Kernels("cpu-emulation", EmulatedCupy(_backend.numpy_xp.namespace))


def _tol(dtype):
    """Library tanh/exp may differ by an ulp (CUDA, glibc, NumPy): float32 saturates differently."""
    return {"rtol": 1e-12, "atol": 1e-13} if dtype == "float64" else {"rtol": 1e-5, "atol": 1e-5}


ACTS = [("relu", 0.01), ("leaky_relu", 0.1), ("leaky_relu", 0.0), ("sigmoid", 0.01), ("tanh", 0.01),
        ("gelu_tanh", 0.01)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("bias_shape", [None, (5,), (3, 1, 5)], ids=["nobias", "bias", "ensemble"])
@pytest.mark.parametrize(("activation", "slope"), ACTS, ids=[f"{a}-{s}" for a, s in ACTS])
def test_bias_act_matches_generic(kernels, activation, slope, bias_shape, dtype):
    rng = np.random.default_rng(1)
    shape = (3, 4, 5) if bias_shape == (3, 1, 5) else (4, 5)
    z = (rng.standard_normal(shape) * 4).astype(dtype)
    z.flat[:3] = [0.0, 30.0, -30.0]  # a kink and saturated values
    b = None if bias_shape is None else rng.standard_normal(bias_shape).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    y_ref, grad_ref = kernels.generic.bias_act(kernels.array(z), None if b is None else kernels.array(b),
                                               activation, slope)
    z_dev = kernels.array(z)
    y, grad = kernels.xp.bias_act(z_dev, None if b is None else kernels.array(b), activation, slope)
    np.testing.assert_allclose(kernels.host(y), kernels.host(y_ref), **_tol(dtype))
    np.testing.assert_allclose(kernels.host(grad(kernels.array(g))),
                               kernels.host(grad_ref(kernels.array(g))), **_tol(dtype))
    if activation != "gelu_tanh":
        assert y is z_dev  # bias + activation wrote the GEMM output in place


@pytest.mark.parametrize("activation", ["relu", "gelu_tanh"])
def test_activation_without_overwrite_leaves_its_input(kernels, activation):
    """A standalone activation (``F.relu``) must not write its input; the fused path may."""
    rng = np.random.default_rng(5)
    z0 = rng.standard_normal((4, 5))
    z = kernels.array(z0)
    y, _ = kernels.xp.activation(z, activation, 0.01)
    y_ref, _ = kernels.generic.activation(kernels.array(z0), activation, 0.01)
    np.testing.assert_array_equal(kernels.host(z), z0)
    np.testing.assert_allclose(kernels.host(y), kernels.host(y_ref), **_tol("float64"))


def test_kernels_decline_what_they_do_not_cover(kernels, monkeypatch):
    """Outside the kernels' cover CuPy's backend runs the generic code (super()): same results,
    and no kernel launched."""
    def no_kernel(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a kernel was launched for a call it does not cover")

    z64 = np.linspace(-2, 2, 6).reshape(2, 3)
    b32 = np.ones(3, "float32")
    # mixed dtypes: the generic code adds the bias (float64), then the activation kernel runs
    y, _ = kernels.xp.bias_act(kernels.array(z64), kernels.array(b32), "relu")
    y_ref, _ = kernels.generic.bias_act(kernels.array(z64), kernels.array(b32), "relu")
    np.testing.assert_array_equal(kernels.host(y), kernels.host(y_ref))
    for name in ("launch_bias_act", "launch_sgd", "launch_adam"):
        monkeypatch.setattr(_cupy, name, no_kernel)
    cases = [(z64.astype("float16"), "relu", 0.01),  # a dtype without a kernel
             (z64, "leaky_relu", -0.5)]  # a negative slope: the generic code keeps a mask
    for z, act, slope in cases:
        y, _ = kernels.xp.bias_act(kernels.array(z), None, act, slope)
        y_ref, _ = kernels.generic.bias_act(kernels.array(z), None, act, slope)
        np.testing.assert_array_equal(kernels.host(y), kernels.host(y_ref))
    p, g = kernels.array(np.ones(3, "float64")), kernels.array(np.ones(3, "float32"))
    opts = dict(lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False)
    out, _ = kernels.xp.sgd_step(p, g, None, **opts)
    ref, _ = kernels.generic.sgd_step(kernels.array(np.ones(3, "float64")), g, None, **opts)
    np.testing.assert_array_equal(kernels.host(out), kernels.host(ref))


SGD_OPTIONS = [
    {"momentum": 0.0, "weight_decay": 0.0}, {"momentum": 0.0, "weight_decay": 0.1},
    {"momentum": 0.9, "dampening": 0.3}, {"momentum": 0.8, "nesterov": True, "weight_decay": 0.1},
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("options", SGD_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_sgd_step_matches_generic(kernels, options, dtype):
    opts = {"lr": 0.1, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False,
            **options}
    rng = np.random.default_rng(2)
    p0 = rng.standard_normal((4, 3)).astype(dtype)
    p_ref, p = kernels.array(p0), kernels.array(p0)
    buf_ref = buf = None
    for _ in range(5):
        g = kernels.array(rng.standard_normal((4, 3)).astype(dtype))
        p_ref, buf_ref = kernels.generic.sgd_step(p_ref, g, buf_ref, **opts)
        p_before = p
        p, buf = kernels.xp.sgd_step(p, g, buf, **opts)
        assert p is p_before  # updated in place
    np.testing.assert_allclose(kernels.host(p), kernels.host(p_ref), **_tol(dtype))
    if opts["momentum"]:
        np.testing.assert_allclose(kernels.host(buf), kernels.host(buf_ref), **_tol(dtype))
    else:
        assert buf is None


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("amsgrad", [False, True], ids=["", "amsgrad"])
@pytest.mark.parametrize(("decoupled", "weight_decay"), [(False, 0.0), (False, 0.1), (True, 0.1)],
                         ids=["adam", "adam-l2", "adamw"])
def test_adam_step_matches_generic(kernels, decoupled, weight_decay, amsgrad, dtype):
    opts = {"lr": 0.05, "beta1": 0.8, "beta2": 0.9, "eps": 1e-6, "weight_decay": weight_decay,
            "decoupled": decoupled}
    rng = np.random.default_rng(3)
    p0 = rng.standard_normal((4, 3)).astype(dtype)
    zeros = np.zeros((4, 3), dtype)
    ref = [kernels.array(p0), kernels.array(zeros), kernels.array(zeros),
           kernels.array(zeros) if amsgrad else None]
    ours = [kernels.array(p0), kernels.array(zeros), kernels.array(zeros),
            kernels.array(zeros) if amsgrad else None]
    for step in range(1, 6):
        g = kernels.array(rng.standard_normal((4, 3)).astype(dtype))
        ref = list(kernels.generic.adam_step(ref[0], g, *ref[1:], step=step, **opts))
        before = list(ours)
        ours = list(kernels.xp.adam_step(ours[0], g, *ours[1:], step=step, **opts))
        assert all(a is b for a, b in zip(ours, before))  # every array updated in place
    for a, b in zip(ours, ref):
        if b is None:
            assert a is None
        else:
            np.testing.assert_allclose(kernels.host(a), kernels.host(b), **_tol(dtype))


OPTIMIZERS = [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True),
    lambda ps: optim.AdamW(ps, lr=0.01),
]


@pytest.mark.parametrize("make_opt", OPTIMIZERS, ids=["SGD-nesterov", "Adam-amsgrad", "AdamW"])
def test_training_with_kernels_equals_generic(kernels, monkeypatch, make_opt):
    """A fused model trained through CuPy's kernels follows the generic run (on CuPy's arrays:
    the backend's methods swapped for the generic ones)."""
    if kernels.name == "cpu-emulation":
        pytest.skip("cpu-emulation: a model's tensors get NumPy's backend; the CuPy double runs it")

    def run(with_kernels: bool) -> list[np.ndarray]:
        with monkeypatch.context() as patch:
            if not with_kernels:
                for name in ("bias_act", "activation", "sgd_step", "adam_step"):
                    patch.setattr(CupyBackend, name, getattr(Backend, name))
            return train()

    def train() -> list[np.ndarray]:
        xn.manual_seed(0)
        device = "cuda" if kernels.name == "cupy" else "cpu"
        model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 8), nn.GELU("tanh"),
                              nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 2), nn.Sigmoid()).to(device).double()
        opt = make_opt(model.parameters())
        rng = np.random.default_rng(4)
        x = kernels.array(rng.standard_normal((16, 3)))
        y = kernels.array(rng.uniform(size=(16, 2)))
        for _ in range(5):
            opt.zero_grad()
            nn.MSELoss()(model(x), y).backward()
            opt.step()
        return [kernels.host(p.array) for p in model.parameters()]

    for a, b in zip(run(True), run(False)):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-12)


def test_each_library_has_its_backend_class(xp):
    expected = {"numpy": "NumpyBackend", "cupy": "CupyBackend", "cupy-double": "CupyBackend",
                "torch": "TorchBackend",
                "torch-cuda": "TorchBackend", "array_api_strict": "StrictBackend",
                "array_api_strict-device1": "StrictBackend", "jax": "JaxBackend"}
    assert type(xp.ns).__name__ == expected.get(xp.name, "Backend")
    assert isinstance(xp.ns, Backend) and _backend.namespace(xp.array([1.0])) is xp.ns


def test_cpu_training_never_imports_cupy():
    code = ("import sys, xpnet as xn\nfrom xpnet import nn, optim\n"
            "m = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))\n"
            "o = optim.Adam(m.parameters())\n"
            "nn.MSELoss()(m(xn.randn(8, 2)), xn.randn(8, 1)).backward(); o.step()\n"
            "assert 'cupy' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)
