"""Ending fit early: Ctrl-C and errors keep the best weights and the History of the finished epochs."""

from __future__ import annotations

import numpy as np
import pytest

import xpnet as xn
from xpnet import nn, optim
from xpnet.train import Callback, EarlyStopping, fit


def _setup(xp):
    x = np.random.default_rng(0).normal(size=(60, 2)).astype("float32")
    y = (x[:, 0] * x[:, 1] > 0).astype("int64")
    xn.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2)).to(xp.device)
    return model, (xp.array(x), xp.array(y, dtype="int64"))


class _Record(Callback):
    """The host weights and the logged loss at each epoch's end; how training ended."""

    def __init__(self, xp):
        self.xp, self.weights, self.reason = xp, {}, None

    def on_epoch_end(self, loop, epoch, logs):
        self.weights[epoch] = {k: self.xp.numpy(v).copy() for k, v in loop.model.state_dict().items()}

    def on_train_end(self, loop):
        self.reason = loop.stop_reason


class _InterruptingLoss:
    """CrossEntropyLoss that raises ``error`` at its ``at``-th call (from 1)."""

    def __init__(self, at, error=KeyboardInterrupt):
        self.calls, self.at, self.error, self.loss = 0, at, error, nn.CrossEntropyLoss()

    def __call__(self, out, target):
        self.calls += 1
        if self.calls == self.at:
            raise self.error()
        return self.loss(out, target)


def _assert_holds(xp, model, weights):
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(xp.numpy(value), weights[name])
        assert xp.same_place(value)


def test_ctrl_c_in_the_loss_restores_early_stoppings_best_and_keeps_the_history(xp):
    model, data = _setup(xp)
    record = _Record(xp)
    stop = EarlyStopping(monitor="loss", patience=20, restore_best_weights=True)
    with pytest.raises(KeyboardInterrupt) as info:  # 6 steps an epoch: call 21 is epoch 4, step 3
        fit(model, _InterruptingLoss(21), optim.SGD(model.parameters(), lr=0.5), data, epochs=10,
            batch_size=10, verbose=0, callbacks=[stop, record])
    history = info.value.history
    assert history.epochs == [1, 2, 3] and len(history["loss"]) == 3
    best = history.best("loss")[0]
    assert stop.best_epoch == best and record.reason == "interrupted"
    _assert_holds(xp, model, record.weights[best])
    assert any("after 3 finished epoch(s)" in note and f"epoch {best}" in note
               for note in info.value.__notes__)


def test_ctrl_c_in_a_callback_between_epochs(xp):
    class CtrlC(Callback):
        def on_epoch_begin(self, loop, epoch):
            if epoch == 3:
                raise KeyboardInterrupt

    model, data = _setup(xp)
    record = _Record(xp)
    stop = EarlyStopping(monitor="loss", patience=20)
    with pytest.raises(KeyboardInterrupt) as info:
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.5), data, epochs=10,
            batch_size=10, verbose=0, callbacks=[stop, record, CtrlC()])
    assert info.value.history.epochs == [1, 2]
    _assert_holds(xp, model, record.weights[stop.best_epoch])


def test_an_error_mid_training_also_restores_and_carries_the_history(xp):
    model, data = _setup(xp)
    record = _Record(xp)
    stop = EarlyStopping(monitor="loss", patience=20)
    with pytest.raises(ZeroDivisionError) as info:
        fit(model, _InterruptingLoss(15, ZeroDivisionError), optim.SGD(model.parameters(), lr=0.5),
            data, epochs=10, batch_size=10, verbose=0, callbacks=[stop, record])
    assert info.value.history.epochs == [1, 2] and record.reason == "error"
    _assert_holds(xp, model, record.weights[stop.best_epoch])


def test_without_restore_the_model_keeps_its_last_weights(xp):
    model, data = _setup(xp)
    stop = EarlyStopping(monitor="loss", patience=20, restore_best=False)
    with pytest.raises(KeyboardInterrupt) as info:
        fit(model, _InterruptingLoss(9), optim.SGD(model.parameters(), lr=0.5), data, epochs=10,
            batch_size=10, verbose=0, callbacks=[stop])
    assert len(info.value.history) == 1
    assert "the weights of the moment training stopped" in info.value.__notes__[-1]


def test_a_failing_on_train_end_is_noted_not_raised_over_the_interrupt(xp):
    class Broken(Callback):
        def on_train_end(self, loop):
            raise OSError("disk full")

    model, data = _setup(xp)
    with pytest.raises(KeyboardInterrupt) as info:
        fit(model, _InterruptingLoss(2), optim.SGD(model.parameters(), lr=0.5), data, epochs=2,
            batch_size=10, verbose=0, callbacks=[Broken()])
    assert any("Broken.on_train_end failed too: OSError: disk full" in n for n in info.value.__notes__)


def test_restore_best_weights_is_kerass_name_for_restore_best():
    assert EarlyStopping(restore_best_weights=False).restore_best is False
    assert EarlyStopping(restore_best=False).restore_best_weights is False
    assert EarlyStopping().restore_best is True
    with pytest.raises(ValueError, match="disagree"):
        EarlyStopping(restore_best=True, restore_best_weights=False)
