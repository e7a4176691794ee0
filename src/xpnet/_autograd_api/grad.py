"""``xn.autograd.grad``: gradients of outputs with respect to chosen inputs, as torch's.

Unlike ``backward()``, nothing is written to any ``.grad``: the gradients come back
as a tuple. The sweep is backward()'s: nodes in reverse creation order (a max-heap
of ``_seq``), each node's rule run once its gradient is complete, and values
changed in place since the forward refused (``autograd.check_saved``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from heapq import heappop, heappush
from typing import Any

from .. import _backend, autograd
from ..autograd import CLOCK, check_saved
from ..tensor import Tensor, make_result
from . import higher_order

__all__ = ["grad"]


def _as_tuple(obj: Any, what: str) -> tuple[Any, ...]:
    if isinstance(obj, Tensor) or _backend.is_array(obj):
        return (obj,)
    if isinstance(obj, Sequence):
        return tuple(obj)
    raise TypeError(f"grad(): {what} must be a Tensor or a sequence of Tensors, got {type(obj).__name__}")


def _seed(output: Tensor, given: Any, k: int) -> Any:
    """``dL/d output`` to start from: ``given``, or 1 for a one-element output."""
    data = output.array
    if given is None:
        if len(data.shape) and math.prod(data.shape) != 1:
            raise RuntimeError(f"grad can be implicitly created only for scalar outputs: output {k} has "
                               f"shape {tuple(data.shape)}; pass grad_outputs=[...] of its shape")
        return output.xp.ones_like(data)
    g = given.array if isinstance(given, Tensor) else given
    if not _backend.is_array(g) or tuple(g.shape) != tuple(data.shape):
        shape = tuple(g.shape) if hasattr(g, "shape") else type(g).__name__
        raise RuntimeError(f"Mismatch in shape: grad_output[{k}] has a shape of {shape} and output[{k}] "
                           f"has a shape of {tuple(data.shape)}")
    return g


# How backward() frees a graph (once xpnet.autograd frees graphs as torch does): a node
# whose rule read saved values gets the rule ``_freed``, which raises ``_GraphFreed``.
_FREED = getattr(autograd, "_freed", None)
_GRAPH_FREED: tuple[type[BaseException], ...] = tuple(
    e for e in (getattr(autograd, "_GraphFreed", None),) if e is not None)


def _sweep(grads: dict[Tensor, Any], pending: list[tuple[int, Tensor]], wanted: set[int],
           free: bool) -> dict[int, Any]:
    """backward()'s sweep from the seeded ``grads``, collecting the gradients of ``wanted``.

    With ``free``, nodes that saved values drop them as backward() does (torch's default).
    """
    found: dict[int, Any] = {}
    now = CLOCK[0]
    while pending:
        node = heappop(pending)[1]
        g = grads.pop(node)
        if id(node) in wanted:
            found[id(node)] = g
        rule, parents = node._backward, node._parents
        if rule is None:
            continue
        try:
            if node._saved is not None:
                if node._saved != now:
                    check_saved(node)
                if free and _FREED is not None:
                    node._backward, node._parents = _FREED, ()
            pairs = list(zip(parents, rule(g)))
        except _GRAPH_FREED:
            raise RuntimeError(
                f"Trying to backward through the graph a second time: '{node._op}' dropped its saved "
                "values in an earlier backward() or grad(). Specify retain_graph=True if you need "
                "to backward through the graph a second time") from None
        for parent, pg in pairs:
            if pg is None or not parent.requires_grad:
                continue
            if parent._backward is None and id(parent) not in wanted:
                continue  # a leaf nobody asked for
            higher_order.send(grads, pending, parent, pg)
    return found


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> tuple[Tensor | None, ...]:
    """The sum over ``outputs`` of ``grad_outputs[k] . d outputs[k] / d inputs``, one per input.

    Args:
        outputs: a Tensor or a sequence of Tensors that were computed from ``inputs``.
        inputs: the Tensors (leaves or not) to differentiate with respect to.
        grad_outputs: ``dL/d output`` for each output (may be left out, or None, for
            one-element outputs: then 1).
        allow_unused: an input the outputs do not depend on gives None instead of an
            error (zeros with ``materialize_grads=True``).
        retain_graph: keep the graph for another backward()/grad() through it; by default
            it is freed as backward() frees it.
        create_graph: give gradients that carry their own graph, so that they can be
            differentiated again (the graph is kept unless ``retain_graph=False``); ops not
            yet converted raise NotImplementedError (see docs/higher-order.md).
        only_inputs: accepted for torch's signature (torch ignores it too).
        is_grads_batched: not supported: True raises NotImplementedError.
        materialize_grads: give zeros instead of None for unused inputs.

    Returns a tuple of Tensors (or None), one per input, each of that input's shape.
    ``.grad`` attributes are left untouched.
    """
    if is_grads_batched:
        raise NotImplementedError("grad(is_grads_batched=True) is not supported: loop over the batch")
    outs = _as_tuple(outputs, "outputs")
    ins = _as_tuple(inputs, "inputs")
    allow_unused = bool(allow_unused) or materialize_grads
    given = (None,) * len(outs) if grad_outputs is None else _as_tuple(grad_outputs, "grad_outputs")
    if len(given) != len(outs):
        raise RuntimeError(f"grad requires one grad_output per output: got {len(given)} grad_outputs "
                           f"for {len(outs)} outputs")
    for i, t in enumerate(ins):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad(): inputs[{i}] is a {type(t).__name__}, not a Tensor")
        if not t.requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors does not require grad (inputs[{i}] of "
                               f"shape {t.shape}): create it with requires_grad=True")
    grads: dict[Tensor, Any] = {}
    pending: list[tuple[int, Tensor]] = []
    for k, (out, g) in enumerate(zip(outs, given)):
        if not isinstance(out, Tensor) or not out.requires_grad:
            raise RuntimeError(f"element {k} of tensors does not require grad and does not have a "
                               "grad_fn: compute it from tensors with requires_grad=True, outside no_grad()")
        seed = _seed(out, g, k)
        if out in grads:
            grads[out] = grads[out] + seed
        else:
            grads[out] = seed
            heappush(pending, (-out._seq, out))
    if create_graph:  # gradients with their own graph (the graph is kept)
        found = higher_order.grad_graph(outs, given, ins, retain_graph)
    else:
        found = _sweep(grads, pending, {id(t) for t in ins}, free=not retain_graph)
    result: list[Tensor | None] = []
    for i, t in enumerate(ins):
        g = found.get(id(t))
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"One of the differentiated Tensors appears to not have been used in "
                                   f"the graph (inputs[{i}] of shape {t.shape}). Set allow_unused=True "
                                   "if this is the desired behavior.")
            if materialize_grads:
                g = t.xp.zeros_like(t.array)
            result.append(None if g is None else make_result(g, t.xp, (), None, ""))
        elif create_graph:
            result.append(g)
        else:
            if not _backend.owns_memory(g):  # a broadcast view (sum's backward): give a real array
                g = t.xp.asarray(g, copy=True)
            result.append(make_result(g, t.xp, (), None, ""))
    return tuple(result)
