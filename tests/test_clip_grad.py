"""clip_grad_norm_ / clip_grad_value_ agree with torch.nn.utils, on every backend."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import xpnet as xn
from xpnet import optim
from xpnet.nn.utils import clip_grad_norm_, clip_grad_value_

GRADS = [
    np.array([[0.5, -1.5, 2.0], [3.0, -0.25, 1.0]]),
    np.array([-4.0, 0.0, 0.75]),
    np.array([[1.25]]),
]


def _ours(xp, dtype="float64"):
    params = []
    for g in GRADS:
        p = xp.tensor(np.zeros_like(g), dtype, requires_grad=True)
        p.grad = xp.array(g, dtype)
        params.append(p)
    return params


def _theirs(torch):
    params = []
    for g in GRADS:
        p = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
        p.grad = torch.from_numpy(g.copy())
        params.append(p)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1, math.inf, 3.0])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(xp, torch, norm_type, max_norm):
    params, tparams = _ours(xp), _theirs(torch)
    old = [p.grad.array for p in params]
    total = clip_grad_norm_(params, max_norm, norm_type=norm_type)
    ref = torch.nn.utils.clip_grad_norm_(tparams, max_norm, norm_type=norm_type)
    assert isinstance(total, xn.Tensor) and total.shape == () and xp.same_place(total)
    assert total.dtype == xn.float64
    np.testing.assert_allclose(xp.numpy(total), ref.item(), rtol=1e-12)
    for p, tp, g, host in zip(params, tparams, old, GRADS):
        np.testing.assert_allclose(xp.numpy(p.grad), tp.grad.numpy(), rtol=1e-12)
        assert xp.same_place(p.grad)
        np.testing.assert_array_equal(xp.numpy(g), host)  # the old arrays were not touched
    clipped = max_norm < ref.item()
    assert clipped == (not np.array_equal(xp.numpy(params[0].grad), GRADS[0]))


def test_clip_grad_norm_reaches_max_norm(xp):
    params = _ours(xp)
    before = clip_grad_norm_(params, 2.0)
    np.testing.assert_allclose(xp.numpy(before), math.sqrt(sum((g**2).sum() for g in GRADS)))
    after = clip_grad_norm_(params, 100.0)
    np.testing.assert_allclose(xp.numpy(after), 2.0, rtol=1e-6)


def test_clip_grad_norm_single_tensor_float32_and_skipped_params(xp):
    p = xp.tensor([3.0, 4.0], "float32", requires_grad=True)
    p.grad = xp.array([3.0, 4.0], "float32")
    no_grad = xp.tensor([1.0], "float32", requires_grad=True)
    total = optim.clip_grad_norm_(p, 1.0)
    assert optim.clip_grad_norm_ is clip_grad_norm_
    assert total.dtype == xn.float32 and p.grad.dtype == p.array.dtype and xp.same_place(p.grad)
    np.testing.assert_allclose(xp.numpy(total), 5.0)
    np.testing.assert_allclose(xp.numpy(p.grad), [0.6, 0.8], rtol=1e-5)
    total = clip_grad_norm_(iter([no_grad, p]), 0.5)  # a generator, one parameter without grad
    np.testing.assert_allclose(xp.numpy(total), 1.0, rtol=1e-5)
    assert no_grad.grad is None
    zero = clip_grad_norm_([no_grad], 1.0)
    assert xp.numpy(zero) == 0.0 and xp.same_place(zero)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_clip_grad_norm_nonfinite(xp, torch, bad):
    params, tparams = _ours(xp), _theirs(torch)
    params[1].grad = xp.array([bad, 1.0, 2.0], "float64")
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(xp.numpy(params[0].grad), GRADS[0])  # nothing scaled
    with warnings.catch_warnings():  # NumPy warns about inf * 0, torch does not
        warnings.simplefilter("ignore", RuntimeWarning)
        total = clip_grad_norm_(params, 1.0)  # as torch: scale by the non-finite norm anyway
    tparams[1].grad = torch.tensor([bad, 1.0, 2.0], dtype=torch.float64)
    ref = torch.nn.utils.clip_grad_norm_(tparams, 1.0)
    np.testing.assert_array_equal(xp.numpy(total), ref.numpy())
    np.testing.assert_array_equal(xp.numpy(params[0].grad), tparams[0].grad.numpy())


def test_clip_grad_norm_rejects_mixed_devices(xp):
    params = _ours(xp)
    other = xn.tensor([1.0, 2.0], dtype="float64", requires_grad=True)  # NumPy, cpu
    if xp.name == "numpy":
        import array_api_strict

        other = xn.Tensor(array_api_strict.asarray([1.0, 2.0]), requires_grad=True)
    other.grad = other.xp.ones_like(other.array)
    with pytest.raises(RuntimeError, match=r"different devices \(.*\): move the parameters"):
        clip_grad_norm_([*params, other], 1.0)
    np.testing.assert_array_equal(xp.numpy(params[0].grad), GRADS[0])


def test_clip_grad_norm_never_reads_values(xp, torch):
    """No host synchronisation: it runs on torch 'meta' tensors, which hold no values."""
    if not xp.name.startswith("torch"):
        pytest.skip("meta tensors are torch's")
    p = xn.Tensor(torch.empty(3, device="meta"), requires_grad=True)
    p.grad = torch.empty(3, device="meta")
    total = clip_grad_norm_([p], 1.0)
    assert total.array.device.type == "meta" and p.grad.device.type == "meta"


def test_clip_grad_value_matches_torch(xp, torch):
    params, tparams = _ours(xp), _theirs(torch)
    old = params[0].grad.array
    clip_grad_value_(params, 1.1)
    torch.nn.utils.clip_grad_value_(tparams, 1.1)
    for p, tp in zip(params, tparams):
        np.testing.assert_array_equal(xp.numpy(p.grad), tp.grad.numpy())
        assert xp.same_place(p.grad)
    assert np.abs(xp.numpy(params[0].grad)).max() == 1.1
    np.testing.assert_array_equal(xp.numpy(old), GRADS[0])
    single = _ours(xp, "float32")[1]
    clip_grad_value_(single, 0.5)
    np.testing.assert_array_equal(xp.numpy(single.grad), np.array([-0.5, 0.0, 0.5], "float32"))
    assert single.grad.array.dtype == single.array.dtype
