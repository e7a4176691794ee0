"""Losses never give a silent wrong answer: -inf logits, out-of-range classes, empty input."""

from __future__ import annotations

import numpy as np
import pytest

import xpnet as xn
from xpnet import _backend, nn
from xpnet import functional as F

INF = float("inf")
LOGITS = np.array([[1.0, -INF, 0.5, 2.0], [0.2, 0.3, -INF, -INF], [-INF, 1.5, 0.0, -1.0]])
TARGET = np.array([0, 1, 3])
PROBS = np.array([[0.5, 0.0, 0.25, 0.25], [1.0, 0.0, 0.0, 0.0], [0.0, 0.5, 0.5, 0.0]])


def _close(ours, theirs, xp):
    np.testing.assert_allclose(xp.numpy(ours), theirs.detach().numpy(), rtol=1e-12, atol=1e-15)


def _run(xp, torch, ours, theirs, target, target_dtype):
    """Loss and input gradient of xpnet's ``ours`` and torch's ``theirs`` on the masked logits."""
    x = xp.tensor(LOGITS, "float64", requires_grad=True)
    tx = torch.tensor(LOGITS, requires_grad=True)
    loss = ours(x, xp.tensor(target, target_dtype))
    tloss = theirs(tx, torch.tensor(target))
    loss.sum().backward()
    tloss.sum().backward()
    _close(loss, tloss, xp)
    _close(x.grad, tx.grad, xp)
    assert np.all(np.isfinite(xp.numpy(x.grad)))
    return loss


CLASS_CASES = {
    "plain": {},
    "weight": {"weight": [1.0, 2.0, 0.5, 3.0]},
    "sum": {"reduction": "sum"},
    "none": {"reduction": "none"},
    "ignore_index": {"ignore_index": 1},
    "smoothing": {"label_smoothing": 0.1},  # torch: inf loss, finite gradient
}


@pytest.mark.parametrize("case", sorted(CLASS_CASES))
def test_cross_entropy_with_a_masked_logit_matches_torch(xp, torch, case):
    kw = dict(CLASS_CASES[case])
    tkw = dict(kw)
    if "weight" in kw:
        kw["weight"] = xp.tensor(kw["weight"], "float64")
        tkw["weight"] = torch.tensor(tkw["weight"], dtype=torch.float64)
    loss = _run(xp, torch, lambda a, b: F.cross_entropy(a, b, **kw),
                lambda a, b: torch.nn.functional.cross_entropy(a, b, **tkw), TARGET, "int64")
    if case != "smoothing":
        assert np.all(np.isfinite(xp.numpy(loss)))


def test_cross_entropy_loss_module_with_a_masked_logit(xp, torch):
    loss = _run(xp, torch, nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(), TARGET, "int64")
    assert np.isfinite(float(loss))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_log_softmax_then_nll_with_a_masked_logit(xp, torch, reduction):
    loss = _run(xp, torch, lambda a, b: F.nll_loss(F.log_softmax(a, axis=1), b, reduction=reduction),
                lambda a, b: torch.nn.functional.nll_loss(torch.log_softmax(a, 1), b,
                                                           reduction=reduction),
                TARGET, "int64")
    assert np.all(np.isfinite(xp.numpy(loss)))
    _run(xp, torch, lambda a, b: nn.NLLLoss(reduction=reduction)(nn.LogSoftmax(dim=1)(a), b),
         lambda a, b: torch.nn.NLLLoss(reduction=reduction)(torch.log_softmax(a, 1), b),
         TARGET, "int64")


def test_cross_entropy_probability_target_with_a_masked_logit_is_finite(xp, torch):
    """0 log 0 = 0: the loss is the limit of ever more negative logits (torch answers nan)."""
    x = xp.tensor(LOGITS, "float64", requires_grad=True)
    loss = F.cross_entropy(x, xp.tensor(PROBS, "float64"))
    loss.backward()
    tx = torch.tensor(np.where(np.isinf(LOGITS), -1e300, LOGITS), requires_grad=True)
    tloss = torch.nn.functional.cross_entropy(tx, torch.tensor(PROBS))
    tloss.backward()
    assert np.isfinite(float(loss))
    _close(loss, tloss, xp)
    _close(x.grad, tx.grad, xp)


def test_cross_entropy_target_logit_minus_inf_is_inf_as_torch(xp, torch):
    target = np.array([1, 1, 0])  # each row's target logit is -inf: the loss is inf
    x = xp.tensor(LOGITS, "float64")
    loss = F.cross_entropy(x, xp.tensor(target, "int64"), reduction="none")
    tloss = torch.nn.functional.cross_entropy(torch.tensor(LOGITS), torch.tensor(target),
                                              reduction="none")
    _close(loss, tloss, xp)


# -- class indices out of range where reading them would wait for a GPU -------------------------

@pytest.fixture
def no_host_read(monkeypatch):
    """Take the path CuPy takes: the loss may not read the targets' values."""
    monkeypatch.setattr(_backend, "on_host", lambda xp, dev: False)


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_out_of_range_class_on_the_host_raises(xp, fn):
    x = xp.tensor([[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]], requires_grad=True)
    if not _backend.on_host(xp.ns, _backend.device(x.array)):  # a GPU: no read, so no check
        assert np.isnan(xp.numpy(getattr(F, fn)(x, xp.tensor([0, 7], "int64"))))
        return
    with pytest.raises(ValueError, match=r"class indices must lie in \[0, 2\].*got \[7\]"):
        getattr(F, fn)(x, xp.tensor([0, 7], "int64"))


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("bad", [3, -1])
def test_out_of_range_class_without_host_read_makes_the_loss_nan(xp, no_host_read, fn, bad):
    x = xp.tensor([[0.1, 0.2, 0.3], [0.3, 0.2, 0.1], [1.0, 0.0, -1.0]], requires_grad=True)
    target = xp.tensor([0, bad, 2], "int64")
    loss = getattr(F, fn)(x, target)  # no error, no read of the values
    assert np.isnan(xp.numpy(loss))
    loss.backward()
    assert np.isnan(xp.numpy(x.grad)).all()  # mean: every sample shares the nan total
    assert np.isnan(xp.numpy(getattr(F, fn)(x, target, reduction="sum")))
    per_sample = xp.numpy(getattr(F, fn)(x, target, reduction="none"))
    assert np.isnan(per_sample).tolist() == [False, True, False]
    ignored = getattr(F, fn)(x, xp.tensor([0, bad, 2], "int64"), ignore_index=bad)
    assert np.isfinite(xp.numpy(ignored))  # an ignored index is not out of range


def test_out_of_range_class_without_host_read_in_anomaly_mode_says_why(xp, no_host_read):
    x = xp.tensor([[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]], requires_grad=True)
    with xn.autograd.detect_anomaly(), pytest.raises(ValueError, match="got \\[5\\]"):
        nn.CrossEntropyLoss()(x, xp.tensor([0, 5], "int64"))


# -- empty input: torch's answers ---------------------------------------------------------------

def _empty_cases(torch):
    tf = torch.nn.functional
    return {
        "mse_loss": (F.mse_loss, tf.mse_loss, (0,), (0,), "float64"),
        "l1_loss": (F.l1_loss, tf.l1_loss, (0,), (0,), "float64"),
        "huber_loss": (F.huber_loss, tf.huber_loss, (0, 2), (0, 2), "float64"),
        "binary_cross_entropy": (F.binary_cross_entropy, tf.binary_cross_entropy, (0,), (0,),
                                 "float64"),
        "binary_cross_entropy_with_logits": (F.binary_cross_entropy_with_logits,
                                             tf.binary_cross_entropy_with_logits, (0, 3), (0, 3),
                                             "float64"),
        "cross_entropy": (F.cross_entropy, tf.cross_entropy, (0, 3), (0,), "int64"),
        "cross_entropy_probs": (F.cross_entropy, tf.cross_entropy, (0, 3), (0, 3), "float64"),
        "nll_loss": (F.nll_loss, tf.nll_loss, (0, 3), (0,), "int64"),
    }


EMPTY = ["mse_loss", "l1_loss", "huber_loss", "binary_cross_entropy",
         "binary_cross_entropy_with_logits", "cross_entropy", "cross_entropy_probs", "nll_loss"]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", EMPTY)
def test_every_loss_on_empty_input_answers_as_torch(xp, torch, name, reduction):
    ours, theirs, shape, tshape, tdtype = _empty_cases(torch)[name]
    x = xp.tensor(np.zeros(shape), "float64", requires_grad=True)
    tx = torch.zeros(shape, dtype=torch.float64, requires_grad=True)
    target = xp.tensor(np.zeros(tshape), tdtype)
    ttarget = torch.zeros(tshape, dtype=getattr(torch, tdtype))
    loss = ours(x, target, reduction=reduction)
    tloss = theirs(tx, ttarget, reduction=reduction)
    assert loss.shape == tuple(tloss.shape)
    np.testing.assert_array_equal(xp.numpy(loss), tloss.detach().numpy())  # nan == nan here
    loss.sum().backward()
    tloss.sum().backward()
    assert x.grad.shape == tuple(tx.grad.shape) == shape


MODULES = {
    "MSELoss": ((0,), (0,), "float64"), "L1Loss": ((0,), (0,), "float64"),
    "HuberLoss": ((0,), (0,), "float64"), "BCELoss": ((0,), (0,), "float64"),
    "BCEWithLogitsLoss": ((0,), (0,), "float64"), "CrossEntropyLoss": ((0, 4), (0,), "int64"),
    "NLLLoss": ((0, 4), (0,), "int64"),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_loss_module_on_an_empty_batch_answers_as_torch(xp, torch, name):
    shape, tshape, tdtype = MODULES[name]
    loss = getattr(nn, name)()(xp.tensor(np.zeros(shape), "float64", requires_grad=True),
                               xp.tensor(np.zeros(tshape), tdtype))
    tloss = getattr(torch.nn, name)()(torch.zeros(shape, dtype=torch.float64),
                                      torch.zeros(tshape, dtype=getattr(torch, tdtype)))
    np.testing.assert_array_equal(xp.numpy(loss), tloss.numpy())
    assert np.isnan(xp.numpy(loss))


def test_bce_out_of_range_input_without_host_read_is_nan_not_a_finite_wrong_loss(xp, no_host_read):
    p = xp.tensor([0.25, 1.5, -0.5, 0.75], "float64", requires_grad=True)
    y = xp.tensor([0.0, 1.0, 0.0, 1.0], "float64")
    per_element = xp.numpy(F.binary_cross_entropy(p, y, reduction="none"))
    assert np.isnan(per_element).tolist() == [False, True, True, False]
    assert np.isnan(xp.numpy(F.binary_cross_entropy(p, y)))
    with xn.autograd.detect_anomaly(), pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        F.binary_cross_entropy(p, y)
