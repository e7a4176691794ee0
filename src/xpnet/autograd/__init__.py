"""Reverse-mode automatic differentiation: grad mode, the backward sweep, anomaly mode.

Every op records, on the tensor it returns, its inputs (``_parents``) and a
closure ``_backward(G)`` that maps the gradient ``G = dL/d(out)`` to the
gradients of the loss with respect to each input (the chain rule, one op at a
time). ``backward(loss)`` visits the graph once, from the loss back to the
leaves, in reverse topological order, so each node has received the gradient
of every path through it before it passes its own gradient on.
"""

from __future__ import annotations

import functools
import itertools
import math
import threading
from collections.abc import Callable
from heapq import heappop, heappush
from typing import TYPE_CHECKING, Any, TypeVar

from .. import _backend
from ..anomaly import detect_anomaly as detect_anomaly
from ..anomaly import is_anomaly_check_nan_enabled as is_anomaly_check_nan_enabled
from ..anomaly import is_anomaly_enabled as is_anomaly_enabled
from ..anomaly import set_detect_anomaly as set_detect_anomaly

if TYPE_CHECKING:
    from .._autograd_api.function import Function, FunctionCtx
    from .._autograd_api.grad import grad
    from .._autograd_api.gradcheck import GradcheckError, gradcheck, gradgradcheck
    from .._autograd_api.mode import inference_mode, set_grad_enabled
    from ..tensor import Tensor

F = TypeVar("F", bound=Callable[..., Any])

# The public names (the API reference shows these): bump, wrap, first_grad... are the
# library's own. Function, grad, gradcheck... are reached through __getattr__ below.
__all__ = ["Function", "FunctionCtx", "GradcheckError", "backward", "detect_anomaly", "enable_grad",
           "grad", "gradcheck", "gradgradcheck", "inference_mode", "is_anomaly_check_nan_enabled",
           "is_anomaly_enabled", "is_grad_enabled", "no_grad", "set_detect_anomaly", "set_grad_enabled"]
__all__ += ["history"]  # xpnet's own: the graph as data (xpnet.viz draws it)


class _GradMode(threading.local):
    """Whether ops record the graph; per thread, as in PyTorch."""

    enabled = True


grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """Whether new ops record the graph (False inside ``no_grad()``)."""
    return grad_mode.enabled


class _SetGradMode:
    """Context manager and decorator that sets grad mode, restoring it on exit."""

    _mode: bool

    def __new__(cls, func: Any = None) -> Any:
        self = super().__new__(cls)
        return self if func is None else self(func)  # bare ``@no_grad``, as in PyTorch

    def __enter__(self) -> None:
        self._previous = grad_mode.enabled
        grad_mode.enabled = self._mode

    def __exit__(self, *exc: object) -> None:
        grad_mode.enabled = self._previous

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_SetGradMode):
    """Run without recording the graph: for parameter updates and inference.

    >>> with xn.no_grad():
    ...     w -= lr * w.grad

    ``no_grad()`` is a context manager; ``no_grad(func)``, like the bare decorator
    ``@no_grad``, returns the function ``func`` wrapped to run without recording.
    """

    _mode = False


class enable_grad(_SetGradMode):
    """Record the graph again inside a ``no_grad`` block.

    ``enable_grad()`` is a context manager; ``enable_grad(func)``, like the bare decorator
    ``@enable_grad``, returns the function ``func`` wrapped to run recording.
    """

    _mode = True


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False, grad_variables: Any = None, inputs: Any = None) -> None:
    """``torch.autograd.backward``: the gradients of ``tensors`` (a Tensor or a sequence) summed
    into the leaves, each seeded by its entry of ``grad_tensors`` (None: 1 for a scalar).

    Args:
        tensors: a Tensor, or a sequence of Tensors, to differentiate.
        grad_tensors: the gradient of each (a Tensor or array of its shape, or None for a
            scalar); ``grad_variables`` is torch's old name for it.
        retain_graph: keep the graph after the last sweep (the sweeps before it always keep it).
        create_graph: higher-order gradients (see :meth:`Tensor.backward`).
        inputs: accumulate into these Tensors' ``.grad`` only.

    Raises:
        RuntimeError: as :meth:`Tensor.backward`, and when the two sequences differ in length.
    """
    if grad_variables is not None:
        if grad_tensors is not None:
            raise TypeError("backward(): give grad_tensors or grad_variables, not both")
        grad_tensors = grad_variables
    if isinstance(tensors, (list, tuple)):
        return _backward_each(tensors, grad_tensors, retain_graph, create_graph, inputs)
    if isinstance(grad_tensors, (list, tuple)) and len(grad_tensors) == 1:
        grad_tensors = grad_tensors[0]
    return tensor_backward(tensors, grad_tensors, retain_graph, create_graph, inputs)


def _backward_each(roots: Any, gradients: Any, retain_graph: bool | None, create_graph: bool,
                   inputs: Any) -> None:
    """:func:`backward` of each root in turn, keeping the graph until the last one (the
    gradients of a shared graph add up, as torch's one sweep gives)."""
    roots = list(roots)
    if gradients is None:
        gradients = [None] * len(roots)
    elif not isinstance(gradients, (list, tuple)):
        gradients = [gradients]
    if len(gradients) != len(roots):
        raise RuntimeError(f"grad_tensors has {len(gradients)} entries but tensors has {len(roots)}: "
                           "give one gradient (or None) per tensor")
    for i, (root, gradient) in enumerate(zip(roots, gradients)):
        keep = True if i < len(roots) - 1 else retain_graph
        tensor_backward(root, gradient, keep, create_graph, inputs)


def tensor_backward(root: Tensor, gradient: Any = None, retain_graph: bool | None = None,
                    create_graph: bool = False, inputs: Any = None) -> None:
    """Accumulate ``d root / d leaf`` into ``leaf.grad`` for every leaf that requires grad.

    This is ``Tensor.backward``, with torch's signature (``xn.autograd.backward`` is
    :func:`backward`, torch's module-level form).

    Args:
        gradient: ``dL/d root``, an array or Tensor of ``root``'s shape; it may be left
            out when ``root`` is a scalar (then it is 1).
        retain_graph: keep the graph for another ``backward()`` through it. By default
            (None: the value of ``create_graph``) the graph is freed as it is swept, as
            in torch: every op that keeps values for its backward rule (mul, matmul,
            activations, losses...) drops them and its inputs, so their memory is freed
            and a second ``backward()`` through it raises RuntimeError. Ops that keep
            nothing (add, sub, neg, sum, mean, reshape, indexing) stay usable, as in torch.
        create_graph: record the gradients' own graph, so that they can be differentiated
            again (second and higher derivatives); the ``.grad`` set are Tensors with a
            graph, and the graph is kept (unless ``retain_graph=False`` is given). Ops not
            yet converted raise NotImplementedError.
        inputs: a Tensor or a sequence of Tensors: accumulate into their ``.grad`` only
            (leaves or not); other leaves are left untouched.

    Raises:
        RuntimeError: ``root`` does not require grad; a non-scalar ``root`` without
            ``gradient``; the graph was freed by an earlier ``backward()``; a value the
            graph needs was changed in place since the forward pass.

    Every tensor is numbered when it is made (``_seq``), and an op's output is
    always made after its inputs, so creation order is a topological order.
    The sweep pops the newest pending node from a max-heap: by then every
    consumer of that node (all newer) has sent its share of the gradient, so
    the node's gradient is complete when its backward rule runs. A leaf has no
    rule to wait for: each share is added to its ``.grad`` as it arrives.

    A chain (an MLP: each node feeds one inner node) skips the heap: when the node
    just run leaves exactly one inner node waiting, that node's consumers have all
    run (any other consumer would be waiting too), so it runs next directly.
    """
    if create_graph or inputs is not None:
        if create_graph:  # gradients that carry a graph: xpnet._autograd_api.higher_order
            return _backward_graph(root, gradient, inputs, retain_graph)
        return _backward_into(root, gradient, retain_graph, inputs)
    if not root.requires_grad:
        raise RuntimeError(
            "backward() on a tensor that does not require grad: none of the tensors it was "
            "computed from has requires_grad=True (or it was computed under no_grad())"
        )
    data = root.array
    stored: set[int] = set()  # arrays the caller or a .grad keeps: never adopt them as a .grad
    if gradient is None:
        if data.shape and math.prod(data.shape) != 1:
            raise RuntimeError(
                f"backward() on a non-scalar tensor of shape {tuple(data.shape)} needs "
                "gradient=... of the same shape; or reduce it first, e.g. loss.sum().backward()"
            )
        gradient = root.xp.ones_like(data)
    else:
        if isinstance(gradient, type(root)):  # a Tensor (root's class is Tensor, or a subclass)
            gradient = gradient.array
        if type(gradient) is not type(data) or gradient.shape != data.shape:
            gradient = _gradient_array(root, gradient)
        stored.add(id(gradient))
    if root._backward is None:
        _accumulate(root, gradient, stored)
        return

    now = CLOCK[0]
    free = not retain_graph
    # Keyed by the tensors themselves: Tensor hashes by identity (its == is elementwise,
    # but a dict compares keys by identity first, and live tensors never share a hash).
    grads: dict[Tensor, Any] = {}
    pending: list[tuple[int, Tensor]] = []
    node, g = root, gradient
    try:  # entered once per backward(), not per node
        while True:
            if node._retains_grad:
                _accumulate(node, g, stored)
            rule = node._backward
            parents = node._parents
            saved = node._saved
            if saved is not None:  # the rule reads values: the node is freed after use
                if saved != now:  # something was changed in place since
                    check_saved(node)
                if free:  # drop the closure's arrays and the inputs (torch frees them too)
                    node._backward = _freed
                    node._parents = ()
            after = after_g = None  # the one inner node waiting, while no other is
            for parent, pg in zip(parents, rule(g)):  # type: ignore[misc]
                if pg is None:
                    continue
                if parent._backward is None:  # a leaf: no rule to wait for
                    if not parent.requires_grad:
                        continue
                    if parent._grad is None:  # its first share (_accumulate's path, one call less)
                        parent._grad = first_grad(parent, pg, stored)
                    else:
                        _accumulate(parent, pg, stored)
                elif parent is after:
                    after_g = after_g + pg
                elif parent in grads:
                    grads[parent] = grads[parent] + pg
                elif after is None and not pending:
                    after, after_g = parent, pg
                else:  # a second inner node waits: both go on the heap
                    if after is not None:
                        grads[after] = after_g
                        heappush(pending, (-after._seq, after))
                        after = None
                    grads[parent] = pg
                    heappush(pending, (-parent._seq, parent))
            if after is not None:
                node, g = after, after_g
            elif pending:
                node = heappop(pending)[1]
                g = grads.pop(node)
            else:
                return
    except _GraphFreed:
        raise RuntimeError(
            f"Trying to backward through the graph a second time (or directly access saved "
            f"tensors after they have already been freed): '{node._op}' (output shape "
            f"{tuple(node.array.shape)}) dropped its saved values in an earlier backward(). "
            f"Saved intermediate values of the graph are freed when you call .backward(). "
            f"Specify retain_graph=True if you need to backward through the graph a second "
            f"time, or compute the forward pass again"
        ) from None


def _backward_graph(root: Tensor, gradient: Any, inputs: Any, retain_graph: bool | None) -> None:
    """``backward(create_graph=True)``: the checks of :func:`backward`, then the sweep on Tensors."""
    from .._autograd_api.higher_order import backward_graph

    if not root.requires_grad:
        raise RuntimeError("backward() on a tensor that does not require grad: none of the tensors "
                           "it was computed from has requires_grad=True (or it was computed under "
                           "no_grad())")
    if gradient is None and root.array.shape and math.prod(root.array.shape) != 1:
        raise RuntimeError(f"backward() on a non-scalar tensor of shape {tuple(root.array.shape)} "
                           "needs gradient=... of the same shape; or reduce it first")
    if gradient is not None and not (isinstance(gradient, type(root))
                                     and gradient.array.shape == root.array.shape):
        gradient = _gradient_array(root, gradient)
    backward_graph(root, gradient, inputs, retain_graph)


class _GraphFreed(Exception):
    """Raised by the rule of a node whose graph an earlier ``backward()`` freed."""


def _freed(g: Any) -> tuple[Any, ...]:
    """The backward rule of a freed node (see :func:`backward`): its values are gone."""
    raise _GraphFreed


def _backward_into(root: Tensor, gradient: Any, retain_graph: bool | None, inputs: Any) -> None:
    """``backward(inputs=...)``: accumulate into the ``.grad`` of ``inputs`` only.

    The other leaves that require grad are set aside (requires_grad off) for the sweep,
    and inner tensors among ``inputs`` retain their gradient, then both are restored.
    """
    from ..tensor import Tensor

    targets = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if not targets:
        raise RuntimeError("backward(inputs=...): the inputs argument cannot be empty "
                           "(leave it out to accumulate into every leaf)")
    for t in targets:
        if not isinstance(t, Tensor):
            raise TypeError(f"backward(inputs=...) takes Tensors, got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError(f"backward(inputs=...): an input of shape {t.shape} does not "
                               "require grad: set requires_grad=True when you create it")
    chosen = {id(t) for t in targets}
    set_aside: list[Tensor] = []
    retained: list[Tensor] = []
    seen: set[int] = set()
    todo = [root]
    while todo:  # every tensor of the graph, once
        t = todo.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if t._backward is None:
            if t.requires_grad and id(t) not in chosen:
                set_aside.append(t)
        else:
            if id(t) in chosen and not t._retains_grad:
                retained.append(t)
            todo.extend(t._parents)
    for t in set_aside:
        t.requires_grad = False
    for t in retained:
        t._retains_grad = True
    try:
        tensor_backward(root, gradient, retain_graph)
    finally:
        for t in set_aside:
            t.requires_grad = True
        for t in retained:
            t._retains_grad = False


def history(root: Tensor) -> list[tuple[Tensor, str, tuple[Tensor, ...]]]:
    """The graph that made ``root``, for drawing it (:func:`xpnet.viz.graph`) or reading it.

    Every tensor ``root`` was computed from, and ``root`` itself, inputs first (creation
    order), each as ``(tensor, op, inputs)``: the name of the op that made it and the
    tensors it read (``""`` and ``()`` for a leaf; Python numbers are not listed). A graph
    that ``backward()`` freed shows its ops' outputs as leaves.
    """
    seen: dict[int, Tensor] = {}
    stack = [root]
    while stack:
        t = stack.pop()
        if id(t) in seen or t.array is None:  # no array: the stand-in for a Python number
            continue
        seen[id(t)] = t
        stack.extend(t._parents)
    nodes = sorted(seen.values(), key=lambda t: t._seq)
    return [(t, t._op if t._parents else "", tuple(p for p in t._parents if p.array is not None))
            for t in nodes]


# In-place changes are stamped with a clock: ``bump(t)`` sets ``t._version`` to the next
# tick, and an op whose backward reads values notes the time (``_saved``). A value
# stamped after that time was changed since. ``CLOCK[0]`` is the latest tick handed out.
_ticks = itertools.count(1)
CLOCK = [0]


def bump(t: Tensor) -> None:
    """Record that ``t.array`` was just changed in place (graphs made before must not use it)."""
    CLOCK[0] = t._version = next(_ticks)


def bump_all(tensors: list[Tensor]) -> None:
    """:func:`bump` for each of ``tensors``, changed in place at once (one tick for all)."""
    CLOCK[0] = tick = next(_ticks)
    for t in tensors:
        t._version = tick


def check_saved(node: Tensor) -> None:
    """Raise if a value ``node``'s backward rule reads was changed in place after the forward.

    Every in-place update of a tensor's data (``t += ...`` under ``no_grad``, an
    optimizer step) stamps its ``_version`` with the clock (:func:`bump`); the op
    noted the time. Using the changed values would give a silently wrong gradient.
    """
    if node._backward is _freed:
        raise _GraphFreed
    saved = node._saved or 0
    changed = [p for p in (*node._parents, node) if p._version > saved]
    if changed:
        shapes = ", ".join(f"a tensor of shape {tuple(t.array.shape)}" for t in changed)
        raise RuntimeError(
            f"backward() through '{node._op}': {shapes} that it needs was modified in place "
            "after the forward pass (an optimizer step or a `t -= ...` update): compute the "
            "loss again after the update, or update after backward()"
        )


def _accumulate(node: Tensor, g: Any, stored: set[int]) -> None:
    """``node.grad += g``, never sharing memory between two ``.grad`` arrays.

    ``g`` is adopted without a copy only when it owns its memory and no other
    ``.grad`` (nor the caller) holds it: a view (``reshape``'s, ``sum``'s broadcast)
    may alias the gradient stored on another leaf, or be read-only, or overlap
    itself (torch).
    """
    if g.shape != node.array.shape:  # a broken backward rule, not user error
        raise AssertionError(f"gradient of shape {tuple(g.shape)} for {tuple(node.array.shape)}")
    grad = node._grad
    if grad is None:
        node._grad = first_grad(node, g, stored)
    else:  # the same Tensor, as torch accumulates into it: a kept ``t.grad`` sees the sum
        grad.array = grad.array + g


def wrap(data: Any, xp: Any) -> Tensor:
    """A new leaf Tensor around ``data``: :mod:`xpnet.tensor` replaces this with its maker."""
    raise AssertionError("xpnet.tensor sets autograd.wrap when it is imported")


def first_grad(node: Tensor, g: Any, stored: set[int]) -> Tensor:
    """``node``'s first ``.grad``: a Tensor holding ``g``, or a copy of it when it may be shared.

    ``g`` is adopted without a copy only when it owns its memory and no other ``.grad``
    (nor the caller) holds it (``stored``). When ``zero_grad()`` (``t.grad = None``)
    dropped a ``.grad`` Tensor that nothing else referred to (the user kept no
    ``g = t.grad``, no graph held it), it emptied it and kept it as the node's spare; the
    spare is refilled here, so a training step makes no new Tensor per parameter.
    """
    if id(g) in stored or not _backend.owns_memory(g):
        g = node.xp.asarray(g, copy=True)
    stored.add(id(g))
    spare = getattr(node, "_spare", None)  # a slot set only by the grad setter
    if spare is not None:  # reachable from nowhere else (the setter checked)
        node._spare = None
        spare.array = g
        spare.xp = node.xp
        return spare
    return wrap(g, node.xp)


def _gradient_array(root: Tensor, gradient: Any) -> Any:
    from ..tensor import Tensor

    data = gradient.array if isinstance(gradient, Tensor) else gradient
    if not _backend.is_array(data) or _backend.namespace(data) is not root.xp:
        raise TypeError(
            f"backward(gradient=...) must be an array or Tensor of the same library as the "
            f"tensor ({_backend.library(root.xp)}), got {type(data).__name__}"
        )
    if tuple(data.shape) != tuple(root.array.shape):
        raise ValueError(
            f"backward(gradient=...) has shape {tuple(data.shape)} but the tensor has shape "
            f"{tuple(root.array.shape)}: they must match"
        )
    return data




# torch's autograd API built on Tensor (Function, grad, gradcheck, ...) lives in
# xpnet._autograd_api, imported on first use: this module is imported before Tensor exists.
_API = ("Function", "FunctionCtx", "GradcheckError", "grad", "gradcheck", "gradgradcheck",
        "inference_mode", "set_grad_enabled")


def __getattr__(name: str) -> Any:
    if name in _API:
        from .. import _autograd_api

        return getattr(_autograd_api, name)
    if name in ("functional", "function"):  # torch's submodules (importable too)
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'xpnet.autograd' has no attribute {name!r}")
