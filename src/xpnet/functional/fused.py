"""Linear + activation as one graph node: one GEMM, then bias + activation in one pass.

``linear(x, W, b, activation="relu")`` is ``relu(x W^T + b)`` with one node
instead of two. With ``Z = x W^T + b`` and ``Y = act(Z)``:

    forward:   Z = X W^T  (one GEMM), then  Y = act(Z + b)  (one pass)
    backward:  D = G * act'(Z)  (one pass, from the saved Y where act' allows),
               dL/dx = D W,  dL/dW = D^T X,  dL/db = sum of D over rows

The activations and their derivatives (``s`` = ``negative_slope``,
``S = sqrt(2/pi)``, ``c = clip(Z, -10, 10)``, ``t = tanh(S (c + 0.044715 c**3))``):

    relu        Y = max(Z, 0)                  act' = [Y > 0]
    leaky_relu  Y = Z if Z > 0 else s Z        act' = 1 if Y > 0 else s   (s >= 0; else a mask)
    sigmoid     Y = e**min(Z, 0) / (1 + e**-|Z|)  act' = Y (1 - Y)   (= 1 / (1 + e**-Z), overflow-free)
    tanh        Y = tanh(Z)                    act' = 1 - Y**2
    gelu_tanh   Y = Z (1 + t) / 2              act' = (1 + t)/2 + c (1 - t**2) S (1 + 3*0.044715 c**2)/2

:func:`bias_act` is the generic twin, written in ``xp`` with exactly the
formulas of :mod:`.activation` (so fused and composed results are the same
numbers); on CuPy its sibling :func:`xpnet.cuda.bias_act` runs each pass as
one ``ElementwiseKernel``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .. import _backend
from ._core import CONSTANT, Tensor, make_result
from ._special import clamp

ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh", "gelu_tanh")

_S = math.sqrt(2 / math.pi)  # the GELU tanh fit: u = S (x + 0.044715 x**3)
_A = 0.044715

ActGrad = Callable[[Any], Any]  # G -> G * act'(Z)


def check_activation(activation: Any, negative_slope: Any, op: str) -> None:
    """Raise a teaching error for an activation name or slope that ``bias_act`` does not know."""
    if not isinstance(activation, str) or activation not in _ACT:
        raise ValueError(f"{op}: activation must be None or one of {', '.join(map(repr, ACTIVATIONS))}, "
                         f"got {activation!r} (compose other activations after the layer)")
    if type(negative_slope) is not float and (isinstance(negative_slope, bool)
                                              or not isinstance(negative_slope, (int, float))):
        raise TypeError(f"{op}: negative_slope must be a number, got {negative_slope!r}")


def bias_act(xp: Any, z: Any, bias: Any, activation: str, negative_slope: float = 0.01
             ) -> tuple[Any, ActGrad]:
    """``(Y, grad)``: ``Y = act(z + bias)`` and ``grad(G) = G * act'(z + bias)``.

    ``z`` is a fresh GEMM output (..., out) that may be overwritten; ``bias``
    is None or broadcasts against it ((out,), or (K, 1, out) for ensembles).
    The generic twin; ops call it through ``_backend.dispatch``, which runs the
    CuPy sibling :func:`xpnet.cuda.bias_act` (one kernel per pass) on CuPy.
    """
    if bias is not None:
        z += bias  # in place: z is fresh (libraries without in-place ops rebind)
    return _ACT[activation](xp, z, negative_slope)


def _relu(xp: Any, z: Any, s: float) -> tuple[Any, ActGrad]:
    y = xp.maximum(z, 0.0)
    return y, lambda g: xp.where(y > 0, g, 0.0)


def _leaky_relu(xp: Any, z: Any, s: float) -> tuple[Any, ActGrad]:
    positive = z > 0
    y = xp.where(positive, z, z * s)
    if s >= 0:  # Y > 0 exactly where Z > 0: the mask need not be kept
        return y, lambda g: xp.where(y > 0, g, g * s)
    return y, lambda g: xp.where(positive, g, g * s)


def _sigmoid(xp: Any, z: Any, s: float) -> tuple[Any, ActGrad]:
    # Y = 1 / (1 + e**-Z) as e**min(Z, 0) / (1 + e**-|Z|): where Z >= 0 that is
    # 1 / (1 + e**-Z), else e**Z / (1 + e**Z); no exp overflows, and no select is needed.
    y = xp.exp(xp.minimum(z, 0.0)) / (1 + xp.exp(-xp.abs(z)))
    return y, lambda g: g * y * (1 - y)


def _tanh(xp: Any, z: Any, s: float) -> tuple[Any, ActGrad]:
    y = xp.tanh(z)
    return y, lambda g: g * (1 - y * y)


def _gelu_tanh(xp: Any, z: Any, s: float) -> tuple[Any, ActGrad]:
    c = clamp(xp, z, -10.0, 10.0)  # beyond |Z| = 10, t = sign(Z) in float64
    t = xp.tanh(_S * (c + _A * c * c * c))
    y = 0.5 * z * (1 + t)

    def grad(g: Any) -> Any:
        du = _S * (1 + 3 * _A * c * c)
        return g * (0.5 * (1 + t) + 0.5 * c * (1 - t * t) * du)

    return y, grad


_OP_NAMES = {name: f"linear+{name}" for name in ACTIVATIONS}  # the nodes' names (grad_fn)

_ACT: dict[str, Callable[[Any, Any, float], tuple[Any, ActGrad]]] = {
    "relu": _relu, "leaky_relu": _leaky_relu, "sigmoid": _sigmoid, "tanh": _tanh,
    "gelu_tanh": _gelu_tanh,
}


def linear_act(x: Any, weight: Any, bias: Any, activation: str, negative_slope: float = 0.01) -> Tensor:
    """``act(x @ weight^T + bias)`` as one node (see the module docstring for the rules).

    x (..., in), weight (out, in), bias (out,) or None; output (..., out).
    """
    check_activation(activation, negative_slope, "linear")
    from .linalg import linear_operands

    return linear_node(*linear_operands(x, weight, bias), activation, negative_slope)


def linear_node(x: Tensor, weight: Tensor, bias: Tensor | None, activation: str | None = None,
                negative_slope: float = 0.01) -> Tensor:
    """The node of :func:`xpnet.functional.linear` and :func:`linear_act`, for operands and an
    activation already checked (``linear_operands``, or ``nn.Linear`` itself).

    Without an activation the bias is added in place to the fresh GEMM output and
    ``D = G``; with one, :func:`bias_act` adds it and ``D = G act'(Z)``.
    """
    xp = weight.xp
    lead = tuple(x.array.shape[:-1])
    rows = len(lead) == 1  # x is (N, in): no reshaping
    x2 = x.array if rows else xp.reshape(x.array, (-1, x.array.shape[-1]))
    outs, ins = weight.array.shape
    mm = _backend.matmul_2d(xp, x2.shape[0], ins, outs)
    sum_axis = _backend.SUM_AXIS.get(xp)
    y = mm(x2, weight.array.T)
    act_grad = None
    if activation is not None:
        y, act_grad = _backend.dispatch(bias_act, xp, y, None if bias is None else bias.array,
                                        activation, negative_slope)
    elif bias is not None:
        y += bias.array  # in place: ``y`` is fresh, so no second (N, out) buffer
    if not rows:
        y = xp.reshape(y, lead + (outs,))

    def backward(g: Any) -> tuple[Any, Any, Any]:
        d = g if rows else xp.reshape(g, (-1, g.shape[-1]))
        if act_grad is not None:
            d = act_grad(d)  # D = G act'(Z)
        gx = gw = gb = None
        if x.requires_grad:  # dL/dx = D W
            gx = mm(d, weight.array)
            if not rows:
                gx = xp.reshape(gx, x.array.shape)
        if weight.requires_grad:  # dL/dW = D^T X
            gw = mm(d.T, x2)
        if bias is not None and bias.requires_grad:  # dL/db = sum of D over rows
            gb = xp.sum(d, axis=0) if sum_axis is None else sum_axis(d, 0)
        return gx, gw, gb

    return make_result(y, xp, (x, weight, bias if bias is not None else CONSTANT), backward,
                       "linear" if activation is None else _OP_NAMES[activation])
