"""The ``xpnet`` command: ``demo`` and ``train`` learn, print where they saved, and fail plainly."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import xpnet as xn
from xpnet.__main__ import COMMANDS, main
from xpnet.cli.train import Config, build_model


def test_train_command_learns_and_saves_what_rebuilds_the_model(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--dataset", "moons", "--hidden", "16,16", "--epochs", "15", "--batch-size",
                 "32", "--lr", "0.02", "--optimizer", "adam", "--device", "cpu", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("device: cpu (NumPy)\nmoons: hidden 16,16 relu, adam lr 0.02")
    accuracy = float(printed.split("accuracy: ")[1].split("%")[0])
    assert accuracy > 85.0
    assert f"checkpoint (best val_loss): {out / 'model.npz'}" in printed
    config = json.loads((out / "config.json").read_text())
    assert config["hidden"] == [16, 16] and config["in_features"] == 2 and config["out_features"] == 2
    model = build_model(Config(**{**config, "hidden": tuple(config["hidden"])}))
    model.load_state_dict(xn.load(out / "model.npz"))  # the files are enough to get the model back
    history = json.loads((out / "history.json").read_text())
    assert history["epochs"] == list(range(1, 16)) and "val_accuracy" in history["history"]
    if "curves:" in printed:
        assert (out / "curves.png").exists()


def test_train_command_on_xor(tmp_path, capsys):
    assert main(["train", "--dataset", "xor", "--epochs", "1000", "--out", str(tmp_path), "--device",
                 "cpu"]) == 0
    assert "accuracy: 100.0% on 4 held-out samples" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--hidden", "a,b"], "give sizes >= 1 separated by commas, e.g. --hidden 64,32"),
    (["--device", "tpu"], "unknown device 'tpu'"),
])
def test_train_command_reports_bad_input(tmp_path, capsys, args, message):
    assert main(["train", "--dataset", "xor", "--out", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("xpnet train: error: ") and err.count("\n") == 1


@pytest.mark.parametrize("args", [["--epochs", "0"], ["--lr", "-1"], ["--dataset", "mnist"]])
def test_train_command_rejects_bad_numbers_and_names(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", *args])
    assert exit_info.value.code == 2 and "xpnet train: error" in capsys.readouterr().err


def test_demo_prints_accuracy_and_where_it_saved(tmp_path, capsys):
    pytest.importorskip("sklearn", reason="scikit-learn (xpnet[datasets]) not installed")
    out = tmp_path / "demo"
    assert main(["demo", "--device", "cpu", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "handwritten digits" in printed and "64-64-10 relu MLP" in printed
    accuracy = float(printed.split("accuracy: ")[1].split("%")[0])
    assert accuracy >= 95.0
    assert f"checkpoint (best val_loss): {out / 'digits-model.npz'}" in printed
    assert set(xn.load(out / "digits-model.npz")) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    if "curves:" in printed:
        assert (out / "digits-curves.png").read_bytes()[:4] == b"\x89PNG"
    else:
        assert "curves not drawn" in printed and "xpnet[plot]" in printed


def test_demo_without_scikit_learn_learns_spirals_and_says_why(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    assert main(["demo", "--device", "cpu", "--epochs", "40", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "note: scikit-learn is not installed, so the demo learns two spirals" in printed
    assert 'pip install "xpnet[demo]"' in printed and (tmp_path / "spirals-model.npz").exists()


def test_demo_without_matplotlib_still_saves_the_checkpoint(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.setitem(sys.modules, "sklearn", None)
    assert main(["demo", "--device", "cpu", "--epochs", "5", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert 'note: curves not drawn: plotting needs matplotlib: pip install "xpnet[plot]"' in printed
    assert (tmp_path / "spirals-model.npz").exists() and not (tmp_path / "spirals-curves.png").exists()


def test_subcommands_are_registered_one_module_each():
    assert COMMANDS[:2] == ("demo", "train")
    done = subprocess.run([sys.executable, "-m", "xpnet", "train", "--help"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0 and "--dataset {xor,spirals,moons,digits}" in done.stdout


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out
