"""Loss functions. ``reduction`` is ``"mean"`` (default), ``"sum"`` or ``"none"``.

Targets are data: a target of another floating dtype (or a raw integer
array where values are expected) is cast to the prediction's dtype, so the
loss always has the prediction's dtype. A target whose shape differs from
the prediction's is an error, never a silent broadcast.

MSE, BCE, BCE-with-logits, cross-entropy and NLL are single graph nodes with
hand-written gradients; L1 and Huber are composed from primitive ops.

Empty input gives torch's answers: "mean" is nan (the mean of nothing), "sum"
is 0, "none" an empty tensor; the gradients are empty. No warning is raised
(torch raises none).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .. import _backend, _dtypes, anomaly
from . import arithmetic, reduction
from ._core import Tensor, as_tensor, check_same_place, make_result
from ._special import clamp

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction_: str, name: str) -> None:
    if reduction_ not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction_!r}")


def _floating(x: Tensor, name: str, what: str = "input") -> None:
    if not _dtypes.is_floating(x.array.dtype):
        raise TypeError(f"{name}: the {what} must be floating point, got {x.dtype}")


def loss_operands(input: Any, target: Any, name: str) -> tuple[Tensor, Tensor]:
    """Prediction and target as tensors of one place, one shape and one dtype."""
    x = input if isinstance(input, Tensor) else as_tensor(input, name)
    y = target if isinstance(target, Tensor) else as_tensor(target, name)
    _floating(x, name)
    check_same_place(x, y, name)
    if y.array.shape != x.array.shape and tuple(y.array.shape) != tuple(x.array.shape):
        raise ValueError(
            f"{name}: target shape {tuple(y.shape)} does not match input shape {tuple(x.shape)}: they must "
            f"be equal (reshape one, e.g. target.reshape({', '.join(map(str, x.shape))}))"
        )
    if y.array.dtype != x.array.dtype:
        if y.requires_grad:
            raise TypeError(f"{name}: target dtype {y.dtype} differs from input dtype {x.dtype}")
        y = Tensor(x.xp.astype(y.array, x.array.dtype))
    return x, y


def _reduce(xp: Any, elementwise: Any, reduction_: str) -> tuple[Any, Callable[[Any], Any]]:
    """The reduced loss and the map from its gradient to each element's share."""
    if reduction_ == "none":
        return elementwise, lambda g: g
    if reduction_ == "sum":
        return xp.sum(elementwise), lambda g: g
    count = math.prod(elementwise.shape)
    if not count:  # the mean of nothing is nan, as in torch (no 0/0 warning); empty gradients
        return xp.sum(elementwise) * math.nan, lambda g: g * math.nan
    return xp.mean(elementwise), lambda g: g / count


def _reduce_tensor(loss: Tensor, reduction_: str) -> Tensor:
    if reduction_ == "mean":
        if not math.prod(loss.array.shape):  # nan, as in torch (see _reduce)
            return arithmetic.mul(reduction.sum(loss), math.nan)
        return reduction.mean(loss)
    if reduction_ == "sum":
        return reduction.sum(loss)
    return loss


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error ``(x - y)**2``.  dL/dx = 2 (x - y) G,  dL/dy = -2 (x - y) G.

    Args:
        input: ``x``, the prediction: a floating Tensor of any shape, on any device.
        target: ``y``, a Tensor of the same shape, library and device (cast to ``x``'s dtype
            when it needs no gradient).
        reduction: ``"mean"`` (default: the mean over all elements, a 0-d tensor), ``"sum"``,
            or ``"none"`` (the elementwise losses, of the input's shape).

    Raises:
        ValueError: the shapes differ, or ``reduction`` is not one of the three.
        TypeError: ``input`` is not floating-point, or a ``target`` that needs a gradient has
            another dtype.
        RuntimeError: ``input`` and ``target`` are on different devices or libraries.
    """
    if reduction not in _REDUCTIONS:
        _check_reduction(reduction, "mse_loss")
    x, y = loss_operands(input, target, "mse_loss")
    xp = x.xp
    d = x.array - y.array
    squares = d * d
    scale = 2.0  # dL/dx = 2 d G, divided by the count for "mean"
    if reduction == "mean":
        count = math.prod(squares.shape)
        out = xp.mean(squares) if count else xp.sum(squares) * math.nan  # torch: nan when empty
        scale = scale / count if count else math.nan
    else:
        out = squares if reduction == "none" else xp.sum(squares)

    def backward(g: Any) -> tuple[Any, Any]:
        gd = d * (g * scale)
        return gd, (-gd if y.requires_grad else None)

    return make_result(out, xp, (x, y), backward, "mse_loss")


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error ``|x - y|`` (composed: sub, abs, reduce).

    dL/dx = G sign(x - y),  dL/dy = -G sign(x - y).

    Args:
        input: ``x``, the prediction: a floating Tensor of any shape, on any device.
        target: ``y``, a Tensor of the same shape, library and device (cast to ``x``'s dtype
            when it needs no gradient).
        reduction: ``"mean"`` (default: the mean over all elements, a 0-d tensor), ``"sum"``,
            or ``"none"`` (the elementwise losses, of the input's shape).

    Raises:
        ValueError: the shapes differ, or ``reduction`` is not one of the three.
        TypeError: ``input`` is not floating-point, or a ``target`` that needs a gradient has
            another dtype.
        RuntimeError: ``input`` and ``target`` are on different devices or libraries.
    """
    _check_reduction(reduction, "l1_loss")
    x, y = loss_operands(input, target, "l1_loss")
    return _reduce_tensor(arithmetic.abs(arithmetic.sub(x, y)), reduction)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """``0.5 d**2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``; ``d = x - y``.

    dL/dx = G d where |d| < delta, else G delta sign(d);  dL/dy = -dL/dx.

    Args:
        input: ``x``, the prediction: a floating Tensor of any shape, on any device.
        target: ``y``, a Tensor of the same shape, library and device (cast to ``x``'s dtype
            when it needs no gradient).
        reduction: ``"mean"`` (default: the mean over all elements, a 0-d tensor), ``"sum"``,
            or ``"none"`` (the elementwise losses, of the input's shape).
        delta: the threshold between the quadratic and the linear part (positive).

    Raises:
        ValueError: ``delta`` is not positive, the shapes differ, or ``reduction`` is not one of the three.
        TypeError: ``input`` is not floating-point, or a ``target`` that needs a gradient has
            another dtype.
        RuntimeError: ``input`` and ``target`` are on different devices or libraries.
    """
    _check_reduction(reduction, "huber_loss")
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    x, y = loss_operands(input, target, "huber_loss")
    d = arithmetic.sub(x, y)
    a = arithmetic.abs(d)
    quadratic = arithmetic.mul(arithmetic.mul(d, d), 0.5)
    linear = arithmetic.mul(arithmetic.sub(a, 0.5 * delta), delta)
    return _reduce_tensor(arithmetic.where(a.array < delta, quadratic, linear), reduction)


def binary_cross_entropy(input: Any, target: Any, weight: Any = None, size_average: Any = None,
                         reduce: Any = None, reduction: str = "mean") -> Tensor:
    """``-(y log p + (1 - y) log(1 - p))`` for probabilities ``p`` in [0, 1].

    The logs are clamped at -100 as in PyTorch, so p = 0 or 1 gives a finite loss.
    dL/dp = G (p - y) / max(p (1 - p), 1e-12),  dL/dy = G (log(1 - p) - log p) (not clamped, as torch's)

    An input outside [0, 1] raises ValueError where reading the values is free (NumPy,
    torch on the CPU, array-api-strict) and in anomaly mode; on a GPU (CuPy, torch on
    CUDA), where the check would wait for the device, the loss of such an element is
    nan instead: never a finite wrong number.

    Args:
        input: ``p``, probabilities in [0, 1]: a floating Tensor of any shape, on any device.
        target: ``y``, probabilities (0/1 labels or soft), a Tensor of the same shape,
            library and device (cast to ``p``'s dtype when it needs no gradient; one that
            requires grad gets one, as in torch).
        weight: optional rescaling of each element's loss (broadcasts to the input), torch's:
            the loss is composed as ``w * bce(p, y, "none")``, then reduced (a plain mean).
        size_average: torch's deprecated arguments, accepted and ignored.
        reduce: as ``size_average``.
        reduction: ``"mean"`` (default: the mean over all elements, a 0-d tensor), ``"sum"``,
            or ``"none"`` (the elementwise losses, of the input's shape).

    Raises:
        ValueError: an input is outside [0, 1] (see above), the shapes differ, or
            ``reduction`` is not one of the three.
        TypeError: ``input`` is not floating-point, or a ``target`` that needs a gradient has
            another dtype.
        RuntimeError: ``input`` and ``target`` are on different devices or libraries.
    """
    _check_reduction(reduction, "binary_cross_entropy")
    if weight is not None:
        weighted = binary_cross_entropy(input, target, reduction="none") * weight
        return weighted if reduction == "none" else weighted.sum() if reduction == "sum" else weighted.mean()
    p, y = loss_operands(input, target, "binary_cross_entropy")
    xp, pv, yv = p.xp, p.array, y.array
    readable = _backend.on_host(xp, _backend.device(p.array)) or anomaly.is_anomaly_enabled()
    if readable and bool(xp.any((pv < 0) | (pv > 1))):
        raise ValueError("binary_cross_entropy: input values must lie in [0, 1] "
                         "(apply a sigmoid, or use BCEWithLogitsLoss on raw scores)")
    log_p = _clamped_log(xp, pv)
    log_q = _clamped_log(xp, 1 - pv)
    if not readable:  # nan where p is out of range (no host read; the clamp would hide it)
        log_p = xp.where((pv < 0) | (pv > 1), math.nan, log_p)
    out, share = _reduce(xp, -(yv * log_p + (1 - yv) * log_q), reduction)

    def backward(g: Any) -> tuple[Any, Any]:
        gp = share(g) * (pv - yv) / clamp(xp, pv * (1 - pv), min=1e-12) if p.requires_grad else None
        return gp, (share(g) * (_log(xp, 1 - pv) - _log(xp, pv)) if y.requires_grad else None)

    return make_result(out, xp, (p, y), backward, "binary_cross_entropy")


def _log(xp: Any, v: Any) -> Any:
    """``log v`` for v in [0, 1], -inf at 0 (without taking log(0), a NumPy warning)."""
    positive = v > 0
    return xp.where(positive, xp.log(xp.where(positive, v, 1.0)), -math.inf)


def _clamped_log(xp: Any, v: Any) -> Any:
    """``max(log v, -100)`` for v in [0, 1], without taking log(0) (a NumPy warning)."""
    return clamp(xp, _log(xp, v), min=-100.0)


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None, size_average: Any = None,
                                     reduce: Any = None, reduction: str = "mean",
                                     pos_weight: Any = None) -> Tensor:
    """BCE on raw scores ``x``: ``max(x, 0) - x y + log(1 + e**-|x|)`` (no overflow).

    dL/dx = G (sigmoid(x) - y),  dL/dy = -G x

    Args:
        input: ``x``, raw scores (logits): a floating Tensor of any shape, on any device.
        target: ``y``, probabilities (0/1 labels or soft), a Tensor of the same shape,
            library and device (cast to ``x``'s dtype when it needs no gradient).
        weight: optional rescaling of each element's loss (broadcasts to the input).
        size_average: torch's deprecated arguments, accepted and ignored.
        reduce: as ``size_average``.
        reduction: ``"mean"`` (default: the mean over all elements, a 0-d tensor), ``"sum"``,
            or ``"none"`` (the elementwise losses, of the input's shape).
        pos_weight: optional weight of the positive term, one per class (last dim); with
            ``weight`` the loss is composed (functional/loss_embedding.py), torch's formula.

    Raises:
        ValueError: the shapes differ, or ``reduction`` is not one of the three.
        TypeError: ``input`` is not floating-point, or a ``target`` that needs a gradient has
            another dtype.
        RuntimeError: ``input`` and ``target`` are on different devices or libraries.
    """
    if weight is not None or pos_weight is not None:
        from .loss_embedding import bce_with_logits_weighted

        return bce_with_logits_weighted(input, target, weight, pos_weight, reduction)
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    x, y = loss_operands(input, target, "binary_cross_entropy_with_logits")
    xp, xv, yv = x.xp, x.array, y.array
    e = xp.exp(-xp.abs(xv))
    out, share = _reduce(xp, xp.maximum(xv, 0.0) - xv * yv + xp.log1p(e), reduction)

    def backward(g: Any) -> tuple[Any, Any]:
        s = share(g)
        sig = xp.where(xv >= 0, 1 / (1 + e), e / (1 + e))
        return s * (sig - yv), (-s * xv if y.requires_grad else None)

    return make_result(out, xp, (x, y), backward, "binary_cross_entropy_with_logits")


def cross_entropy(input: Any, target: Any, weight: Any = None, *, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of scores ``input`` (N, C) or (N, C, d1, ...) or (C,).

    ``target`` holds class indices (integers, shape (N, d1, ...)) or class
    probabilities (floating, the shape of ``input``). ``weight``: (C,) class
    weights on the input's device. With ``s = softmax(input)`` along the class
    axis and ``q`` the weighted target distribution, one node (the softmax and
    the log are never differentiated separately):
        loss_i = -sum_c q_ic log s_ic            dL/dx_ic = G_i (s_ic sum_c q_ic - q_ic)
    Class indices y, smoothing e, k_i = [y_i != ignore_index]:
        q_ic = k_i w_c ((1 - e) [c == y_i] + e / C);  "mean" divides by sum_i k_i w_{y_i}
        (so with e = 0: dL/dx_i = G_i k_i w_{y_i} (s_i - onehot(y_i)), and all ignored gives nan).
    Probabilities p (ignore_index must stay negative, as in PyTorch):
        q_ic = w_c ((1 - e) p_ic + e / C);  "mean" divides by N;  dL/dp = -G (1 - e) w log s.
    PyTorch's rules, weight and smoothing combined as in ``torch.nn.functional.cross_entropy``.

    A logit of -inf (a mask) for a class other than the target adds nothing: the loss
    and gradients are finite, as in torch (with probability targets 0 log 0 = 0 too,
    where torch answers nan). Class indices outside [0, C) (other than ignore_index)
    raise ValueError where reading them is free (NumPy, torch on the CPU,
    array-api-strict) and in anomaly mode; on a GPU (CuPy, torch on CUDA), where the
    check would wait for the device, those samples' losses are nan instead, so the
    loss is nan: they never vanish from it. Empty input: nan for "mean", 0 for "sum".

    Args:
        input: scores (logits), floating: (N, C), (N, C, d1, ...) or (C,).
        target: class indices (an integer Tensor of shape (N, d1, ...) or ()) or class
            probabilities (floating, ``input``'s shape), on ``input``'s device.
        weight: None, or a (C,) floating Tensor of class weights.
        ignore_index: a class index whose samples add nothing (nor count in the mean).
        reduction: ``"mean"`` (default: the mean over all elements, a 0-d tensor), ``"sum"``,
            or ``"none"`` (the elementwise losses, of the input's shape).
        label_smoothing: ``e`` in [0, 1]: the target mixes ``1 - e`` of itself with ``e``
            of the uniform distribution over the C classes.

    Raises:
        ValueError: an unknown ``reduction``, shapes that do not match, or class indices out of
            range (where checked, see above).
        TypeError: ``input`` is not floating-point.
    """
    name = "cross_entropy"
    _check_reduction(reduction, name)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
    x, y, axis, classes = _class_operands(input, target, name)
    xp = x.xp
    w = _class_weight(x, weight, axis, classes, name)
    e = label_smoothing
    logp = _stable_log_softmax(xp, x.array, axis)
    if _dtypes.is_floating(y.array.dtype):
        probs = _probability_target(x, y, ignore_index, name)
        if e:
            probs = probs * (1 - e) + e / classes
        q = probs if w is None else probs * w
        # 0 log 0 = 0: a class of probability 0 with a masked (-inf) logit adds nothing
        # (torch answers nan there; the limit of finite logits is this finite loss)
        per_sample = -xp.sum(q * xp.where(q == 0, 0.0, logp), axis=axis)
        out, share = _reduce(xp, per_sample, reduction)
    else:
        hit, keep, poison = _class_targets(x, y, axis, classes, ignore_index, name)
        onehot = xp.astype(hit, x.array.dtype)
        target_weight = onehot if w is None else onehot * w  # w_{y_i} [c == y_i]
        q = onehot * (1 - e) + e / classes if e else onehot
        q = (q if w is None else q * w) * keep
        if e:  # every class counts, but a zero weight never meets a masked (-inf) logit
            per_sample = -xp.sum(q * xp.where(q == 0, 0.0, logp), axis=axis)
        else:  # -w_{y_i} log s_{i y_i}, picked: masked (-inf) logits of other classes add 0
            per_sample = -xp.sum(_picked(xp, hit, logp, w, poison), axis=axis)
        out, share = _weighted_reduce(xp, per_sample, xp.sum(target_weight * keep, axis=axis),
                                      reduction)

    def backward(g: Any) -> tuple[Any, Any]:
        # Each sample's share of G, with the class axis put back for broadcasting.
        s = xp.expand_dims(xp.broadcast_to(share(g), per_sample.shape), axis=axis)
        gx = s * (xp.exp(logp) * xp.sum(q, axis=axis, keepdims=True) - q)  # G (s sum q - q)
        gy = None
        if y.requires_grad:  # probabilities: dL/dp = -G (1 - e) w log s
            gy = -s * (1 - e) * (logp if w is None else w * logp)
        return gx, gy

    return make_result(out, xp, (x, y), backward, name)


def nll_loss(input: Any, target: Any, weight: Any = None, *, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` (N, C), (N, C, d1, ...) or (C,).

    ``target``: class indices, shape (N, d1, ...). With k_i = [y_i != ignore_index]:
        loss_i = -k_i w_{y_i} input[i, y_i]          dL/dinput = -G k w onehot(y)
    "mean" divides by sum_i k_i w_{y_i} (PyTorch's rule; all ignored gives nan).
    ``log_softmax(x, axis=1)`` followed by ``nll_loss`` equals ``cross_entropy(x)``,
    -inf (masked) log-probabilities of other classes included: they add nothing.
    Out-of-range class indices follow :func:`cross_entropy`'s rule (ValueError where
    reading them is free or in anomaly mode, else a nan loss).

    Args:
        input: log-probabilities, floating: (N, C), (N, C, d1, ...) or (C,).
        target: class indices, an integer Tensor of shape (N, d1, ...), on ``input``'s device.
        weight: None, or ``w``, a (C,) floating Tensor of class weights (None: all 1).
        ignore_index: a class index whose samples add nothing (nor count in the mean).
        reduction: ``"mean"`` (default: the mean over all elements, a 0-d tensor), ``"sum"``,
            or ``"none"`` (the elementwise losses, of the input's shape).

    Raises:
        ValueError: an unknown ``reduction``, shapes that do not match, or class indices out of
            range (where checked, see above).
    """
    name = "nll_loss"
    _check_reduction(reduction, name)
    x, y, axis, classes = _class_operands(input, target, name)
    xp = x.xp
    if _dtypes.is_floating(y.array.dtype):
        raise TypeError(f"{name}: target must hold integer class indices, got {y.dtype} (for "
                        f"class probabilities use cross_entropy on the scores)")
    w = _class_weight(x, weight, axis, classes, name)
    hit, keep, poison = _class_targets(x, y, axis, classes, ignore_index, name)
    onehot = xp.astype(hit, x.array.dtype)
    q = (onehot if w is None else onehot * w) * keep  # k_i w_c [c == y_i]
    per_sample = -xp.sum(_picked(xp, hit, x.array, w, poison), axis=axis)  # -w_y input[i, y_i]
    out, share = _weighted_reduce(xp, per_sample, xp.sum(q, axis=axis), reduction)

    def backward(g: Any) -> tuple[Any, None]:
        s = xp.expand_dims(xp.broadcast_to(share(g), per_sample.shape), axis=axis)
        return -s * q, None  # -G k w onehot

    return make_result(out, xp, (x, y), backward, name)


def _weighted_reduce(xp: Any, elementwise: Any, weights: Any,
                     reduction_: str) -> tuple[Any, Callable[[Any], Any]]:
    """As :func:`_reduce`, but "mean" divides by ``sum(weights)`` (an array: no host read).

    A zero total (every target ignored) gives nan, as in PyTorch, and a zero gradient.
    """
    if reduction_ != "mean":
        return _reduce(xp, elementwise, reduction_)
    total = xp.sum(weights)
    safe = xp.where(total == 0, 1.0, total)
    out = xp.where(total == 0, xp.full_like(total, math.nan), xp.sum(elementwise) / safe)
    return out, lambda g: g / safe


def _stable_log_softmax(xp: Any, v: Any, axis: int) -> Any:
    z = v - xp.max(v, axis=axis, keepdims=True)
    return z - xp.log(xp.sum(xp.exp(z), axis=axis, keepdims=True))


def _class_operands(input: Any, target: Any, name: str) -> tuple[Tensor, Tensor, int, int]:
    """Scores and target as tensors of one place, the class axis and the number of classes."""
    x = as_tensor(input, name)
    _floating(x, name)
    y = as_tensor(target, name)
    check_same_place(x, y, name)
    kind = _dtypes.wrap(y.array.dtype)
    if kind.name == "bool" or kind.name.startswith("complex"):
        raise TypeError(f"{name}: target must hold integer class indices or probabilities, got {kind}")
    axis = 1 if x.ndim >= 2 else 0
    return x, y, axis, x.array.shape[axis]


def _class_weight(x: Tensor, weight: Any, axis: int, classes: int, name: str) -> Any:
    """``weight`` (C,) as an array of the input's dtype shaped to broadcast along the class axis."""
    if weight is None:
        return None
    w = as_tensor(weight, f"{name} weight")
    check_same_place(x, w, f"{name} (input and weight)")
    if tuple(w.array.shape) != (classes,):
        raise ValueError(f"{name}: weight must be 1-D with one value per class, shape ({classes},) "
                         f"for {classes} classes, got shape {tuple(w.shape)}")
    if w.requires_grad:
        raise ValueError(f"{name}: weight cannot require grad (its gradient is not implemented, "
                         f"as in PyTorch): pass weight.detach()")
    kind = _dtypes.wrap(w.array.dtype)
    if kind.name == "bool" or kind.name.startswith("complex"):
        raise TypeError(f"{name}: weight must be real numbers, got {kind}")
    xp = x.xp
    data = w.array if w.array.dtype == x.array.dtype else xp.astype(w.array, x.array.dtype)
    shape = [1] * x.ndim
    shape[axis] = classes
    return xp.reshape(data, tuple(shape))


def _probability_target(x: Tensor, y: Tensor, ignore_index: int, name: str) -> Any:
    """A floating target: class probabilities shaped like ``x``, in its dtype."""
    if tuple(y.array.shape) != tuple(x.array.shape):
        axis = 1 if x.ndim >= 2 else 0
        batch_shape = tuple(x.array.shape[:axis]) + tuple(x.array.shape[axis + 1:])
        raise ValueError(
            f"{name}: a probability target must have the input's shape {tuple(x.shape)}, got "
            f"{tuple(y.shape)} (class indices must be an integer array of shape {batch_shape})"
        )
    if ignore_index >= 0:
        raise RuntimeError(f"{name}: ignore_index={ignore_index} is not supported for a "
                           f"probability (floating point) target, as in PyTorch: give it a "
                           f"zero row or weight instead, or pass class indices")
    if y.requires_grad and y.array.dtype != x.array.dtype:
        raise TypeError(f"{name}: target dtype {y.dtype} differs from input dtype {x.dtype}")
    return y.array if y.array.dtype == x.array.dtype else x.xp.astype(y.array, x.array.dtype)


def _picked(xp: Any, hit: Any, v: Any, w: Any, poison: Any) -> Any:
    """``w_c v_ic`` where ``hit`` (c == y_i, kept), else 0, shaped like ``v``.

    A select, not ``onehot * v``: a masked class (v = -inf) that is not the target adds
    0, where 0 * -inf would be nan. ``poison`` (nan for out-of-range targets) multiplies
    in when the targets could not be checked (see :func:`_class_targets`).
    """
    picked = xp.where(hit, v, 0.0)
    if w is not None:
        picked = picked * w
    return picked if poison is None else picked * poison


def _class_targets(x: Tensor, y: Tensor, axis: int, classes: int, ignore_index: int,
                   name: str) -> tuple[Any, Any, Any]:
    """Class indices as one-hot rows shaped like ``x`` (bool, False on ignored samples),
    the mask k = [y != ignore_index] in ``x``'s dtype with the class axis kept (size 1),
    and ``poison``: None, or k with nan for out-of-range samples (see below).

    Out-of-range indices never vanish from the loss. Where reading the values is
    free (NumPy, torch on the CPU, array-api-strict) they raise ValueError. Where
    it would wait for the GPU (CuPy, torch on CUDA) nothing is read: k is nan for
    those samples instead, so the loss (and every gradient) is nan, never a loss
    that silently left them out; in anomaly mode (which reads values anyway) they
    raise the ValueError there too.
    """
    xp = x.xp
    batch_shape = tuple(x.array.shape[:axis]) + tuple(x.array.shape[axis + 1:])
    if tuple(y.array.shape) != batch_shape:
        raise ValueError(
            f"{name}: class-index target shape {tuple(y.shape)} does not match input shape {tuple(x.shape)}: "
            f"expected {batch_shape} (the input's shape without its class axis {axis})"
        )
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
        raise TypeError(f"{name}: ignore_index must be an int, got {ignore_index!r}")
    kept = y.array != ignore_index
    # The range check reads the values, so it runs only where that does not wait for a GPU.
    readable = _backend.on_host(xp, _backend.device(x.array)) or anomaly.is_anomaly_enabled()
    if readable and bool(xp.any(((y.array < 0) | (y.array >= classes)) & kept)):
        host = _backend.to_numpy(y.array)  # the error's values, read on the host
        seen = sorted({int(v) for v in host[((host < 0) | (host >= classes))
                                            & (host != ignore_index)].tolist()})[:5]
        raise ValueError(f"{name}: class indices must lie in [0, {classes - 1}] for {classes} "
                         f"classes (or equal ignore_index={ignore_index}), got {seen}")
    shape = [1] * x.ndim
    shape[axis] = classes
    ids = xp.reshape(xp.arange(classes, dtype=y.array.dtype, device=_backend.device(x.array)), tuple(shape))
    hit = xp.expand_dims(y.array, axis=axis) == ids
    if 0 <= ignore_index < classes:  # an ignored index that is a class: unmark it
        hit = hit & xp.expand_dims(kept, axis=axis)
    keep = xp.astype(xp.expand_dims(kept, axis=axis), x.array.dtype)
    poison = None
    if not readable:  # nan for out-of-range samples: no host read, and they cannot vanish
        bad = (y.array < 0) | (y.array >= classes)
        keep = poison = xp.where(xp.expand_dims(bad, axis=axis) & (keep != 0), math.nan, keep)
    return hit, keep, poison
