"""Module hooks, as torch: forward pre-hooks, forward hooks and full backward hooks.

A module without hooks is called straight (``Module.__call__`` checks one
class attribute); one with hooks goes through :func:`call_with_hooks`:

1. each forward pre-hook ``hook(module, args)``: a non-None result replaces
   the positional inputs (a non-tuple is wrapped in a 1-tuple);
2. ``forward(*args, **kwargs)``;
3. each forward hook ``hook(module, args, output)``: a non-None result
   replaces the output;
4. with backward hooks, the inputs and outputs are passed through identity
   nodes, so that in ``backward()`` the pre-hooks ``hook(module, grad_output)``
   and then ``hook(module, grad_input, grad_output)`` see the gradients with
   respect to the module's outputs and Tensor inputs (None for an input that
   needs none), and may replace them by returning a tuple.

Registering returns a :class:`RemovableHandle`; ``handle.remove()`` (or leaving
``with handle:``) takes the hook away. Hooks run in registration order
(``prepend=True`` puts one first).
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..tensor import Tensor, make_result

if TYPE_CHECKING:
    from .module import Module

KINDS = ("_forward_pre_hooks", "_forward_hooks", "_backward_pre_hooks", "_backward_hooks")
# Bumped whenever any hook is added or removed: nn.Sequential keeps its fused plan
# (which may call a layer's forward directly, skipping its hooks) only while it is unchanged.
EPOCH = [0]
_ids = itertools.count()


class RemovableHandle:
    """What ``register_*_hook`` returns: ``remove()`` unregisters the hook (idempotent).

    Made by the module, not by users.

    Args:
        module: the Module the hook is registered on.
        kind: the name of the module's hook table (``"_forward_hooks"``, ...).
        hook_id: the hook's key in that table.
    """

    def __init__(self, module: Module, kind: str, hook_id: int) -> None:
        self.module = module
        self.kind = kind
        self.id = hook_id

    def remove(self) -> None:
        hooks = self.module.__dict__.get(self.kind)
        if hooks is not None and self.id in hooks:
            del hooks[self.id]
            refresh(self.module)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def register(module: Module, kind: str, hook: Callable[..., Any], prepend: bool,
             **options: Any) -> RemovableHandle:
    if not callable(hook):
        raise TypeError(f"{kind.strip('_').replace('_', ' ')[:-1]} must be callable, got "
                        f"{type(hook).__name__}")
    hooks = module.__dict__.setdefault(kind, OrderedDict())
    hook_id = next(_ids)
    hooks[hook_id] = (hook, options)
    if prepend:
        hooks.move_to_end(hook_id, last=False)
    refresh(module)
    return RemovableHandle(module, kind, hook_id)


def refresh(module: Module) -> None:
    """Set ``module._hooked`` (read by ``__call__``) and tell every Sequential to re-plan."""
    module.__dict__["_hooked"] = any(module.__dict__.get(k) for k in KINDS)
    EPOCH[0] += 1


def _hooks(module: Module, kind: str) -> list[tuple[Callable[..., Any], dict[str, Any]]]:
    return list(module.__dict__.get(kind, {}).values())


def call_with_hooks(module: Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``module(*args, **kwargs)`` with its hooks (steps 1-4 of the module docstring)."""
    for hook, opts in _hooks(module, "_forward_pre_hooks"):
        if opts.get("with_kwargs"):
            result = hook(module, args, kwargs)
            if result is not None:
                args, kwargs = result
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    backward_hooks = _hooks(module, "_backward_hooks")
    backward_pre = _hooks(module, "_backward_pre_hooks")
    state = _BackwardState(module, backward_pre, backward_hooks) \
        if backward_hooks or backward_pre else None
    if state is not None:
        args = state.wrap_inputs(args)
    output = module.forward(*args, **kwargs)
    for hook, opts in _hooks(module, "_forward_hooks"):
        result = hook(module, args, kwargs, output) if opts.get("with_kwargs") \
            else hook(module, args, output)
        if result is not None:
            output = result
    if state is not None:
        output = state.wrap_outputs(output)
    return output


class _Grads:
    """Gradients of several identity nodes on their way to one hub node.

    The backward sweep adds the shares a node receives with ``+``; this object
    merges them by position instead, so the hub sees every input's gradient at once.
    """

    __slots__ = ("by_position",)
    gradient_bundle = True  # not a Tensor, but what a create_graph sweep may pass on (add up)

    def __init__(self, by_position: dict[int, Any]) -> None:
        self.by_position = by_position

    def __add__(self, other: _Grads) -> _Grads:
        merged = dict(self.by_position)
        for i, g in other.by_position.items():
            merged[i] = g if i not in merged else merged[i] + g
        return _Grads(merged)


class _BackwardState:
    """One call's backward hooks: inputs and outputs routed through identity nodes.

    Outputs: each output Tensor ``o`` becomes ``o'`` = identity(hub_out), hub_out =
    identity(o) collecting every output's gradient; when hub_out's rule runs, all
    output gradients are known: the backward pre-hooks run (and may replace them).
    Inputs: likewise, a hub over the inputs that need grad, whose rule runs once every
    input gradient has arrived; it calls the backward hooks, whose result may replace
    the gradients that continue to the inputs.
    """

    def __init__(self, module: Module, pre: list[Any], hooks: list[Any]) -> None:
        self.module = module
        self.pre = pre
        self.hooks = hooks
        self.n_inputs = 0
        self.input_positions: list[int] = []
        self.grad_output: tuple[Any, ...] = ()

    def wrap_inputs(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        self.n_inputs = len(args)
        self.input_positions = positions
        if not positions:
            return args
        parents = tuple(args[i] for i in positions)
        first = parents[0]

        def backward_hub(g: _Grads) -> tuple[Any, ...]:
            grads = tuple(g.by_position.get(k) for k in range(len(parents)))
            return self._fire(grads)

        hub = make_result(first.array, first.xp, parents, backward_hub,
                          "BackwardHookFunctionBackward", saves=False)
        out = list(args)
        for k, i in enumerate(positions):
            out[i] = make_result(args[i].array, args[i].xp, (hub,), _route_to(k),
                                 "BackwardHookFunctionBackward", saves=False)
        return tuple(out)

    def wrap_outputs(self, output: Any) -> Any:
        single = isinstance(output, Tensor)
        outputs = (output,) if single else tuple(output) if isinstance(output, (tuple, list)) \
            else ()
        positions = [i for i, o in enumerate(outputs) if isinstance(o, Tensor) and o.requires_grad]
        if not positions:
            return output
        parents = tuple(outputs[i] for i in positions)
        n_out = len(outputs)

        def backward_hub(g: _Grads) -> tuple[Any, ...]:
            grads = [g.by_position.get(k) for k in range(len(parents))]
            graph = any(isinstance(x, Tensor) for x in grads)  # create_graph: Tensors stay
            full: list[Any] = [None] * n_out
            for k, i in enumerate(positions):
                full[i] = grads[k]
            grad_output = tuple(_tensor(x) for x in full)
            for hook, _ in self.pre:
                result = hook(self.module, grad_output)
                if result is not None:
                    grad_output = tuple(result) if isinstance(result, (tuple, list)) else (result,)
            self.grad_output = grad_output
            if not self.input_positions:  # nothing will reach an input hub: fire now
                self._fire(())
            return tuple(_out(grad_output[i], graph) for i in positions)

        first = parents[0]
        hub = make_result(first.array, first.xp, parents, backward_hub,
                          "BackwardHookFunctionBackward", saves=False)
        wrapped = list(outputs)
        for k, i in enumerate(positions):
            wrapped[i] = make_result(outputs[i].array, outputs[i].xp, (hub,), _route_to(k),
                                     "BackwardHookFunctionBackward", saves=False)
        if single:
            return wrapped[0]
        return type(output)(wrapped)

    def _fire(self, grads: tuple[Any, ...]) -> tuple[Any, ...]:
        """Call the backward hooks with (grad_input, grad_output); the inputs' new gradients."""
        graph = any(isinstance(x, Tensor) for x in grads)  # create_graph: Tensors stay
        full: list[Any] = [None] * self.n_inputs
        for k, i in enumerate(self.input_positions):
            full[i] = grads[k]
        grad_input = tuple(_tensor(g) for g in full)
        for hook, _ in self.hooks:
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
                if len(result) != len(grad_input):
                    raise RuntimeError(
                        f"backward hook returned {len(result)} gradient(s) for "
                        f"{type(self.module).__name__}, which has {len(grad_input)} input(s): "
                        f"return one per input (None where there is none), or None")
                grad_input = result
        return tuple(_out(grad_input[i], graph) for i in self.input_positions)


def _route_to(k: int) -> Callable[[Any], tuple[_Grads]]:
    def backward(g: Any) -> tuple[_Grads]:
        return (_Grads({k: g}),)

    return backward


def _tensor(g: Any) -> Tensor | None:
    return g if g is None or isinstance(g, Tensor) else Tensor(g)


def _out(g: Any, graph: bool) -> Any:
    """A gradient a hook gave, as the sweep passes them on: a native array, or under
    ``create_graph`` a Tensor (with its graph, if it has one)."""
    if not graph:
        return g.array if isinstance(g, Tensor) else g
    return g if g is None or isinstance(g, Tensor) else Tensor(g)
