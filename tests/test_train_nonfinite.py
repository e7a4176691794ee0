"""fit and NaN/Inf: it stops at the first non-finite loss it reads, says where, and keeps good weights."""

from __future__ import annotations

import math

import numpy as np
import pytest

import xpnet as xn
from xpnet import nn, optim
from xpnet.train import (
    Callback,
    EarlyStopping,
    ModelCheckpoint,
    NonFiniteLossError,
    TerminateOnNaN,
    fit,
    nonfinite,
)
from xpnet.train import loop as train_loop

# NumPy warns as it computes with NaN and Inf; what is tested here is what fit does next.
pytestmark = pytest.mark.filterwarnings(
    "ignore:(overflow|invalid value|divide by zero) encountered:RuntimeWarning")


def _data(xp, n=100, bad_row=None, bad=math.nan):
    x = np.random.default_rng(0).normal(size=(n, 2)).astype("float32")
    if bad_row is not None:
        x[bad_row] = bad
    y = (x[:, 0] > 0).astype("int64")
    return xp.array(x), xp.array(y, dtype="int64")


def _model(xp):
    xn.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2)).to(xp.device)


def _weights(xp, model):
    return {k: xp.numpy(v).copy() for k, v in model.state_dict().items()}


class _NaNFromCall:
    """A CrossEntropyLoss whose ``bad_call``-th call (from 1) returns NaN."""

    def __init__(self, bad_call):
        self.calls, self.bad_call, self.loss = 0, bad_call, nn.CrossEntropyLoss()

    def __call__(self, out, target):
        self.calls += 1
        loss = self.loss(out, target)
        return loss * math.nan if self.calls == self.bad_call else loss


class _Snapshots(Callback):
    """The weights at each epoch's end, on the host."""

    def __init__(self, xp):
        self.xp, self.weights = xp, {}

    def on_epoch_end(self, loop, epoch, logs):
        self.weights[epoch] = _weights(self.xp, loop.model)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_nan_or_inf_in_the_data_stops_fit_at_the_first_bad_step(xp, bad):
    x, y = _data(xp, bad_row=57, bad=bad)  # batches of 10, in order: row 57 is in step 6
    model = _model(xp)
    with pytest.raises(NonFiniteLossError) as info:
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=3,
            batch_size=10, shuffle=False, verbose=0)
    error = info.value
    assert (error.name, error.epoch, error.step, error.steps) == ("loss", 1, 6, 10)
    assert not math.isfinite(error.value) and len(error.history) == 0 and error.restored is None
    message = str(error)
    assert "epoch 1, step 6 of 10" in message and "diverged" in message
    assert "ModelCheckpoint" in message  # how to keep good weights next time
    assert isinstance(error, RuntimeError)


def test_a_later_epoch_restores_early_stoppings_best_weights(xp):
    x, y = _data(xp)
    model = _model(xp)
    snapshots = _Snapshots(xp)
    stop = EarlyStopping(monitor="loss", patience=10, restore_best_weights=True)
    with pytest.raises(NonFiniteLossError) as info:  # call 23: epoch 3, step 3
        fit(model, _NaNFromCall(23), optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=5,
            batch_size=10, shuffle=False, verbose=0, callbacks=[stop, snapshots])
    error = info.value
    assert (error.epoch, error.step) == (3, 3) and error.history.epochs == [1, 2]
    best = stop.best_epoch
    assert best in (1, 2) and error.restored.startswith(f"the weights of epoch {best}")
    for name, value in _weights(xp, model).items():
        np.testing.assert_array_equal(value, snapshots.weights[best][name])
    assert f"The model holds the weights of epoch {best}" in str(error)


@pytest.mark.parametrize("weights_only", [True, False])
def test_model_checkpoint_puts_its_last_file_back(xp, tmp_path, weights_only):
    x, y = _data(xp)
    model = _model(xp)
    snapshots = _Snapshots(xp)
    every = ModelCheckpoint(tmp_path / "e{epoch}.npz", save_best_only=False,
                            save_weights_only=weights_only)
    with pytest.raises(NonFiniteLossError) as info:  # call 15: epoch 2, step 5
        fit(model, _NaNFromCall(15), optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=4,
            batch_size=10, shuffle=False, verbose=0, callbacks=[every, snapshots])
    error = info.value
    assert (error.epoch, error.step) == (2, 5)
    assert every.saved == [str(tmp_path / "e1.npz")] and "e1.npz" in error.restored
    for name, value in _weights(xp, model).items():
        np.testing.assert_array_equal(value, snapshots.weights[1][name])
        assert np.isfinite(value).all()
    assert all(xp.same_place(p) for p in model.parameters())


def test_the_live_loss_read_stops_mid_epoch_without_extra_syncs(xp, monkeypatch):
    """On a terminal the bar reads the loss every log_every steps: that read stops the run."""
    monkeypatch.setattr(train_loop, "_isatty", lambda stream: True)
    reads = []
    real = train_loop._Sums.epoch_loss

    def counting(self):
        reads.append(1)
        return real(self)

    monkeypatch.setattr(train_loop._Sums, "epoch_loss", counting)
    x, y = _data(xp)
    model = _model(xp)
    with pytest.raises(NonFiniteLossError) as info:  # bad at step 4: the read at step 6 sees it
        fit(model, _NaNFromCall(4), optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=2,
            batch_size=10, shuffle=False, log_every=3)
    assert (info.value.epoch, info.value.step) == (1, 4)
    assert len(reads) == 2  # steps 3 and 6, as before; the run ended at the second


def test_a_non_finite_validation_loss_stops_too(xp):
    x, y = _data(xp)
    xv, yv = _data(xp, n=20, bad_row=3)
    model = _model(xp)
    with pytest.raises(NonFiniteLossError) as info:
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=3,
            batch_size=10, val_data=(xv, yv), verbose=0)
    error = info.value
    assert (error.name, error.epoch, error.step) == ("val_loss", 1, None)
    assert "the validation loss is nan at epoch 1" in str(error) and "val_data" in str(error)


def test_terminate_on_nan_checks_every_logged_value(xp):
    x, y = _data(xp)

    def worst(output, target):  # a metric that goes non-finite while the loss does not
        return output[0, 0] * math.inf

    model = _model(xp)
    with pytest.raises(NonFiniteLossError) as info:
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=3,
            batch_size=10, metrics=[worst], verbose=0, callbacks=[TerminateOnNaN()])
    assert (info.value.name, info.value.epoch) == ("worst", 1)
    assert "the logged 'worst'" in str(info.value)
    # without it, a non-finite metric alone is only logged
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y),
                  epochs=1, batch_size=10, metrics=[worst], verbose=0)
    assert not math.isfinite(history["worst"][0])


def test_model_checkpoint_never_writes_non_finite_weights(xp, tmp_path):
    class Poison(Callback):
        def on_epoch_end(self, loop, epoch, logs):
            if epoch == 2:
                with xn.no_grad():
                    weight = loop.model[0].weight
                    weight *= math.nan

    x, y = _data(xp)
    model = _model(xp)
    snapshots = _Snapshots(xp)
    checkpoint = ModelCheckpoint(tmp_path / "last.npz", monitor="loss", save_best_only=False)
    with pytest.raises(NonFiniteLossError) as info:
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=3,
            batch_size=10, verbose=0, callbacks=[snapshots, Poison(), checkpoint])
    assert (info.value.name, info.value.epoch) == ("weights", 2)
    saved = xn.load(tmp_path / "last.npz")
    for name, value in snapshots.weights[1].items():
        np.testing.assert_array_equal(np.asarray(saved[name]), value)  # epoch 1's, not NaN
        np.testing.assert_array_equal(_weights(xp, model)[name], value)  # and put back


def test_step_losses_find_the_first_bad_step_across_folded_chunks(xp, monkeypatch):
    monkeypatch.setattr(nonfinite, "_CHUNK", 4)
    losses = nonfinite.StepLosses()
    values = [1.0] * 9 + [math.inf] + [math.nan] * 3
    for v in values:
        losses.add(xp.array(v))
    assert losses.first_nonfinite() == (10, math.inf)
    clean = nonfinite.StepLosses()
    for v in values[:9]:
        clean.add(xp.array(v))
    assert clean.first_nonfinite() is None


def test_a_finite_run_is_unchanged_and_reads_once_per_epoch(xp, monkeypatch):
    calls = []
    real = train_loop._to_host
    monkeypatch.setattr(train_loop, "_to_host", lambda values: calls.append(1) or real(values))
    x, y = _data(xp)
    model = _model(xp)
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y),
                  epochs=3, batch_size=10, verbose=0)
    assert len(history) == 3 and len(calls) == 3 and all(map(math.isfinite, history["loss"]))
