"""``Bilinear``: ``y = x1^T A x2 + b``, torch's arguments, initialisation and repr."""

from __future__ import annotations

import math
from typing import Any

from .. import functional as F
from ..creation import zeros
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter


class Bilinear(Module):
    """``y_k = x1^T W_k x2 + b_k`` (:func:`xpnet.functional.bilinear`).

    Input1: ``(*, in1_features)``; input2: ``(*, in2_features)``; output: ``(*, out_features)``.
    ``weight``: ``(out_features, in1_features, in2_features)``, ``bias``: ``(out_features,)``,
    both ``U(-1/sqrt(in1_features), 1/sqrt(in1_features))`` as torch.

    Args:
        in1_features: the sizes of the two inputs' last dims.
        in2_features: as ``in1_features``.
        out_features: the output's last dim.
        bias: learn ``b`` (True) or not.
        device: where and how the parameters are made (None: the defaults).
        dtype: as ``device``.
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(zeros(out_features, in1_features, in2_features, device=device,
                                      dtype=dtype))
        self.bias: Parameter | None = (
            Parameter(zeros(out_features, device=device, dtype=dtype)) if bias else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Any, input2: Any) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
