"""``xpnet train``: an MLP on a built-in data set, with progress, curves and a checkpoint.

``xpnet train --dataset digits --hidden 64,32 --epochs 30 --batch-size 32 --lr 3e-3
--optimizer adam --device cuda --out runs/digits`` writes, in ``--out``:
``model.npz`` (the best weights by validation loss: ``xn.load`` it), ``config.json``
(what rebuilds the model), ``history.json`` and ``curves.png`` (with matplotlib).

Every argument is checked before training (exit 2, one line: what is wrong and how
to fix it). A run whose loss turns NaN or Inf stops, says where, and exits 1: it never
reports a checkpoint it did not write (an older ``model.npz`` in ``--out`` is left alone
and never loaded).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from . import (
    UsageError,
    best_device,
    check_device,
    positive_float,
    positive_int,
    quiet_float_warnings,
    seed,
    writable_folder,
)

if TYPE_CHECKING:
    from xpnet.train import NonFiniteLossError

DATASETS = ("xor", "spirals", "moons", "digits")
# Settings that learn each data set in seconds on a laptop CPU.
DEFAULTS: dict[str, dict[str, Any]] = {
    "xor": {"hidden": (16,), "epochs": 1000, "batch_size": 4, "lr": 0.1, "optimizer": "sgd"},
    "spirals": {"hidden": (64, 64), "epochs": 200, "batch_size": 64, "lr": 0.01, "optimizer": "adam",
                "activation": "tanh"},
    "moons": {"hidden": (32, 32), "epochs": 60, "batch_size": 64, "lr": 0.01, "optimizer": "adam"},
    "digits": {"hidden": (64,), "epochs": 30, "batch_size": 32, "lr": 0.003, "optimizer": "adam"},
}
# (inputs, outputs) of each data set's MLP, to size a model before loading anything.
FEATURES = {"xor": (2, 1), "spirals": (2, 2), "moons": (2, 2), "digits": (64, 10)}
MAX_PARAMETERS = 100_000_000  # 400 MB of float32 weights: far more than these data sets need


class RunDiverged(RuntimeError):
    """The loss turned NaN or Inf: training stopped; the message says where and what was saved."""


@dataclass
class Config:
    """One training run; ``config.json`` holds it, so the model can be rebuilt to load the weights."""

    dataset: str
    hidden: tuple[int, ...]
    epochs: int
    batch_size: int
    lr: float
    optimizer: str
    activation: str = "relu"
    seed: int = 0
    in_features: int = 0
    out_features: int = 0

    @classmethod
    def for_dataset(cls, dataset: str, **overrides: Any) -> Config:
        settings = {**DEFAULTS[dataset], **{k: v for k, v in overrides.items() if v is not None}}
        return cls(dataset=dataset, **settings)


def load_data(config: Config, device: Any) -> tuple[Any, Any, Any, Any]:
    """``(x_train, y_train, x_test, y_test)`` on ``device``; XOR's four samples are both."""
    import xpnet as xn

    if config.dataset == "xor":
        x, y = xn.data.xor(device=device)
        return x, y, x, y
    if config.dataset == "spirals":
        x, y = xn.data.spirals(2000, classes=2, turns=2.0, seed=config.seed, device=device)
    elif config.dataset == "moons":
        x, y = xn.data.moons(1000, noise=0.15, seed=config.seed, device=device)
    else:
        x, y = xn.data.digits(device=device)
    x_train, x_test, y_train, y_test = xn.data.train_test_split(x, y, test_size=0.2, seed=config.seed)
    return x_train, y_train, x_test, y_test


def build_model(config: Config) -> Any:
    """The MLP of ``config``: Linear, activation, ..., Linear (logits, or XOR's one output)."""
    from xpnet import nn

    activation = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}[config.activation]
    sizes = [config.in_features, *config.hidden, config.out_features]
    layers: list[Any] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def train_run(config: Config, device: Any, out_dir: str | None = None, verbose: int = 1,
              echo: Callable[[str], Any] = print, prefix: str = "") -> dict[str, Any]:
    """Train ``config`` on ``device``; save into ``out_dir`` (if given). Returns what happened."""
    import xpnet as xn
    from xpnet import nn, optim
    from xpnet.train import ModelCheckpoint, NonFiniteLossError, evaluate, fit

    xn.manual_seed(config.seed)
    x_train, y_train, x_test, y_test = load_data(config, device)
    regression = config.dataset == "xor"
    config.in_features = int(x_train.shape[1])
    config.out_features = 1 if regression else int(xn.asarray(y_train).max().item()) + 1
    model = build_model(config).to(device)
    loss_fn = nn.MSELoss() if regression else nn.CrossEntropyLoss()
    make_opt = {"sgd": optim.SGD, "adam": optim.Adam}[config.optimizer]
    opt = make_opt(model.parameters(), lr=config.lr)
    checkpoint = None
    paths: dict[str, str] = {}
    if out_dir is not None:
        os.makedirs(out_dir, exist_ok=True)
        checkpoint = ModelCheckpoint(os.path.join(out_dir, f"{prefix}model.npz"), monitor="val_loss",
                                     save_best_only=True)
    start = time.perf_counter()
    samples = (int(x_train.shape[0]), int(x_test.shape[0]))
    try:
        history = fit(model, loss_fn, opt, (x_train, y_train), epochs=config.epochs,
                      batch_size=config.batch_size, val_data=(x_test, y_test),
                      callbacks=[] if checkpoint is None else [checkpoint], verbose=verbose,
                      shuffle=not regression)
    except NonFiniteLossError as exc:
        raise RunDiverged(_diverged(exc, config, checkpoint, out_dir, prefix, samples)) from exc
    except KeyboardInterrupt as exc:  # the checkpoint of this run, if any, gets its config
        finished = getattr(exc, "history", None)
        if checkpoint is not None and checkpoint.best_path is not None and finished is not None:
            written: dict[str, str] = {}
            _save_reports({"config": config, "history": finished, "paths": written, "notes": []},
                          out_dir or ".", prefix, curves=False)
            exc.saved = (f"the best epoch so far ({checkpoint.best_epoch}) is saved in "  # type: ignore[attr-defined]
                         f"{checkpoint.best_path}, with {written['config']}")
        raise
    seconds = time.perf_counter() - start
    if checkpoint is not None:  # evaluate the weights this run saved: the best by validation loss
        if checkpoint.best_path is None:  # cannot happen: epoch 1's finite val_loss is saved
            raise RunDiverged(f"no checkpoint was saved in {out_dir}")
        paths["checkpoint"] = checkpoint.best_path
        model.load_state_dict(xn.load(checkpoint.best_path))
    test = evaluate(model, loss_fn, (x_test, y_test))
    train = evaluate(model, loss_fn, (x_train, y_train))
    result = {"config": config, "model": model, "history": history, "seconds": seconds,
              "test": test, "train": train, "paths": paths, "device": device,
              "samples": samples, "notes": []}
    if out_dir is not None:
        _save_reports(result, out_dir, prefix)
    return result


def _diverged(exc: NonFiniteLossError, config: Config, checkpoint: Any, out_dir: str | None,
              prefix: str, samples: tuple[int, int]) -> str:
    """One line: where the run diverged, what was saved (never an older file), what to try."""
    text = f"the run diverged: {exc.summary()}"
    if checkpoint is None:
        saved = ""
    elif checkpoint.best_path is None:
        old = os.path.join(out_dir or "", f"{prefix}model.npz")
        saved = f"; nothing was saved in {out_dir}" + (
            f" (the {old} there is from an earlier run, left as it was)" if os.path.exists(old) else "")
    else:  # good epochs came first: their best checkpoint, and what rebuilds its model
        result = {"config": config, "history": exc.history, "paths": {}, "notes": [],
                  "samples": samples}
        _save_reports(result, out_dir or ".", prefix, curves=False)
        saved = (f"; the best epoch before it ({checkpoint.best_epoch}) is saved in "
                 f"{checkpoint.best_path}, with {result['paths']['config']}")
    return text + saved + f". Try a smaller --lr (this run: {config.lr:g}) or check the data."


def _finite_or_none(obj: Any) -> Any:
    """JSON has no NaN or Infinity: they become null."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite_or_none(v) for v in obj]
    return obj


def _save_reports(result: dict[str, Any], out_dir: str, prefix: str, curves: bool = True) -> None:
    paths, history = result["paths"], result["history"]
    paths["config"] = os.path.join(out_dir, f"{prefix}config.json")
    with open(paths["config"], "w", encoding="utf-8") as f:
        json.dump(asdict(result["config"]), f, indent=2)
    paths["history"] = os.path.join(out_dir, f"{prefix}history.json")
    with open(paths["history"], "w", encoding="utf-8") as f:
        json.dump(_finite_or_none(history.to_dict()), f, allow_nan=False)
    if not curves:
        return
    try:
        paths["curves"] = history.plot(os.path.join(out_dir, f"{prefix}curves.png"),
                                       title=f"{result['config'].dataset}")
    except ImportError as exc:
        result["notes"].append(f"curves not drawn: {exc}")


def report(result: dict[str, Any], echo: Callable[[str], Any] = print) -> None:
    """Print the accuracy and where the files went."""
    test, train, (n_train, n_test) = result["test"], result["train"], result["samples"]
    echo(f"  accuracy: {test['accuracy']:.1%} on {n_test} held-out samples, {train['accuracy']:.1%} "
         f"on the {n_train} training samples; test loss {test['loss']:.4f} ({result['seconds']:.1f} s)")
    labels = {"checkpoint": "checkpoint (best val_loss)", "curves": "curves", "history": "history",
              "config": "config"}
    for key, label in labels.items():
        if key in result["paths"]:
            echo(f"  {label + ':':28s}{result['paths'][key]}")
    for note in result["notes"]:
        echo(f"  note: {note}")


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "train", help="train an MLP on a built-in data set and save the weights and curves",
        description="Train an MLP on xor, spirals, moons or digits (scikit-learn's 8x8 images); "
                    "print the accuracy; save the best checkpoint and the curves in --out.")
    parser.add_argument("--dataset", choices=DATASETS, default="digits")
    parser.add_argument("--hidden", default=None, metavar="N,N,...",
                        help="hidden layer sizes, e.g. 64,32 (default: per data set)")
    parser.add_argument("--activation", choices=("relu", "tanh", "sigmoid", "gelu"), default=None)
    parser.add_argument("--epochs", type=positive_int, default=None, metavar="N")
    parser.add_argument("--batch-size", type=positive_int, default=None, metavar="B")
    parser.add_argument("--lr", type=positive_float, default=None, metavar="LR")
    parser.add_argument("--optimizer", choices=("sgd", "adam"), default=None)
    parser.add_argument("--device", default=None, help="cpu, cuda or cuda:N (default: cuda if available)")
    parser.add_argument("--seed", type=seed, default=0, help="0 to 2**32 - 1 (default 0)")
    parser.add_argument("--out", default=None, metavar="DIR", help="where to save (default: runs/<dataset>)")
    parser.set_defaults(run=run)


def _hidden(text: str | None, dataset: str) -> tuple[int, ...] | None:
    """``--hidden 64,32`` as ``(64, 32)``; UsageError for anything else or a model too big."""
    if text is None:
        return None
    parts = [part.strip() for part in text.split(",")]
    if not all(part.isdigit() and part.isascii() for part in parts):
        bad = next(part for part in parts if not (part.isdigit() and part.isascii()))
        what = "an empty size" if not bad else f"{bad!r} is not a whole number"
        raise UsageError(f"--hidden {text}: {what}: give sizes >= 1 separated by commas, e.g. "
                         f"--hidden 64,32")
    sizes = tuple(int(part) for part in parts)
    if min(sizes) < 1:
        raise UsageError(f"--hidden {text}: a layer of 0 units: give sizes >= 1, e.g. --hidden 64,32")
    inputs, outputs = FEATURES[dataset]
    widths = [inputs, *sizes, outputs]
    count = sum(a * b + b for a, b in itertools.pairwise(widths))
    if count > MAX_PARAMETERS:
        raise UsageError(f"--hidden {text}: a {'-'.join(map(str, widths))} MLP has {count:,} parameters "
                         f"({count * 4 / 2**30:,.1f} GiB in float32); this command trains up to "
                         f"{MAX_PARAMETERS:,}: give smaller sizes")
    return sizes


def _usage(args: argparse.Namespace) -> tuple[Config, str, str, str]:
    """Check every argument before any work: ``(config, device, its description, out)``."""
    config = Config.for_dataset(args.dataset, hidden=_hidden(args.hidden, args.dataset),
                                epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                                optimizer=args.optimizer, activation=args.activation, seed=args.seed)
    device = best_device() if args.device is None else args.device
    described = check_device(device)
    out = writable_folder(os.path.join("runs", config.dataset) if args.out is None else args.out)
    return config, device, described, out


def run(args: argparse.Namespace) -> int:
    """``xpnet train``: 0 done, 1 the run failed (diverged, out of memory, could not save),
    2 a bad argument, 130 interrupted."""
    try:
        config, device, described, out = _usage(args)
    except UsageError as exc:
        print(f"xpnet train: error: {exc}", file=sys.stderr)
        return 2
    print(f"device: {described}")
    print(f"{config.dataset}: hidden {','.join(map(str, config.hidden))} {config.activation}, "
          f"{config.optimizer} lr {config.lr}, {config.epochs} epochs of batch {config.batch_size}")
    result, status = attempt(lambda: train_run(config, device, out), "xpnet train", out)
    if result is not None:
        report(result)
    return status


def attempt(work: Callable[[], Any], prog: str, out: str) -> tuple[Any, int]:
    """``(work(), 0)``, or ``(None, exit status)`` after printing in one line why it failed."""
    try:
        with quiet_float_warnings():
            return work(), 0
    except RunDiverged as exc:
        message, status = str(exc), 1
    except MemoryError:
        message, status = ("out of memory: give smaller --hidden sizes or --batch-size (or more "
                           "memory)"), 1
    except OSError as exc:
        message, status = f"could not write in {out}: {exc}", 1
    except ImportError as exc:  # a data set that needs an optional package
        message, status = str(exc), 1
    except KeyboardInterrupt as exc:
        history = getattr(exc, "history", None)
        done = "" if history is None else f" after {len(history)} finished epoch(s)"
        saved = getattr(exc, "saved", f"nothing new was saved in {out}")
        message, status = f"interrupted{done}; {saved}", 130
    print(f"{prog}: {message}", file=sys.stderr)
    return None, status
