"""The command line on ordinary mistakes: one line saying what is wrong and how to fix it, never a
traceback; exit 2 for a bad argument (before any work), 1 for a run that failed, 130 for Ctrl-C."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import xpnet as xn
from xpnet.__main__ import main
from xpnet.cli import train as cli_train


@pytest.fixture
def unwritable(tmp_path):
    """A folder that cannot be written: chmod 0500, or (as root, where permissions do not bite) one
    under /proc."""
    if os.geteuid() == 0:
        yield "/proc/xpnet-test-out"
        return
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    yield str(folder / "run")
    folder.chmod(0o700)


@pytest.fixture
def a_file(tmp_path):
    path = tmp_path / "a-file"
    path.write_text("mine\n")
    return path


def _one_line_error(capsys, prog="xpnet train"):
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert "Traceback" not in err and lines and lines[-1].startswith(f"{prog}: error: ")
    return lines[-1]


def _bad_train_args(a_file, unwritable):
    return [
        (["--out", str(a_file)], "a file is there, not a folder"),
        (["--out", str(a_file / "sub")], "is a file, not a folder"),
        (["--out", unwritable], "cannot write there"),
        (["--out", "/proc/self/xpnet"], "cannot write there"),
        (["--out", ""], "--out is empty"),
        (["--hidden", "64,,32"], "an empty size"),
        (["--hidden", "64,"], "an empty size"),
        (["--hidden", "64,-2"], "'-2' is not a whole number"),
        (["--hidden", "0"], "a layer of 0 units"),
        (["--hidden", "1000000000000"], "parameters"),
        (["--hidden", "20000,20000"], "this command trains up to 100,000,000"),
        (["--hidden", "a,b"], "'a' is not a whole number"),
        (["--epochs", "0"], "argument --epochs: must be at least 1"),
        (["--epochs", "-3"], "argument --epochs: must be at least 1"),
        (["--epochs", "2.5"], "argument --epochs: expected a whole number"),
        (["--batch-size", "0"], "argument --batch-size: must be at least 1"),
        (["--lr", "0"], "argument --lr: must be greater than 0"),
        (["--lr", "-1"], "argument --lr: must be greater than 0"),
        (["--lr", "inf"], "argument --lr: must be a finite number"),
        (["--lr", "nan"], "argument --lr: must be a finite number"),
        (["--seed", "-1"], "argument --seed: must be from 0"),
        (["--seed", str(2**32)], "argument --seed: must be from 0"),
        (["--device", "tpu"], "--device tpu: unknown device 'tpu'"),
        (["--dataset", "mnist"], "argument --dataset: invalid choice"),
        (["--optimizer", "lbfgs"], "argument --optimizer: invalid choice"),
        (["--activation", "swish"], "argument --activation: invalid choice"),
    ]


def test_every_bad_train_argument_is_one_line_and_exit_2(tmp_path, capsys, a_file, unwritable):
    for args, says in _bad_train_args(a_file, unwritable):
        argv = ["train", "--dataset", "xor", "--epochs", "1", "--device", "cpu",
                *(["--out", str(tmp_path / "run")] if "--out" not in args else []), *args]
        try:
            status = main(argv)
        except SystemExit as exit_info:  # argparse's own errors
            status = exit_info.code
        line = _one_line_error(capsys)
        assert status == 2 and says in line, (args, line)
    assert a_file.read_text() == "mine\n" and not (tmp_path / "run" / "model.npz").exists()


def test_bad_demo_arguments_are_one_line_and_exit_2(capsys, a_file, unwritable):
    for args, says in [(["--out", str(a_file)], "a file is there"), (["--out", unwritable], "cannot write"),
                       (["--device", "tpu"], "unknown device"), (["--out", ""], "--out is empty")]:
        assert main(["demo", "--epochs", "1", *args]) == 2
        assert says in _one_line_error(capsys, "xpnet demo")


@pytest.mark.parametrize("args, says", [
    (["--json", "/proc/xpnet-bench.json"], "--json /proc/xpnet-bench.json: cannot write there"),
    (["--json", "{file}/x.json"], "is a file, not a folder"),
    (["--json", "{tmp}"], "a folder is there"),
    (["--plot", "{tmp}"], "a folder is there"),
    (["--plot", "{unwritable}/p.png"], "cannot write there"),
    (["--batches", "1,1000000000000"], "--batches: 1,000,000,000,000 is more than"),
    (["--threads", "100000"], "this machine's cores"),
    (["--windows", "100000000"], "--windows"),
    (["--seconds", "1e9"], "--seconds"),
])
def test_bench_checks_its_arguments_before_measuring(tmp_path, capsys, monkeypatch, a_file, unwritable,
                                                     args, says):
    from xpnet.bench import runner

    def measure(config):
        raise AssertionError("the benchmark ran before its arguments were checked")

    monkeypatch.setattr(runner, "run", measure)
    args = [a.format(file=a_file, tmp=tmp_path, unwritable=unwritable) for a in args]
    assert main(["bench", "--smoke", *args]) == 2
    assert says in _one_line_error(capsys, "xpnet bench")


def test_python_dash_m_xpnet_bench_checks_its_arguments_first(capsys, monkeypatch):
    from xpnet.bench import __main__ as bench_main
    from xpnet.bench import runner

    def measure(config):
        raise AssertionError("the benchmark ran before its arguments were checked")

    monkeypatch.setattr(runner, "run", measure)
    assert bench_main.main(["--smoke", "--json", "/proc/xpnet-bench.json"]) == 2
    assert "cannot write there" in _one_line_error(capsys, "python -m xpnet.bench")


@pytest.mark.parametrize("args, says", [(["--seconds", "inf"], "must be a finite number"),
                                        (["--batches", "1,,2"], "comma-separated positive ints")])
def test_bench_argument_types_refuse_with_exit_2(capsys, args, says):
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", *args])
    assert exit_info.value.code == 2 and says in _one_line_error(capsys, "xpnet bench")


def test_bench_path_check_leaves_no_file_and_keeps_an_existing_one(tmp_path, a_file):
    from argparse import Namespace

    from xpnet.cli.bench import check

    new = tmp_path / "deep" / "out.json"
    check(Namespace(json=str(new), plot=str(a_file), batches=None, threads=None, windows=None,
                    seconds=None))
    assert not new.exists() and a_file.read_text() == "mine\n"


def test_a_run_that_never_has_a_finite_loss_loads_no_older_model(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    xn.save({"old": xn.zeros(3)}, out / "model.npz")  # a previous run's file
    before = (out / "model.npz").read_bytes()
    argv = ["train", "--dataset", "moons", "--epochs", "2", "--lr", "1e30", "--device", "cpu",
            "--out", str(out)]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert "accuracy" not in captured.out and "checkpoint" not in captured.out
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("xpnet train: the run diverged: the training loss is")
    assert "epoch 1, step" in lines[0] and f"nothing was saved in {out}" in lines[0]
    assert "from an earlier run, left as it was" in lines[0] and "smaller --lr" in lines[0]
    assert (out / "model.npz").read_bytes() == before and not (out / "config.json").exists()


def test_a_diverged_run_in_a_fresh_folder_has_no_traceback(tmp_path):
    done = subprocess.run([sys.executable, "-m", "xpnet", "train", "--dataset", "xor", "--epochs", "3",
                           "--lr", "1e30", "--device", "cpu", "--out", str(tmp_path / "fresh")],
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "PYTHONWARNINGS": "default"})
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().splitlines() == [line for line in done.stderr.strip().splitlines()
                                                if line.startswith("xpnet train: the run diverged")]
    assert "nothing was saved" in done.stderr and "earlier run" not in done.stderr
    assert os.listdir(tmp_path / "fresh") == []


def test_a_run_that_diverges_later_keeps_its_best_checkpoint_and_config(tmp_path, capsys, monkeypatch):
    import xpnet.train as train
    from xpnet.train import Callback

    class Poison(Callback):  # NaN weights from epoch 3 on: the loss turns NaN at its first step
        def on_epoch_begin(self, loop, epoch):
            if epoch == 3:
                with xn.no_grad():
                    weight = loop.model[0].weight
                    weight *= float("nan")

    real_fit = train.fit
    monkeypatch.setattr(train, "fit", lambda *a, callbacks=(), **k: real_fit(
        *a, callbacks=[*callbacks, Poison()], **k))
    out = tmp_path / "run"
    assert main(["train", "--dataset", "moons", "--epochs", "5", "--device", "cpu", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "the training loss is nan at epoch 3, step 1" in err
    assert f"the best epoch before it (2) is saved in {out / 'model.npz'}" in err
    config = cli_train.Config(**{**__import__("json").loads((out / "config.json").read_text()),
                                 "hidden": (32, 32)})
    model = cli_train.build_model(config)
    model.load_state_dict(xn.load(out / "model.npz"))  # the saved files rebuild the model


@pytest.mark.parametrize("error, status, says", [
    (MemoryError, 1, "out of memory: give smaller --hidden sizes or --batch-size"),
    (lambda: OSError(28, "No space left on device"), 1, "could not write in"),
    (KeyboardInterrupt, 130, "interrupted"),
])
def test_failures_during_the_run_are_one_line(tmp_path, capsys, monkeypatch, error, status, says):
    def fail(*args, **kwargs):
        raise error()

    monkeypatch.setattr(cli_train, "train_run", fail)
    assert main(["train", "--dataset", "xor", "--device", "cpu", "--out", str(tmp_path)]) == status
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.splitlines()[-1].startswith("xpnet train: ") and says in err


def test_ctrl_c_keeps_this_runs_checkpoint_with_its_config(tmp_path, capsys, monkeypatch):
    import xpnet.train as train
    from xpnet.train import Callback

    class CtrlC(Callback):
        def on_epoch_begin(self, loop, epoch):
            if epoch == 3:
                raise KeyboardInterrupt

    real_fit = train.fit
    monkeypatch.setattr(train, "fit", lambda *a, callbacks=(), **k: real_fit(
        *a, callbacks=[*callbacks, CtrlC()], **k))
    out = tmp_path / "run"
    assert main(["train", "--dataset", "moons", "--hidden", "8", "--epochs", "5", "--device", "cpu",
                 "--out", str(out)]) == 130
    line = capsys.readouterr().err.strip()
    assert line.startswith("xpnet train: interrupted after 2 finished epoch(s); the best epoch so far")
    assert f"{out / 'model.npz'}, with {out / 'config.json'}" in line
    config = __import__("json").loads((out / "config.json").read_text())
    assert config["hidden"] == [8]
