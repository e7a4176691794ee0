"""``Optimizer``: parameter groups, per-parameter state, ``step`` and state dicts.

A subclass gives its default options, checks them in ``_validate`` and
updates one parameter in ``_update(p, g, state, group)``, written with the
parameter's namespace ``xp = p.xp`` only. SGD and Adam call their update on
the backend object (``xp.sgd_step``, ``xp.adam_step``: written once, generically,
in :mod:`xpnet._backend._ops`; one fused kernel on CuPy, blocks on every core
for large NumPy arrays). Updates change ``p.array`` and the
state buffers in place where the array allows it (:func:`apply_`), so an
optimizer step allocates no new parameter arrays on NumPy, CuPy and torch,
and rebinds them on libraries with immutable arrays (JAX).
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable
from itertools import chain
from typing import Any

from .. import _backend, _dtypes
from ..autograd import bump, bump_all, enable_grad
from ..tensor import Tensor
from . import _flat

# State entries that are one number for the whole parameter: Python numbers here (no device
# array, no host read per step), 0-d tensors in a torch.optim state dict.
_SCALAR_STATE: dict[str, Callable[[Any], Any]] = {"step": int, "mu_product": float}


def apply_(array: Any, op: str, value: Any) -> Any:
    """``array <op>= value`` (op one of ``+ - * /``, or ``=`` to copy ``value`` in).

    In place where the array is writeable; a new array otherwise (JAX, read-only
    views): the backend's ``xp.apply_``. Always rebind to the result:
    ``p.array = apply_(p.array, "-", lr * g)``.
    """
    return _backend.namespace(array).apply_(array, op, value)


def require(ok: bool, message: str) -> None:
    """Raise ``ValueError(message)`` unless ``ok``: for checking hyperparameters."""
    if not ok:
        raise ValueError(message)


_LABELS = {"lr": "learning rate", "eps": "epsilon value"}  # torch's words; others: "<name> value"


def check_nonnegative(group: dict[str, Any], *names: str) -> None:
    """``Invalid <what>: <value> (must be >= 0)`` for the first of ``group[names]`` below 0 (in order)."""
    for name in names:
        value = group[name]
        require(value >= 0.0, f"Invalid {_LABELS.get(name, name + ' value')}: {value} (must be >= 0)")


def check_betas(betas: Any) -> None:
    require(isinstance(betas, (tuple, list)) and len(betas) == 2,
            f"Invalid betas: {betas!r} (expected a pair (beta1, beta2))")
    for i, beta in enumerate(betas):
        require(0.0 <= beta < 1.0, f"Invalid beta parameter at index {i}: {beta} (must be in [0, 1))")


class Optimizer:
    """Base class of optimizers.

    ``params`` is an iterable of Tensors, or of dicts (parameter groups) with a
    ``"params"`` entry and per-group options that override ``defaults``::

        optim.SGD([{"params": model[0].parameters()},
                   {"params": model[2].parameters(), "lr": 1e-3}], lr=1e-2, momentum=0.9)

    Options are read from ``param_groups`` at every step, so a scheduler (or
    you) can change them between steps. ``state[p]`` holds each parameter's
    buffers, created at its first update.

    After its first step, a small group (at most ``_flat.MAX_ELEMENTS`` elements
    of NumPy, CuPy or torch) is updated as one array: its parameters' ``.data``
    and state buffers become views of one buffer each, so that a step costs a
    few calls rather than a few per parameter (:mod:`xpnet.optim._flat`). Set
    ``flat = False`` on the optimizer to keep every parameter's own array.
    """

    flat = True  # update small groups as one array (see above)

    def __init__(self, params: Any, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self._validate(self.defaults)
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self._placed: dict[Tensor, Any] = {}  # parameter -> the data its state was last used with
        self._flat_groups: dict[int, tuple[dict[str, Any], _flat.FlatGroup]] = {}  # id(group) -> both
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                "but got a Tensor: pass [tensor] or model.parameters()"
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # -- subclass hooks ---------------------------------------------------------------------------
    def _validate(self, group: dict[str, Any]) -> None:
        """Raise ValueError for invalid options in ``group`` (every option is present)."""

    def _update(self, p: Tensor, g: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Update ``p.array`` (and ``state``) from the gradient ``g`` (already negated for maximize).

        ``g`` is only read, never changed nor kept in ``state``: it may be ``p.grad`` itself,
        or a buffer that a flat group (:mod:`._flat`) refills on every step.
        """
        raise NotImplementedError

    # The options a flat-group plan is made for (an ``itemgetter`` of the group), or None
    # when the optimizer makes no plans.
    _plan_options: Callable[[dict[str, Any]], tuple[Any, ...]] | None = None

    def _flat_plan(self, xp: Any, dtype: Any, options: tuple[Any, ...]) -> _flat.Plan | None:
        """A quicker ``_update`` for a whole flat group with these option values fixed, or None.

        ``plan(param_array, g, state) -> bool`` does what ``_update`` does to the flat
        arrays, in place (no array may be rebound), or returns False having changed nothing
        (``_update`` then runs). Made once per group and option values: on a small network
        the step is mostly the Python around the arithmetic, which a plan does once.
        """
        return None

    # -- parameter groups ---------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (useful to unfreeze layers while training)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        if "params" not in group:
            raise ValueError("param_group must have a 'params' entry (a list of Tensors)")
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering "
                "of tensors in sets will change between runs: use a list instead"
            )
        params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(
                    f"can't optimize a non-leaf Tensor (made by {p.grad_fn}): optimize the leaf "
                    "tensors it was computed from, or detach() it and set requires_grad=True"
                )
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in params:
            if id(p) in seen:
                raise ValueError(
                    f"some parameters appear in more than one parameter group (or twice in one): "
                    f"a tensor of shape {tuple(p.shape)} is listed again"
                )
            seen.add(id(p))
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._validate(group)
        group["params"] = params
        self.param_groups.append(group)

    # -- the training-loop API ---------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad``: None, or new zero arrays with ``set_to_none=False``."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.array = p.xp.zeros_like(p.array)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a ``.grad``; return ``closure()``'s loss if given.

        ``closure`` re-evaluates the model (``zero_grad``, forward, ``backward``) and
        returns the loss; it runs with grad mode on.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            maximize = group.get("maximize", False)
            params = group["params"]
            flat = self._flat_groups.get(id(group))
            if flat is not None and flat[0] is group and _flat.step(flat[1], self, params, group,
                                                                    maximize):
                bump_all(params)  # a graph built before this step must not reuse the old values
                continue
            _check_grad_shapes(params)  # before any update: a bad one raises, having changed nothing
            updated = 0
            for p in params:
                if p.grad is None:
                    continue
                state = self.state[p]
                if state and self._placed.get(p) is not p.array:
                    self._follow(p, state)
                g = p.grad.array
                self._update(p, -g if maximize else g, state, group)
                self._placed[p] = p.array
                bump(p)
                updated += 1
            if self.flat and updated == len(params):
                built = _flat.build(params, self.state)
                if built is not None:
                    self._flat_groups[id(group)] = (group, built)
                    for p in params:
                        self._placed[p] = p.array
        return loss

    def _follow(self, p: Tensor, state: dict[str, Any]) -> None:
        """Move ``p``'s state to where its data went (``model.to(...)`` after steps were taken).

        Updates keep ``p.array`` the same object, so a new object means the data was
        rebound: by ``Module.to``, ``load_state_dict``, or a library without in-place
        updates. The state follows it in library, device and floating dtype.
        """
        for name, value in state.items():
            if not _backend.is_array(value):
                continue
            xp = _backend.namespace(value)
            if (xp is not p.xp or not _backend.same_device(xp, value, p.array)
                    or (value.dtype != p.array.dtype and _dtypes.is_floating(value.dtype))):
                state[name] = _load_value(p, "", name, value)

    # -- saving and loading -------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The state in PyTorch's layout: ``{"state": {index: {...}}, "param_groups": [...]}``.

        Parameters are numbered over all groups in order; each group lists its
        indices in ``"params"`` beside its options. Like PyTorch, the state
        arrays are the live buffers (not copies): copy before training on if
        you keep it in memory rather than saving it.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a :meth:`state_dict` (ours or ``torch.optim``'s): options, step counts and buffers.

        Buffers are copied onto each parameter's library, device and (floating) dtype.
        Nothing changes when the dict does not fit this optimizer.
        """
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= state_dict.keys():
            raise ValueError("expected a dict with 'state' and 'param_groups', as state_dict() returns")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved_groups)} parameter group(s) but the optimizer has "
                f"{len(self.param_groups)}"
            )
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"loaded state dict's parameter group {i} has {len(saved['params'])} parameter(s) "
                    f"but the optimizer's group {i} has {len(group['params'])}"
                )
        by_index = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                            chain.from_iterable(g["params"] for g in self.param_groups)))
        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for key, entry in state_dict["state"].items():
            if key not in by_index:
                raise ValueError(f"loaded state dict has state for parameter {key!r}, which no "
                                 "parameter group lists")
            p = by_index[key]
            state[p] = {name: _load_value(p, key, name, value) for name, value in entry.items()}
        groups = []
        for saved, group in zip(saved_groups, self.param_groups):
            new = copy.deepcopy({k: v for k, v in saved.items() if k != "params"})
            for name, default in self.defaults.items():
                new.setdefault(name, default)
            self._validate(new)
            new["params"] = group["params"]
            groups.append(new)
        self.state = state
        self._placed = {}
        self._flat_groups = {}
        self.param_groups = groups

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join([*lines, ")"])


def _check_grad_shapes(params: list[Tensor]) -> None:
    for p in params:
        grad = p.grad
        if grad is not None and tuple(grad.array.shape) != tuple(p.array.shape):
            raise ValueError(f"step(): a parameter of shape {tuple(p.array.shape)} has a .grad of shape "
                             f"{tuple(grad.shape)}: set .grad to an array of the parameter's shape "
                             "(or None)")


def _load_value(p: Tensor, index: Any, name: str, value: Any) -> Any:
    """A copy of a saved state value, its arrays moved to ``p``'s library, device and dtype."""
    if not _backend.is_array(value):
        return copy.deepcopy(value)
    kind = _SCALAR_STATE.get(name)
    if kind is not None:  # PyTorch keeps these in 0-d tensors; we keep Python numbers
        return kind(_backend.to_numpy(value).item())
    if value.shape and tuple(value.shape) != p.shape:
        raise ValueError(f"loaded state '{name}' of parameter {index} has shape {tuple(value.shape)} "
                         f"but the parameter has shape {tuple(p.shape)}")
    moved = _backend.move(value, p.xp, _backend.device(p.array))
    floating = _dtypes.is_floating(moved.dtype)
    if floating and moved.dtype != p.array.dtype:
        return p.xp.astype(moved, p.array.dtype)
    # Always a copy: a move between libraries on the host (torch cpu <-> NumPy) shares memory,
    # and the state loaded must not train on in the dict it came from.
    return p.xp.asarray(moved, copy=True)

