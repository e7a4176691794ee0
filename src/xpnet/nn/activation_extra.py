"""More activation layers, torch's names, arguments and reprs: ELU, SELU, SiLU, Mish,
Softplus, Softsign, Hardtanh, ReLU6 and PReLU (the one with a parameter).

Each calls its op in :mod:`xpnet.functional` (forward and backward rule there).
Input: any shape; output: the same shape, library, device and dtype. ``inplace``
is accepted for PyTorch compatibility and ignored (xpnet never overwrites an input).
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..creation import zeros
from ..tensor import Tensor
from . import init
from ._input import layer_input
from .module import Module
from .parameter import Parameter


def _inplace(inplace: bool, first: bool = False) -> str:
    return ("inplace=True" if first else ", inplace=True") if inplace else ""


class ELU(Module):
    """``x`` where x > 0, else ``alpha (e**x - 1)``.

    dL/dx = G where x > 0, else G alpha e**x. Input: any shape; output: the same.

    Args:
        alpha: the value the negative side tends to is ``-alpha``.
        inplace: accepted for torch programs and ignored: the result is a new tensor.
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, x: Any) -> Tensor:
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace(self.inplace)}"


class _Simple(Module):
    """An activation without options (``inplace`` only)."""

    def __init__(self, inplace: bool = False) -> None:
        self.inplace = inplace

    def extra_repr(self) -> str:
        return _inplace(self.inplace, first=True)


class SELU(_Simple):
    """``1.0507 * elu(x, alpha=1.6733)``: self-normalising (Klambauer et al.)."""

    def forward(self, x: Any) -> Tensor:
        return F.selu(x)


class SiLU(_Simple):
    """``x * sigmoid(x)`` (swish)."""

    def forward(self, x: Any) -> Tensor:
        return F.silu(x)


class Mish(_Simple):
    """``x * tanh(softplus(x))``."""

    def forward(self, x: Any) -> Tensor:
        return F.mish(x)


class Softplus(Module):
    """``log(1 + e**(beta x)) / beta``; ``x`` itself where ``beta x > threshold``."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        self.beta = beta
        self.threshold = threshold

    def forward(self, x: Any) -> Tensor:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softsign(Module):
    """``x / (1 + |x|)``."""

    def forward(self, x: Any) -> Tensor:
        return F.softsign(x)


class Hardtanh(Module):
    """``x`` clipped to ``[min_val, max_val]`` (gradient 0 outside and at the clip points).

    Raises ValueError when ``min_val > max_val``.

    Args:
        min_val: the lower clip point.
        max_val: the upper clip point.
        inplace: accepted for torch programs and ignored: the result is a new tensor.
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        if max_val < min_val:
            raise ValueError(f"Hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, x: Any) -> Tensor:
        return F.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace(self.inplace)}"


class ReLU6(Hardtanh):
    """``min(max(x, 0), 6)``.

    dL/dx = G where 0 < x < 6, else 0. Input: any shape; output: the same.

    Args:
        inplace: accepted for torch programs and ignored: the result is a new tensor.
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def forward(self, x: Any) -> Tensor:
        return F.relu6(x)

    def extra_repr(self) -> str:
        return _inplace(self.inplace, first=True)


class PReLU(Module):
    """``x`` where x > 0, else ``a x`` with a learned slope ``a``.

    ``num_parameters``: 1 (one slope shared by every element) or the number of
    channels C (input (N, C, *): one slope per channel). ``init``: the slopes'
    initial value. weight: (num_parameters,). Input: any shape with axis 1 of
    size C (when num_parameters > 1); output: the same shape.

    dL/dx = G where x > 0, else G a;  dL/da = sum of G x where x <= 0 (over the elements
    that share the slope).

    Args:
        num_parameters: 1 or the number of channels C (above).
        init: the slopes' initial value.
        device: where the weight lives (as ``xn.zeros``'s ``device``; None: the default device).
        dtype: the weight's dtype (None: the default float dtype).
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, *, device: Any = None,
                 dtype: Any = None) -> None:
        if isinstance(num_parameters, bool) or not isinstance(num_parameters, int) \
                or num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be a positive int, got "
                             f"{num_parameters!r}")
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(zeros(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.constant_(self.weight, self.init)

    def forward(self, x: Any) -> Tensor:
        return F.prelu(layer_input(x, self.weight, "PReLU"), self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"
