"""xpnet on CuPy, run on the CuPy double (tests/_cupy_double.py): the defects of issue 17 stay fixed.

* shuffling (``DataLoader``, ``fit``) uses only what ``cupy.random.Generator`` has;
* ``"cuda:N"`` puts arrays and kernel launches on GPU N, whichever GPU is current;
* a whole training step never waits for the GPU (no-host-read mode), for every
  layer, loss and optimizer, fused and layer by layer, and for ensembles;
* a float64 gradient into a float32 fused layer promotes, as the generic code does;
* ``xpnet.cuda`` answers as ``torch.cuda`` does, with and without a GPU.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("cupy", reason="cupy not installed (it imports without a GPU)")

import xpnet as xn
import xpnet.cuda as xcuda
from _cuda_on_cpu import CXX
from _cupy_double import installed, session_double
from xpnet import _backend, nn, optim
from xpnet._backend import Backend
from xpnet._backend._cupy import CupyBackend
from xpnet.bench import timing
from xpnet.data import DataLoader

ROOT = Path(__file__).resolve().parents[1]
needs_cxx = pytest.mark.skipif(CXX is None, reason="no C++ compiler for the kernels")


@pytest.fixture
def gpu(tmp_path_factory):
    d = session_double(tmp_path_factory.getbasetemp() / "cupy-double")
    with installed(d):
        xn.manual_seed(0)
        yield d


def _host(t):
    return _backend.to_numpy(t.array if isinstance(t, xn.Tensor) else t)


# -- 1. shuffling -------------------------------------------------------------------------------

def test_permutation_uses_only_the_real_generator(gpu):
    xp, dev = _backend.resolve("cuda:1")
    p = _backend.permutation(50, xp=xp, device=dev)
    assert p.device.id == 1 and p.dtype.name == "int64"
    assert sorted(_host(p).tolist()) == list(range(50)) and _host(p).tolist() != list(range(50))


def test_shuffled_dataloader_on_cuda(gpu):
    x = xn.arange(20, device="cuda").reshape(10, 2)
    batches = list(DataLoader((x, x[:, 0]), batch_size=4, shuffle=True))
    rows = np.concatenate([_host(b[0]) for b in batches])
    firsts = rows[:, 0].tolist()
    assert sorted(firsts) == list(range(0, 20, 2)) and firsts != list(range(0, 20, 2))


# -- 2. devices ---------------------------------------------------------------------------------

def test_cuda_n_places_creation_on_gpu_n(gpu):
    cupy = gpu.state.cupy
    model = nn.Sequential(nn.Linear(3, 4, device="cuda:1"), nn.ReLU())
    assert all(p.array.device.id == 1 for p in model.parameters())
    for make in (lambda: xn.zeros(2, 3, device="cuda:1"), lambda: xn.randn(2, device="cuda:1"),
                 lambda: xn.tensor([1.0, 2.0], device="cuda:1"), lambda: xn.arange(3, device="cuda:1"),
                 lambda: xn.ones(2, device="cpu").to("cuda:1")):
        assert make().array.device == cupy.cuda.Device(1)
    assert cupy.cuda.runtime.getDevice() == 0  # nothing changed the current GPU
    t = xn.zeros(2, device="cuda:1")  # the namespace's *_like follow their array, full its device=
    xp = t.xp
    assert xp.zeros_like(t.array).device.id == 1 and xp.full((2,), 1.0, device=t.array.device).device.id == 1


def test_resolving_a_device_creates_nothing_on_gpu_0(gpu):
    gpu.state.used.clear()
    _backend.resolve("cuda:1")
    _backend.resolve(gpu.state.cupy.cuda.Device(1))
    assert not {n for n in gpu.state.used if n.startswith("cupy.") and n != "cupy.cuda.Device"}


@needs_cxx
def test_model_on_cuda_1_trains_under_its_device(gpu):
    """``with xpnet.cuda.device(1):`` (torch's idiom): every array stays on GPU 1, kernels included."""
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2), nn.Sigmoid()).to("cuda:1")
    opt = optim.Adam(model.parameters(), lr=0.01)
    x, y = xn.randn(5, 3, device="cuda:1"), xn.rand(5, 2, device="cuda:1")
    with pytest.raises(ValueError, match="is different from the current device"):
        model(x)  # CuPy runs ops on the current GPU (0): the double has no peer access
    with xcuda.device(1):
        for _ in range(2):
            opt.zero_grad()
            nn.MSELoss()(model(x), y).backward()
            opt.step()
    assert all(p.array.device.id == 1 for p in model.parameters())
    assert all(p.grad.array.device.id == 1 for p in model.parameters())


@needs_cxx
def test_kernels_launch_on_their_arrays_gpu(gpu):
    xp, dev = _backend.resolve("cuda:1")
    with dev:
        z = xp.asarray(np.linspace(-2, 2, 8).reshape(2, 4))
        b = xp.asarray(np.ones(4))
    y, grad = xp.bias_act(z, b, "relu")  # GPU 0 is current here
    assert y.device.id == 1 and grad(y).device.id == 1


# -- 3. no host reads in a training step --------------------------------------------------------

class Handwritten(nn.Module):
    """Layer by layer by hand: matmul, relu, sigmoid, tanh, exact GELU, softmax, dropout, abs."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(xn.randn(3, 8) * 0.3)
        self.fc = nn.Linear(8, 8)
        self.drop = nn.Dropout(0.2)
        self.out = nn.Linear(8, 2)

    def forward(self, x):
        h = xn.relu(x @ self.w)
        h = self.drop(nn.GELU()(xn.tanh(self.fc(h)) + xn.sigmoid(h)))
        return self.out(h.abs() + xn.softmax(h, -1))


def _stack(fused: bool):
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 8), nn.LeakyReLU(0.1),
                          nn.Linear(8, 8), nn.Sigmoid(), nn.Linear(8, 8), nn.Tanh(),
                          nn.Linear(8, 8), nn.GELU("tanh"), nn.Linear(8, 8), nn.GELU(),
                          nn.Dropout(0.1), nn.Identity(), nn.Linear(8, 2))
    model.fuse_activations = fused
    return model


OPTIMIZERS = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.1),
    "SGD-nesterov": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "Adam-amsgrad": lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True, weight_decay=0.01),
    "AdamW": lambda ps: optim.AdamW(ps, lr=0.01),
    "RMSprop": lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5),
    "Adagrad": lambda ps: optim.Adagrad(ps, lr=0.1),
}
REGRESSION = {"mse": nn.MSELoss(), "l1": nn.L1Loss(), "huber": nn.HuberLoss(),
              "bce-logits": nn.BCEWithLogitsLoss()}


def _step(gpu, model, loss_fn, x, y, opt, steps=2):
    with gpu.no_host_read():
        for _ in range(steps):
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            nn.utils.clip_grad_value_(model.parameters(), 0.5)
            opt.step()
    assert np.isfinite(float(loss.array))
    return loss


@needs_cxx
@pytest.mark.parametrize("opt", list(OPTIMIZERS))
@pytest.mark.parametrize("model", ["fused", "layer-by-layer", "handwritten"])
def test_training_step_never_waits_for_the_gpu(gpu, model, opt):
    net = (Handwritten() if model == "handwritten" else _stack(model == "fused")).to("cuda")
    x, y = xn.randn(16, 3, device="cuda"), xn.rand(16, 2, device="cuda")
    _step(gpu, net, nn.MSELoss(), x, y, OPTIMIZERS[opt](net.parameters()))


@needs_cxx
@pytest.mark.parametrize("loss", [*REGRESSION, "bce", "cross-entropy", "nll"])
def test_every_loss_never_waits_for_the_gpu(gpu, loss):
    net = _stack(True).to("cuda")
    x = xn.randn(16, 3, device="cuda")
    if loss in REGRESSION:
        y, loss_fn = xn.rand(16, 2, device="cuda"), REGRESSION[loss]
    elif loss == "bce":
        net, y, loss_fn = nn.Sequential(net, nn.Sigmoid()), xn.rand(16, 2, device="cuda"), nn.BCELoss()
    else:
        y = xn.tensor([0, 1] * 8, device="cuda")
        if loss == "nll":
            net, loss_fn = nn.Sequential(net, nn.LogSoftmax(dim=-1)), nn.NLLLoss()
        else:
            loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    _step(gpu, net, loss_fn, x, y, optim.Adam(net.parameters(), lr=0.01))


@needs_cxx
@pytest.mark.parametrize("opt", ["SGD-nesterov", "Adam-amsgrad", "RMSprop"])
def test_ensemble_step_never_waits_for_the_gpu(gpu, opt):
    ens = nn.Ensemble(4, lambda: nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(),
                                               nn.Linear(8, 1))).to("cuda")
    x, y = xn.randn(16, 2, device="cuda"), xn.randn(16, 1, device="cuda")
    _step(gpu, ens, lambda pred, target: ens.loss(nn.MSELoss(), pred, target), x, y,
          OPTIMIZERS[opt](ens.parameters()))


def test_indexing_with_a_0d_gpu_index_never_waits(gpu):
    t = xn.arange(12, device="cuda", dtype=xn.float32).reshape(4, 3).requires_grad_()
    rows, col = xn.tensor([2, 0], device="cuda"), xn.tensor(1, device="cuda")  # col: a 0-d index
    with gpu.no_host_read():
        picked = t[rows.array, col.array]
        picked.sum().backward()
    assert _host(picked).tolist() == [7.0, 1.0]
    assert _host(t.grad).tolist() == [[0, 1, 0], [0, 0, 0], [0, 1, 0], [0, 0, 0]]


def test_clip_sign_and_erf_keep_nan_without_waiting(gpu):
    from xpnet import functional as F

    v = [-3.0, -0.5, 0.0, 0.5, 3.0, float("nan")]
    x = xn.tensor(v, device="cuda", requires_grad=True)
    with gpu.no_host_read():
        c = F.clip(x, -1.0, 1.0)
        a = x.abs()
        (c.sum() + a.sum()).backward()
        g = nn.GELU()(x)
    np.testing.assert_array_equal(_host(c), np.clip(v, -1, 1))
    np.testing.assert_array_equal(_host(x.grad), (np.abs(np.clip(v, -1, 1)) < 1) + np.sign(v))
    assert np.isnan(_host(g)[-1])


# -- 4. mixed dtypes into the fused kernels -----------------------------------------------------

@needs_cxx
@pytest.mark.parametrize("act", [nn.ReLU, nn.Sigmoid, nn.Tanh, lambda: nn.GELU("tanh")])
def test_float64_gradient_into_a_float32_fused_layer(gpu, monkeypatch, act):
    """``(model(x32) * t64).sum().backward()``: the kernels promote, as the generic code does."""
    def grads(with_kernels: bool):
        with monkeypatch.context() as patch:
            if not with_kernels:
                for name in ("bias_act", "activation"):
                    patch.setattr(CupyBackend, name, getattr(Backend, name))
            return run()

    def run():
        xn.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 4), act()).to("cuda")
        x = xn.randn(5, 3, device="cuda")
        t = xn.randn(5, 4, device="cuda", dtype=xn.float64)
        (model(x) * t).sum().backward()
        return [(str(p.grad.array.dtype), _host(p.grad)) for p in model.parameters()]

    for (d1, g1), (d2, g2) in zip(grads(True), grads(False)):
        assert d1 == d2
        np.testing.assert_allclose(g1, g2, rtol=1e-6, atol=1e-7)


# -- xpnet.cuda as torch.cuda ---------------------------------------------------------------------

def test_torch_cuda_api_on_two_gpus(gpu):
    assert xn.cuda.is_available() and xcuda.device_count() == 2 and xcuda.current_device() == 0
    with xcuda.device("cuda:1"):
        assert xcuda.current_device() == 1
    assert xcuda.current_device() == 0
    xcuda.set_device(1)
    assert xcuda.current_device() == 1
    xcuda.set_device(0)
    xcuda.synchronize()
    with pytest.raises(ValueError, match="does not exist: CuPy sees 2 GPU"):
        xcuda.device(2)
    xcuda.manual_seed(5)
    a = _host(xn.randn(4, device="cuda"))
    xcuda.manual_seed_all(5)
    np.testing.assert_array_equal(_host(xn.randn(4, device="cuda")), a)


def test_torch_cuda_api_without_a_gpu(monkeypatch):
    """No driver (this machine without GPU), and no CuPy at all: never raises, says so."""
    for hide in (False, True):
        if hide:
            monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy -> ImportError
        assert xn.cuda.is_available() is xn.cuda_available()
        if not xn.cuda_available():
            assert xcuda.device_count() == 0
            xcuda.manual_seed(1)
            with pytest.raises(RuntimeError, match="xpnet\\[cuda\\]" if hide else "CuPy"):
                xcuda.current_device()
    with pytest.raises(RuntimeError, match=r"pip install 'xpnet\[cuda\]'"):
        xn.zeros(2, device="cuda")


def test_xpnet_cuda_is_an_attribute_of_xpnet():
    assert xn.cuda is xcuda
    with pytest.raises(AttributeError):
        xn.not_an_attribute  # noqa: B018


# -- 5, 6. install extras and the bench --------------------------------------------------------

def test_cuda_extras_bring_nvrtc_and_cublas():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert extras["cuda"] == ["cupy-cuda12x[ctk]>=13"]
    assert extras["cuda13"] == ["cupy-cuda13x[ctk]>=14"]
    readme, gpu_doc = (ROOT / "README.md").read_text(), (ROOT / "docs" / "gpu.md").read_text()
    assert ".[cuda13]" in readme and "cuda13" in gpu_doc


def test_gpu_gemm_peak_queues_several_products_per_sync(gpu, monkeypatch):
    calls = {"gemm": 0, "sync": 0}
    ndarray = gpu.state.cupy.ndarray
    matmul = ndarray.__matmul__

    def counted(self, other):
        calls["gemm"] += 1
        return matmul(self, other)

    monkeypatch.setattr(ndarray, "__matmul__", counted)
    def sync() -> None:
        calls["sync"] += 1

    monkeypatch.setattr(timing, "synchronizer", lambda framework, device: sync)
    assert timing.gemm_gflops("cupy", "cuda", n=4, repeats=2) > 0
    assert calls["gemm"] == timing.GPU_PRODUCTS * calls["sync"] and timing.GPU_PRODUCTS >= 5


# -- the commands and fit, which crashed on CuPy (issue 17) ------------------------------------

@needs_cxx
def test_fit_shuffles_and_trains_on_cuda(gpu):
    from xpnet.train import fit

    x, y = xn.randn(64, 2, device="cuda"), xn.rand(64, 1, device="cuda")
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)).to("cuda")
    history = fit(model, nn.MSELoss(), optim.Adam(model.parameters(), lr=0.05), (x, y), epochs=3,
                  batch_size=16, metrics=None, verbose=0)
    assert len(history["loss"]) == 3 and history["loss"][-1] < history["loss"][0]


@needs_cxx
@pytest.mark.parametrize("command", [
    ["demo", "--device", "cuda", "--epochs", "3"],
    ["train", "--dataset", "xor", "--epochs", "20", "--device", "cuda"],
], ids=["demo", "train"])
def test_commands_run_on_cuda(gpu, command, tmp_path, capsys, monkeypatch):
    from xpnet.__main__ import main

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # no plot: faster, and not what is tested
    assert main([*command, "--out", str(tmp_path)]) == 0
    assert "cuda" in capsys.readouterr().out


def test_tensors_move_between_gpus(gpu):
    t = xn.tensor([1.0, 2.0], device="cuda:0")
    u = t.to("cuda:1")
    assert u.array.device.id == 1 and t.array.device.id == 0
    assert _host(u).tolist() == [1.0, 2.0] and _host(u.to("cpu")).tolist() == [1.0, 2.0]
