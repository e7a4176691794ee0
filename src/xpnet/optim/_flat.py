"""Small parameter groups updated as one array: one step is a few calls, not a few per parameter.

In a network of small layers (XOR-size: four arrays of a few numbers each),
an optimizer step is all Python: every parameter costs several array calls
of about a microsecond each for nanoseconds of arithmetic. A *flat group*
keeps the parameters of a group as views of one 1-D array, and each state
buffer (``momentum_buffer``, ``exp_avg``, ...) as views of one 1-D array too,
so the optimizer's own ``_update`` runs once for the whole group on the
concatenation. The update is elementwise, so every element gets exactly the
numbers it would get on its own array.

The first step of a group is taken parameter by parameter (it creates the
state); the flat group is built after it, when the group qualifies:
parameters of one library with views (NumPy, CuPy, torch), one device, one
floating dtype, writeable, at most :data:`MAX_ELEMENTS` elements in all,
every one with a gradient. Before each later step :func:`step` checks that
nothing was rebound: ``p.data`` is still its view and every state entry is
still its view (or the shared step count). ``model.to(...)``, ``p.data = ...``
or ``load_state_dict`` rebind them; that step is then taken parameter by
parameter again (the state follows the data as always) and the group is
flattened anew after it.

Set ``optimizer.flat = False`` to keep every parameter's own array (if you
share a parameter's memory with arrays of your own and expect the optimizer
to write into them).
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

from .. import _backend, _dtypes
from ..autograd import _size
from ..tensor import Tensor, _make

MAX_ELEMENTS = 1 << 16  # above this the per-parameter calls cost little next to the arithmetic
_LIBRARIES = ("numpy", "cupy", "torch")  # libraries whose slices and reshapes are views

_GRAD = attrgetter("grad")

Update = Callable[[Tensor, Any, dict[str, Any], dict[str, Any]], None]


class FlatGroup:
    """The parameters of one group as views of one array, and their state likewise."""

    __slots__ = ("params", "flat", "views", "param", "state", "buffers", "state_views", "_checks")

    def __init__(self, params: list[Tensor], flat: Any, views: list[Any], xp: Any,
                 state: dict[str, Any], state_views: dict[str, list[Any]],
                 states: dict[Tensor, dict[str, Any]]) -> None:
        self.params = params
        self.flat = flat
        self.views = views
        self.param = _make(flat, xp)  # the flat parameter, as the Tensor ``_update`` expects
        self.state = state  # name -> flat buffer, or the value every parameter shares (step)
        self.buffers = {name: state[name] for name in state_views}  # the arrays of the views
        self.state_views = state_views  # name -> the buffer's view for each parameter
        self.remember(states)

    def remember(self, states: dict[Tensor, dict[str, Any]]) -> None:
        """Note what :func:`step` compares: each parameter, its view and its state's views."""
        self._checks = [(p, self.views[i],
                         tuple((name, parts[i]) for name, parts in self.state_views.items()))
                        for i, p in enumerate(self.params)]


def build(params: list[Tensor], states: dict[Tensor, dict[str, Any]]) -> FlatGroup | None:
    """Rebind ``params`` (and their states) to views of one array each; None if they don't qualify.

    Called right after a step taken parameter by parameter, so every parameter has
    its state (or none has).
    """
    if not params:
        return None
    first = params[0]
    xp, dtype = first._xp, first.data.dtype
    if _backend.library(xp) not in _LIBRARIES or not _dtypes.is_floating(dtype):
        return None
    total = 0
    for p in params:
        data = p.data
        if (p.grad is None or p._xp is not xp or data.dtype != dtype
                or not _backend.same_device(xp, data, first.data) or not _backend.is_writeable(data)):
            return None
        total += _size(data.shape)
    if total > MAX_ELEMENTS or len({id(p.data) for p in params}) != len(params):
        return None
    shared = _shared_state(params, states, dtype)
    if shared is None:
        return None
    arrays, values = shared
    flat, views = _concat(xp, [p.data for p in params])
    state: dict[str, Any] = dict(values)
    state_views: dict[str, list[Any]] = {}
    for name in arrays:
        state[name], state_views[name] = _concat(xp, [states[p][name] for p in params])
    for i, p in enumerate(params):
        p.data = views[i]
        for name, parts in state_views.items():
            states[p][name] = parts[i]
    return FlatGroup(list(params), flat, views, xp, state, state_views, states)


def step(group: FlatGroup, params: list[Tensor], update: Update, options: dict[str, Any],
         maximize: bool, states: dict[Tensor, dict[str, Any]]) -> bool:
    """One update of the whole group: the gradients concatenated, ``update`` called once.

    First checks that ``group`` still describes ``params`` exactly (each parameter's data
    and state entries are still its views, the shared step counts agree) and that every
    one has a gradient; returns False, having done nothing, when not.
    """
    if len(params) != len(group.params):
        return False
    entries = len(group.state)
    state_of = states.get
    for p, (q, view, buffers) in zip(params, group._checks):
        if p is not q or p.grad is None or p.data is not view:
            return False
        state = state_of(p)  # the dict there now (it may have been replaced)
        if state is None or len(state) != entries:
            return False
        for name, part in buffers:
            if state.get(name) is not part:
                return False
    for name, value in group.state.items():  # the shared values (step counts) are the same
        if name not in group.buffers:
            for p in params:
                if states[p].get(name) != value:
                    return False
    param = group.param
    xp = param._xp
    g = xp.concat(list(map(_GRAD, group.params)), axis=None)  # flattened, end to end
    update(param, -g if maximize else g, group.state, options)
    if param.data is not group.flat:  # rebound rather than updated in place: view the new array
        group.flat = param.data
        group.views = _split(xp, param.data, group.views)
        for p, view in zip(group.params, group.views):
            p.data = view
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
                    or tuple(value.shape) != tuple(p.data.shape)):
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
        n = _size(a.shape)
        views.append(xp.reshape(flat[start:start + n], tuple(a.shape)))
        start += n
    return views
