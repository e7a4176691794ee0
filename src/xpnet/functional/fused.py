"""Linear + activation as one graph node: one GEMM, then bias + activation in one pass.

``linear(x, W, b, activation="relu")`` is ``relu(x W^T + b)`` with one node
instead of two. With ``Z = x W^T + b`` and ``Y = act(Z)``:

    forward:   Z = X W^T  (one GEMM), then  Y = act(Z + b)  (one pass)
    backward:  D = G * act'(Z)  (one pass, from the saved Y where act' allows),
               dL/dx = D W,  dL/dW = D^T X,  dL/db = sum of D over rows

The bias + activation pass is the backend's ``xp.bias_act`` (the formulas of each
activation and its derivative are written once, in :mod:`xpnet._backend._ops`;
NumPy runs them in place, CuPy as one ``ElementwiseKernel`` per pass); the
standalone activations of :mod:`.activation` run the same formulas, so fused and
composed results are the same numbers.
"""

from __future__ import annotations

from typing import Any

from .._backend import ACTIVATIONS
from ._core import CONSTANT, Tensor, make_result


def check_activation(activation: Any, negative_slope: Any, op: str) -> None:
    """Raise a teaching error for an activation name or slope that ``bias_act`` does not know."""
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise ValueError(f"{op}: activation must be None or one of {', '.join(map(repr, ACTIVATIONS))}, "
                         f"got {activation!r} (compose other activations after the layer)")
    if type(negative_slope) is not float and (isinstance(negative_slope, bool)
                                              or not isinstance(negative_slope, (int, float))):
        raise TypeError(f"{op}: negative_slope must be a number, got {negative_slope!r}")


_OP_NAMES = {name: f"linear+{name}" for name in ACTIVATIONS}  # the nodes' names (grad_fn)

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
    ``D = G``; with one, ``xp.bias_act`` adds it and ``D = G act'(Z)``.
    """
    xp = weight.xp
    lead = tuple(x.array.shape[:-1])
    rows = len(lead) == 1  # x is (N, in): no reshaping
    x2 = x.array if rows else xp.reshape(x.array, (-1, x.array.shape[-1]))
    outs, ins = weight.array.shape
    mm = xp.matmul_2d(x2.shape[0], ins, outs)
    y = mm(x2, weight.array.T)
    act_grad = None
    if activation is not None:
        y, act_grad = xp.bias_act(y, None if bias is None else bias.array, activation, negative_slope)
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
            gb = xp.sum_rows(d)
        return gx, gw, gb

    return make_result(y, xp, (x, weight, bias if bias is not None else CONSTANT), backward,
                       "linear" if activation is None else _OP_NAMES[activation])
