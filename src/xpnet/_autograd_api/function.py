"""``xn.autograd.Function``: custom ops with a hand-written backward, as in torch.

    class Cube(xn.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * 3 * x ** 2

    y = Cube.apply(x)

``forward`` runs with grad mode off; its output becomes one node of the graph
whose backward rule calls ``backward`` (also with grad mode off) with Tensors.
Under ``create_graph=True`` ``backward`` runs with grad mode on, as in torch, so that
the xpnet ops it applies to the saved tensors record the gradient's own graph
(``_autograd_api/double_function.py``).
torch's newer style, ``forward(*args)`` plus ``setup_context(ctx, inputs, output)``,
works too.
"""

from __future__ import annotations

from typing import Any

from .. import _backend, _dtypes
from ..autograd import grad_mode, no_grad
from ..functional._core import unbroadcast
from ..tensor import Tensor, make_result

__all__ = ["Function", "FunctionCtx"]


class FunctionCtx:
    """The ``ctx`` passed to ``forward``/``backward``: saves tensors, says which inputs need grads.

    Any other attribute may be set on it (``ctx.alpha = alpha``) to pass values along.
    """

    needs_input_grad: tuple[bool, ...]

    def __init__(self) -> None:
        self._saved: tuple[tuple[Any, int], ...] = ()
        self._non_differentiable: set[int] = set()
        self.materialize_grads = True

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep ``tensors`` (or None) for ``backward``; read them back as ``ctx.saved_tensors``."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} is of "
                                f"type {type(t).__name__}: keep other values as ctx attributes")
        self._saved = tuple((t, getattr(t, "_version", 0)) for t in tensors)

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """The tensors given to ``save_for_backward``; raises if one was changed in place since."""
        for i, (t, version) in enumerate(self._saved):
            if t is not None and t._version != version:
                raise RuntimeError(f"one of the variables needed for gradient computation has been "
                                   f"modified by an inplace operation: saved tensor {i} of shape "
                                   f"{t.shape} changed after save_for_backward; clone it before "
                                   "changing it, or save a copy")
        return tuple(t for t, _ in self._saved)

    def mark_non_differentiable(self, *tensors: Any) -> None:
        """Outputs that get no gradient (indices, masks): they leave the graph."""
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors: Any) -> None:
        """Accepted for torch's API: xpnet's outputs are always new tensors."""

    def set_materialize_grads(self, value: bool) -> None:
        """With False, ``backward`` gets None (not zeros) for outputs that got no gradient."""
        self.materialize_grads = bool(value)


class Function:
    """Base class of custom differentiable ops: subclass, write static ``forward`` and
    ``backward``, and call ``YourOp.apply(*args)``.

    ``backward(ctx, *grad_outputs)`` returns one gradient per argument of ``forward``
    (None for arguments that are not Tensors or need none), each of that argument's
    shape (a broadcastable one is summed down, as torch does).
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. "
                           "Please use new-style autograd function with static forward method, and "
                           "call it as YourFunction.apply(...)")

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> Any:
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError("You must implement either the backward or vjp method for your "
                                  "custom autograd.Function to use it with backward mode AD.")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` on ``args`` and record one node whose backward rule is ``backward``."""
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        with no_grad():
            if cls.setup_context is not Function.setup_context:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        if not grad_mode.enabled or not any(ctx.needs_input_grad):
            return output
        many = isinstance(output, tuple)
        outputs = output if many else (output,)
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        parents = tuple(args[i] for i in positions)
        name = f"{cls.__name__}Backward"
        results = []
        for k, out in enumerate(outputs):
            if (not isinstance(out, Tensor) or id(out) in ctx._non_differentiable
                    or not _dtypes.is_floating(out.array.dtype)):
                results.append(out)
                continue
            rule = _rule(cls, ctx, args, positions, outputs, k)
            results.append(make_result(out.array, out.xp, parents, rule, name, saves=False))
        return tuple(results) if many else results[0]


def _rule(cls: Any, ctx: FunctionCtx, args: tuple[Any, ...], positions: list[int],
          outputs: tuple[Any, ...], k: int) -> Any:
    """The backward rule of output ``k``: ``cls.backward`` with G at k and zeros elsewhere
    (the rule is linear in the grad_outputs, so the outputs' shares add up right)."""

    def backward(g: Any) -> tuple[Any, ...]:
        grad_outputs: list[Any] = []
        for j, out in enumerate(outputs):
            if j == k:
                grad_outputs.append(make_result(g, out.xp, (), None, ""))
            elif isinstance(out, Tensor) and ctx.materialize_grads:
                grad_outputs.append(make_result(out.xp.zeros_like(out.array), out.xp, (), None, ""))
            else:
                grad_outputs.append(None)
        with no_grad():
            returned = counted(cls, cls.backward(ctx, *grad_outputs), len(args))
        return tuple(_fit(cls, i, args[i], returned[i]) for i in positions)

    return backward


def counted(cls: Any, returned: Any, n: int) -> tuple[Any, ...]:
    """What ``cls.backward`` returned, as a tuple of (at least) one gradient per argument."""
    returned = returned if isinstance(returned, tuple) else (returned,)
    if len(returned) < n or any(r is not None for r in returned[n:]):
        raise RuntimeError(f"function {cls.__name__}Backward returned an incorrect number of "
                           f"gradients (expected {n}, got {len(returned)}): return one "
                           "per argument of forward, None for those without a gradient")
    return returned


def _fit(cls: Any, i: int, arg: Tensor, g: Any) -> Any:
    """Gradient ``g`` for argument ``arg``: its native array, in ``arg``'s shape and dtype."""
    if g is None or not arg.requires_grad:
        return None
    data = g.array if isinstance(g, Tensor) else g
    if isinstance(data, (int, float)):
        data = arg.xp.full(tuple(arg.array.shape), data, dtype=arg.array.dtype,
                            device=_backend.device(arg.array))
    shape = tuple(arg.array.shape)
    if tuple(data.shape) != shape:
        try:
            data = unbroadcast(arg.xp, data, shape)
        except (ValueError, RuntimeError):
            raise RuntimeError(f"Function {cls.__name__}Backward returned an invalid gradient at index "
                               f"{i} - got {list(data.shape)} but expected shape compatible with "
                               f"{list(shape)}") from None
    if data.dtype != arg.array.dtype:
        data = arg.xp.astype(data, arg.array.dtype)
    return data
