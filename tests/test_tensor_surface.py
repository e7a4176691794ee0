"""Tensor surface beyond the torch comparisons: devices, DLPack, in-place memory, version checks."""

from __future__ import annotations

import numpy as np
import pytest

import xpnet as xn
from xpnet import _backend


# -- xn.device -------------------------------------------------------------------------------
def test_device_object_names_like_torch(torch):
    for spec in ("cpu", "cuda", "cuda:0", "cuda:1"):
        mine, theirs = xn.device(spec), torch.device(spec)
        assert (mine.type, mine.index, str(mine)) == (theirs.type, theirs.index, str(theirs))
        assert repr(mine) == repr(theirs) and mine == spec and spec == mine
    assert xn.device("cuda", 1) == "cuda:1" and xn.device("cuda", 1).index == 1
    assert xn.device("cpu") == torch.device("cpu") and xn.device("cpu") != "cuda:0"
    assert xn.device("cuda:0") != xn.device("cuda") and hash(xn.device("cpu")) == hash(xn.device("cpu"))
    for bad in ("tpu", "cuda:x", "cuda:0:1"):
        with pytest.raises(ValueError):
            xn.device(bad)
        with pytest.raises(RuntimeError):
            torch.device(bad)


def test_tensor_device_compares_with_its_string_and_goes_back(xp):
    t = xn.Tensor(xp.array([1.0, 2.0]))
    dev = t.device
    assert isinstance(dev, xn.device) and dev == str(dev) and dev == xp.expected_device
    assert (dev.type, dev.index) == (("cuda", 0) if xp.name in ("cupy", "torch-cuda") else
                                      ("device1", None) if xp.name.endswith("device1") else ("cpu", None))
    assert t.to(dev) is t  # the device object remembers the library: no move
    made = xn.zeros(2, device=dev)
    assert xp.same_place(made)
    assert xp.same_place(xn.Tensor(xp.array([3.0])).to(xn.device(dev)))


def test_set_default_device_sends_creation_there(xp):
    assert xn.get_default_device() == "cpu"
    try:
        xn.set_default_device(xp.device)
        # as torch: set_default_device("cuda") reads back with the index (cuda:0)
        assert xn.get_default_device() == xn.Tensor(xp.array([0.0])).device
        for t in (xn.zeros(2), xn.ones(2, 3), xn.randn(3), xn.rand(2), xn.tensor([1.0, 2.0]),
                  xn.arange(3)):
            assert xp.same_place(t)
        assert xn.zeros(2, device="numpy").xp is _backend.numpy_xp  # device= still wins
    finally:
        xn.set_default_device(None)
    assert xn.zeros(2).xp is _backend.numpy_xp and xn.get_default_device() == "cpu"
    with pytest.raises(ValueError, match="unknown device"):
        xn.set_default_device("tpu")


def test_cuda_without_a_gpu_says_why(xp):
    if xn.cuda_available() or xp.name.endswith("cuda"):
        return
    t = xn.Tensor(xp.array([1.0]))
    if xp.name == "torch":
        with pytest.raises((RuntimeError, AssertionError)):  # torch's own "not compiled with CUDA"
            t.cuda()
        return
    if xp.name.startswith("array_api_strict"):
        with pytest.raises((ValueError, RuntimeError)):
            t.cuda()
        return
    with pytest.raises(RuntimeError, match=r"GPU|CUDA|CuPy"):
        t.cuda()


# -- leaving xpnet -----------------------------------------------------------------------------
def test_numpy_asarray_and_dlpack(xp, torch):
    host = np.array([[1.5, 2.0], [3.0, -4.0]], dtype=np.float32)
    t = xn.Tensor(xp.array(host.copy()), requires_grad=True)
    np.testing.assert_array_equal(np.asarray(t), host)
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    if xp.name == "numpy":
        shared = np.from_dlpack(t)
        np.testing.assert_array_equal(shared, host)
        with xn.no_grad():
            t.add_(1.0)
        np.testing.assert_array_equal(shared, host + 1)  # DLPack shares memory
    if xp.name == "torch":
        shared = torch.from_dlpack(t)
        assert isinstance(shared, torch.Tensor)
        t.data.mul_(2.0)
        np.testing.assert_array_equal(shared.numpy(), host * 2)


# -- in-place: memory, versions, random fills ----------------------------------------------------
def test_in_place_keeps_the_array_where_writeable(xp):
    t = xn.Tensor(xp.array([1.0, 2.0, 3.0]))
    native = t.array
    t.add_(1.0).sub_(0.5, alpha=2).mul_(3.0).div_(3.0).clamp_(1.0, 2.5).fill_(2.0).zero_()
    t += xn.Tensor(xp.array([1.0, 2.0, 3.0]))
    t[0] = 7.0
    t.copy_(t * 2)
    np.testing.assert_array_equal(xp.numpy(t), [14.0, 4.0, 6.0])
    if xp.ns.immutable:  # JAX: every update rebound t; .data is an alias of t's array slot
        assert t.array is not native and not _backend.is_writeable(native)
        np.testing.assert_array_equal(xp.numpy(native), [1.0, 2.0, 3.0])
        view = t.data
        view.normal_()
        assert view.array is t.array and not np.array_equal(xp.numpy(t), [14.0, 4.0, 6.0])
        return
    assert t.array is native and _backend.is_writeable(native)
    view = t.data
    view.normal_()
    assert view.array is native and t.array is native


def test_in_place_bumps_the_version_so_stale_graphs_refuse(xp, torch):
    for lib, make in ((xn, lambda v: xn.Tensor(xp.array(v), requires_grad=True)),
                      (torch, lambda v: torch.tensor(v, requires_grad=True))):
        w = make([1.0, 2.0])
        y = (w * w).sum()
        with lib.no_grad():
            w.add_(1.0)
        with pytest.raises(RuntimeError, match=r"modified by an inplace|modified in place"):
            y.backward()


def test_normal_and_uniform_fill_from_the_seeded_generator(xp):
    def draw():
        xn.manual_seed(3)
        a = xn.zeros(4000, device=xp.device).normal_(2.0, 0.5)
        b = xn.zeros(4000, device=xp.device).uniform_(-1.0, 3.0)
        return xp.numpy(a), xp.numpy(b)

    (a1, b1), (a2, b2) = draw(), draw()
    np.testing.assert_array_equal(a1, a2)
    np.testing.assert_array_equal(b1, b2)
    assert abs(a1.mean() - 2.0) < 0.05 and abs(a1.std() - 0.5) < 0.05
    assert b1.min() >= -1.0 and b1.max() < 3.0 and abs(b1.mean() - 1.0) < 0.1
    with pytest.raises(TypeError, match="floating-point"):
        xn.zeros(3, dtype="int64", device=xp.device).normal_()


def test_non_leaf_in_place_gradient_matches_torch_through_a_chain(xp, torch):
    """``b = a * 2; b += 1; b *= a``, a consumer made before an in-place op, as torch."""
    host = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    grads = []
    for make in (lambda: xn.Tensor(xp.array(host.copy()), requires_grad=True),
                 lambda: torch.tensor(host, requires_grad=True)):
        a = make()
        b = a * 2
        b += 1
        b *= a
        c = b + 1  # reads b before the update (saving nothing), then b changes in place
        b.sub_(c.detach())
        (b.sum() + c.sum()).backward()
        grads.append(np.asarray(a.grad.numpy()))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5)
