"""Double backward of a custom ``xn.autograd.Function``: its ``backward`` run with grad mode on.

As torch does under ``create_graph=True``: ``backward(ctx, *grad_outputs)`` is called with
the incoming gradient as a Tensor with its graph and grad mode on, so the xpnet ops it
applies to its saved tensors (``grad_output * 3 * x ** 2``) record the gradient's own
graph, differentiable again. A saved output of the Function is the node itself (its
values with its graph), as torch's ``saved_tensors`` give it. The gradients it returns
are summed to their argument's shape and cast to its dtype with Tensor ops. A
``backward`` decorated with ``once_differentiable`` runs without a graph and marks its
results so that differentiating them raises torch's RuntimeError.
"""

from __future__ import annotations

from typing import Any

from .. import _backend, _dtypes
from .. import functional as F
from .._double_backward import double_backward_by
from ..autograd import enable_grad
from ..functional._core import unbroadcast
from ..tensor import Tensor
from .function import _rule, counted
from .higher_order import Rule, constant, unsupported
from .tensor_namespace import tensor_namespace


def _function_rule(node: Tensor, captured: dict[str, Any]) -> Rule:
    cls, ctx, args, positions, outputs, k = (captured[name] for name in
                                             ("cls", "ctx", "args", "positions", "outputs", "k"))
    saved = ctx._saved
    swapped = []
    for t, version in saved:
        if t is not None and t is outputs[k] and t._version == version:
            t, version = node, node._version  # the output with its graph (torch's saved output)
        elif any(t is out and _differentiable(ctx, out) for j, out in enumerate(outputs) if j != k):
            raise unsupported(node, f"{cls.__name__}.backward reads another of its outputs "
                                    "(saved with save_for_backward)")
        swapped.append((t, version))

    def rule(g: Tensor) -> tuple[Any, ...]:
        grad_outputs: list[Any] = []
        for j, out in enumerate(outputs):
            if j == k:
                grad_outputs.append(g)
            elif isinstance(out, Tensor) and ctx.materialize_grads:
                grad_outputs.append(constant(out, out.xp.zeros_like(out.array)))
            else:
                grad_outputs.append(None)
        ctx._saved = tuple(swapped)
        try:
            with enable_grad():
                returned = counted(cls, cls.backward(ctx, *grad_outputs), len(args))
        finally:
            ctx._saved = saved
        return tuple(_fit(cls, i, args[i], returned[i]) for i in positions)

    return rule


def _differentiable(ctx: Any, out: Any) -> bool:
    """Whether output ``out`` of the Function has a node (else: a constant, fine to read)."""
    return (isinstance(out, Tensor) and id(out) not in ctx._non_differentiable
            and _dtypes.is_floating(out.array.dtype))


def _fit(cls: Any, i: int, arg: Tensor, g: Any) -> Any:
    """Gradient ``g`` for argument ``arg`` as a Tensor: its shape (summed down) and dtype."""
    if g is None or not arg.requires_grad:
        return None
    shape = tuple(arg.array.shape)
    if isinstance(g, (int, float)):
        g = arg.xp.full(shape, g, dtype=arg.array.dtype, device=_backend.device(arg.array))
    if not isinstance(g, Tensor):
        g = constant(arg, g)
    if tuple(g.array.shape) != shape:
        try:
            g = unbroadcast(tensor_namespace(arg.xp), g, shape)
        except (ValueError, RuntimeError):
            raise RuntimeError(f"Function {cls.__name__}Backward returned an invalid gradient at index "
                               f"{i} - got {list(g.shape)} but expected shape compatible with "
                               f"{list(shape)}") from None
    return g if g.array.dtype == arg.array.dtype else F.to(g, dtype=arg.array.dtype)


double_backward_by(_rule, _function_rule)
