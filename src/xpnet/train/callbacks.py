"""Callbacks: code that ``fit`` runs at the start and end of training and of each epoch.

Subclass :class:`Callback` and override what you need; each hook gets the
:class:`Loop` (``model``, ``optimizer``, ``history``; set ``stop_training``
to end after this epoch), the epoch number (from 1), and ``on_epoch_end``
the epoch's logs (``{"loss": ..., "val_loss": ..., "accuracy": ...}``, floats).

``on_train_end`` runs however training ends: normally, stopped by a callback,
stopped by a non-finite loss (:class:`NonFiniteLossError`), interrupted
(KeyboardInterrupt) or by an error; ``loop.stop_reason`` says which. A callback
that puts good weights back sets ``loop.restored`` to say what the model holds.
"""

from __future__ import annotations

import math
import numbers
import os
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .. import _backend
from ..nn import Module
from ..optim import Optimizer
from ..optim.lr_scheduler import LRScheduler
from .history import History, mode_of
from .metrics import METRICS
from .nonfinite import NonFiniteLossError, all_finite


@dataclass
class Loop:
    """What a training run is made of, as callbacks see it.

    ``log_names``: the names this run logs (``("loss", "accuracy", "val_loss", ...)``; empty
    when unknown). ``epoch``: the epoch running (from 1). ``stop_reason``: None while training,
    then ``"completed"``, ``"stopped"`` (``stop_training``), ``"non-finite"``, ``"interrupted"``
    or ``"error"``. ``restored``: what the model holds when a callback put weights back.

    ``model``, ``optimizer``: what ``fit`` trains; ``history``: the History being filled;
    ``epochs``: the number of epochs asked for; ``stop_training``: set it to True in a
    callback to end the run after this epoch.
    """

    model: Module
    optimizer: Optimizer
    history: History
    epochs: int
    stop_training: bool = False
    log_names: tuple[str, ...] = ()
    epoch: int = 0
    stop_reason: str | None = None
    restored: str | None = None


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
        if not 0 <= min_delta < math.inf:
            raise ValueError(f"{who}: min_delta must be a finite number >= 0, got {min_delta!r}")
        self.min_delta = float(min_delta)
        self.best = -math.inf  # in sign-adjusted units: bigger is better

    def value(self, logs: dict[str, float]) -> float:
        if self.monitor not in logs:
            hint = " (pass val_data=... to fit, or monitor='loss')" if self.monitor.startswith("val_") \
                else ""
            raise ValueError(f"{self.who} monitors {self.monitor!r}, but the logs hold "
                             f"{sorted(logs)}{hint}")
        return logs[self.monitor]

    def check(self, loop: Loop) -> None:
        """Refuse, before training, a monitor that this run does not log."""
        if loop.log_names and self.monitor not in loop.log_names:
            self.value(dict.fromkeys(loop.log_names, math.nan))

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

    ``restore_best`` (Keras's name ``restore_best_weights`` works too): when training ends --
    normally, stopped, interrupted by KeyboardInterrupt, stopped by a non-finite loss or an
    error -- put back the weights of the best epoch (kept as device copies, no host
    transfer). ``mode``: ``"min"``, ``"max"`` or ``"auto"`` (max for accuracy, else min).
    Raises ValueError for a bad ``patience``/``min_delta``/``mode``, and when training starts
    if ``monitor`` is not logged by the run.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 mode: str = "auto", restore_best: bool | None = None, *,
                 restore_best_weights: bool | None = None) -> None:
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an int >= 0, got {patience!r}")
        if restore_best is not None and restore_best_weights is not None \
                and bool(restore_best) != bool(restore_best_weights):
            raise ValueError(f"EarlyStopping: restore_best={restore_best!r} and restore_best_weights="
                             f"{restore_best_weights!r} disagree: they are one setting, pass one")
        chosen = restore_best if restore_best is not None else restore_best_weights
        self._monitor = _Monitor("EarlyStopping", monitor, mode, min_delta)
        self.monitor, self.patience = monitor, patience
        self.restore_best = True if chosen is None else bool(chosen)
        self.stopped_epoch: int | None = None
        self.best_epoch: int | None = None
        self._weights: dict[str, Any] | None = None

    @property
    def restore_best_weights(self) -> bool:
        """Keras's name for ``restore_best``."""
        return self.restore_best

    def on_train_begin(self, loop: Loop) -> None:
        self._monitor.check(loop)
        self._monitor.best, self._wait = -math.inf, 0
        self._weights = None
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
            loop.restored = (f"the weights of epoch {self.best_epoch} (EarlyStopping's best "
                             f"{self.monitor})")


def _template_fields(path: str, who: str) -> list[str]:
    """The field names of a ``str.format`` template; ValueError for a malformed one."""
    try:
        parsed = list(string.Formatter().parse(path))
    except ValueError as exc:
        raise ValueError(f"{who}: the path {path!r} is not a valid template ({exc}): fields are "
                         f"written {{epoch}} or {{val_loss:.3f}}, a literal brace is {{{{ or }}}}") from None
    names = []
    for _, field, _, _ in parsed:
        if field is None:
            continue
        if not field.isidentifier():
            raise ValueError(f"{who}: the path {path!r} has the field {{{field}}}: only plain names "
                             f"work, e.g. {{epoch:03d}} or {{val_loss:.3f}}")
        names.append(field)
    return names


def _known_fields(extra: Iterable[str]) -> list[str]:
    logs = ["loss", *(name for name in METRICS if name != "acc"), *extra]
    return ["epoch", *logs, *(f"val_{name}" for name in logs if not name.startswith("val_"))]


class ModelCheckpoint(Callback):
    """Save the model with ``xn.save`` at the end of epochs.

    ``path`` may hold fields of the epoch (from 1) and logs: ``"ckpt-{epoch:03d}-{val_loss:.3f}.npz"``;
    the fields are ``epoch``, ``loss``, the built-in metrics (``accuracy``, ``mse``, ``mae``),
    their ``val_`` twins, and the names given in ``fields`` (your own metric functions').
    ``save_best_only``: only when ``monitor`` improved. ``save_weights_only``: the file holds
    ``model.state_dict()``; otherwise ``{"model", "optimizer", "epoch", "logs"}`` to resume from.
    Writes are atomic: a crash never leaves a half-written checkpoint. Weights that are NaN or
    Inf are never written (NonFiniteLossError). When training stops on a non-finite loss, the
    model gets back the weights of the last checkpoint this callback wrote.

    Raises ValueError when made, for a malformed ``path`` or a field no log holds; and when
    training starts, for a field or ``monitor`` this run does not log.

    ``mode``: ``"min"``, ``"max"`` or ``"auto"`` (max for accuracy, else min): which way
    ``monitor`` improves.
    """

    def __init__(self, path: str | os.PathLike[str], monitor: str = "val_loss",
                 save_best_only: bool = True, mode: str = "auto", save_weights_only: bool = True,
                 fields: Iterable[str] = ()) -> None:
        self.path, self.monitor = os.fspath(path), monitor
        if not self.path:
            raise ValueError("ModelCheckpoint: the path is empty: give a file name such as 'best.npz'")
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self._monitor = _Monitor("ModelCheckpoint", monitor, mode, 0.0)
        self._fields = _template_fields(self.path, "ModelCheckpoint")
        known = _known_fields([fields] if isinstance(fields, str) else fields)
        unknown = [f for f in self._fields if f not in known]
        if unknown:
            raise ValueError(f"ModelCheckpoint: the path {self.path!r} has the field(s) "
                             f"{', '.join('{' + f + '}' for f in unknown)}, which no log holds: the "
                             f"fields are {', '.join(known)} (a metric function of your own: "
                             f"fields=['its_name'])")
        try:
            self.path.format(**{name: 1 if name == "epoch" else 1.0 for name in self._fields})
        except (ValueError, TypeError) as exc:
            raise ValueError(f"ModelCheckpoint: the path {self.path!r} cannot be formatted ({exc}): "
                             f"the epoch is an int, logs are floats (e.g. {{val_loss:.3f}})") from None
        self.saved: list[str] = []  # every file written by this run, in order
        self.best_path: str | None = None
        self.best_epoch: int | None = None

    def on_train_begin(self, loop: Loop) -> None:
        if self.save_best_only:
            self._monitor.check(loop)
        missing = [f for f in self._fields if loop.log_names and f != "epoch" and f not in loop.log_names]
        if missing:
            raise ValueError(f"ModelCheckpoint: the path {self.path!r} uses "
                             f"{', '.join('{' + f + '}' for f in missing)}, but this run logs "
                             f"{', '.join(loop.log_names)}" +
                             (" (pass val_data=... to fit)" if any(f.startswith("val_") for f in missing)
                              else ""))
        self._monitor.best = -math.inf
        self.saved, self.best_path, self.best_epoch = [], None, None

    def on_epoch_end(self, loop: Loop, epoch: int, logs: dict[str, float]) -> None:
        if self.save_best_only and not self._monitor.improved(self._monitor.value(logs)):
            return
        from ..checkpoint import save

        state: dict[str, Any] = loop.model.state_dict()
        if not all_finite(list(state.values())):
            raise NonFiniteLossError("weights", math.nan, epoch,
                                     detail=f" (not saved to {self.path!r}: they hold NaN or Inf)")
        path = self.path.format(epoch=epoch, **logs)
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        if not self.save_weights_only:
            state = {"model": state, "optimizer": loop.optimizer.state_dict(), "epoch": epoch,
                     "logs": dict(logs)}
        save(state, path)
        self.saved.append(path)
        self.best_path, self.best_epoch = path, epoch

    def on_train_end(self, loop: Loop) -> None:
        if loop.stop_reason != "non-finite" or loop.restored or self.best_path is None:
            return
        from ..checkpoint import load

        state = load(self.best_path)
        loop.model.load_state_dict(state if self.save_weights_only else state["model"])
        loop.restored = f"the weights of epoch {self.best_epoch} (from {self.best_path!r}, ModelCheckpoint)"


class TerminateOnNaN(Callback):
    """Keras's callback: end training when a logged value is NaN or Inf.

    ``fit`` always stops at the first non-finite loss it reads, with or without this
    callback. This one also checks every other value logged at each epoch's end (metrics
    and their ``val_`` twins) and raises :class:`NonFiniteLossError` naming it; ``fit``
    then lets checkpoint callbacks put good weights back. Put it first in ``callbacks``,
    so that no later callback sees the values.
    """

    def on_epoch_end(self, loop: Loop, epoch: int, logs: dict[str, float]) -> None:
        for name, value in logs.items():
            if not math.isfinite(value):
                raise NonFiniteLossError(name, value, epoch)


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

    def on_train_begin(self, loop: Loop) -> None:
        scheduled = getattr(self.schedule, "optimizer", loop.optimizer)
        if isinstance(self.schedule, LRScheduler) and scheduled is not loop.optimizer:
            raise ValueError(f"LearningRateScheduler: the {type(self.schedule).__name__} was made for "
                             f"another optimizer than the one fit trains with, so it would change "
                             f"nothing: make it with the same optimizer")

    def on_epoch_begin(self, loop: Loop, epoch: int) -> None:
        if isinstance(self.schedule, LRScheduler):
            return
        for group in loop.optimizer.param_groups:
            lr = self.schedule(epoch - 1, group["lr"])
            if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not 0 <= lr < math.inf:
                raise ValueError(f"the learning-rate function returned {lr!r} for epoch {epoch - 1}: "
                                 f"it must return a finite number >= 0")
            group["lr"] = float(lr)

    def on_epoch_end(self, loop: Loop, epoch: int, logs: dict[str, float]) -> None:
        if isinstance(self.schedule, LRScheduler):
            self.schedule.step()
