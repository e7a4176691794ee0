"""``Dropout``: zero random elements while training; the identity in eval mode."""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..tensor import Tensor
from .module import Module


class Dropout(Module):
    """Each element zeroed with probability ``p`` and the rest scaled by ``1/(1-p)`` in
    training mode (``model.train()``); the identity after ``model.eval()``.

    Input: any shape; output: the same shape. The mask comes from the seeded
    generator of the input's device (``xn.manual_seed``). ``inplace`` is
    accepted for PyTorch compatibility and ignored.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p is the probability of zeroing an element and must be "
                             f"in [0, 1], got {p!r}")
        self.p = float(p)
        self.inplace = inplace

    def forward(self, x: Any) -> Tensor:
        return F.dropout(x, self.p, training=self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
