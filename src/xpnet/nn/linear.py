"""``Linear``: the fully connected layer, ``y = x W^T + b``, one GEMM per batch."""

from __future__ import annotations

import math
from typing import Any

from ..creation import zeros
from ..functional.fused import ACTIVATIONS, check_activation, linear_node
from ..tensor import Tensor, check_same_place
from . import init
from ._input import layer_input
from .module import Module
from .parameter import Parameter


class Linear(Module):
    """``y = x W^T + b`` as one graph node (``xpnet.functional.linear``).

    Input: (N, in_features) or (*, in_features); output: (*, out_features).
    weight: (out_features, in_features) and bias: (out_features,), as in
    PyTorch, so state dicts map across. Initialised like PyTorch: weight and
    bias from U(-1/sqrt(in_features), 1/sqrt(in_features)) (the weight by
    ``kaiming_uniform_(a=sqrt(5))``), drawn on ``device`` with ``xn.manual_seed``.

    Inputs may be Tensors or raw arrays of the layer's library and device
    (another library or device is an error telling how to ``.to(...)``).
    The dtype rule: raw arrays and integer/bool Tensors are data and are cast
    to the layer's dtype; a floating Tensor of another dtype raises TypeError
    (fix: ``x.to(dtype=xn.float32)`` or ``model.to(dtype=...)``). So the
    output always has the layer's dtype.

    ``forward(x, activation=...)`` applies an activation in the same node;
    ``nn.Sequential`` does so for the activation layer after this one when that
    layer declares ``fused_as`` (``absorbs_activation`` says this layer can).
    """

    absorbs_activation = True  # forward(x, activation, negative_slope): see nn.fusion

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 device: Any = None, dtype: Any = None) -> None:
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(f"Linear: {name} must be a positive int, got {n!r}")
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(zeros(out_features, in_features, device=device, dtype=dtype))
        self.bias: Parameter | None = (
            Parameter(zeros(out_features, device=device, dtype=dtype)) if bias else None
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh weights and bias (PyTorch's default init)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Any, activation: str | None = None, negative_slope: float = 0.01) -> Tensor:
        """``x W^T + b``, or ``activation(x W^T + b)`` as one node when ``activation`` is given.

        Args:
            x: (*, in_features), a Tensor or a raw array of the layer's library and device.
            activation: None, or one of ``"relu"``, ``"leaky_relu"``, ``"sigmoid"``,
                ``"tanh"``, ``"gelu_tanh"`` (as :func:`xpnet.functional.linear`).
            negative_slope: the slope of ``"leaky_relu"`` below zero.

        Returns: (*, out_features), the layer's dtype.

        Raises:
            ValueError: the last dimension of ``x`` is not ``in_features``, or an unknown
                ``activation``.
            TypeError: ``x`` is a floating Tensor of another dtype, or ``negative_slope`` is
                not a number.
        """
        weight, bias = self.weight, self.bias
        if activation is not None and (activation not in ACTIVATIONS or type(negative_slope) is not float):
            check_activation(activation, negative_slope, self._name())
        x = layer_input(x, weight, self._name)
        shape = x.array.shape
        if not shape or shape[-1] != self.in_features:
            raise ValueError(
                f"{self._name()} got input of shape {tuple(x.shape)}: the last dimension must be "
                f"{self.in_features}"
            )
        if bias is not None:
            check_same_place(weight, bias, self._name)
        return linear_node(x, weight, bias, activation, negative_slope)

    def _name(self) -> str:
        return f"Linear({self.in_features} -> {self.out_features})"

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
