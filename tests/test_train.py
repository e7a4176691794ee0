"""xpnet.train: fit, metrics, callbacks, evaluate/predict, progress and host synchronisation."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

import xpnet as xn
from xpnet import nn, optim
from xpnet.train import (
    EarlyStopping,
    LearningRateScheduler,
    Loop,
    ModelCheckpoint,
    evaluate,
    fit,
    predict,
)
from xpnet.train import loop as train_loop
from xpnet.train.history import History


def _mlp(xp, hidden=16, inputs=2, outputs=2):
    return nn.Sequential(nn.Linear(inputs, hidden), nn.Tanh(), nn.Linear(hidden, outputs)).to(xp.device)


def test_fit_learns_xor(xp):
    x, y = xn.data.xor(device=xp.device)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1)).to(xp.device)
    history = fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=1000,
                  batch_size=4, verbose=0, shuffle=False)
    assert len(history) == 1000 and history["loss"][-1] < 1e-3 < history["loss"][0]
    assert history["accuracy"][-1] == 1.0  # one output: right where output > 0.5 matches y
    assert all(xp.same_place(p) for p in model.parameters())


def test_history_holds_train_and_validation_per_epoch(xp):
    x, y = xn.data.moons(200, device=xp.device)
    xt, xv, yt, yv = xn.data.train_test_split(x, y, test_size=0.25)
    model = _mlp(xp)
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.02), (xt, yt),
                  epochs=15, batch_size=32, val_data=(xv, yv), metrics=("accuracy", "mse"), verbose=0)
    assert history.keys() == ["loss", "accuracy", "mse", "val_loss", "val_accuracy", "val_mse"]
    assert history.epochs == list(range(1, 16)) and history.lr == [0.02] * 15
    assert history["val_accuracy"][-1] > 0.8 and history["loss"][-1] < history["loss"][0]
    assert history.best("val_accuracy")[1] == max(history["val_accuracy"])
    # The logged validation values are evaluate()'s.
    final = evaluate(model, nn.CrossEntropyLoss(), (xv, yv), metrics=("accuracy", "mse"))
    assert final["loss"] == pytest.approx(history["val_loss"][-1], rel=1e-4)
    assert final["accuracy"] == history["val_accuracy"][-1]


def test_metrics_on_known_values(xp):
    from xpnet.train.metrics import accuracy, mae, mse

    logits = xp.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 5.0], [4.0, 0.0, 0.0]])
    labels = xp.array([0, 1, 1, 2], dtype="int64")
    assert float(xp.numpy(accuracy(logits, labels))) == 0.5
    one_hot = xp.array(np.eye(3, dtype="float32")[[0, 1, 1, 2]])
    assert float(xp.numpy(accuracy(logits, one_hot))) == 0.5
    probs, truth = xp.array([[0.9], [0.2], [0.6], [0.4]]), xp.array([[1.0], [0.0], [0.0], [0.0]])
    assert float(xp.numpy(accuracy(probs, truth))) == 0.75
    out, target = xp.array([1.0, 2.0, 4.0]), xp.array([1.0, 0.0, 1.0])
    assert float(xp.numpy(mse(out, target))) == pytest.approx(13 / 3)
    assert float(xp.numpy(mae(out, target))) == pytest.approx(5 / 3)
    assert xp.same_place(mse(out, target))


@pytest.mark.parametrize("reduction", ["mean", "sum", "callable"])
def test_the_epoch_loss_follows_the_loss_reduction(xp, reduction):
    """lr=0, so every batch sees the same weights: "mean" logs the mean over samples, "sum" the total."""
    x = xp.array(np.random.default_rng(0).normal(size=(10, 2)))
    y = xp.array(np.random.default_rng(1).normal(size=(10, 1)))
    model = nn.Linear(2, 1).to(xp.device)
    if reduction == "callable":  # no reduction attribute: taken as a batch mean
        loss_fn = lambda out, target: ((out - target) ** 2).mean()  # noqa: E731
        expected = float(xp.numpy(nn.MSELoss()(model(x), y).array))
    else:
        loss_fn = nn.MSELoss(reduction=reduction)
        expected = float(xp.numpy(loss_fn(model(x), y).array))
    for batch_size in (5, 4):  # equal batches, and 4 + 4 + 2
        history = fit(model, loss_fn, optim.SGD(model.parameters(), lr=0.0), (x, y), epochs=1,
                      batch_size=batch_size, val_data=(x, y), metrics=None, verbose=0, shuffle=False)
        assert history["loss"][0] == pytest.approx(expected, rel=1e-5)
        assert history["val_loss"][0] == pytest.approx(expected, rel=1e-5)
        assert evaluate(model, loss_fn, (x, y), batch_size=batch_size, metrics=None)["loss"] == \
            pytest.approx(expected, rel=1e-5)


def test_custom_metric_functions_are_logged_by_name(xp):
    x, y = xn.data.xor(device=xp.device)

    def mean_output(output, target):
        return xp.mean(output)

    model = nn.Sequential(nn.Linear(2, 1)).to(xp.device)
    history = fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=2,
                  batch_size=4, metrics=[mean_output], verbose=0)
    assert history.keys() == ["loss", "mean_output"]


def _count_syncs(monkeypatch):
    calls = []
    real = train_loop._to_host

    def counting(values):
        calls.append(len(values))
        return real(values)

    monkeypatch.setattr(train_loop, "_to_host", counting)
    return calls


@pytest.mark.parametrize("tty, expected", [(True, 2 * (3 + 1)), (False, 2 * 1)])
def test_one_host_sync_per_logged_step(xp, monkeypatch, tty, expected):
    """10 steps per epoch, the bar logs at steps 3, 6, 9, and the epoch's end syncs once for all values."""
    monkeypatch.setattr(train_loop, "_isatty", lambda stream: tty)
    calls = _count_syncs(monkeypatch)
    x, y = xn.data.moons(20, device=xp.device)
    model = _mlp(xp)
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=2,
        batch_size=2, val_data=(x, y), metrics=("accuracy", "mae"), log_every=3)
    assert len(calls) == expected
    assert calls[-1] == 6  # train loss, accuracy, mae and their val_ twins in one transfer


def test_progress_bar_shows_the_live_loss_on_a_terminal(monkeypatch, capsys):
    class EagerBar(train_loop.tqdm):  # redraw at every update, not every 0.1 s
        def __init__(self, *args, **kwargs):
            super().__init__(*args, mininterval=0, **kwargs)

    monkeypatch.setattr(train_loop, "_isatty", lambda stream: True)
    monkeypatch.setattr(train_loop, "tqdm", EagerBar)
    x, y = xn.data.moons(40)
    model = nn.Sequential(nn.Linear(2, 2))
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=2,
        batch_size=4, log_every=2)
    err = capsys.readouterr().err
    assert "epoch 2/2" in err and "loss=" in err and "fit: 100%" in err and "accuracy" in err


def test_progress_bar_is_drawn_on_a_terminal_that_reports_no_width(monkeypatch, capsys):
    """A pseudo-terminal of size 0 x 0 (``script``, some containers): 80 columns, not a hidden bar."""
    monkeypatch.setattr(train_loop, "_isatty", lambda stream: True)
    import tqdm.std

    monkeypatch.setattr(tqdm.std, "_screen_shape_wrapper", lambda: lambda fp: (0, 0))  # tqdm's view
    monkeypatch.setattr(train_loop, "_size", lambda stream: (0, 0))  # and ours
    x, y = xn.data.moons(40)
    model = nn.Sequential(nn.Linear(2, 2))
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=2)
    lines = [line for line in capsys.readouterr().err.replace("\r", "\n").splitlines() if "fit:" in line]
    assert lines and "fit: 100%" in lines[-1] and "|" in lines[-1] and len(lines[-1]) <= 80


def test_silent_when_stderr_is_not_a_terminal_or_verbose_0(capsys):
    x, y = xn.data.moons(40)
    model = nn.Sequential(nn.Linear(2, 2))
    opt = optim.SGD(model.parameters(), lr=0.1)
    fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=2, verbose=1)  # capsys: not a tty
    fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=2, verbose=0)
    assert capsys.readouterr() == ("", "")
    fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=2, verbose=2)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[1].startswith("epoch 2/2 - loss ") and "accuracy" in out[1]


def test_early_stopping_stops_after_patience_epochs(xp):
    x, y = xn.data.moons(40, device=xp.device)
    model = _mlp(xp)
    stop = EarlyStopping(monitor="loss", patience=2, min_delta=1e-4, restore_best=False)
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.0), (x, y),
                  epochs=20, callbacks=[stop], verbose=0)  # lr 0: never improves after epoch 1
    assert len(history) == 3 and stop.stopped_epoch == 3 and stop.best_epoch == 1


def test_early_stopping_restores_the_best_weights(xp):
    model = _mlp(xp)
    loop = Loop(model, optim.SGD(model.parameters(), lr=0.1), History(), epochs=3)
    stop = EarlyStopping(monitor="val_loss", patience=5)
    stop.on_train_begin(loop)
    stop.on_epoch_end(loop, 1, {"val_loss": 1.0})
    best = {k: xp.numpy(v).copy() for k, v in model.state_dict().items()}
    with xn.no_grad():
        for p in model.parameters():
            p += 1.0
    stop.on_epoch_end(loop, 2, {"val_loss": 2.0})
    stop.on_train_end(loop)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(xp.numpy(v), best[k])
        assert xp.same_place(v)


def test_a_monitor_missing_from_the_logs_says_what_to_do():
    x, y = xn.data.moons(20)
    model = nn.Sequential(nn.Linear(2, 2))
    with pytest.raises(ValueError, match=r"monitors 'val_loss'.*pass val_data"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=1,
            callbacks=[EarlyStopping()], verbose=0)


def test_model_checkpoint_saves_the_best_epoch(xp, tmp_path):
    x, y = xn.data.moons(100, device=xp.device)
    model = _mlp(xp)
    best = ModelCheckpoint(tmp_path / "best.npz", monitor="val_loss")
    every = ModelCheckpoint(tmp_path / "e{epoch:02d}.npz", save_best_only=False, save_weights_only=False)
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), (x, y),
                  epochs=4, val_data=(x, y), callbacks=[best, every], verbose=0)
    assert sorted(p.name for p in tmp_path.glob("e*.npz")) == ["e01.npz", "e02.npz", "e03.npz", "e04.npz"]
    resume = xn.load(tmp_path / "e04.npz", device=xp.device)
    assert resume["epoch"] == 4 and set(resume) == {"model", "optimizer", "epoch", "logs"}
    fresh = _mlp(xp)
    fresh.load_state_dict(xn.load(tmp_path / "best.npz", device=xp.device))
    _, value = history.best("val_loss")
    assert evaluate(fresh, nn.CrossEntropyLoss(), (x, y))["loss"] == pytest.approx(value, rel=1e-4)


def test_learning_rate_scheduler_with_a_function_or_a_scheduler(xp):
    x, y = xn.data.moons(20, device=xp.device)
    model = _mlp(xp)
    opt = optim.SGD(model.parameters(), lr=1.0)
    history = fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=3, verbose=0,
                  callbacks=[LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))])
    assert history.lr == pytest.approx([0.1, 0.05, 0.1 / 3])
    opt = optim.SGD(model.parameters(), lr=1.0)
    step = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    history = fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=3, verbose=0,
                  callbacks=[LearningRateScheduler(step)])
    assert history.lr == [1.0, 0.5, 0.25]


def test_evaluate_and_predict_use_eval_mode_and_restore_it(xp):
    model = nn.Sequential(nn.Linear(3, 8), nn.Dropout(0.5), nn.Linear(8, 2)).to(xp.device)
    x = xp.array(np.random.default_rng(0).normal(size=(300, 3)).astype("float32"))
    y = xp.array(np.zeros(300), dtype="int64")
    model.train()
    model[1].eval()  # a mixed state comes back as it was
    out = predict(model, x, batch_size=64)
    assert out.shape == (300, 2) and xp.same_place(out) and not out.requires_grad
    assert model.training and not model[1].training
    model.eval()
    with xn.no_grad():
        np.testing.assert_allclose(xp.numpy(out), xp.numpy(model(x)), rtol=1e-5, atol=1e-6)
    model.train()
    result = evaluate(model, nn.CrossEntropyLoss(), (x, y), batch_size=64)
    assert set(result) == {"loss", "accuracy"} and model.training and math.isfinite(result["loss"])


def test_fit_checks_its_arguments():
    x, y = xn.data.moons(20)
    model = nn.Sequential(nn.Linear(2, 2))
    opt = optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    with pytest.raises(ValueError, match="pair"):
        fit(model, loss_fn, opt, (x, y, y), verbose=0)
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        fit(model, loss_fn, opt, (x, y), epochs=0)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        fit(model, loss_fn, opt, (x, y), metrics=["f1"])
    with pytest.raises(ValueError, match="no batch"):
        fit(model, loss_fn, opt, (x, y), batch_size=64, drop_last=True)
    with pytest.raises(ValueError, match="different lengths"):
        fit(model, loss_fn, opt, (x, y[:10]))


def test_digits_reach_95_percent_with_a_small_mlp(xp, capsys):
    pytest.importorskip("sklearn", reason="scikit-learn (xpnet[datasets]) not installed")
    x, y = xn.data.digits(device=xp.device)
    xt, xv, yt, yv = xn.data.train_test_split(x, y, test_size=0.2)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)).to(xp.device)
    start = time.perf_counter()
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=3e-3), (xt, yt), epochs=30,
        batch_size=32, verbose=0)
    seconds = time.perf_counter() - start
    accuracy = evaluate(model, nn.CrossEntropyLoss(), (xv, yv))["accuracy"]
    with capsys.disabled():
        print(f"\n  digits on {xp}: {accuracy:.1%} test accuracy in {seconds:.1f} s")
    assert accuracy >= 0.95
