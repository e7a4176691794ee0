"""The CuPy siblings (``xpnet.cuda``) against their generic twins, and the dispatch between them.

Each test runs on three kernel backends:

* ``cupy``: the real kernels on a GPU (skipped without CuPy and a GPU);
* ``cpu-emulation``: the same kernel sources compiled as C++ and run on NumPy
  arrays (tests/_cuda_on_cpu.py; skipped without a C++ compiler). This checks
  the formulas and the Python wrappers, not CUDA itself;
* ``cupy-double``: the same C++ kernels behind the CuPy double (tests/_cupy_double.py:
  the real array-api-compat CuPy layer over NumPy memory, with CuPy's type,
  device and argument checks; skipped without CuPy installed or a C++ compiler).
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import xpnet as xn
import xpnet.cuda as xcuda
from _cuda_on_cpu import CXX, CpuKernel
from xpnet import _backend, nn, optim
from xpnet._backend import _siblings
from xpnet.cuda import _kernel
from xpnet.functional import fused
from xpnet.optim.adam import adam_step
from xpnet.optim.sgd import sgd_step


@dataclass
class Kernels:
    name: str
    xp: Any  # the namespace the siblings get

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
        yield Kernels("cupy", _backend.resolve("cuda")[0])  # xpnet's CuPy namespace
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
    monkeypatch.setattr(_kernel, "_compiled",
                        lambda k: _CPU_KERNELS.setdefault(k, CpuKernel(k, build)))
    yield Kernels("cpu-emulation", _backend.numpy_xp)


def _tol(dtype):
    """Library tanh/exp may differ by an ulp (CUDA, glibc, NumPy): float32 saturates differently."""
    return {"rtol": 1e-12, "atol": 1e-13} if dtype == "float64" else {"rtol": 1e-5, "atol": 1e-5}


ACTS = [("relu", 0.01), ("leaky_relu", 0.1), ("leaky_relu", 0.0), ("sigmoid", 0.01), ("tanh", 0.01),
        ("gelu_tanh", 0.01)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("bias_shape", [None, (5,), (3, 1, 5)], ids=["nobias", "bias", "ensemble"])
@pytest.mark.parametrize(("activation", "slope"), ACTS, ids=[f"{a}-{s}" for a, s in ACTS])
def test_bias_act_matches_twin(kernels, activation, slope, bias_shape, dtype):
    rng = np.random.default_rng(1)
    shape = (3, 4, 5) if bias_shape == (3, 1, 5) else (4, 5)
    z = (rng.standard_normal(shape) * 4).astype(dtype)
    z.flat[:3] = [0.0, 30.0, -30.0]  # a kink and saturated values
    b = None if bias_shape is None else rng.standard_normal(bias_shape).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    y_ref, grad_ref = fused.bias_act(kernels.xp, kernels.array(z), None if b is None else kernels.array(b),
                                     activation, slope)
    z_dev = kernels.array(z)
    done = xcuda.bias_act(kernels.xp, z_dev, None if b is None else kernels.array(b), activation, slope)
    assert done is not None
    y, grad = done
    np.testing.assert_allclose(kernels.host(y), kernels.host(y_ref), **_tol(dtype))
    np.testing.assert_allclose(kernels.host(grad(kernels.array(g))),
                               kernels.host(grad_ref(kernels.array(g))), **_tol(dtype))
    if activation != "gelu_tanh":
        assert y is z_dev  # bias + activation wrote the GEMM output in place


def test_siblings_decline_what_they_do_not_cover(kernels):
    z = kernels.array(np.ones((2, 3), "float64"))
    assert xcuda.bias_act(kernels.xp, kernels.array(np.ones((2, 3), "float16")), None, "relu") is None
    assert xcuda.bias_act(kernels.xp, z, kernels.array(np.ones(3, "float32")), "relu") is None
    assert xcuda.bias_act(kernels.xp, z, None, "leaky_relu", -0.5) is None  # the twin keeps a mask
    p, g = kernels.array(np.ones(3, "float64")), kernels.array(np.ones(3, "float32"))
    assert xcuda.sgd_step(kernels.xp, p, g, None, lr=0.1, momentum=0.0, dampening=0.0,
                          weight_decay=0.0, nesterov=False) is None


SGD_OPTIONS = [
    {"momentum": 0.0, "weight_decay": 0.0}, {"momentum": 0.0, "weight_decay": 0.1},
    {"momentum": 0.9, "dampening": 0.3}, {"momentum": 0.8, "nesterov": True, "weight_decay": 0.1},
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("options", SGD_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_sgd_step_matches_twin(kernels, options, dtype):
    opts = {"lr": 0.1, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False,
            **options}
    rng = np.random.default_rng(2)
    p0 = rng.standard_normal((4, 3)).astype(dtype)
    p_ref, p = kernels.array(p0), kernels.array(p0)
    buf_ref = buf = None
    for _ in range(5):
        g = kernels.array(rng.standard_normal((4, 3)).astype(dtype))
        p_ref, buf_ref = sgd_step(kernels.xp, p_ref, g, buf_ref, **opts)
        p_before = p
        p, buf = xcuda.sgd_step(kernels.xp, p, g, buf, **opts)
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
def test_adam_step_matches_twin(kernels, decoupled, weight_decay, amsgrad, dtype):
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
        ref = list(adam_step(kernels.xp, ref[0], g, *ref[1:], step=step, **opts))
        before = list(ours)
        ours = list(xcuda.adam_step(kernels.xp, ours[0], g, *ours[1:], step=step, **opts))
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
def test_training_with_siblings_equals_generic(kernels, monkeypatch, make_opt):
    """A fused model trained through the siblings follows the generic run."""
    def run(with_siblings: bool) -> list[np.ndarray]:
        monkeypatch.setitem(_siblings._MODULES, kernels.xp, xcuda if with_siblings else None)
        monkeypatch.setattr(_siblings, "_CHOSEN", {})  # dispatch's choices, made again
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


def test_dispatch_picks_each_librarys_siblings(xp):
    fast = _backend.sibling(xp.ns, "sgd_step")
    if xp.name == "cupy":
        assert fast is xcuda.sgd_step
    elif xp.name == "numpy":  # NumPy's blocked optimizer steps (xpnet.cpu), no fused kernels
        import xpnet.cpu

        assert fast is xpnet.cpu.sgd_step
        assert _backend.sibling(xp.ns, "bias_act") is xpnet.cpu.bias_act
    else:
        assert fast is None
        assert _backend.sibling(xp.ns, "bias_act") is None


def test_cpu_training_never_imports_the_cuda_package():
    code = ("import sys, xpnet as xn\nfrom xpnet import nn, optim\n"
            "m = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))\n"
            "o = optim.Adam(m.parameters())\n"
            "nn.MSELoss()(m(xn.randn(8, 2)), xn.randn(8, 1)).backward(); o.step()\n"
            "assert 'xpnet.cuda' not in sys.modules and 'cupy' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)
