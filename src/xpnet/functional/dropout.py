"""Dropout: zero random elements while training, scale the rest to keep the mean."""

from __future__ import annotations

from typing import Any

from .. import _backend
from ._core import Tensor, as_tensor, make_result


def dropout(x: Any, p: float = 0.5, training: bool = True) -> Tensor:
    """Each element zeroed with probability ``p``, the others scaled by ``1/(1-p)``.

    With M the kept-mask scaled by 1/(1-p):  out = x M,  dL/dx = G M.
    Identity when ``training`` is False. The mask is drawn on ``x``'s device
    from the seeded generator of its library (see ``xn.manual_seed``).
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    x = as_tensor(x, "dropout")
    if not training or p == 0.0:
        return x
    xp = x.xp
    if p == 1.0:
        mask = xp.zeros_like(x.array)
    else:
        draw = _backend.uniform(tuple(x.array.shape), xp=xp, device=_backend.device(x.array),
                                dtype=x.array.dtype)
        mask = xp.astype(draw >= p, x.array.dtype) / (1 - p)

    def backward(g: Any) -> tuple[Any]:
        return (g * mask,)

    return make_result(x.array * mask, xp, (x,), backward, "dropout", saves=False)
