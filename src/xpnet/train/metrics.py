"""Metrics computed on the device: each maps a batch to its mean, an array that stays put.

A metric is ``fn(output, target) -> 0-d array``: the batch's mean, from the
model's output array (N, ...) and the target array (N, ...), both native
arrays of one namespace. ``fit`` weights each batch by its rows and sums on
the device; values reach the host only when logged. Names: ``"accuracy"``
(``"acc"``), ``"mse"``, ``"mae"``; any such callable works too (its
``__name__`` names it in the logs).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from .. import _backend, _dtypes

Metric = Callable[[Any, Any], Any]


def _float_dtype(xp: Any, output: Any) -> Any:
    return output.dtype if _dtypes.is_floating(output.dtype) else xp.float32


def _mean(xp: Any, values: Any, dtype: Any) -> Any:
    """The mean of ``values`` as ``dtype``; NaN for no values (as torch's mean), without a warning."""
    if math.prod(values.shape) == 0:
        return xp.full((), float("nan"), dtype=dtype, device=_backend.device(values))
    return xp.mean(xp.astype(values, dtype))


def _mismatch(who: str, output: Any, target: Any, expected: str) -> ValueError:
    return ValueError(f"{who}: output of shape {tuple(output.shape)} and target of shape "
                      f"{tuple(target.shape)} do not match: the target must be {expected}")


def accuracy(output: Any, target: Any) -> Any:
    """The fraction of right answers.

    Multi-class, ``output`` (N, C) with C > 1: the argmax is the prediction;
    ``target`` is class indices (N,) or one-hot/probabilities (N, C) (their argmax).
    One output, ``output`` (N,) or (N, 1), read as a probability: predicted 1 where
    ``output > 0.5``, right where that matches ``target > 0.5``. (For logits, of
    ``BCEWithLogitsLoss``, put a ``nn.Sigmoid()`` in front or threshold yourself.)
    Raises ValueError when the shapes do not match (never broadcasts).
    """
    xp = _backend.namespace(output)
    n = int(output.shape[0]) if output.ndim else 1
    if output.ndim == 2 and output.shape[1] > 1:
        classes = int(output.shape[1])
        if target.ndim == 2 and target.shape == output.shape:
            truth = xp.argmax(target, axis=1)
        elif target.shape in ((n,), (n, 1)):
            truth = xp.reshape(target, (n,))
        else:
            raise _mismatch("accuracy", output, target,
                            f"class indices ({n},) or one-hot rows ({n}, {classes})")
        predicted = xp.argmax(output, axis=1)
        right = predicted == xp.astype(truth, predicted.dtype)
    else:
        if math.prod(target.shape) != math.prod(output.shape):
            raise _mismatch("accuracy", output, target,
                            f"{math.prod(output.shape)} values, one per output")
        predicted = xp.reshape(output, (-1,)) > 0.5
        right = predicted == (xp.reshape(target, (-1,)) > 0.5)
    return _mean(xp, right, _float_dtype(xp, output))


def _difference(output: Any, target: Any, who: str) -> tuple[Any, Any]:
    """``output - target``; class indices (N,) against (N, C) outputs count as one-hot rows."""
    xp = _backend.namespace(output)
    if output.ndim == 2 and target.ndim == 1 and output.shape[1] > 1:
        classes = xp.arange(output.shape[1], dtype=target.dtype, device=_backend.device(target))
        target = xp.expand_dims(target, axis=1) == xp.expand_dims(classes, axis=0)
    target = xp.astype(target, _float_dtype(xp, output))
    if target.shape != output.shape:
        if math.prod(target.shape) != math.prod(output.shape):
            raise _mismatch(who, output, target, f"of shape {tuple(output.shape)}, or class indices "
                                                 f"({output.shape[0]},) for outputs (N, C)"
                            if output.ndim == 2 else f"of shape {tuple(output.shape)}")
        target = xp.reshape(target, output.shape)
    return xp, output - target


def mse(output: Any, target: Any) -> Any:
    """Mean squared error over every element: ``mean((output - target)**2)``.

    Class indices (N,) against outputs (N, C) are compared as one-hot rows.
    """
    xp, d = _difference(output, target, "mse")
    return _mean(xp, d * d, d.dtype)


def mae(output: Any, target: Any) -> Any:
    """Mean absolute error over every element: ``mean(|output - target|)``."""
    xp, d = _difference(output, target, "mae")
    return _mean(xp, xp.abs(d), d.dtype)


METRICS: dict[str, Metric] = {"accuracy": accuracy, "acc": accuracy, "mse": mse, "mae": mae}


def resolve_metrics(metrics: Iterable[str | Metric] | str | None) -> dict[str, Metric]:
    """``{name: fn}`` for names and callables; ValueError naming the choices for an unknown name."""
    if metrics is None:
        return {}
    if isinstance(metrics, str) or callable(metrics):
        metrics = (metrics,)
    out: dict[str, Metric] = {}
    for metric in metrics:
        if callable(metric):
            out[getattr(metric, "__name__", type(metric).__name__)] = metric
        elif metric in METRICS:
            out["accuracy" if metric == "acc" else metric] = METRICS[metric]
        else:
            raise ValueError(f"unknown metric {metric!r}: choose from {sorted(METRICS)} or pass a "
                             f"function fn(output, target) -> the batch's mean")
        if "loss" in out:
            raise ValueError("a metric cannot be named 'loss': that name is the loss's")
    return out
