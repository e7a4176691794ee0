"""Device specs, mixing libraries or devices (clear errors), and moving between them."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import xpnet as xn
from xpnet import _backend
from xpnet import functional as F


# -- device resolution ------------------------------------------------------------------------
def test_cpu_is_numpy():
    for spec in ("cpu", "CPU", None):
        t = xn.zeros(2, device=spec)
        assert isinstance(t.array, np.ndarray) and t.device == "cpu"
    assert isinstance(xn.tensor([1.0], device="cpu").array, np.ndarray)
    assert _backend.resolve("cpu") == (_backend.numpy_xp, "cpu")


@pytest.mark.parametrize("spec", ["gpu", "cuda:x", "cuda:", "tpu:0", "device1", ""])
def test_unknown_device_strings_name_the_accepted_forms(spec):
    with pytest.raises(ValueError, match=r"unknown device .*'cpu', 'cuda', 'cuda:N' or 'numpy'"):
        xn.zeros(2, device=spec)
    with pytest.raises(ValueError, match="unknown device"):
        xn.tensor([1.0]).to(spec)


def test_unknown_device_objects_are_rejected():
    with pytest.raises(ValueError, match="unknown device"):
        xn.zeros(2, device=3)


def test_torch_device_selects_torch(torch):
    t = xn.randn(2, 3, device=torch.device("cpu"))
    assert isinstance(t.array, torch.Tensor) and t.device == torch.device("cpu")
    assert t.dtype == xn.float32
    assert isinstance(xn.tensor([1.0], device=torch.device("cpu")).array, torch.Tensor)


def test_strict_device_selects_array_api_strict():
    strict = pytest.importorskip("array_api_strict")
    for name in ("CPU_DEVICE", "device1"):
        dev = strict.Device(name)
        t = xn.ones(2, device=dev)
        assert _backend.namespace(t.array).namespace is strict and t.device == dev


def test_cuda_without_cupy_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # as if not installed (the test extra has it)
    assert not xn.cuda_available()
    for spec in ("cuda", "cuda:0", "cuda:1"):
        with pytest.raises(RuntimeError, match=r"xpnet\[cuda\]"):
            xn.zeros(2, device=spec)
    with pytest.raises(RuntimeError, match=r"xpnet\[cuda\]"):
        xn.tensor([1.0]).cuda()


def test_strings_are_read_by_the_library_of_the_tensor(torch):
    t = xn.tensor([1.0], device=torch.device("cpu"))
    assert isinstance(t.to("cpu").array, torch.Tensor)  # a torch tensor's "cpu" stays torch
    strict = pytest.importorskip("array_api_strict")
    s = xn.tensor([1.0], device=strict.Device("CPU_DEVICE"))
    moved = s.to("device1")
    assert _backend.namespace(moved.array).namespace is strict and moved.device == strict.Device("device1")
    assert moved.to("cpu").device == strict.Device("CPU_DEVICE")


# -- mixing libraries and devices is an error ------------------------------------------------
def _mixed_ops():
    return [
        ("add", lambda a, b: a + b),
        ("mul", lambda a, b: b * a),
        ("matmul", lambda a, b: a.reshape(1, 2) @ b.reshape(2, 1)),
        ("where", lambda a, b: F.where(a > 0, a, b)),
        ("linear", lambda a, b: F.linear(a.reshape(1, 2), b.reshape(1, 2))),
        ("mse_loss", lambda a, b: F.mse_loss(a, b)),
        ("cross_entropy", lambda a, b: F.cross_entropy(a.reshape(1, 2), b.reshape(1, 2))),
    ]


@pytest.mark.parametrize(("name", "op"), _mixed_ops(), ids=[n for n, _ in _mixed_ops()])
def test_mixing_array_libraries_is_an_error(torch, name, op):
    a = xn.tensor([1.0, 2.0])
    b = xn.tensor([3.0, 4.0], device=torch.device("cpu"))
    for x, y in ((a, b), (b, a)):
        with pytest.raises(RuntimeError, match=r"array libraries.*numpy.*torch|torch.*numpy") as e:
            op(x, y)
        assert ".to(" in str(e.value)
    with pytest.raises(RuntimeError, match="array libraries"):
        a + b.array  # a raw array of another library is no different


@pytest.mark.parametrize(("name", "op"), _mixed_ops(), ids=[n for n, _ in _mixed_ops()])
def test_mixing_devices_is_an_error(name, op):
    strict = pytest.importorskip("array_api_strict")
    a = xn.tensor([1.0, 2.0], device=strict.Device("CPU_DEVICE"))
    b = xn.tensor([3.0, 4.0], device=strict.Device("device1"))
    pattern = r"different devices \(array_api_strict \w+ and array_api_strict \w+\)"
    with pytest.raises(RuntimeError, match=pattern) as e:
        op(a, b)
    assert ".to(" in str(e.value)


def test_in_place_update_across_devices_is_an_error(torch):
    a = xn.tensor([1.0, 2.0])
    b = xn.tensor([3.0, 4.0], device=torch.device("cpu"))
    with pytest.raises(RuntimeError, match=r"\.to\("):
        a += b


# -- moving between libraries and devices -------------------------------------------------------
def test_to_moves_between_libraries_and_gradients_come_back(torch):
    """numpy -> torch -> array_api_strict and back: values kept, gradients flow home."""
    strict = pytest.importorskip("array_api_strict")
    host = np.array([[1.5, -2.0], [0.25, 4.0]], dtype=np.float32)
    x = xn.tensor(host, requires_grad=True)
    on_torch = x.to(torch.device("cpu"))
    assert isinstance(on_torch.array, torch.Tensor) and on_torch.grad_fn == "to"
    np.testing.assert_array_equal(on_torch.numpy(), host)
    on_strict = (on_torch * 2.0).to(strict.Device("device1"))
    assert _backend.namespace(on_strict.array).namespace is strict
    assert on_strict.device == strict.Device("device1")
    np.testing.assert_array_equal(on_strict.numpy(), 2 * host)
    weights = xn.tensor(np.arange(4.0).reshape(2, 2), device=strict.Device("device1"))
    (on_strict * weights).sum().backward()
    assert isinstance(x.grad.array, np.ndarray) and x.grad.array.dtype == np.float32
    np.testing.assert_array_equal(x.grad, 2 * np.arange(4.0).reshape(2, 2))


def test_to_from_each_backend_into_torch_and_back(xp, torch):
    host = np.array([1.0, -3.0, 0.5], dtype=np.float32)
    x = xp.tensor(host, requires_grad=True)
    y = x.to(torch.device("cpu"), dtype="float64")
    assert isinstance(y.array, torch.Tensor) and y.dtype == xn.float64
    np.testing.assert_array_equal(y.numpy(), host)
    (y * y).sum().backward()
    assert xp.same_place(x.grad) and x.grad.dtype == xp.float32
    np.testing.assert_allclose(xp.numpy(x.grad), 2 * host)


def test_to_into_array_api_strict_and_back(xp):
    strict = pytest.importorskip("array_api_strict")
    host = np.array([2.0, -1.0], dtype=np.float32)
    x = xp.tensor(host, requires_grad=True)
    y = x.to(strict.Device("device1"))
    assert _backend.namespace(y.array).namespace is strict and y.device == strict.Device("device1")
    np.testing.assert_array_equal(y.numpy(), host)
    (y * 3.0).sum().backward()
    assert xp.same_place(x.grad)
    np.testing.assert_array_equal(xp.numpy(x.grad), [3.0, 3.0])


def test_numpy_of_any_device_is_a_host_copy(xp):
    t = xp.tensor([1.0, 2.0])
    out = t.numpy()
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, [1.0, 2.0])


def test_every_backend_tensor_knows_its_namespace(xp):
    t = xp.tensor([1.0])
    assert t.xp is xp.ns
    assert _backend.is_array(t.array) and not _backend.is_array([1.0])
    with pytest.raises(TypeError, match="Array API library"):
        _backend.namespace([1.0])


def test_numpy_device_string_is_the_way_back_from_any_library(xp):
    t = xp.tensor([1.0, 2.0], requires_grad=True)
    back = t.to("numpy")
    assert isinstance(back.array, np.ndarray)
    (back * 3.0).sum().backward()
    assert xp.same_place(t.grad)
    np.testing.assert_array_equal(xp.numpy(t.grad), [3.0, 3.0])


def test_grad_mode_is_per_thread():
    import threading

    seen = []
    with xn.no_grad():
        worker = threading.Thread(target=lambda: seen.append(xn.is_grad_enabled()))
        worker.start()
        worker.join()
        assert not xn.is_grad_enabled()
    assert seen == [True]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size", [9, 5000])
def test_fast_numpy_where_gives_the_bits_of_np_where(dtype, size):
    """The NumPy namespace's bitwise select must equal np.where exactly, specials included."""
    rng = np.random.default_rng(0)
    x1 = rng.standard_normal(size).astype(dtype)
    x2 = rng.standard_normal(size).astype(dtype)
    x1[:4] = [np.inf, -np.inf, np.nan, -0.0]
    x2[4:8] = [np.inf, -np.inf, np.nan, -0.0]
    cond = rng.random(size) > 0.5
    where = _backend.numpy_xp.where
    for other in (x2, 0.0, 0):
        ours, ref = where(cond, x1, other), np.where(cond, x1, other)
        assert ours.dtype == ref.dtype and ours.shape == ref.shape
        assert np.array_equal(ours.view(f"u{ours.itemsize}"), ref.view(f"u{ref.itemsize}"))
    ref = np.where(cond, x1, -0.0)  # a negative zero is not the masked case: same bits still
    assert np.array_equal(where(cond, x1, -0.0).view(f"u{ref.itemsize}"), ref.view(f"u{ref.itemsize}"))
