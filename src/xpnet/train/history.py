"""``History``: what ``fit`` measured, one value per epoch and name (Keras's layout).

>>> history = fit(...)
>>> history["loss"], history["val_accuracy"]      # lists of floats, one per epoch
>>> history.plot("curves.png")                    # needs matplotlib: xpnet[plot]
"""

from __future__ import annotations

import math
import os
from typing import Any


def mode_of(monitor: str, mode: str = "auto") -> str:
    """``"max"`` or ``"min"``: whether bigger is better for ``monitor``."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    return "max" if monitor.removeprefix("val_") in ("accuracy", "acc") else "min"


class History:
    """Per-epoch logs: ``history[name]`` is a list of floats (``loss``, ``accuracy``,
    ``val_loss``, ``val_accuracy``, ...); ``epochs`` the epoch numbers (from 1), ``lr`` the
    learning rate each epoch ran with, ``seconds`` each epoch's wall time."""

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epochs: list[int] = []
        self.lr: list[float] = []
        self.seconds: list[float] = []

    def append(self, epoch: int, logs: dict[str, float], lr: float = math.nan,
               seconds: float = math.nan) -> None:
        """Record epoch ``epoch`` (counted from 1)."""
        for name in logs:
            self.history.setdefault(name, [math.nan] * len(self.epochs))
        for name, values in self.history.items():
            values.append(float(logs.get(name, math.nan)))
        self.epochs.append(epoch)
        self.lr.append(float(lr))
        self.seconds.append(float(seconds))

    def __getitem__(self, name: str) -> list[float]:
        if name not in self.history:
            raise KeyError(f"no {name!r} in this history: it holds {sorted(self.history)}")
        return self.history[name]

    def __contains__(self, name: object) -> bool:
        return name in self.history

    def __len__(self) -> int:
        return len(self.epochs)

    def keys(self) -> list[str]:
        return list(self.history)

    @property
    def last(self) -> dict[str, float]:
        """The last epoch's logs."""
        return {name: values[-1] for name, values in self.history.items()} if self.epochs else {}

    def best(self, monitor: str = "val_loss", mode: str = "auto") -> tuple[int, float]:
        """``(epoch, value)`` of the best finite value of ``monitor`` (ties: the earliest); NaN and
        Inf never count as best. ValueError when no value is finite."""
        values = self[monitor]
        sign = -1.0 if mode_of(monitor, mode) == "max" else 1.0
        finite = [(sign * v, i) for i, v in enumerate(values) if math.isfinite(v)]
        if not finite:
            raise ValueError(f"{monitor!r} has no finite value in this history")
        i = min(finite)[1]
        return self.epochs[i], values[i]

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for ``xn.save`` or JSON): epochs, lr, seconds and every series."""
        return {"epochs": list(self.epochs), "lr": list(self.lr), "seconds": list(self.seconds),
                "history": {k: list(v) for k, v in self.history.items()}}

    def plot(self, path: str | os.PathLike[str], title: str | None = None) -> str:
        """Write the loss and metric curves (train and validation) to a PNG; returns the path.

        Needs matplotlib: ``pip install "xpnet[plot]"``.
        """
        from ..viz import plot_history

        return plot_history(self, path, title=title)

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v:.4g}" for k, v in self.last.items())
        return f"History({len(self)} epochs{': ' + last if last else ''})"
