"""``xpnet train``: an MLP on a built-in data set, with progress, curves and a checkpoint.

``xpnet train --dataset digits --hidden 64,32 --epochs 30 --batch-size 32 --lr 3e-3
--optimizer adam --device cuda --out runs/digits`` writes, in ``--out``:
``model.npz`` (the best weights by validation loss: ``xn.load`` it), ``config.json``
(what rebuilds the model), ``history.json`` and ``curves.png`` (with matplotlib).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from . import best_device, describe, positive_float, positive_int

DATASETS = ("xor", "spirals", "moons", "digits")
# Settings that learn each data set in seconds on a laptop CPU.
DEFAULTS: dict[str, dict[str, Any]] = {
    "xor": {"hidden": (16,), "epochs": 1000, "batch_size": 4, "lr": 0.1, "optimizer": "sgd"},
    "spirals": {"hidden": (64, 64), "epochs": 200, "batch_size": 64, "lr": 0.01, "optimizer": "adam",
                "activation": "tanh"},
    "moons": {"hidden": (32, 32), "epochs": 60, "batch_size": 64, "lr": 0.01, "optimizer": "adam"},
    "digits": {"hidden": (64,), "epochs": 30, "batch_size": 32, "lr": 0.003, "optimizer": "adam"},
}


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
    from xpnet.train import ModelCheckpoint, evaluate, fit

    xn.manual_seed(config.seed)
    x_train, y_train, x_test, y_test = load_data(config, device)
    regression = config.dataset == "xor"
    config.in_features = int(x_train.shape[1])
    config.out_features = 1 if regression else int(xn.asarray(y_train).max().item()) + 1
    model = build_model(config).to(device)
    loss_fn = nn.MSELoss() if regression else nn.CrossEntropyLoss()
    make_opt = {"sgd": optim.SGD, "adam": optim.Adam}[config.optimizer]
    opt = make_opt(model.parameters(), lr=config.lr)
    callbacks = []
    paths: dict[str, str] = {}
    if out_dir is not None:
        os.makedirs(out_dir, exist_ok=True)
        paths["checkpoint"] = os.path.join(out_dir, f"{prefix}model.npz")
        callbacks.append(ModelCheckpoint(paths["checkpoint"], monitor="val_loss", save_best_only=True))
    start = time.perf_counter()
    history = fit(model, loss_fn, opt, (x_train, y_train), epochs=config.epochs,
                  batch_size=config.batch_size, val_data=(x_test, y_test), callbacks=callbacks,
                  verbose=verbose, shuffle=not regression)
    seconds = time.perf_counter() - start
    if paths:  # evaluate the weights that were saved: the best by validation loss
        model.load_state_dict(xn.load(paths["checkpoint"]))
    test = evaluate(model, loss_fn, (x_test, y_test))
    train = evaluate(model, loss_fn, (x_train, y_train))
    result = {"config": config, "model": model, "history": history, "seconds": seconds,
              "test": test, "train": train, "paths": paths, "device": device,
              "samples": (int(x_train.shape[0]), int(x_test.shape[0])), "notes": []}
    if out_dir is not None:
        _save_reports(result, out_dir, prefix)
    return result


def _save_reports(result: dict[str, Any], out_dir: str, prefix: str) -> None:
    paths, history = result["paths"], result["history"]
    paths["config"] = os.path.join(out_dir, f"{prefix}config.json")
    with open(paths["config"], "w", encoding="utf-8") as f:
        json.dump(asdict(result["config"]), f, indent=2)
    paths["history"] = os.path.join(out_dir, f"{prefix}history.json")
    with open(paths["history"], "w", encoding="utf-8") as f:
        json.dump(history.to_dict(), f)
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
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, metavar="DIR", help="where to save (default: runs/<dataset>)")
    parser.set_defaults(run=run)


def _hidden(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"--hidden takes sizes like 64,32, got {text!r}")
    return sizes


def run(args: argparse.Namespace) -> int:
    import sys

    try:
        config = Config.for_dataset(args.dataset, hidden=_hidden(args.hidden), epochs=args.epochs,
                                    batch_size=args.batch_size, lr=args.lr, optimizer=args.optimizer,
                                    activation=args.activation, seed=args.seed)
        device = best_device() if args.device is None else args.device
        print(f"device: {describe(device)}")
        print(f"{config.dataset}: hidden {','.join(map(str, config.hidden))} {config.activation}, "
              f"{config.optimizer} lr {config.lr}, {config.epochs} epochs of batch {config.batch_size}")
        result = train_run(config, device, args.out or os.path.join("runs", config.dataset))
    except (argparse.ArgumentTypeError, ImportError, RuntimeError, ValueError) as exc:
        print(f"xpnet train: {exc}", file=sys.stderr)
        return 1
    report(result)
    return 0
