"""``fit``, ``evaluate`` and ``predict``: the training loop everyone writes, written once.

>>> history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3),
...               (x_train, y_train), epochs=20, batch_size=64, val_data=(x_test, y_test))

Each step is the plain ``forward, zero_grad, backward, step``. The loss and
metrics are summed **on the device** (``xp`` arrays): the host waits for the
device only when a value is shown -- the progress bar's live loss every
``log_every`` steps, and once at each epoch's end (train and validation
values together, in one transfer). Each of those reads also checks the loss:
the first non-finite one stops training (:class:`NonFiniteLossError`).
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from tqdm import tqdm

from .. import _backend
from ..autograd import no_grad
from ..data import DataLoader
from ..data.loader import native
from ..nn import Module
from ..optim import Optimizer
from ..tensor import Tensor
from .callbacks import Callback, Loop
from .history import History
from .metrics import Metric, resolve_metrics
from .nonfinite import NonFiniteLossError, StepLosses


def _isatty(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _size(stream: Any) -> tuple[int, int]:
    """The terminal's (columns, lines); zeros where it reports none (the pseudo-terminal of
    ``script``, some containers' consoles)."""
    try:
        return tuple(os.get_terminal_size(stream.fileno()))  # type: ignore[return-value]
    except (AttributeError, OSError, ValueError):
        return 0, 0


def _bar(total: int, desc: str, verbose: int, **options: Any) -> tqdm:
    """A tqdm bar on stderr, disabled unless ``verbose == 1`` and stderr is a terminal. It
    follows the terminal's size; 80 x 24 where the terminal reports 0 x 0 (tqdm would hide
    every bar below row 0)."""
    columns, lines = _size(sys.stderr)
    sized = columns > 0 and lines > 0
    return tqdm(total=total, desc=desc, disable=not (verbose == 1 and _isatty(sys.stderr)),
                dynamic_ncols=sized, ncols=None if sized else 80, nrows=None if sized else 24,
                file=sys.stderr, **options)


def _to_host(values: Sequence[Any]) -> list[float]:
    """0-d device arrays as Python floats, in one device-to-host transfer (the only sync)."""
    xp = _backend.namespace(values[0])
    dtype = values[0].dtype
    stacked = xp.stack([xp.astype(xp.reshape(v, ()), dtype) for v in values])
    return [float(v) for v in _backend.to_numpy(stacked).tolist()]


class _Sums:
    """Running sums over samples of the loss and metrics, kept on the device.

    A batch's loss is its mean (``loss_fn.reduction == "mean"``, or no ``reduction``
    attribute: a plain callable) and counts ``n`` times; or already its sum
    (``reduction == "sum"``) and counts once, so that the epoch's value is the total.
    """

    def __init__(self, metrics: dict[str, Metric], loss_fn: Any) -> None:
        self.metrics = metrics
        self.totals: dict[str, Any] = {}
        self.count = 0
        self.summed_loss = getattr(loss_fn, "reduction", "mean") == "sum"

    def add(self, loss: Tensor, output: Tensor, target: Any) -> None:
        out, tgt = output.array, native(target)[0]
        n = int(out.shape[0])
        self._add("loss", loss.array if self.summed_loss else loss.array * n)
        for name, fn in self.metrics.items():
            self._add(name, fn(out, tgt) * n)
        self.count += n

    def _add(self, name: str, value: Any) -> None:
        previous = self.totals.get(name)
        self.totals[name] = value if previous is None else previous + value

    def divisor(self, name: str) -> int:
        """What the total of ``name`` is divided by: 1 for a "sum" loss, else the sample count."""
        return 1 if name == "loss" and self.summed_loss else self.count

    def epoch_loss(self) -> float:
        return _to_host([self.totals["loss"]])[0] / self.divisor("loss")


def _loader(data: Any, batch_size: int, shuffle: bool, drop_last: bool, who: str) -> DataLoader:
    loader = data if isinstance(data, DataLoader) else DataLoader(data, batch_size, shuffle, drop_last)
    if not isinstance(loader.data, (tuple, list)) or len(loader.data) != 2:
        raise ValueError(f"{who} must be a pair (x, y) of arrays or Tensors, or a DataLoader over one")
    if loader.num_samples == 0:
        raise ValueError(f"{who} has 0 samples, so there is no batch: pass arrays with at least "
                         f"one row")
    if len(loader) == 0:
        raise ValueError(f"{who} has {loader.num_samples} samples: fewer than batch_size="
                         f"{loader.batch_size} with drop_last=True, so there is no batch (use a "
                         f"smaller batch_size, or drop_last=False)")
    return loader


@contextmanager
def _inference(model: Module) -> Iterator[None]:
    """Eval mode and no_grad inside; every module's own mode restored after."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with no_grad():
            yield
    finally:
        for m, mode in modes:
            m.training = mode


def _check_count(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def _evaluate_sums(model: Module, loss_fn: Any, loader: DataLoader, metrics: dict[str, Metric]) -> _Sums:
    sums = _Sums(metrics, loss_fn)
    with _inference(model):
        for xb, yb in loader:
            out = model(xb)
            sums.add(loss_fn(out, yb), out, yb)
    return sums


def _train_epoch(loop: Loop, loss_fn: Any, loader: DataLoader, sums: _Sums, bar: tqdm,
                 log_every: int, net: Module | None = None) -> StepLosses:
    model = loop.model if net is None else net  # net: the DistributedDataParallel wrapper
    optimizer = loop.optimizer
    model.train()
    steps, losses = len(loader), StepLosses()
    for step, (xb, yb) in enumerate(loader, 1):
        out = model(xb)                              # forward
        loss = loss_fn(out, yb)
        optimizer.zero_grad()
        loss.backward()                              # backward
        optimizer.step()                             # update
        sums.add(loss, out, yb)                      # on the device: no wait
        losses.add(loss.array)                       # kept, not read
        if not bar.disable:
            bar.update()
            if step % log_every == 0 and step < steps:  # the epoch's end shows all values at once
                value = sums.epoch_loss()
                if not math.isfinite(value):
                    raise _diverged(loop, value, losses, steps)
                bar.set_postfix(loss=f"{value:.4g}", refresh=False)
    return losses


def _diverged(loop: Loop, value: float, losses: StepLosses, steps: int) -> NonFiniteLossError:
    """The error for a non-finite running training loss, naming the first bad step."""
    first = losses.first_nonfinite()
    if first is None:  # every batch finite, their weighted sum not: it overflowed
        return NonFiniteLossError("loss", value, loop.epoch, steps=steps,
                                  detail=" (every batch's loss was finite: their sum overflowed)")
    return NonFiniteLossError("loss", first[1], loop.epoch, step=first[0], steps=steps)


def _end(callbacks: list[Callback], loop: Loop, reason: str, error: BaseException | None) -> None:
    """Run every ``on_train_end``; after an error, a failing one is noted on the error."""
    loop.stop_reason = reason
    for cb in callbacks:
        if error is None:
            cb.on_train_end(loop)
            continue
        try:
            cb.on_train_end(loop)
        except Exception as exc:  # the first error is the one to see
            _note(error, f"fit: {type(cb).__name__}.on_train_end failed too: "
                         f"{type(exc).__name__}: {exc}")


def _note(error: BaseException, text: str) -> None:
    """``error.add_note(text)`` (shown under the traceback); on Python 3.10, ``__notes__`` only."""
    add_note = getattr(error, "add_note", None)
    if add_note is not None:
        add_note(text)
    else:
        error.__notes__ = [*getattr(error, "__notes__", []), text]  # type: ignore[attr-defined]


def _format(logs: dict[str, float]) -> str:
    return " - ".join(f"{name} {value:.4g}" for name, value in logs.items())


def fit(model: Module, loss_fn: Any, optimizer: Optimizer, train_data: Any, *, epochs: int = 10,
        batch_size: int = 32, val_data: Any = None, metrics: Iterable[Any] | str | None = ("accuracy",),
        callbacks: Iterable[Callback] = (), verbose: int = 1, shuffle: bool = True,
        drop_last: bool = False, log_every: int = 10, distributed: bool = False) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_data``; returns the :class:`History`.

    ``train_data`` / ``val_data``: ``(x, y)`` with ``x`` (N, ...) the model's input and ``y``
    (N, ...) the loss's target, arrays or Tensors on the model's device; or a
    :class:`~xpnet.data.DataLoader` over such a pair. Validation uses batches of
    ``max(batch_size, 256)``, in eval mode without grad. ``metrics``: names
    (``"accuracy"``, ``"mse"``, ``"mae"``) or functions (see :mod:`.metrics`).
    ``verbose``: 0 silent; 1 progress bars on stderr when it is a terminal (the
    live loss refreshes every ``log_every`` steps); 2 one printed line per epoch.

    The history's ``loss`` (and ``val_loss``) follows the loss's ``reduction``: for
    ``"mean"`` (and for a plain callable, which is taken to return a batch mean) it is
    the mean over the epoch's samples; for ``"sum"`` it is the total over the epoch's
    samples, so both equal ``loss_fn(model(x), y)`` over the whole data for fixed
    weights. Metrics are always means over samples.

    Ending: ``on_train_end`` of every callback runs however training ends. A NaN or Inf
    loss (training or validation) stops training at the first read that sees it (the
    live loss every ``log_every`` steps on a terminal, else the epoch's end; no extra
    sync) and raises :class:`NonFiniteLossError` naming the epoch and the first bad step;
    the model gets the last good weights back when a checkpoint callback kept them
    (``EarlyStopping(restore_best=True)``, ``ModelCheckpoint``). KeyboardInterrupt and
    other errors propagate after the callbacks ran (``EarlyStopping`` restores the best
    weights), with ``error.history``: the History of the finished epochs.

    ``optimizer``: the Optimizer over ``model``'s parameters, stepped once per batch;
    ``shuffle``: a new order of the training rows every epoch (default True); ``drop_last``:
    drop a last batch smaller than ``batch_size``.
    ``distributed=True`` (after ``xpnet.distributed.init_process_group``, on every rank):
    each rank trains on its shard of ``train_data`` with gradients averaged over the ranks,
    the logs are means over every rank's samples, and the progress bar, printed lines and
    ``ModelCheckpoint`` run on rank 0 only (:mod:`xpnet.distributed.fit`, docs/distributed.md).
    """
    _check_count(epochs, "epochs")
    _check_count(log_every, "log_every")
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1 or 2, got {verbose!r}")
    train = _loader(train_data, batch_size, shuffle, drop_last, "train_data")
    plan = None
    if distributed:
        from ..distributed.fit import FitPlan

        plan = FitPlan(model, train)
        train, verbose = plan.train, plan.verbose(verbose)
    val = None if val_data is None else _loader(val_data, max(batch_size, 256), False, False, "val_data")
    metric_fns = resolve_metrics(metrics)
    callbacks = [callbacks] if isinstance(callbacks, Callback) else list(callbacks)
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"callbacks must be Callback instances, got {type(cb).__name__}")
    if plan is not None:
        callbacks = plan.callbacks(callbacks)
    names = ["loss", *metric_fns]
    loop = Loop(model, optimizer, History(), epochs,
                log_names=tuple(names + ([] if val is None else [f"val_{n}" for n in names])))
    for cb in callbacks:
        cb.on_train_begin(loop)
    overall = _bar(epochs, "fit", verbose, unit="epoch", leave=True, position=0)
    try:
        for epoch in range(1, epochs + 1):
            loop.epoch = epoch
            _epoch(loop, loss_fn, train, val, metric_fns, callbacks, overall, verbose, log_every, plan)
            if loop.stop_training:
                break
    except NonFiniteLossError as error:
        _end(callbacks, loop, "non-finite", error)
        error.history, error.restored = loop.history, loop.restored
        raise
    except (Exception, KeyboardInterrupt) as error:
        _end(callbacks, loop, "interrupted" if isinstance(error, KeyboardInterrupt) else "error", error)
        _attach(error, loop)
        raise
    finally:
        overall.close()
    _end(callbacks, loop, "stopped" if loop.stop_training else "completed", None)
    return loop.history


def _attach(error: BaseException, loop: Loop) -> None:
    """Give an error that ends ``fit`` the History of the finished epochs, and say so."""
    try:
        error.history = loop.history  # type: ignore[attr-defined]
    except AttributeError:  # an exception type that takes no attributes
        return
    holds = loop.restored or "the weights of the moment training stopped"
    _note(error, f"fit: stopped in epoch {loop.epoch} after {len(loop.history)} finished epoch(s) "
                   f"(their History is error.history); the model holds {holds}")


def _epoch(loop: Loop, loss_fn: Any, train: DataLoader, val: DataLoader | None,
           metric_fns: dict[str, Metric], callbacks: list[Callback], overall: tqdm, verbose: int,
           log_every: int, plan: Any = None) -> None:
    """One epoch: train, validate, read every value in one transfer, check, log, callbacks."""
    epoch, epochs = loop.epoch, loop.epochs
    for cb in callbacks:
        cb.on_epoch_begin(loop, epoch)
    lr, start = loop.optimizer.param_groups[0]["lr"], time.perf_counter()
    bar = _bar(len(train), f"epoch {epoch}/{epochs}", verbose, unit="batch", leave=False, position=1)
    try:
        sums = _Sums(metric_fns, loss_fn)
        losses = _train_epoch(loop, loss_fn, train, sums, bar, log_every, None if plan is None else plan.net)
        parts = [("", sums)] + ([] if val is None else
                                [("val_", _evaluate_sums(loop.model, loss_fn, val, metric_fns))])
        names = [p + name for p, s in parts for name in s.totals]
        values = _to_host([v for _, s in parts for v in s.totals.values()])  # the epoch's one sync
        if plan is not None:  # distributed: the training totals over every rank's samples
            values, sums.count = plan.add(values, len(sums.totals), sums.count)
        counts = [s.divisor(name) for _, s in parts for name in s.totals]
        logs = {name: v / n for name, v, n in zip(names, values, counts)}
    finally:
        bar.close()
    if not math.isfinite(logs["loss"]):
        raise _diverged(loop, logs["loss"], losses, len(train))
    if "val_loss" in logs and not math.isfinite(logs["val_loss"]):
        raise NonFiniteLossError("val_loss", logs["val_loss"], epoch,
                                 detail=f" (the training loss was {logs['loss']:.4g})")
    seconds = time.perf_counter() - start
    loop.history.append(epoch, logs, lr=lr, seconds=seconds)
    for cb in callbacks:
        cb.on_epoch_end(loop, epoch, logs)
    overall.set_postfix_str(_format(logs), refresh=False)
    overall.update()
    if verbose == 2:
        print(f"epoch {epoch}/{epochs} - {_format(logs)} - {seconds:.2f} s", flush=True)


def evaluate(model: Module, loss_fn: Any, data: Any, *, batch_size: int = 256,
             metrics: Iterable[Any] | str | None = ("accuracy",)) -> dict[str, float]:
    """The mean loss and metrics over ``data`` = ``(x, y)`` (or a DataLoader), in eval mode
    without grad (the model's train/eval modes are restored after): ``{"loss": ..., ...}``.

    As in :func:`fit`, a loss with ``reduction="sum"`` gives the total over ``data``.

    ``loss_fn``: the loss module or function, ``loss_fn(output, target)``; ``batch_size``:
    rows per forward pass (default 256); ``metrics``: as in ``fit``.
    """
    sums = _evaluate_sums(model, loss_fn, _loader(data, batch_size, False, False, "data"),
                          resolve_metrics(metrics))
    values = _to_host(list(sums.totals.values()))
    return {name: v / sums.divisor(name) for name, v in zip(sums.totals, values)}


def predict(model: Module, x: Any, *, batch_size: int = 256) -> Tensor:
    """``model(x)`` batch by batch, in eval mode without grad, as one Tensor (N, ...) on x's device.

    ``x``: an array or Tensor (N, ...), or a DataLoader over one.

    ``batch_size``: rows per forward pass (default 256).
    """
    loader = x if isinstance(x, DataLoader) else DataLoader(x, batch_size)
    outputs = []
    with _inference(model):
        for xb in loader:
            out = model(xb)
            outputs.append(out.array if isinstance(out, Tensor) else out)
    if not outputs:
        raise ValueError("predict got no samples")
    xp = _backend.namespace(outputs[0])
    return Tensor(outputs[0] if len(outputs) == 1 else xp.concat(outputs, axis=0))
