"""K linear layers of the same shape at once: the op behind ``nn.EnsembleLinear``.

Member ``k`` of an ensemble computes ``Y[k] = act(X[k] W[k]^T + b[k])``; all K
run as one batched GEMM (``xp.matmul`` on 3-D arrays: cuBLAS strided-batched
GEMM on CuPy), then one bias + activation pass (the backend's ``xp.bias_act``).
With ``D = G * act'(Z)`` (``D = G`` without activation):

    dL/dX[k] = D[k] W[k]      (summed over k when every member got the same X)
    dL/dW[k] = D[k]^T X[k]    (one batched GEMM)
    dL/db[k] = sum over rows n of D[k, n]

so each member gets exactly the gradient it would get alone.
"""

from __future__ import annotations

from typing import Any

from ._core import CONSTANT, Tensor, as_tensor, check_same_place, make_result
from .fused import check_activation


def ensemble_linear(x: Any, weight: Any, bias: Any = None, activation: str | None = None,
                    negative_slope: float = 0.01) -> Tensor:
    """``act(x[k] @ weight[k]^T + bias[k])`` for every member k, in one node.

    x: (K, N, in), or (N, in) for the same batch to every member;
    weight: (K, out, in); bias: (K, out) or None; output: (K, N, out).
    ``activation``: None or a name of ``xpnet._backend.ACTIVATIONS``.

    Backward (``z`` the pre-activation, ``D = G act'(z)``): dL/dx[k] = D[k] weight[k],
    dL/dweight[k] = D[k]^T x[k], dL/dbias[k] = sum over N of D[k].

    Args:
        x: (K, N, in_features) or (N, in_features).
        weight: (K, out_features, in_features), same dtype, library and device as ``x``.
        bias: (K, out_features) or None.
        activation: None or an activation name (see above).
        negative_slope: the slope of ``"leaky_relu"`` below zero (other activations ignore it).

    Raises:
        ValueError: an unknown ``activation``, or shapes that do not fit together.
    """
    name = "ensemble_linear"
    x, weight = as_tensor(x, name), as_tensor(weight, name)
    check_same_place(x, weight, name)
    if activation is not None:
        check_activation(activation, negative_slope, name)
    _check_shapes(x, weight, bias, name)
    if bias is not None:
        bias = as_tensor(bias, name)
        check_same_place(weight, bias, name)
    xp = weight.xp
    z = xp.matmul(x.array, xp.matrix_transpose(weight.array))  # (K, N, out): one batched GEMM
    b = None if bias is None else xp.expand_dims(bias.array, axis=1)  # (K, 1, out)
    if activation is None:
        if b is not None:
            z += b  # in place: z is fresh
        y, act_grad = z, None
    else:
        y, act_grad = xp.bias_act(z, b, activation, negative_slope)

    def backward(g: Any) -> tuple[Any, Any, Any]:
        d = g if act_grad is None else act_grad(g)  # D = G act'(Z)
        gx = gw = gb = None
        if x.requires_grad:  # dL/dX[k] = D[k] W[k], summed over k for a shared X
            gx = xp.matmul(d, weight.array)
            if x.ndim == 2:
                gx = xp.sum(gx, axis=0)
        if weight.requires_grad:  # dL/dW[k] = D[k]^T X[k]
            gw = xp.matmul(xp.matrix_transpose(d), x.array)
        if bias is not None and bias.requires_grad:  # dL/db[k] = sum_n D[k, n]
            gb = xp.sum(d, axis=1)
        return gx, gw, gb

    op = name if activation is None else f"{name}+{activation}"
    return make_result(y, xp, (x, weight, bias if bias is not None else CONSTANT), backward, op)


def _check_shapes(x: Tensor, weight: Tensor, bias: Any, name: str) -> None:
    if weight.ndim != 3:
        raise ValueError(f"{name}: weight must have shape (K, out_features, in_features), got "
                         f"{tuple(weight.shape)}")
    k, out, width = weight.shape
    if x.ndim not in (2, 3) or x.shape[-1] != width or (x.ndim == 3 and x.shape[0] != k):
        raise ValueError(
            f"{name}: an ensemble of {k} members ({width} -> {out}) got input of shape {tuple(x.shape)}: "
            f"expected ({k}, N, {width}) (one batch per member) or (N, {width}) (the same batch "
            f"for all)"
        )
    if bias is not None and tuple(bias.shape) != (k, out):
        raise ValueError(f"{name}: bias must have shape ({k}, {out}), got {tuple(bias.shape)}")
