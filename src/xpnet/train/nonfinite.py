"""Non-finite losses: ``fit`` stops at the first one it reads and says where.

``fit`` reads the loss only where it already does (the progress bar's live
loss every ``log_every`` steps, and once at each epoch's end), so the check
costs no host sync. Each step's loss array is kept on the device (a list
append, folded into one array every ``_CHUNK`` steps); only after a read saw
a non-finite value are they read back, once, to name the first bad step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .. import _backend

_CHUNK = 1024  # per-step losses folded into one device array every _CHUNK steps


class NonFiniteLossError(RuntimeError):
    """``fit`` read a loss (or a callback found a logged value or weights) that is NaN or Inf.

    Attributes: ``name`` (``"loss"``, ``"val_loss"``, a metric, or ``"weights"``), ``value``,
    ``epoch`` (from 1), ``step`` (the first step of that epoch whose training loss is not
    finite, from 1; None for values measured at the epoch's end), ``steps`` (steps per epoch),
    ``history`` (the :class:`History` of the finished epochs), ``restored`` (what the model
    now holds when a callback put good weights back, e.g. ``"the weights of epoch 2 (from
    'best.npz', ModelCheckpoint)"``; None when nothing could).

    ``detail``: text appended to the message (what was restored, where the value came from).
    """

    def __init__(self, name: str, value: float, epoch: int, step: int | None = None,
                 steps: int | None = None, history: Any = None, restored: str | None = None,
                 detail: str = "") -> None:
        super().__init__(name, value, epoch, step)
        self.name, self.value, self.epoch, self.step, self.steps = name, value, epoch, step, steps
        self.history, self.restored, self.detail = history, restored, detail

    def summary(self) -> str:
        """What was not finite and where, e.g. ``the training loss is nan at epoch 2, step 7 of 10``."""
        where = f"epoch {self.epoch}"
        if self.step is not None:
            where += f", step {self.step}" + (f" of {self.steps}" if self.steps else "")
        what = {"loss": "the training loss", "val_loss": "the validation loss",
                "weights": "the weights"}.get(self.name, f"the logged {self.name!r}")
        value = "" if self.name == "weights" else f" is {self.value}"
        return f"{what}{value} at {where}{self.detail}"

    def __str__(self) -> str:
        text = f"{self.summary()}: training stopped (the run diverged)."
        if self.restored:
            text += f" The model holds {self.restored}."
        else:
            text += (" No callback kept good weights, so the model's may be non-finite: pass "
                     "callbacks=[ModelCheckpoint(...)] or EarlyStopping(restore_best=True) to keep them.")
        if self.history is not None:
            text += f" error.history holds the {len(self.history)} finished epoch(s)."
        cause = "val_data" if self.name.startswith("val_") else "the training data"
        return text + (f" Look for NaN or Inf in {cause} (isfinite(x).all() in your array "
                       f"library), or lower the learning rate.")


class StepLosses:
    """The training loss of every step of one epoch, kept on the device until needed."""

    def __init__(self) -> None:
        self._chunks: list[Any] = []  # device arrays of _CHUNK losses each
        self._recent: list[Any] = []

    def add(self, loss: Any) -> None:
        """Keep one step's loss array (no copy, no sync: a list append)."""
        self._recent.append(loss)
        if len(self._recent) == _CHUNK:
            self._chunks.append(_stack(self._recent))
            self._recent = []

    def first_nonfinite(self) -> tuple[int, float] | None:
        """``(step, loss)`` of the first step (from 1) whose loss is NaN or Inf, in one host
        read; None if every loss is finite."""
        parts = self._chunks + ([_stack(self._recent)] if self._recent else [])
        if not parts:
            return None
        xp = _backend.namespace(parts[0])
        values = _backend.to_numpy(xp.concat(parts) if len(parts) > 1 else parts[0]).tolist()
        return next(((i + 1, v) for i, v in enumerate(values) if not math.isfinite(v)), None)


def _stack(losses: Sequence[Any]) -> Any:
    xp = _backend.namespace(losses[0])
    dtype = losses[0].dtype
    return xp.stack([xp.astype(xp.reshape(v, ()), dtype) for v in losses])


def all_finite(arrays: Sequence[Any]) -> bool:
    """Whether every floating array holds only finite values (one host read for all)."""
    checks = []
    for a in arrays:
        xp = _backend.namespace(a)
        if xp.isdtype(a.dtype, ("real floating", "complex floating")):
            checks.append(xp.reshape(xp.all(xp.isfinite(a)), (1,)))
    if not checks:
        return True
    xp = _backend.namespace(checks[0])
    return bool(_backend.to_numpy(xp.all(xp.concat(checks))))
