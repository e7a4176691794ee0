"""How ``nn.Sequential`` runs a linear layer and the activation after it as one op.

Each layer says on its own class what it can do; no list of layer types is kept
anywhere else:

- a linear layer whose public ``forward(x, activation=None, negative_slope=0.01)``
  computes ``activation(layer(x))`` as one node sets ``absorbs_activation = True``
  (``nn.Linear``, ``nn.EnsembleLinear``);
- an activation layer sets ``fused_as``: the ``activation`` name of
  :func:`xpnet.functional.linear` that computes exactly its ``forward``
  (``nn.ReLU.fused_as = "relu"``), or None. It is a property where it depends on
  the layer's options (``nn.GELU``: only ``approximate="tanh"`` fuses). A layer that
  has a ``negative_slope`` passes it along (``nn.LeakyReLU``).

A declaration counts only when the class that makes it is the class that defines
the layer's ``forward`` (and ``__call__``), or a subclass of it: a subclass of
``nn.ReLU`` that overrides ``forward`` runs its own forward, unless it also sets
``fused_as`` itself to vouch that the fused op computes it. A layer with hooks, or
with a ``forward`` set on the instance, runs by itself.

:func:`plan` decides once, for the layers as they are; ``Sequential`` keeps the
plan until its layers change or a hook is added or removed. A ``fused_as`` given
by a property, and a ``negative_slope``, are read again at each call.
"""

from __future__ import annotations

from typing import Any

from ..functional.fused import ACTIVATIONS
from .module import Module

Step = tuple[Any, Any, tuple[Any, ...] | None]  # (call, the fused activation layer or None, spec)


def declared(layer: Module, name: str) -> bool:
    """Whether ``layer`` declares ``name`` (``"fused_as"``, ``"absorbs_activation"``) where it
    defines its forward: on the instance, or on its forward's class or a subclass of it."""
    if "forward" in vars(layer):  # a forward set on the instance: it runs as written
        return False
    if name in vars(layer):
        return True
    owner = _owner(type(layer), name)
    return owner is not None and all(issubclass(owner, _owner(type(layer), runs) or object)
                                     for runs in ("forward", "__call__"))


def plan(modules: tuple[Module, ...]) -> tuple[Step, ...]:
    """The steps of ``modules`` in order, each ``(call, act, spec)``:

    - ``(module, None, None)``: ``x = module(x)``;
    - ``(linear.forward, None, None)``: a linear layer without a fused activation;
    - ``(linear.forward, act, (name,))``: ``x = linear.forward(x, name)``, ``act`` fused
      (its ``fused_as`` a plain attribute and no options: read once, here);
    - ``(linear.forward, act, None)``: ``act.fused_as`` and its ``negative_slope`` (if it
      has one) are read at each call; ``fused_as`` None runs ``act(linear.forward(x))``.

    Raises:
        ValueError: a layer's ``fused_as`` is a name the fused op does not know.
    """
    steps: list[Step] = []
    i = 0
    while i < len(modules):
        m, act = modules[i], modules[i + 1] if i + 1 < len(modules) else None
        i += 1
        if m._hooked or not (declared(m, "absorbs_activation") and m.absorbs_activation):  # type: ignore[attr-defined]
            steps.append((m, None, None))
            continue
        fused = act is not None and not act._hooked and declared(act, "fused_as")
        name = _checked(act) if fused else None
        # a plain attribute and no options: read once, here (a property is read at each call)
        fixed = fused and isinstance(_owned(act, "fused_as"), (str, type(None))) \
            and not hasattr(act, "negative_slope")
        if not fused or (fixed and name is None):
            steps.append((m.forward, None, None))
        else:
            steps.append((m.forward, act, (name,) if fixed else None))
            i += 1
    return tuple(steps)


def _checked(act: Any) -> str | None:
    name = act.fused_as
    if name is not None and name not in ACTIVATIONS:
        raise ValueError(f"{type(act).__name__}.fused_as is {name!r}: the fused op knows "
                         f"{', '.join(map(repr, ACTIVATIONS))}; set fused_as = None to run "
                         f"the layer by itself")
    return name


def _owner(cls: type, name: str) -> type | None:
    """The class of ``cls``'s MRO that defines ``name``."""
    return next((c for c in cls.__mro__ if name in vars(c)), None)


def _owned(layer: Any, name: str) -> Any:
    """``name`` as stored (a property stays a property), instance first."""
    if name in vars(layer):
        return vars(layer)[name]
    owner = _owner(type(layer), name)
    return None if owner is None else vars(owner)[name]
