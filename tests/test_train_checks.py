"""Bad setups of fit, its callbacks, History and metrics fail early and say what to do."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import xpnet as xn
from xpnet import nn, optim
from xpnet.train import EarlyStopping, LearningRateScheduler, ModelCheckpoint, fit
from xpnet.train.history import History
from xpnet.train.metrics import accuracy, mae, mse


def _setup(xp, n=40):
    x, y = xn.data.moons(n, device=xp.device)
    model = nn.Sequential(nn.Linear(2, 2)).to(xp.device)
    return model, optim.SGD(model.parameters(), lr=0.1), (x, y)


@pytest.mark.parametrize("path, field", [("run{id}/m.npz", "{id}"), ("{epoch}-{f1:.2f}.npz", "{f1}")])
def test_an_unknown_path_field_fails_when_the_checkpoint_is_made(path, field):
    with pytest.raises(ValueError) as info:
        ModelCheckpoint(path)
    message = str(info.value)
    assert field in message and "the fields are epoch, loss, accuracy" in message
    assert "val_loss" in message and "fields=" in message


@pytest.mark.parametrize("path, says", [
    ("m{}.npz", "only plain names"), ("m{0}.npz", "only plain names"),
    ("m{epoch.real}.npz", "only plain names"), ("m{epoch", "not a valid template"),
    ("m{loss:d}.npz", "cannot be formatted"), ("", "empty"),
])
def test_a_malformed_path_fails_when_the_checkpoint_is_made(path, says):
    with pytest.raises(ValueError, match=says):
        ModelCheckpoint(path)


def test_a_metric_of_your_own_may_name_the_path(xp, tmp_path):
    def f1(output, target):
        return xp.mean(output) * 0.0 + 0.5

    checkpoint = ModelCheckpoint(tmp_path / "m-{epoch}-{val_f1:.1f}.npz", fields=["f1"],
                                 save_best_only=False)
    model, opt, data = _setup(xp)
    fit(model, nn.CrossEntropyLoss(), opt, data, epochs=1, val_data=data, metrics=[f1], verbose=0,
        callbacks=[checkpoint])
    assert [p.name for p in tmp_path.iterdir()] == ["m-1-0.5.npz"]


def test_what_the_run_does_not_log_fails_before_the_first_epoch(xp, tmp_path):
    model, opt, data = _setup(xp)
    before = {k: xp.numpy(v).copy() for k, v in model.state_dict().items()}
    for callback, says in [
        (ModelCheckpoint(tmp_path / "m-{val_loss:.2f}.npz", save_best_only=False), "pass val_data"),
        (ModelCheckpoint(tmp_path / "m.npz"), "monitors 'val_loss'"),
        (EarlyStopping(), "monitors 'val_loss'"),
        (EarlyStopping(monitor="mse"), "monitors 'mse'"),
    ]:
        with pytest.raises(ValueError, match=says):
            fit(model, nn.CrossEntropyLoss(), opt, data, epochs=3, verbose=0, callbacks=[callback])
    for name, value in model.state_dict().items():  # no epoch ran
        np.testing.assert_array_equal(xp.numpy(value), before[name])
    assert list(tmp_path.iterdir()) == []


def test_a_reused_checkpoint_forgets_the_previous_runs_file(xp, tmp_path):
    model, opt, data = _setup(xp)
    checkpoint = ModelCheckpoint(tmp_path / "m.npz", monitor="loss")
    fit(model, nn.CrossEntropyLoss(), opt, data, epochs=1, verbose=0, callbacks=[checkpoint])
    assert checkpoint.best_path == str(tmp_path / "m.npz") and checkpoint.best_epoch == 1

    class Fail(ModelCheckpoint):  # its first save fails: nothing saved by this run
        def on_epoch_end(self, loop, epoch, logs):
            raise OSError("disk full")

    again = Fail(tmp_path / "m.npz", monitor="loss")
    again.best_path = "stale.npz"
    with pytest.raises(OSError):
        fit(model, nn.CrossEntropyLoss(), opt, data, epochs=1, verbose=0, callbacks=[again])
    assert again.best_path is None and again.saved == []


@pytest.mark.parametrize("drop_last", [False, True])
def test_no_samples_gives_the_right_reason(xp, drop_last):
    model, opt, (x, y) = _setup(xp)
    with pytest.raises(ValueError) as info:
        fit(model, nn.CrossEntropyLoss(), opt, (x[:0, ...], y[:0]), drop_last=drop_last, verbose=0)
    assert "train_data has 0 samples" in str(info.value) and "drop_last" not in str(info.value)
    with pytest.raises(ValueError) as info:
        fit(model, nn.CrossEntropyLoss(), opt, (x, y), val_data=(x[:0, ...], y[:0]), verbose=0)
    assert "val_data has 0 samples" in str(info.value)
    with pytest.raises(ValueError, match=r"drop_last=True.*drop_last=False"):
        fit(model, nn.CrossEntropyLoss(), opt, (x[:5, ...], y[:5]), batch_size=8, drop_last=True, verbose=0)


def test_one_callback_without_a_list_is_taken(xp):
    model, _, data = _setup(xp)
    stop = EarlyStopping(monitor="loss", patience=0, min_delta=1e-4, restore_best=False)  # not rounding
    frozen = optim.SGD(model.parameters(), lr=0.0)  # never improves after epoch 1
    assert len(fit(model, nn.CrossEntropyLoss(), frozen, data, epochs=5, verbose=0, callbacks=stop)) == 2


@pytest.mark.parametrize("lr", [math.inf, math.nan, -1.0, "0.1"])
def test_a_learning_rate_function_must_return_a_finite_number(xp, lr):
    model, opt, data = _setup(xp)
    with pytest.raises(ValueError, match="finite number >= 0"):
        fit(model, nn.CrossEntropyLoss(), opt, data, epochs=1, verbose=0,
            callbacks=[LearningRateScheduler(lambda epoch, old: lr)])


def test_a_learning_rate_function_may_return_a_numpy_number(xp):
    model, opt, data = _setup(xp)
    history = fit(model, nn.CrossEntropyLoss(), opt, data, epochs=1, verbose=0,
                  callbacks=[LearningRateScheduler(lambda epoch, old: np.float32(0.5))])
    assert history.lr == [0.5]


@pytest.mark.parametrize("delta", [math.inf, math.nan, -0.1])
def test_min_delta_must_be_finite(delta):
    with pytest.raises(ValueError, match="finite number >= 0"):
        EarlyStopping(min_delta=delta)


def test_history_best_never_picks_nan_or_inf():
    history = History()
    for epoch, value in enumerate([0.5, -math.inf, math.nan, 0.3, math.inf], 1):
        history.append(epoch, {"val_loss": value, "val_accuracy": -value})
    assert history.best("val_loss") == (4, 0.3)
    assert history.best("val_accuracy") == (4, -0.3)
    empty = History()
    empty.append(1, {"val_loss": math.nan})
    with pytest.raises(ValueError, match="no finite value"):
        empty.best()


def test_metrics_of_no_samples_are_nan_without_a_warning(xp):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fn, output, target in [(accuracy, (0, 3), (0,)), (accuracy, (0, 1), (0, 1)),
                                   (mse, (0, 2), (0, 2)), (mae, (0,), (0,))]:
            value = fn(xp.array(np.zeros(output)), xp.array(np.zeros(target)))
            assert math.isnan(float(xp.numpy(value))) and xp.same_place(value)


def test_torchs_mean_of_nothing_is_nan_as_our_metrics(torch):
    assert math.isnan(torch.zeros(0).mean().item())  # the answer the metrics above follow


def test_metrics_refuse_shapes_that_would_broadcast(xp):
    logits = xp.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 5.0], [4.0, 0.0, 0.0]])
    labels = xp.array([0, 1, 1, 2], dtype="int64")
    column = xp.array([[0], [1], [1], [2]], dtype="int64")  # indices as a column: same answer
    assert float(xp.numpy(accuracy(logits, column))) == float(xp.numpy(accuracy(logits, labels)))
    for fn, output, target in [(accuracy, logits, labels[:1]), (accuracy, logits, labels[:3]),
                               (accuracy, xp.array([0.9, 0.2, 0.7]), xp.array([1.0])),
                               (mse, xp.array([1.0, 2.0, 3.0]), xp.array([1.0])),
                               (mae, logits, xp.array(np.zeros((4, 2))))]:
        with pytest.raises(ValueError, match="do not match"):
            fn(output, target)


def test_a_scheduler_of_another_optimizer_is_refused_before_training(xp):
    model, opt, data = _setup(xp)
    other = optim.SGD(model.parameters(), lr=0.1)
    step = optim.lr_scheduler.StepLR(other, step_size=1, gamma=0.5)
    with pytest.raises(ValueError, match="another optimizer"):
        fit(model, nn.CrossEntropyLoss(), opt, data, epochs=2, verbose=0,
            callbacks=[LearningRateScheduler(step)])
    assert other.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["lr"] == 0.1
