"""Matrix products: the hot path. One GEMM forward, one GEMM per needed gradient."""

from __future__ import annotations

from typing import Any

from .._double_backward import double_backward_ready
from ._core import (
    Tensor,
    as_tensor,
    check_same_place,
    make_result,
    needs_grad,
    operands,
    unbroadcast,
)
from .fused import check_activation, linear_node


def matmul(a: Any, b: Any) -> Tensor:
    """``a @ b`` with NumPy's rules for 1-D and batched (broadcast) operands.

    For A (..., n, k), B (..., k, m), G (..., n, m):
        dL/dA = G B^T        dL/dB = A^T G
    (summed over broadcast batch axes; a 1-D operand is a row/column vector).
    """
    a, b, xp = operands(a, b, "matmul")
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError("matmul needs two tensors or arrays, not a Python number")
    ad, bd = a.array, b.array
    a_ndim, b_ndim = len(ad.shape), len(bd.shape)
    if a_ndim == 2 and b_ndim == 2 and ad.shape[1] == bd.shape[0]:  # the common case, at once
        mm = xp.matmul_2d(ad.shape[0], ad.shape[1], bd.shape[1])

        def backward_2d(g: Any) -> tuple[Any, Any]:
            return (mm(g, bd.T) if a.requires_grad else None,  # dL/dA = G B^T
                    mm(ad.T, g) if b.requires_grad else None)  # dL/dB = A^T G

        return make_result(mm(ad, bd), xp, (a, b), backward_2d, "matmul")
    if a_ndim == 0 or b_ndim == 0:
        raise ValueError(f"matmul needs at least 1-D operands, got shapes {tuple(a.shape)} and "
                         f"{tuple(b.shape)}")
    if ad.shape[-1] != bd.shape[-2 if b_ndim > 1 else 0]:
        raise ValueError(
            f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} do not line up: the last dimension of the "
            f"first ({ad.shape[-1]}) must equal the "
            f"{'second-to-last' if b_ndim > 1 else 'only'} dimension of the second"
        )
    out = xp.matmul(ad, bd)

    def backward(g: Any) -> tuple[Any, Any]:
        a2 = ad if a_ndim > 1 else xp.reshape(ad, (1, -1))
        b2 = bd if b_ndim > 1 else xp.reshape(bd, (-1, 1))
        g2 = g
        if a_ndim == 1:
            g2 = xp.expand_dims(g2, axis=-2 if b_ndim > 1 else 0)
        if b_ndim == 1:
            g2 = xp.expand_dims(g2, axis=-1)
        ga = gb = None
        if needs_grad(a):  # dL/dA = G B^T
            ga = xp.reshape(unbroadcast(xp, xp.matmul(g2, xp.matrix_transpose(b2)), a2.shape), ad.shape)
        if needs_grad(b):  # dL/dB = A^T G
            gb = xp.reshape(unbroadcast(xp, xp.matmul(xp.matrix_transpose(a2), g2), b2.shape), bd.shape)
        return ga, gb

    return make_result(out, xp, (a, b), backward, "matmul")


def linear_operands(x: Any, weight: Any, bias: Any) -> tuple[Tensor, Tensor, Tensor | None]:
    """The operands of a linear layer as tensors of one library and device."""
    x, weight = as_tensor(x, "linear"), as_tensor(weight, "linear")
    check_same_place(x, weight, "linear")
    if bias is not None:
        bias = as_tensor(bias, "linear")
        check_same_place(weight, bias, "linear")
    return x, weight, bias


def linear(x: Any, weight: Any, bias: Any = None, activation: str | None = None,
           negative_slope: float = 0.01) -> Tensor:
    """``x @ weight^T + bias`` in one node: the layer ``nn.Linear`` runs.

    ``activation`` ("relu", "leaky_relu" with ``negative_slope``, "sigmoid",
    "tanh", "gelu_tanh") applies it in the same node, fused with the bias
    (:func:`xpnet.functional.fused.linear_act`); ``nn.Sequential`` does this
    for a ``Linear`` followed by such an activation layer.

    x (..., in), weight (out, in), bias (out,), G (..., out); with X, G the
    inputs and gradients flattened to rows (N, in) and (N, out):
        dL/dx = G W        dL/dW = G^T X        dL/db = sum of G over rows
    Each gradient is computed only when its input needs it (the data batch
    usually does not, which saves a GEMM in the first layer).
    """
    x, weight, bias = linear_operands(x, weight, bias)
    if activation is not None:
        check_activation(activation, negative_slope, "linear")
    return linear_node(x, weight, bias, activation, negative_slope)


# matmul's rules read only xp, ``mm`` (a product function of xp) and the operands' arrays:
# they run on Tensors too (see xpnet._double_backward). linear's node: _autograd_api.double_rules.
double_backward_ready(matmul)
