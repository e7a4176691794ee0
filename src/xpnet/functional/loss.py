"""Loss functions. ``reduction`` is ``"mean"`` (default), ``"sum"`` or ``"none"``.

Targets are data: a target of another floating dtype (or a raw integer
array where values are expected) is cast to the prediction's dtype, so the
loss always has the prediction's dtype. A target whose shape differs from
the prediction's is an error, never a silent broadcast.

MSE, BCE, BCE-with-logits and cross-entropy are single graph nodes with
hand-written gradients; L1 and Huber are composed from primitive ops.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _backend, _dtypes
from . import arithmetic, reduction
from ._core import Tensor, as_tensor, check_same_place, make_result

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction_: str, name: str) -> None:
    if reduction_ not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction_!r}")


def _floating(x: Tensor, name: str, what: str = "input") -> None:
    if not _dtypes.wrap(x.data.dtype).is_floating_point:
        raise TypeError(f"{name}: the {what} must be floating point, got {x.dtype}")


def loss_operands(input: Any, target: Any, name: str) -> tuple[Tensor, Tensor]:
    """Prediction and target as tensors of one place, one shape and one dtype."""
    x = as_tensor(input, name)
    y = as_tensor(target, name)
    _floating(x, name)
    check_same_place(x, y, name)
    if tuple(y.data.shape) != tuple(x.data.shape):
        raise ValueError(
            f"{name}: target shape {y.shape} does not match input shape {x.shape}: they must "
            f"be equal (reshape one, e.g. target.reshape({', '.join(map(str, x.shape))}))"
        )
    if y.data.dtype != x.data.dtype:
        if y.requires_grad:
            raise TypeError(f"{name}: target dtype {y.dtype} differs from input dtype {x.dtype}")
        y = Tensor(x._xp.astype(y.data, x.data.dtype))
    return x, y


def _reduce(xp: Any, elementwise: Any, reduction_: str) -> tuple[Any, Callable[[Any], Any]]:
    """The reduced loss and the map from its gradient to each element's share."""
    if reduction_ == "none":
        return elementwise, lambda g: g
    if reduction_ == "sum":
        return xp.sum(elementwise), lambda g: g
    count = 1
    for n in elementwise.shape:
        count *= n
    return xp.mean(elementwise), lambda g: g / count


def _reduce_tensor(loss: Tensor, reduction_: str) -> Tensor:
    if reduction_ == "mean":
        return reduction.mean(loss)
    if reduction_ == "sum":
        return reduction.sum(loss)
    return loss


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error ``(x - y)**2``.  dL/dx = 2 (x - y) G,  dL/dy = -2 (x - y) G."""
    _check_reduction(reduction, "mse_loss")
    x, y = loss_operands(input, target, "mse_loss")
    xp = x._xp
    d = x.data - y.data
    out, share = _reduce(xp, d * d, reduction)

    def backward(g: Any) -> tuple[Any, Any]:
        gd = 2 * d * share(g)
        return gd, (-gd if y.requires_grad else None)

    return make_result(out, xp, (x, y), backward, "mse_loss")


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error ``|x - y|`` (composed: sub, abs, reduce)."""
    _check_reduction(reduction, "l1_loss")
    x, y = loss_operands(input, target, "l1_loss")
    return _reduce_tensor(arithmetic.abs(arithmetic.sub(x, y)), reduction)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """``0.5 d**2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``; ``d = x - y``."""
    _check_reduction(reduction, "huber_loss")
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    x, y = loss_operands(input, target, "huber_loss")
    d = arithmetic.sub(x, y)
    a = arithmetic.abs(d)
    quadratic = arithmetic.mul(arithmetic.mul(d, d), 0.5)
    linear = arithmetic.mul(arithmetic.sub(a, 0.5 * delta), delta)
    return _reduce_tensor(arithmetic.where(a.data < delta, quadratic, linear), reduction)


def binary_cross_entropy(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """``-(y log p + (1 - y) log(1 - p))`` for probabilities ``p`` in [0, 1].

    The logs are clamped at -100 as in PyTorch, so p = 0 or 1 gives a finite loss.
    dL/dp = G (p - y) / max(p (1 - p), 1e-12)
    """
    _check_reduction(reduction, "binary_cross_entropy")
    p, y = loss_operands(input, target, "binary_cross_entropy")
    if y.requires_grad:
        raise ValueError("binary_cross_entropy: the target cannot require grad "
                         "(use binary_cross_entropy_with_logits)")
    xp, pv, yv = p._xp, p.data, y.data
    if _backend.on_host(xp, p.device) and bool(xp.any((pv < 0) | (pv > 1))):
        raise ValueError("binary_cross_entropy: input values must lie in [0, 1] "
                         "(apply a sigmoid, or use BCEWithLogitsLoss on raw scores)")
    log_p = _clamped_log(xp, pv)
    log_q = _clamped_log(xp, 1 - pv)
    out, share = _reduce(xp, -(yv * log_p + (1 - yv) * log_q), reduction)

    def backward(g: Any) -> tuple[Any, None]:
        return (share(g) * (pv - yv) / xp.clip(pv * (1 - pv), min=1e-12), None)

    return make_result(out, xp, (p, y), backward, "binary_cross_entropy")


def _clamped_log(xp: Any, v: Any) -> Any:
    """``max(log v, -100)`` for v in [0, 1], without taking log(0) (a NumPy warning)."""
    positive = v > 0
    return xp.where(positive, xp.clip(xp.log(xp.where(positive, v, 1.0)), min=-100.0), -100.0)


def binary_cross_entropy_with_logits(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """BCE on raw scores ``x``: ``max(x, 0) - x y + log(1 + e**-|x|)`` (no overflow).

    dL/dx = G (sigmoid(x) - y),  dL/dy = -G x
    """
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    x, y = loss_operands(input, target, "binary_cross_entropy_with_logits")
    xp, xv, yv = x._xp, x.data, y.data
    e = xp.exp(-xp.abs(xv))
    out, share = _reduce(xp, xp.maximum(xv, 0.0) - xv * yv + xp.log1p(e), reduction)

    def backward(g: Any) -> tuple[Any, Any]:
        s = share(g)
        sig = xp.where(xv >= 0, 1 / (1 + e), e / (1 + e))
        return s * (sig - yv), (-s * xv if y.requires_grad else None)

    return make_result(out, xp, (x, y), backward, "binary_cross_entropy_with_logits")


def cross_entropy(input: Any, target: Any, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of scores ``input`` (N, C) or (N, C, d1, ...) or (C,).

    ``target`` holds class indices (integers, shape (N, d1, ...)) or class
    probabilities (floating, the shape of ``input``). With ``p`` the target
    distribution and ``s = softmax(input)`` along the class axis:
        loss = -sum_c p_c log s_c            dL/dx = G (s sum_c p_c - p)
    one node: the softmax and the log are never differentiated separately.
    With label smoothing e, p = (1 - e) target + e / C, so dL/d(target) = -G (1 - e) log s.
    """
    name = "cross_entropy"
    _check_reduction(reduction, name)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
    x = as_tensor(input, name)
    _floating(x, name)
    y = as_tensor(target, name)
    check_same_place(x, y, name)
    xp = x._xp
    axis = 1 if x.ndim >= 2 else 0
    classes = x.data.shape[axis]
    probs = _target_distribution(x, y, axis, classes, name)
    if y.requires_grad and y.data.dtype != x.data.dtype:
        raise TypeError(f"{name}: target dtype {y.dtype} differs from input dtype {x.dtype}")
    if label_smoothing:
        probs = probs * (1 - label_smoothing) + label_smoothing / classes
    logp = _stable_log_softmax(xp, x.data, axis)
    per_sample = -xp.sum(probs * logp, axis=axis)
    out, share = _reduce(xp, per_sample, reduction)

    def backward(g: Any) -> tuple[Any, Any]:
        # Each sample's share of G, with the class axis put back for broadcasting.
        s = xp.expand_dims(xp.broadcast_to(share(g), per_sample.shape), axis=axis)
        mass = xp.sum(probs, axis=axis, keepdims=True)
        gx = s * (xp.exp(logp) * mass - probs)
        gy = -s * (1 - label_smoothing) * logp if y.requires_grad else None
        return gx, gy

    return make_result(out, xp, (x, y), backward, name)


def _stable_log_softmax(xp: Any, v: Any, axis: int) -> Any:
    z = v - xp.max(v, axis=axis, keepdims=True)
    return z - xp.log(xp.sum(xp.exp(z), axis=axis, keepdims=True))


def _target_distribution(x: Tensor, y: Tensor, axis: int, classes: int, name: str) -> Any:
    """The target as a distribution over classes, shaped like ``x``."""
    xp = x._xp
    kind = _dtypes.wrap(y.data.dtype)
    batch_shape = tuple(x.data.shape[:axis]) + tuple(x.data.shape[axis + 1:])
    if kind.is_floating_point:
        if tuple(y.data.shape) != tuple(x.data.shape):
            raise ValueError(
                f"{name}: a probability target must have the input's shape {x.shape}, got "
                f"{y.shape} (class indices must be an integer array of shape {batch_shape})"
            )
        return y.data if y.data.dtype == x.data.dtype else xp.astype(y.data, x.data.dtype)
    if kind.name == "bool" or kind.name.startswith("complex"):
        raise TypeError(f"{name}: target must hold integer class indices or probabilities, got {kind}")
    if tuple(y.data.shape) != batch_shape:
        raise ValueError(
            f"{name}: class-index target shape {y.shape} does not match input shape {x.shape}: "
            f"expected {batch_shape} (the input's shape without its class axis {axis})"
        )
    if _backend.on_host(xp, x.device) and bool(xp.any((y.data < 0) | (y.data >= classes))):
        raise ValueError(f"{name}: class indices must lie in [0, {classes - 1}] for {classes} classes")
    shape = [1] * x.ndim
    shape[axis] = classes
    ids = xp.reshape(xp.arange(classes, dtype=y.data.dtype, device=x.device), tuple(shape))
    return xp.astype(xp.expand_dims(y.data, axis=axis) == ids, x.data.dtype)
