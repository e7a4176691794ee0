"""Anomaly mode: the first op making a nan (or a new infinity) raises, naming itself."""

from __future__ import annotations

import os
import re
import warnings

import numpy as np
import pytest

import xpnet as xn
from xpnet import functional as F
from xpnet import nn
from xpnet.tensor import make_result

HERE = os.path.basename(__file__)
PLAIN_CODE = make_result.__code__


@pytest.fixture(autouse=True)
def _off_after():
    yield
    xn.autograd.set_detect_anomaly(False)


def test_off_by_default_and_free_when_off():
    assert xn.autograd.is_anomaly_enabled() is False
    assert make_result.__code__ is PLAIN_CODE  # the plain body: no check at all
    with xn.autograd.detect_anomaly():
        assert xn.autograd.is_anomaly_enabled() is True
        assert make_result.__code__ is not PLAIN_CODE
    assert xn.autograd.is_anomaly_enabled() is False
    assert make_result.__code__ is PLAIN_CODE


def test_nan_passes_silently_when_off(xp):
    x = xp.tensor([1.0, float("nan")], requires_grad=True)
    (x * 2.0).sum().backward()  # no anomaly mode: no check, as in torch
    assert np.isnan(xp.numpy(x.grad)).sum() == 0  # d(2x)/dx is 2 wherever x is


def test_forward_nan_from_the_data_names_the_op_shapes_and_line(xp):
    x = xp.tensor([[1.0, float("nan"), 3.0]], requires_grad=True)
    w = xp.tensor([[2.0], [1.0], [0.5]], requires_grad=True)
    with xn.autograd.detect_anomaly():
        with pytest.raises(RuntimeError) as err:
            x @ w  # the line the message must show
    text = str(err.value)
    assert "'matmul' returned nan values in its forward output of shape (1, 1)" in text
    assert "from inputs of shapes (1, 3), (3, 1)" in text
    assert "its input 0 already held nan (a leaf: the data or a parameter itself)" in text
    assert HERE in text and "x @ w  # the line the message must show" in text


def test_forward_new_nan_and_new_infinity(xp):
    x = xp.tensor([0.0, 1.0], "float64", requires_grad=True)
    with xn.autograd.detect_anomaly(), np.errstate(all="ignore"):
        with pytest.raises(RuntimeError, match=r"'div' returned nan values.*inputs were finite"):
            x / x
        with pytest.raises(RuntimeError, match=r"'exp' returned inf values.*made the infinity"):
            (x * 1000.0).exp()
        with pytest.raises(RuntimeError, match=r"'log' returned inf values"):
            x.log()


def test_an_infinity_passed_on_is_allowed(xp, torch):
    """-inf masks: log_softmax and cross_entropy of masked logits run in anomaly mode."""
    logits = np.array([[1.0, -np.inf, 0.5], [0.0, 2.0, -np.inf]])
    x = xp.tensor(logits, "float64", requires_grad=True)
    with xn.autograd.detect_anomaly():
        out = F.log_softmax(x, axis=1)
        loss = F.cross_entropy(x, xp.tensor([0, 1], "int64"))
        loss.backward()
    expected = torch.log_softmax(torch.tensor(logits), 1).numpy()
    np.testing.assert_array_equal(xp.numpy(out), expected)
    assert np.all(np.isfinite(xp.numpy(x.grad)))


def test_backward_nan_raises_as_torch(xp, torch):
    x = xp.tensor([0.0, 4.0], "float64", requires_grad=True)
    tx = torch.tensor([0.0, 4.0], dtype=torch.float64, requires_grad=True)
    with xn.autograd.detect_anomaly():
        loss = (F.sqrt(x) * 0.0).sum()  # forward finite; sqrt's gradient at 0 is 0/0
        with pytest.raises(RuntimeError) as ours, np.errstate(all="ignore"):
            loss.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns as it enters the mode and as it fails
        with torch.autograd.detect_anomaly():
            tloss = (tx.sqrt() * 0.0).sum()
            with pytest.raises(RuntimeError) as theirs:
                tloss.backward()
    pattern = r"Function '\w+' returned nan values in its 0th output"
    assert re.search(pattern, str(theirs.value))
    assert re.search(pattern, str(ours.value))
    text = str(ours.value)
    assert "'sqrt'" in text and "shape (2,)" in text and HERE in text
    assert "loss = (F.sqrt(x) * 0.0).sum()" in text


def test_backward_infinity_raises(xp):
    x = xp.tensor([0.0, 4.0], "float64", requires_grad=True)
    with xn.autograd.detect_anomaly(), np.errstate(all="ignore"):
        loss = F.sqrt(x).sum()
        with pytest.raises(RuntimeError, match=r"Function 'sqrt' returned inf values in its 0th"):
            loss.backward()


def test_set_detect_anomaly_switches_globally_and_restores_as_a_block(xp):
    x = xp.tensor([float("nan")], requires_grad=True)
    xn.autograd.set_detect_anomaly(True)
    assert xn.autograd.is_anomaly_enabled()
    with pytest.raises(RuntimeError, match="'mul' returned nan"):
        x * 2.0
    with xn.autograd.set_detect_anomaly(False):
        x * 2.0  # off inside the block
    assert xn.autograd.is_anomaly_enabled()
    xn.autograd.set_detect_anomaly(False)
    assert not xn.autograd.is_anomaly_enabled()
    x * 2.0


def test_check_nan_false_records_only(xp):
    x = xp.tensor([float("nan")], requires_grad=True)
    with xn.autograd.detect_anomaly(check_nan=False):
        assert xn.autograd.is_anomaly_enabled()
        assert not xn.autograd.is_anomaly_check_nan_enabled()
        (x * 2.0).sum().backward()
    assert np.isnan(xp.numpy(x.grad)).sum() == 0


def test_detect_anomaly_as_a_decorator_and_restored_after_an_error(xp):
    @xn.autograd.detect_anomaly()
    def step(t):
        assert xn.autograd.is_anomaly_enabled()
        return t * 2.0

    with pytest.raises(RuntimeError, match="returned nan"):
        step(xp.tensor([float("nan")]))
    assert not xn.autograd.is_anomaly_enabled()
    assert make_result.__code__ is PLAIN_CODE


def test_an_error_in_a_backward_rule_gets_the_forward_traceback(xp):
    x = xp.tensor([1.0, 2.0], requires_grad=True)

    def broken(g):
        raise ValueError("a broken rule")

    with xn.autograd.detect_anomaly():
        y = make_result(x.array * 2, x.xp, (x,), broken, "broken_op")
        with pytest.raises(ValueError, match="a broken rule") as err:
            y.sum().backward()
    notes = "\n".join(getattr(err.value, "__notes__", []))
    assert "'broken_op'" in notes and HERE in notes


def test_a_model_step_runs_unchanged_in_anomaly_mode(xp, torch):
    """Finite training is not disturbed: the same gradients with and without the mode."""
    host = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=np.float32)
    grads = []
    for mode in (False, True):
        xn.manual_seed(0)
        model = nn.Sequential(nn.Linear(2, 8), nn.Sigmoid(), nn.Linear(8, 1)).to(xp.device)
        with xn.autograd.set_detect_anomaly(mode):
            loss = nn.MSELoss()(model(xp.tensor(host)), xp.tensor(host[:, :1]))
            loss.backward()
        grads.append([xp.numpy(p.grad) for p in model.parameters()])
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)


def test_nan_in_the_data_of_a_training_step_is_named(xp):
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)).to(xp.device)
    x = xp.tensor([[0.5, float("nan")], [1.0, 2.0]])
    with xn.autograd.detect_anomaly(), pytest.raises(RuntimeError) as err:
        model(x)
    assert "already held nan (a leaf" in str(err.value)
    assert "(2, 2)" in str(err.value)


def test_the_recording_body_has_make_results_signature():
    """Anomaly mode swaps make_result's body: both must take the same arguments."""
    import inspect

    from xpnet import anomaly

    ours = inspect.signature(anomaly._recording_make_result).parameters
    theirs = inspect.signature(make_result).parameters
    assert [(p.name, p.kind, p.default) for p in ours.values()] == \
        [(p.name, p.kind, p.default) for p in theirs.values()]


def test_top_level_names_as_torch(torch):
    for name in ("is_anomaly_enabled", "is_anomaly_check_nan_enabled", "set_anomaly_enabled"):
        assert hasattr(torch, name) and hasattr(xn, name)
    xn.set_anomaly_enabled(True, check_nan=False)
    assert xn.is_anomaly_enabled() and not xn.is_anomaly_check_nan_enabled()
    xn.set_anomaly_enabled(False)
    assert not xn.is_anomaly_enabled()
    assert make_result.__code__ is PLAIN_CODE
