"""Callbacks: code that ``fit`` runs at the start and end of training and of each epoch.

Subclass :class:`Callback` and override what you need; each hook gets the
:class:`Loop` (``model``, ``optimizer``, ``history``; set ``stop_training``
to end after this epoch), the epoch number (from 1), and ``on_epoch_end``
the epoch's logs (``{"loss": ..., "val_loss": ..., "accuracy": ...}``, floats).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import _backend
from ..nn import Module
from ..optim import Optimizer
from ..optim.lr_scheduler import LRScheduler
from .history import History, mode_of


@dataclass
class Loop:
    """What a training run is made of, as callbacks see it."""

    model: Module
    optimizer: Optimizer
    history: History
    epochs: int
    stop_training: bool = False


class Callback:
    """Base class: every hook does nothing."""

    def on_train_begin(self, loop: Loop) -> None: ...

    def on_epoch_begin(self, loop: Loop, epoch: int) -> None: ...

    def on_epoch_end(self, loop: Loop, epoch: int, logs: dict[str, float]) -> None: ...

    def on_train_end(self, loop: Loop) -> None: ...


class _Monitor:
    """Tracks the best value of one logged quantity."""

    def __init__(self, who: str, monitor: str, mode: str, min_delta: float) -> None:
        self.who, self.monitor = who, monitor
        self.sign = 1.0 if mode_of(monitor, mode) == "max" else -1.0
        if not min_delta >= 0:
            raise ValueError(f"{who}: min_delta must be >= 0, got {min_delta!r}")
        self.min_delta = float(min_delta)
        self.best = -math.inf  # in sign-adjusted units: bigger is better

    def value(self, logs: dict[str, float]) -> float:
        if self.monitor not in logs:
            hint = " (pass val_data=... to fit, or monitor='loss')" if self.monitor.startswith("val_") \
                else ""
            raise ValueError(f"{self.who} monitors {self.monitor!r}, but the logs hold "
                             f"{sorted(logs)}{hint}")
        return logs[self.monitor]

    def improved(self, value: float) -> bool:
        """Whether ``value`` beats the best by more than ``min_delta`` (records it if so)."""
        score = self.sign * value
        if math.isnan(score) or score - self.min_delta <= self.best:
            return False
        self.best = score
        return True


def _copy_state(model: Module) -> dict[str, Any]:
    return {k: _backend.namespace(v).asarray(v, copy=True) for k, v in model.state_dict().items()}


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    ``restore_best``: at the end of training, put back the weights of the best
    epoch (kept as device copies, no host transfer). ``mode``: ``"min"``,
    ``"max"`` or ``"auto"`` (max for accuracy, else min).
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 mode: str = "auto", restore_best: bool = True) -> None:
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an int >= 0, got {patience!r}")
        self._monitor = _Monitor("EarlyStopping", monitor, mode, min_delta)
        self.monitor, self.patience, self.restore_best = monitor, patience, restore_best
        self.stopped_epoch: int | None = None
        self.best_epoch: int | None = None

    def on_train_begin(self, loop: Loop) -> None:
        self._monitor.best, self._wait = -math.inf, 0
        self._weights: dict[str, Any] | None = None
        self.stopped_epoch = self.best_epoch = None

    def on_epoch_end(self, loop: Loop, epoch: int, logs: dict[str, float]) -> None:
        if self._monitor.improved(self._monitor.value(logs)):
            self._wait, self.best_epoch = 0, epoch
            if self.restore_best:
                self._weights = _copy_state(loop.model)
            return
        self._wait += 1
        if self._wait >= self.patience:
            self.stopped_epoch = epoch
            loop.stop_training = True

    def on_train_end(self, loop: Loop) -> None:
        if self.restore_best and self._weights is not None:
            loop.model.load_state_dict(self._weights)


class ModelCheckpoint(Callback):
    """Save the model with ``xn.save`` at the end of epochs.

    ``path`` may hold fields of the epoch (from 1) and logs: ``"ckpt-{epoch:03d}-{val_loss:.3f}.npz"``.
    ``save_best_only``: only when ``monitor`` improved. ``save_weights_only``: the file holds
    ``model.state_dict()``; otherwise ``{"model", "optimizer", "epoch", "logs"}`` to resume from.
    Writes are atomic: a crash never leaves a half-written checkpoint.
    """

    def __init__(self, path: str | os.PathLike[str], monitor: str = "val_loss",
                 save_best_only: bool = True, mode: str = "auto", save_weights_only: bool = True) -> None:
        self.path, self.monitor = os.fspath(path), monitor
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self._monitor = _Monitor("ModelCheckpoint", monitor, mode, 0.0)
        self.saved: list[str] = []  # every file written, in order
        self.best_path: str | None = None

    def on_train_begin(self, loop: Loop) -> None:
        self._monitor.best = -math.inf

    def on_epoch_end(self, loop: Loop, epoch: int, logs: dict[str, float]) -> None:
        if self.save_best_only and not self._monitor.improved(self._monitor.value(logs)):
            return
        from ..checkpoint import save

        path = self.path.format(epoch=epoch, **logs)
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        state: dict[str, Any] = loop.model.state_dict()
        if not self.save_weights_only:
            state = {"model": state, "optimizer": loop.optimizer.state_dict(), "epoch": epoch,
                     "logs": dict(logs)}
        save(state, path)
        self.saved.append(path)
        self.best_path = path


class LearningRateScheduler(Callback):
    """Change the learning rate every epoch.

    ``schedule`` is an ``optim.lr_scheduler`` scheduler (its ``step()`` runs at each
    epoch's end) or a function ``fn(epoch, lr) -> new lr`` (``epoch`` from 0), applied
    to every parameter group at each epoch's start.
    """

    def __init__(self, schedule: LRScheduler | Callable[[int, float], float]) -> None:
        if not isinstance(schedule, LRScheduler) and not callable(schedule):
            raise TypeError(f"LearningRateScheduler takes an lr_scheduler or a function "
                            f"fn(epoch, lr) -> lr, got {type(schedule).__name__}")
        self.schedule = schedule

    def on_epoch_begin(self, loop: Loop, epoch: int) -> None:
        if isinstance(self.schedule, LRScheduler):
            return
        for group in loop.optimizer.param_groups:
            lr = self.schedule(epoch - 1, group["lr"])
            if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr >= 0:
                raise ValueError(f"the learning-rate function returned {lr!r} for epoch {epoch - 1}: "
                                 f"it must return a number >= 0")
            group["lr"] = float(lr)

    def on_epoch_end(self, loop: Loop, epoch: int, logs: dict[str, float]) -> None:
        if isinstance(self.schedule, LRScheduler):
            self.schedule.step()
