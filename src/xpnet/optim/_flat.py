"""Small parameter groups updated as one array: one step is a few calls, not a few per parameter.

In a network of small layers (XOR-size: four arrays of a few numbers each),
an optimizer step is all Python: every parameter costs several array calls
of about a microsecond each for nanoseconds of arithmetic. A *flat group*
keeps the parameters of a group as views of one 1-D array, and each state
buffer (``momentum_buffer``, ``exp_avg``, ...) as views of one 1-D array too,
so the optimizer's own ``_update`` runs once for the whole group on the
concatenation. The update is elementwise, so every element gets exactly the
numbers it would get on its own array. An optimizer may go further and make
a *plan* (``Optimizer._flat_plan``): its update with the group's current option
values made once (SGD on NumPy: the backend's ``sgd_plan``), made again when an
option changes.

The first step of a group is taken parameter by parameter (it creates the
state); the flat group is built after it, when the group qualifies:
parameters of one library with views (NumPy, CuPy, torch), one device, one
floating dtype, writeable, at most :data:`MAX_ELEMENTS` elements in all,
every one with a gradient. Before each later step :func:`step` checks, in the
loop that gathers the gradients, that nothing was rebound: ``p.array`` is still
its view, every state entry is still its view (or the shared step count), each
``.grad`` has its parameter's shape. ``model.to(...)``, ``p.array = ...``
or ``load_state_dict`` rebind them; that step is then taken parameter by
parameter again (the state follows the data as always) and the group is
flattened anew after it.

Set ``optimizer.flat = False`` to keep every parameter's own array (if you
share a parameter's memory with arrays of your own and expect the optimizer
to write into them).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from operator import attrgetter
from typing import Any

from .. import _backend, _dtypes
from ..tensor import Tensor, leaf

MAX_ELEMENTS = 1 << 16  # above this the per-parameter calls cost little next to the arithmetic

_GRAD = attrgetter("grad.array")

Plan = Callable[[Any, Any, dict[str, Any]], bool]  # (flat param array, gradient, state) -> done


class FlatGroup:
    """The parameters of one group as views of one array, and their state likewise."""

    __slots__ = ("params", "flat", "views", "param", "state", "buffers", "state_views", "grads",
                 "grad_views", "plan", "plan_key", "_checks", "_shared")

    def __init__(self, params: list[Tensor], flat: Any, views: list[Any], xp: Any,
                 state: dict[str, Any], state_views: dict[str, list[Any]],
                 states: dict[Tensor, dict[str, Any]]) -> None:
        self.params = params
        self.flat = flat
        self.views = views
        self.param = leaf(flat, xp)  # the flat parameter, as the Tensor ``_update`` expects
        self.state = state  # name -> flat buffer, or the value every parameter shares (step)
        self.buffers = {name: state[name] for name in state_views}  # the arrays of the views
        self.state_views = state_views  # name -> the buffer's view for each parameter
        # Where the backend gives a buffer (NumPy: copying into its views is twice as quick as
        # ``concatenate``), the gradients are copied into it each step; others concatenate.
        self.grads = xp.flat_buffer(flat.shape[0], flat.dtype)
        self.grad_views = None if self.grads is None else _split(xp, self.grads, views)
        self.plan: Plan | None = None  # the optimizer's plan for the option values ``plan_key``
        self.plan_key: tuple[Any, ...] | None = None
        self.remember(states)

    def remember(self, states: dict[Tensor, dict[str, Any]]) -> None:
        """Note what :meth:`gather` compares: each parameter, its view, its state dict and the
        views that dict holds (and where its gradient goes, on NumPy)."""
        grad_views = self.grad_views or [None] * len(self.params)
        self._checks = [(p, view, tuple(view.shape), states[p],
                         tuple((name, parts[i]) for name, parts in self.state_views.items()),
                         grad_views[i])
                        for i, (p, view) in enumerate(zip(self.params, self.views))]
        self._shared = [name for name in self.state if name not in self.state_views]

    def gather(self, params: list[Tensor], states: dict[Tensor, dict[str, Any]]) -> Any:
        """The gradients of ``params`` end to end in one array; None if this group no longer
        stands for ``params`` exactly, each with a gradient of its shape.

        It does when: the same parameters, each ``.data`` still its view, each state the
        same dict holding its views and the shared values (step counts) and nothing else.
        Identity checks only, in the loop that copies the gradients (NumPy): on a small
        network this runs on every step, and each pass over the parameters costs.
        """
        if len(params) != len(self._checks):
            return None
        entries = len(self.state)
        state_of = states.get
        for p, (q, view, shape, state, buffers, grad_view) in zip(params, self._checks):
            grad = p.grad
            if grad is None:
                return None
            grad = grad.array
            if (p is not q or p.array is not view or grad.shape != shape
                    or state_of(p) is not state or len(state) != entries):
                return None
            for name, part in buffers:
                if state.get(name) is not part:
                    return None
            if grad_view is not None:
                grad_view[...] = grad
        for name in self._shared:
            value = self.state[name]
            for check in self._checks:
                if check[3].get(name) != value:
                    return None
        if self.grads is not None:
            return self.grads
        return self.param.xp.concat(list(map(_GRAD, params)), axis=None)  # flattened, end to end


def build(params: list[Tensor], states: dict[Tensor, dict[str, Any]]) -> FlatGroup | None:
    """Rebind ``params`` (and their states) to views of one array each; None if they don't qualify.

    Called right after a step taken parameter by parameter, so every parameter has
    its state (or none has).
    """
    if not params:
        return None
    first = params[0]
    xp, dtype = first.xp, first.array.dtype
    if not xp.has_views or not _dtypes.is_floating(dtype):
        return None
    total = 0
    for p in params:
        data = p.array
        if (p.grad is None or p.xp is not xp or data.dtype != dtype
                or not _backend.same_device(xp, data, first.array) or not _backend.is_writeable(data)):
            return None
        total += math.prod(data.shape)
    if total > MAX_ELEMENTS or len({id(p.array) for p in params}) != len(params):
        return None
    shared = _shared_state(params, states, dtype)
    if shared is None:
        return None
    arrays, values = shared
    flat, views = _concat(xp, [p.array for p in params])
    state: dict[str, Any] = dict(values)
    state_views: dict[str, list[Any]] = {}
    for name in arrays:
        state[name], state_views[name] = _concat(xp, [states[p][name] for p in params])
    for i, p in enumerate(params):
        p.array = views[i]
        for name, parts in state_views.items():
            states[p][name] = parts[i]
    return FlatGroup(list(params), flat, views, xp, state, state_views, states)


def step(group: FlatGroup, optimizer: Any, params: list[Tensor], options: dict[str, Any],
         maximize: bool) -> bool:
    """One update of the whole group: the gradients end to end in one array, the update made once.

    The update is the optimizer's plan for the group's current option values where it
    makes one (``Optimizer._flat_plan``), else its ``_update``. Returns False, having done
    nothing, when ``group`` no longer stands for ``params`` (:meth:`FlatGroup.gather`).
    """
    states = optimizer.state
    g = group.gather(params, states)
    if g is None:
        return False
    if maximize:
        g = -g
    plan_options = optimizer._plan_options
    if plan_options is not None:
        key = plan_options(options)
        if key != group.plan_key:  # first step, or an option changed (a schedule's lr)
            group.plan = optimizer._flat_plan(group.param.xp, group.flat.dtype, key)
            group.plan_key = key
        if group.plan is not None and group.plan(group.flat, g, group.state):
            return True  # in place: every view still stands
    param = group.param
    xp = param.xp
    optimizer._update(param, g, group.state, options)
    if param.array is not group.flat:  # rebound rather than updated in place: view the new array
        group.flat = param.array
        group.views = _split(xp, param.array, group.views)
        for p, view in zip(group.params, group.views):
            p.array = view
        group.remember(states)
    kept = group.buffers
    for name, value in group.state.items():
        if value is kept.get(name):  # updated in place: its views are still right
            continue
        if not _backend.is_array(value):  # a value all parameters share (the step count)
            for p in group.params:
                states[p][name] = value
        else:  # a buffer made anew: view it
            kept[name] = value
            group.state_views[name] = _split(xp, value, group.views)
            for p, view in zip(group.params, group.state_views[name]):
                states[p][name] = view
            group.remember(states)
    return True


def _shared_state(params: list[Tensor], states: dict[Tensor, dict[str, Any]], dtype: Any
                  ) -> tuple[list[str], dict[str, Any]] | None:
    """The state entries that are per-parameter buffers and those all parameters share."""
    first = states.get(params[0], {})
    arrays, values = [], {}
    for name, value in first.items():
        if _backend.is_array(value):
            arrays.append(name)
        else:
            values[name] = value
    for p in params:
        state = states.get(p, {})
        if state.keys() != first.keys():
            return None
        for name in arrays:
            value = state[name]
            if (not _backend.is_array(value) or value.dtype != dtype
                    or tuple(value.shape) != tuple(p.array.shape)):
                return None
        for name, value in values.items():
            if type(state[name]) is not type(value) or state[name] != value:
                return None
    return arrays, values


def _concat(xp: Any, arrays: list[Any]) -> tuple[Any, list[Any]]:
    """A new 1-D array of ``arrays`` end to end, and the view of it that stands for each."""
    flat = xp.concat([xp.reshape(a, (-1,)) for a in arrays])
    return flat, _split(xp, flat, arrays)


def _split(xp: Any, flat: Any, like: list[Any]) -> list[Any]:
    views, start = [], 0
    for a in like:
        n = math.prod(a.shape)
        views.append(xp.reshape(flat[start:start + n], tuple(a.shape)))
        start += n
    return views
