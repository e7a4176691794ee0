"""Double backward of dropout, sort, casts (``to``), cumsum and embedding.

* dropout: its own rule ``G M`` with the drawn mask ``M`` a constant Tensor.
* sort (and topk, its first k): G taken back to its places, ``take_along_dim(G, argsort(order))``
  (the inverse permutation a constant).
* to (a dtype cast, or a move): G cast (moved) back, by ``to`` itself; between array
  libraries by :func:`move` (``to_numpy``/``from_numpy`` of the backends), any order.
* cumsum: its rule (``flip(cumsum(flip(G)))``) runs on Tensors as it is.
* embedding: its rule (rows of G scatter-added by the constant indices) runs as it is; with
  ``scale_grad_by_freq`` it is refused: that gradient is rescaled, not a derivative, and
  differentiating it again depends on a convention (torch's second derivative leaves the
  scale out of one of its two passes), not on the math.
* remainder: ``dL/da = G``, ``dL/db = -G floor(a / b)`` with ``floor(a / b)`` a constant (its
  derivative is 0 almost everywhere); operands cast to a common dtype are refused.
"""

from __future__ import annotations

from typing import Any

from .. import _backend
from .. import functional as F
from .._double_backward import double_backward_by, double_backward_ready
from ..functional import arithmetic, ordering, pointwise, statistics
from ..functional._core import needs_grad, unbroadcast
from ..functional.dropout import dropout
from ..functional.embedding import embedding
from ..tensor import Tensor, make_result
from .higher_order import Rule, constant, lift_with, unsupported
from .tensor_namespace import tensor_namespace

double_backward_ready(statistics.cumsum)


def _embedding_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    if captured["share"] is not None:
        raise unsupported(node, "scale_grad_by_freq=True rescales the gradient, which is then no "
                                "derivative to differentiate again")
    return lift_with(node)  # every captured value lifted as lift() does


def _dropout_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    return lift_with(node, mask=constant(node, captured["mask"]))


def _sort_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    xp, order, axis = node.xp, captured["order"], captured["axis"]
    back = constant(node, xp.argsort(order, axis=axis))
    return lambda g: (F.take_along_dim(g, back, axis),)


def _to_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    (x,) = node._parents
    if x.xp is not node.xp:  # another library: a device name would be read by the wrong one
        return lambda g: (move(g, x.xp, _backend.device(x.array), x.array.dtype),)
    return lambda g: (arithmetic.to(g, x.device, x.dtype),)


def move(t: Tensor, xp: Any, dev: Any, dtype: Any) -> Tensor:
    """``t`` moved to the array library ``xp`` (a backend object), device ``dev``, and cast to
    ``dtype`` of that library: the gradient of a ``.to()`` between libraries, taken back.

    dL/dt = H moved back to t's library and device, cast to t's dtype (this op again).
    """
    src_xp, src_dev, src_dtype = t.xp, _backend.device(t.array), t.array.dtype
    data = _backend.move(t.array, xp, dev)
    if data.dtype != dtype:
        data = xp.astype(data, dtype)

    def backward(h: Any) -> tuple[Any]:
        h = _backend.move(h, src_xp, src_dev)
        return (h if h.dtype == src_dtype else src_xp.astype(h, src_dtype),)

    return make_result(data, xp, (t,), backward, "to", saves=False)


def _move_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    (t,) = node._parents
    return lambda h: (move(h, t.xp, _backend.device(t.array), t.array.dtype),)


def _remainder_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    a, b, av, bv = (captured[name] for name in ("a", "b", "av", "bv"))
    for t, v in ((a, av), (b, bv)):
        if isinstance(t, Tensor) and t.array is not v:
            raise unsupported(node, "operands of different dtypes")
    quotient = constant(node, av // bv)
    T = tensor_namespace(node.xp)

    def rule(g: Tensor) -> tuple[Any, Any]:
        return (unbroadcast(T, g, a.array.shape) if needs_grad(a) else None,
                unbroadcast(T, -g * quotient, b.array.shape) if needs_grad(b) else None)

    return rule


double_backward_by(embedding, _embedding_rule)
double_backward_by(pointwise.remainder, _remainder_rule)
double_backward_by(dropout, _dropout_rule)
double_backward_by(ordering.sort, _sort_rule)
double_backward_by(arithmetic.to, _to_rule)
double_backward_by(move, _move_rule)
