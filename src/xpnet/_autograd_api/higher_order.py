"""``create_graph=True``: the backward sweep on Tensors, so that gradients have a graph.

The sweep is ``backward()``'s (nodes newest first, each node's rule run once its
gradient is complete), but the gradients are Tensors and each node's rule runs on
Tensors: :func:`lift` re-binds the values the rule closed over (``xp``, the input
and output arrays) to their Tensors and the Tensor namespace, so the rule's own
arithmetic records the graph of the gradient. That graph can be differentiated
again, to any order. The first-order sweep (:func:`xpnet.autograd.backward`) is
untouched: this module runs only when ``create_graph=True`` is asked for.

A rule is lifted only when its op declared it safe (``xpnet._double_backward``);
any other raises NotImplementedError ("double backward of <op> is not supported
yet"), never a silently wrong second derivative.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from heapq import heappop, heappush
from types import CellType, FunctionType
from typing import Any

from .. import _backend, _dtypes
from .._double_backward import COMPOSITE, READY
from ..autograd import CLOCK, _freed, check_saved, enable_grad
from ..tensor import CONSTANT, Tensor, make_result
from .tensor_namespace import tensor_namespace

__all__ = ["backward_graph", "constant", "grad_graph", "lift", "lift_with", "through"]

Rule = Callable[[Tensor], tuple[Any, ...]]
# A captured function that the namespace made for the forward (``mm = xp.matmul_2d(...)``):
# the name it is captured under, and the Tensor namespace's function that replaces it.
_FUNCTIONS = {"mm": "matmul"}
_PLAIN = (bool, int, float, str)  # exactly these types (not NumPy's scalars): constants


def constant(like: Tensor, array: Any) -> Tensor:
    """``array`` (of ``like``'s library) as a Tensor without a graph: a value a lifted rule
    reads but does not differentiate (a mask, a count, an inverse permutation)."""
    return make_result(array, like.xp, (), None, "")


def unsupported(node: Tensor, why: str) -> NotImplementedError:
    """The error for a node whose rule cannot run on Tensors (yet)."""
    return NotImplementedError(
        f"double backward of '{node._op}' is not supported yet ({why}): create_graph=True "
        f"(higher-order gradients) covers the ops listed in docs/higher-order.md; compute this "
        f"part without create_graph, or use torch")


def send(grads: dict[Tensor, Any], pending: list[tuple[int, Tensor]], parent: Tensor, g: Any) -> None:
    """A share ``g`` of ``parent``'s gradient: added to what it has, or its first (then the
    node waits in ``pending``, newest first) -- the step of :func:`xpnet.autograd.grad`'s and
    :func:`backward_graph`'s sweeps."""
    if parent in grads:
        grads[parent] = grads[parent] + g
    else:
        grads[parent] = g
        heappush(pending, (-parent._seq, parent))


def lift(node: Tensor) -> Rule:
    """``node``'s backward rule as a rule on Tensors: ``G`` (a Tensor) -> input gradients."""
    rule = node._backward
    if rule is _freed:
        raise RuntimeError(
            f"Trying to backward through the graph a second time: '{node._op}' dropped its saved "
            "values in an earlier backward() or grad(). Specify retain_graph=True (or "
            "create_graph=True) in the first one")
    code = getattr(rule, "__code__", None)
    hook = COMPOSITE.get(code)  # type: ignore[arg-type]
    if hook is not None:
        return hook(node, captured(rule))
    if code not in READY:
        raise unsupported(node, "its backward rule has not been converted")
    assert rule is not None and code is not None
    for value in rule.__defaults__ or ():
        _tensor_value(node, "a default argument", value)
    if not code.co_freevars:
        return rule
    cells = tuple(CellType(_tensor_value(node, name, value))
                  for name, value in captured(rule).items())
    return FunctionType(code, rule.__globals__, code.co_name, rule.__defaults__, cells)


def lift_with(node: Tensor, **values: Any) -> Rule:
    """``node``'s own rule on Tensors, with the captured values named in ``values`` given by a
    hook (a derived array recomputed as a Tensor, or a constant of the inputs not differentiated)
    and every other captured value lifted as :func:`lift` does."""
    rule: Any = node._backward
    code = rule.__code__
    cells = tuple(CellType(values[name] if name in values else _tensor_value(node, name, value))
                  for name, value in captured(rule).items())
    return FunctionType(code, rule.__globals__, code.co_name, rule.__defaults__, cells)


def captured(rule: Any) -> dict[str, Any]:
    """The variables a closure captured, by name (an unassigned one: None)."""
    values = {}
    for name, cell in zip(rule.__code__.co_freevars, rule.__closure__ or ()):
        try:
            values[name] = cell.cell_contents
        except ValueError:
            values[name] = None
    return values


def _tensor_value(node: Tensor, name: str, value: Any) -> Any:
    """What the rule of ``node`` reads under ``name`` when it runs on Tensors (see :func:`lift`)."""
    for t in (node, *node._parents):  # first: NumPy's 0-d results are float subclasses
        if t.array is value and value is not None and _dtypes.is_floating(t.array.dtype):
            return t  # (an integer input's array stays an array: indices, a constant of the rule)
    if value is None or isinstance(value, Tensor) or type(value) in _PLAIN:
        return value
    if isinstance(value, tuple) and all(v is None or isinstance(v, (int, tuple)) for v in value):
        return value  # a shape or axes
    if _is_index(value):
        return value  # an index (ints, slices, ..., integer arrays, masks): a constant of the rule
    if isinstance(value, _backend.Backend):
        return tensor_namespace(value)
    if _backend.is_array(value):
        if not _dtypes.is_floating(value.dtype):
            return value  # a mask or indices: a constant of the rule
        raise unsupported(node, f"its rule keeps a computed array '{name}'")
    if callable(value) and name in _FUNCTIONS:
        return getattr(tensor_namespace(node.xp), _FUNCTIONS[name])
    if (isinstance(value, FunctionType) and value.__code__ in READY
            and all(type(cell.cell_contents) in _PLAIN for cell in value.__closure__ or ())):
        return value  # a declared formula of its arguments (it takes xp as one) and numbers
    raise unsupported(node, f"its rule keeps '{name}', a {type(value).__name__}")


def _is_index(value: Any) -> bool:
    """Whether ``value`` is an index made of constants only: ints, ``...``, slices of ints,
    integer or boolean arrays, and tuples of those (and of None)."""
    if value is Ellipsis or value is None or type(value) is int:
        return True
    if isinstance(value, slice):
        return all(v is None or type(v) is int for v in (value.start, value.stop, value.step))
    if isinstance(value, tuple):
        return all(_is_index(v) for v in value)
    return _backend.is_array(value) and not _dtypes.is_floating(value.dtype)


def through(composite: Callable[..., Tensor], node: Tensor) -> Rule:
    """The rule on Tensors of ``node`` as the derivative of ``composite(*inputs)``, the op
    written with primitives (for fused nodes, whose own rule keeps derived values)."""
    parents = node._parents

    def rule(g: Tensor) -> tuple[Any, ...]:
        out = composite(*parents)
        wanted = [p for p in parents if p is not CONSTANT and p.requires_grad]
        found = sweep({out: g}, wanted, stop=True)
        return tuple(found.get(id(p)) for p in parents)

    return rule


def sweep(seeds: dict[Tensor, Tensor], wanted: Iterable[Tensor], *, stop: bool = False,
          into_grad: bool = False, free: bool = False) -> dict[int, Tensor]:
    """The gradients (Tensors with their own graph) of ``wanted``, from ``seeds`` (node: dL/dnode).

    ``stop``: do not go on past a wanted node (its inputs are not needed).
    ``into_grad``: accumulate into the ``.grad`` of leaves (and nodes that retain grad),
    as ``backward()``; else only the wanted nodes' gradients are collected (``grad()``).
    ``free``: ``retain_graph=False`` asked for: once every rule ran, the nodes swept that
    read saved values drop them, as the first-order sweep does (torch frees them too).
    """
    wanted_ids = {id(t) for t in wanted}
    grads: dict[Tensor, Tensor] = {}
    pending: list[tuple[int, Tensor]] = []
    found: dict[int, Tensor] = {}
    kept: list[Tensor] = []  # into_grad: the tensors whose .grad the sweep adds to
    swept: list[Tensor] = []  # free: the nodes whose saved values are dropped at the end
    for out, g in seeds.items():
        if out in grads:
            grads[out] = grads[out] + g
        else:
            grads[out] = g
            heappush(pending, (-out._seq, out))
    now = CLOCK[0]
    with enable_grad():
        while pending:
            node = heappop(pending)[1]
            g = grads.pop(node)
            if id(node) in wanted_ids:
                found[id(node)] = g
                if stop:
                    continue
            if into_grad and (node._retains_grad or node._backward is None):
                found[id(node)] = g
                kept.append(node)
            if node._backward is None:
                continue
            if node._saved is not None:
                if node._saved != now:
                    check_saved(node)
                if free:
                    swept.append(node)
            pairs = zip(node._parents, lift(node)(g))
            for parent, pg in pairs:
                if pg is None or not parent.requires_grad:
                    continue
                if not isinstance(pg, Tensor) and not getattr(pg, "gradient_bundle", False):
                    raise AssertionError(f"the lifted rule of '{node._op}' gave a {type(pg).__name__}")
                if parent._backward is None and not into_grad and id(parent) not in wanted_ids:
                    continue  # a leaf nobody asked for
                send(grads, pending, parent, pg)
    for t in kept:  # only once every rule ran: an error above leaves every .grad as it was
        g = found[id(t)]
        t._grad = g if t._grad is None else t._grad + g
    for node in swept:
        node._backward, node._parents = _freed, ()
    return found


def seed(output: Tensor, given: Any) -> Tensor:
    """``dL/d output`` as a Tensor: ``given`` (a Tensor keeps its graph), or ones."""
    if isinstance(given, Tensor):
        return given
    data = output.xp.ones_like(output.array) if given is None else given
    return make_result(data, output.xp, (), None, "")


def backward_graph(root: Tensor, gradient: Tensor, inputs: Any, retain_graph: bool | None = None) -> None:
    """``root.backward(gradient, create_graph=True)``: ``.grad`` of the leaves (or of
    ``inputs`` only) get Tensors that carry their own graph; the graph is kept unless
    ``retain_graph=False`` is given (None: kept, torch's default ``retain_graph=create_graph``)."""
    free = retain_graph is False
    if inputs is None:
        sweep({root: seed(root, gradient)}, (), into_grad=True, free=free)
        return
    targets = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    found = sweep({root: seed(root, gradient)}, targets, free=free)
    for t in targets:
        g = found.get(id(t))
        if g is not None:
            t._grad = g if t._grad is None else t._grad + g


def grad_graph(outputs: tuple[Tensor, ...], seeds: tuple[Any, ...],
               inputs: tuple[Tensor, ...], retain_graph: bool | None = None) -> dict[int, Tensor]:
    """``grad(..., create_graph=True)``: the gradients of ``inputs`` (by ``id``), with graphs;
    ``retain_graph=False`` frees the graph swept (see :func:`backward_graph`)."""
    return sweep(_merge(outputs, seeds), inputs, free=retain_graph is False)


def _merge(outputs: tuple[Tensor, ...], seeds: tuple[Any, ...]) -> dict[Tensor, Tensor]:
    merged: dict[Tensor, Tensor] = {}
    for out, g in zip(outputs, seeds):
        g = seed(out, g)
        merged[out] = merged[out] + g if out in merged else g
    return merged
