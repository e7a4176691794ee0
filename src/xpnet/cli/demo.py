"""``xpnet demo``: XOR from four samples, then handwritten digits, on the best device.

XOR is the classic BP tutorial (a 2-16-1 net, MSE, gradient descent); the
digits are scikit-learn's 1797 8x8 images, learned by a 64-64-10 MLP with
Adam in a few seconds (two spirals instead when scikit-learn is missing).
Both go through :func:`xpnet.train.fit`; the digits run saves its best
checkpoint and its curves in ``--out``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import xpnet as xn

from . import UsageError, best_device, check_device, describe, positive_int, writable_folder
from .train import Config, attempt, report, train_run

__all__ = ["best_device", "describe", "register", "run", "train_spirals", "train_xor"]

XOR_INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_TARGETS = [[0.0], [1.0], [1.0], [0.0]]


def train_xor(device: Any, epochs: int = 1000, seed: int = 0) -> tuple[list[float], float]:
    """A 2-16-1 ReLU net learns XOR with MSE and gradient descent; returns predictions and loss."""
    result = train_run(Config.for_dataset("xor", epochs=epochs, seed=seed), device, verbose=0)
    with xn.no_grad():
        predictions = result["model"](xn.tensor(XOR_INPUTS, device=device)).numpy().reshape(-1)
    return predictions.tolist(), result["history"]["loss"][-1]


def train_spirals(device: Any, epochs: int = 1000, seed: int = 0) -> tuple[float, float, float]:
    """A 2-64-64-2 tanh MLP separates two spirals (full batch, cross-entropy, Adam).

    Returns the accuracy on the 1000 training points, on 1000 fresh ones (other noise), and the loss.
    """
    from xpnet import nn, optim
    from xpnet.train import evaluate, fit

    xn.manual_seed(seed)
    x, y = xn.data.spirals(1000, turns=2.0, seed=seed, device=device)
    x_new, y_new = xn.data.spirals(1000, turns=2.0, seed=seed + 1, device=device)
    model = nn.Sequential(nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(),
                          nn.Linear(64, 2)).to(device)
    loss_fn = nn.CrossEntropyLoss()
    history = fit(model, loss_fn, optim.Adam(model.parameters(), lr=0.01), (x, y), epochs=epochs,
                  batch_size=1000, metrics=(), verbose=0)
    train, test = evaluate(model, loss_fn, (x, y)), evaluate(model, loss_fn, (x_new, y_new))
    return train["accuracy"], test["accuracy"], history["loss"][-1]


def _digits_or_spirals(echo: Callable[[str], Any]) -> Config:
    try:
        import sklearn  # noqa: F401
    except ImportError:
        echo('note: scikit-learn is not installed, so the demo learns two spirals instead of the '
             'handwritten digits (pip install "xpnet[demo]" for the digits)')
        return Config.for_dataset("spirals")
    return Config.for_dataset("digits")


def run(device: Any = None, epochs: int | None = None, out: str = "xpnet-demo",
        echo: Callable[[str], Any] = print) -> dict[str, Any]:
    """The whole demo; ``echo`` prints each line. Returns what was learned."""
    device = best_device() if device is None else device
    echo(f"device: {describe(device)}")

    start = time.perf_counter()
    predictions, loss = train_xor(device, epochs=epochs or 1000)
    echo(f"XOR, 2-16-1 ReLU net, MSE + SGD: final loss {loss:.2e} "
         f"({time.perf_counter() - start:.1f} s)")
    echo("  x1 x2 | learned  target")
    for (a, b), (t,), p in zip(XOR_INPUTS, XOR_TARGETS, predictions):
        echo(f"   {a:.0f}  {b:.0f} |  {p:6.3f}   {t:.0f}")

    config = _digits_or_spirals(echo)
    if epochs is not None:
        config.epochs = epochs
    what, sizes = (("handwritten digits (1797 8x8 images from scikit-learn)", (64, 10))
                   if config.dataset == "digits" else ("two spirals (2000 points)", (2, 2)))
    layers = "-".join(map(str, (sizes[0], *config.hidden, sizes[1])))
    echo(f"{what}: {layers} {config.activation} MLP, cross-entropy + {config.optimizer.capitalize()}, "
         f"{config.epochs} epochs of batch {config.batch_size}")
    result = train_run(config, device, out, echo=echo, prefix=f"{config.dataset}-")
    report(result, echo)
    echo(f"  reload: model.load_state_dict(xn.load({result['paths']['checkpoint']!r})); "
         f"see docs/training.md")
    return {"device": device, "xor": predictions, "dataset": config.dataset,
            "test_accuracy": result["test"]["accuracy"], "paths": result["paths"]}


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "demo", help="train XOR and a digits classifier, print what they learned",
        description="Train XOR (4 samples) and an MLP on scikit-learn's handwritten digits (two "
                    "spirals without scikit-learn) on the best device: cuda (CuPy) when a GPU is "
                    "usable, else cpu (NumPy). Saves the curves and the checkpoint in --out.")
    parser.add_argument("--device", default=None,
                        help="cpu (NumPy), cuda or cuda:N (CuPy); default: cuda if available, else cpu")
    parser.add_argument("--epochs", type=positive_int, default=None, metavar="N",
                        help="epochs for each task (default: 1000 for XOR, 30 for the digits)")
    parser.add_argument("--out", default="xpnet-demo", metavar="DIR",
                        help="where to save the checkpoint and curves (default: ./xpnet-demo)")
    parser.set_defaults(run=_main)


def _main(args: argparse.Namespace) -> int:
    """``xpnet demo``: 0 done, 1 a run failed, 2 a bad argument (checked first), 130 interrupted."""
    try:
        device = best_device() if args.device is None else args.device
        check_device(device)
        out = writable_folder(os.fspath(args.out))
    except UsageError as exc:
        print(f"xpnet demo: error: {exc}", file=sys.stderr)
        return 2
    return attempt(lambda: run(device=device, epochs=args.epochs, out=out), "xpnet demo", out)[1]
