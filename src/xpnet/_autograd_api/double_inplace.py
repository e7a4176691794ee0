"""Double backward of the in-place ops (``x[i] = v``, ``add_``/``sub_``/``mul_``/``div_``,
``fill_``/``zero_``, ``copy_``, ``clamp_``, ``normal_``/``uniform_``).

An in-place op makes the tensor the output of a node whose inputs are its old values
(``old``, a node of its own) and the other operand; the first-order rules keep the
operand's native array (cast to the tensor's dtype), so under ``create_graph=True``
each runs as the same formula on Tensors, with the operand's Tensor (cast by ``to``,
whose gradient casts back) in place of its array:

* ``x[where] = v``:  dL/dold = G with zeros at ``where`` (a constant mask),
  dL/dv = G[where] summed to v's shape;
* ``add_``/``sub_``: dL/dold = G, dL/dother = +-alpha G;
* ``mul_``: dL/dold = G other, dL/dother = G old, with ``old``'s values (the copy the
  forward kept) as a Tensor: an identity node of ``old`` (its array was overwritten);
* ``div_``: dL/dold = G / other, dL/dother = -G new / other, ``new`` the node itself;
* ``fill_``: dL/dold = 0, dL/dvalue = sum(G); ``copy_``: 0, G summed to src's shape;
* ``clamp_``, ``normal_``, ``uniform_``: their rules (a constant mask, zeros) run as they are.
"""

from __future__ import annotations

from typing import Any

from .. import _backend
from .. import functional as F
from .._double_backward import double_backward_by, double_backward_ready
from .._tensor_inplace import arith_, clamp_, copy_, fill_, random_
from .._tensor_setitem import setitem
from ..functional._core import unbroadcast
from ..tensor import Tensor, make_result
from .higher_order import Rule
from .tensor_namespace import tensor_namespace

double_backward_ready(clamp_, random_)


def value_of(old: Tensor, kept: Any) -> Tensor:
    """The values ``kept`` (a copy of ``old``'s array made before it was overwritten in place)
    as a function of ``old``: the identity, dL/dold = H."""

    def backward(h: Any) -> tuple[Any]:
        return (h,)

    return make_result(kept, old.xp, (old,), backward, "clone", saves=False)


double_backward_ready(value_of)


def _fit(other: Tensor, g: Tensor) -> Tensor:
    """``g`` as the gradient of ``other``: summed to its shape, cast to its dtype."""
    g = unbroadcast(tensor_namespace(other.xp), g, tuple(other.array.shape))
    return g if g.array.dtype == other.array.dtype else F.to(g, dtype=other.array.dtype)


def _as_operand(node: Tensor, other: Any, o: Any) -> Any:
    """The operand of an in-place op on Tensors: ``other``'s Tensor in the node's dtype, a
    Python number as it is, a raw array as a constant."""
    if isinstance(other, Tensor):
        return other if other.array.dtype == node.array.dtype else F.to(other, dtype=node.array.dtype)
    if isinstance(o, (bool, int, float, complex)):
        return o
    return make_result(o, node.xp, (), None, "")


def _arith_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    op, alpha, other = captured["op"], captured["alpha"], captured["other"]
    wants = isinstance(other, Tensor) and other.requires_grad
    o = _as_operand(node, other, captured["o"])
    if other is node:  # ``y.mul_(y)``: the operand is y's old values (the copy the forward made)
        o = value_of(node._parents[0], captured["o"])
    if op in ("add_", "sub_"):
        sign = alpha if op == "add_" else -alpha
        return lambda g: (g, _fit(other, g * sign) if wants else None)
    if op == "mul_":
        old = value_of(node._parents[0], captured["kept"]) if wants else None
        return lambda g: (g * o, _fit(other, g * old) if wants else None)
    return lambda g: (g / o, _fit(other, -g * node / o) if wants else None)


def _setitem_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    where, value = captured["where"], captured["value"]
    xp, shape = node.xp, tuple(node.array.shape)
    keep = xp.ones(shape, dtype=xp.bool, device=_backend.device(node.array))
    keep = xp.set_at(keep, where, False)  # a constant: False where the values were replaced
    wants = isinstance(value, Tensor) and value.requires_grad
    return lambda g: (F.where(keep, g, 0.0), _fit(value, g[where]) if wants else None)


def _fill_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    value = captured["value"]
    wants = isinstance(value, Tensor) and value.requires_grad

    def rule(g: Tensor) -> tuple[Any, Any]:
        zero = make_result(node.xp.zeros_like(g.array), node.xp, (), None, "")
        return zero, (_fit(value, F.reshape(F.sum(g), (1,) * value.ndim)) if wants else None)

    return rule


def _copy_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    moved = captured["moved"]

    def rule(g: Tensor) -> tuple[Any, Any]:
        zero = make_result(node.xp.zeros_like(g.array), node.xp, (), None, "")
        return zero, (_fit(moved, g) if moved.requires_grad else None)

    return rule


double_backward_by(arith_, _arith_rule)
double_backward_by(setitem, _setitem_rule)
double_backward_by(fill_, _fill_rule)
double_backward_by(copy_, _copy_rule)
