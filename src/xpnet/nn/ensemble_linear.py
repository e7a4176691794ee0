"""``EnsembleLinear``: K independent ``Linear`` layers of one shape, run as one batched GEMM."""

from __future__ import annotations

import math
from typing import Any

from .. import functional as F
from ..creation import zeros
from ..tensor import Tensor
from . import init
from ._input import layer_input
from .module import Module
from .parameter import Parameter


class EnsembleLinear(Module):
    """K linear layers at once: member k computes ``y[k] = x[k] W[k]^T + b[k]``.

    Input: (K, N, in_features), one batch per member, or (N, in_features), the
    same batch for every member; output: (K, N, out_features).
    weight: (K, out_features, in_features); bias: (K, out_features).
    ``weight[k]`` and ``bias[k]`` are exactly what a plain ``Linear(in, out)``
    holds, and each member is initialised as one: U(-1/sqrt(in_features),
    1/sqrt(in_features)) for weight and bias, drawn independently per member.
    The K products run as one batched GEMM (:func:`xpnet.functional.ensemble_linear`).
    Usually built by :class:`xpnet.nn.Ensemble` from plain models.

    ``forward(x, activation=...)`` applies an activation in the same node, as
    ``nn.Linear``'s does (``absorbs_activation``; ``nn.Sequential`` and ``nn.Ensemble``
    fuse the next layer when it declares ``fused_as``).

    Backward (G = dL/dy): dL/dx[k] = G[k] W[k], dL/dW[k] = G[k]^T x[k], dL/db[k] = sum over N of G[k].

    Args:
        in_features: the size of each input sample.
        out_features: the size of each output sample.
        ensemble_size: ``K``, the number of members.
        bias: whether to learn an additive bias.
        device: where the parameters live (as ``xn.zeros``'s ``device``; None: the default device).
        dtype: the parameters' dtype (None: the default float dtype).

    Raises:
        ValueError: a size is not a positive int.
    """

    absorbs_activation = True  # forward(x, activation, negative_slope): see nn.fusion

    def __init__(self, in_features: int, out_features: int, ensemble_size: int, bias: bool = True, *,
                 device: Any = None, dtype: Any = None) -> None:
        for name, n in (("in_features", in_features), ("out_features", out_features),
                        ("ensemble_size", ensemble_size)):
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(f"EnsembleLinear: {name} must be a positive int, got {n!r}")
        self.in_features = in_features
        self.out_features = out_features
        self.ensemble_size = ensemble_size
        k = ensemble_size
        self.weight = Parameter(zeros(k, out_features, in_features, device=device, dtype=dtype))
        self.bias: Parameter | None = (
            Parameter(zeros(k, out_features, device=device, dtype=dtype)) if bias else None
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh members, each as ``Linear`` does (kaiming_uniform_(a=sqrt(5)) = U(+-1/sqrt(in)))."""
        bound = 1 / math.sqrt(self.in_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Any, activation: str | None = None, negative_slope: float = 0.01) -> Tensor:
        """The K layers on ``x``, with ``activation`` (a name as in ``nn.Linear.forward``, or
        None) applied in the same node. Raises ValueError for a shape that fits neither
        input form, or an unknown activation."""
        x = layer_input(x, self.weight, self._name())
        k, width = self.ensemble_size, self.in_features
        if x.ndim not in (2, 3) or x.shape[-1] != width or (x.ndim == 3 and x.shape[0] != k):
            raise ValueError(
                f"{self._name()} got input of shape {tuple(x.shape)}: expected ({k}, N, {width}) (a batch "
                f"per member: the first dimension is the ensemble size {k}) or (N, {width}) (the "
                f"same batch for every member)"
            )
        return F.ensemble_linear(x, self.weight, self.bias, activation, negative_slope)

    def _name(self) -> str:
        return f"EnsembleLinear({self.ensemble_size} x {self.in_features} -> {self.out_features})"

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"ensemble_size={self.ensemble_size}, bias={self.bias is not None}")
