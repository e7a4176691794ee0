"""Initialising parameters in place: ``nn.init.kaiming_uniform_(layer.weight)``.

PyTorch's formulas. Each function gives ``t.array`` a new array of the same
library, device, dtype and shape (drawn from the seeded generator of that
device, see ``xn.manual_seed``), records nothing in the graph, and returns ``t``.
For a weight of shape (out, in, *kernel): ``fan_in = in * prod(kernel)``,
``fan_out = out * prod(kernel)``.
"""

from __future__ import annotations

import math
from typing import Any

from .. import _backend, _dtypes
from ..autograd import no_grad
from ..tensor import Tensor

__all__ = [
    "calculate_gain", "constant_", "kaiming_normal_", "kaiming_uniform_", "normal_", "ones_",
    "uniform_", "xavier_normal_", "xavier_uniform_", "zeros_",
]

_LINEAR = ("linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
           "conv_transpose2d", "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity: 1 (linear, sigmoid), 5/3 (tanh),
    sqrt(2) (relu), sqrt(2 / (1 + slope**2)) (leaky_relu, slope ``param`` or 0.01), 3/4 (selu)."""
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r}: expected one of "
        f"{', '.join(_LINEAR)}, tanh, relu, leaky_relu, selu"
    )


def _calculate_fan_in_and_fan_out(t: Tensor) -> tuple[int, int]:
    shape = _tensor(t, "fan in/out").shape
    if len(shape) < 2:
        raise ValueError(
            f"fan in and fan out need a tensor of at least 2 dimensions (out, in, ...), got "
            f"shape {tuple(shape)}"
        )
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(t: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t)
    return fan_in if mode == "fan_in" else fan_out


def _tensor(t: Any, name: str) -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"nn.init.{name} initialises a Tensor or Parameter, got {type(t).__name__}")
    return t


def _draw(t: Tensor, kind: str, name: str) -> Any:
    """Samples of U[0, 1) or N(0, 1) shaped and placed like ``t``."""
    _tensor(t, name)
    if not _dtypes.is_floating(t.array.dtype):
        raise TypeError(f"nn.init.{name} needs a floating-point tensor, got {t.dtype}")
    xp, dtype = t.xp, t.array.dtype
    draw = _backend.uniform if kind == "uniform" else _backend.normal
    out = draw(t.shape, xp=xp, device=_backend.device(t.array), dtype=dtype)
    return out if out.dtype == dtype else xp.astype(out, dtype)


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill ``t`` with samples of U(a, b)."""
    with no_grad():
        sample = _draw(t, "uniform", "uniform_")
        with _backend.device_scope(t.xp, _backend.device(t.array)):  # CuPy runs ops on the current GPU: t's
            t.array = a + (b - a) * sample
    return t


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill ``t`` with samples of N(mean, std**2)."""
    with no_grad():
        sample = _draw(t, "normal", "normal_")
        with _backend.device_scope(t.xp, _backend.device(t.array)):  # CuPy runs ops on the current GPU: t's
            t.array = mean + std * sample
    return t


def constant_(t: Tensor, val: float) -> Tensor:
    """Fill ``t`` with ``val``."""
    _tensor(t, "constant_")
    t.array = t.xp.full(t.shape, val, dtype=t.array.dtype, device=_backend.device(t.array))
    return t


def zeros_(t: Tensor) -> Tensor:
    """Fill ``t`` with 0."""
    return constant_(t, 0)


def ones_(t: Tensor) -> Tensor:
    """Fill ``t`` with 1."""
    return constant_(t, 1)


def xavier_uniform_(t: Tensor, gain: float = 1.0) -> Tensor:
    """U(-a, a), ``a = gain * sqrt(6 / (fan_in + fan_out))`` (Glorot & Bengio, 2010).

    Args:
        t: the Tensor to fill in place, at least 2-D (``fan_in`` = size(1) x the receptive
            field, ``fan_out`` = size(0) x the receptive field).
        gain: the scale (see :func:`calculate_gain`).

    Returns:
        ``t``, filled.

    Raises:
        ValueError: ``t`` has fewer than 2 dimensions.
        TypeError: ``t`` is not a floating Tensor.
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / (fan_in + fan_out))
    return uniform_(t, -bound, bound)


def xavier_normal_(t: Tensor, gain: float = 1.0) -> Tensor:
    """N(0, std**2), ``std = gain * sqrt(2 / (fan_in + fan_out))``.

    Args:
        t: the Tensor to fill in place, at least 2-D.
        gain: the scale (see :func:`calculate_gain`).

    Returns:
        ``t``, filled.

    Raises:
        ValueError: ``t`` has fewer than 2 dimensions.
        TypeError: ``t`` is not a floating Tensor.
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def kaiming_uniform_(t: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu") -> Tensor:
    """U(-bound, bound), ``bound = gain * sqrt(3 / fan)`` (He et al., 2015).

    ``gain = calculate_gain(nonlinearity, a)``; ``fan`` is fan_in (``mode="fan_in"``,
    keeps the forward pass's variance) or fan_out (the backward pass's).

    Args:
        t: the Tensor to fill in place, at least 2-D.
        a: the negative slope of the leaky ReLU that follows (used with ``"leaky_relu"``).
        mode: ``"fan_in"`` or ``"fan_out"``.
        nonlinearity: the activation's name, for :func:`calculate_gain`.

    Returns:
        ``t``, filled.

    Raises:
        ValueError: ``t`` has fewer than 2 dimensions, or an unknown ``mode`` or ``nonlinearity``.
        TypeError: ``t`` is not a floating Tensor.
    """
    fan = _calculate_correct_fan(t, mode)
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan) if fan else 0.0
    return uniform_(t, -bound, bound)


def kaiming_normal_(t: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> Tensor:
    """N(0, std**2), ``std = gain / sqrt(fan)`` (see :func:`kaiming_uniform_`).

    Args:
        t: the Tensor to fill in place, at least 2-D.
        a: the negative slope of the leaky ReLU that follows (used with ``"leaky_relu"``).
        mode: ``"fan_in"`` or ``"fan_out"``.
        nonlinearity: the activation's name, for :func:`calculate_gain`.

    Returns:
        ``t``, filled.

    Raises:
        ValueError: ``t`` has fewer than 2 dimensions, or an unknown ``mode`` or ``nonlinearity``.
        TypeError: ``t`` is not a floating Tensor.
    """
    fan = _calculate_correct_fan(t, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan) if fan else 0.0
    return normal_(t, 0.0, std)
