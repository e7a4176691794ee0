"""Containers: modules and parameters held by position or by key.

Their members are named ``"0"``, ``"1"``, ... (or by their keys) in
``named_parameters()``, as in PyTorch: ``Sequential(Linear(...))`` has
``"0.weight"``; ``ParameterList`` items are ``"0"``, ``"1"``...
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..tensor import Tensor
from . import fusion
from .hooks import EPOCH
from .module import Module
from .parameter import Parameter


class _Store(Module):
    """A module whose members live in ``self._store`` (name -> member), in order."""

    _kind = "member"

    def __init__(self) -> None:
        self._store: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: a subclass that skipped
        # super().__init__() gets its (empty) store on first use.
        if name == "_store":
            store: dict[str, Any] = {}
            self._store = store
            return store
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _members(self) -> Iterator[tuple[str, Any]]:
        yield from self._store.items()
        yield from super()._members()

    def _check(self, value: Any) -> Any:
        raise NotImplementedError

    def _add_member(self, name: str, module: Module | None) -> None:
        """``add_module``: a container keeps the module in its sequence, under ``name``."""
        if module is None:
            raise TypeError(f"{type(self).__name__}.add_module({name!r}, None): containers "
                            f"hold modules")
        self._store[name] = self._check(module)
        self._changed()

    def _changed(self) -> None:
        """Called after the members changed (``Sequential`` drops its fusion plan)."""

    def __len__(self) -> int:
        return len(self._store)

    def _index(self, idx: Any) -> int:
        """``idx`` as a position in ``0..len-1`` (negative counts from the end)."""
        n = len(self._store)
        if isinstance(idx, bool) or not isinstance(idx, int):
            raise TypeError(f"{type(self).__name__} indices are ints or slices, got {idx!r}")
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for {type(self).__name__} of length {n}")
        return idx % n

    def _renumber(self, values: Iterable[Any]) -> None:
        self._store = {str(i): v for i, v in enumerate(values)}
        self._changed()


class _Sequence(_Store):
    """What Sequential, ModuleList and ParameterList share: positions, slicing, appending."""

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, slice):
            return self._slice(idx)
        return list(self._store.values())[self._index(idx)]

    def _slice(self, idx: slice) -> Any:
        cls: Any = type(self)  # ModuleList or ParameterList: built from a list
        return cls(list(self._store.values())[idx])

    def __setitem__(self, idx: int, value: Any) -> None:
        key = list(self._store)[self._index(idx)]
        self._store[key] = self._check(value)
        self._changed()

    def __delitem__(self, idx: int | slice) -> None:
        values = list(self._store.values())
        del values[idx if isinstance(idx, slice) else self._index(idx)]
        self._renumber(values)

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._store.values()))

    def __contains__(self, value: Any) -> bool:  # by identity: Tensor == is elementwise
        return any(v is value for v in self._store.values())

    def index(self, value: Any) -> int:
        """The position of ``value`` (compared by identity)."""
        for i, v in enumerate(self._store.values()):
            if v is value:
                return i
        raise ValueError(f"this {self._kind} is not in the {type(self).__name__}")

    def append(self, value: Any) -> Any:
        """Add ``value`` at the end, named ``str(len(self))``; returns self."""
        self._store[str(len(self._store))] = self._check(value)
        self._changed()
        return self

    def extend(self, values: Iterable[Any]) -> Any:
        for v in values:
            self.append(v)
        return self

    def insert(self, index: int, value: Any) -> None:
        """Insert ``value`` before position ``index``; the members after it are renumbered."""
        values = list(self._store.values())
        values.insert(index, self._check(value))
        self._renumber(values)

    def __iadd__(self, values: Iterable[Any]) -> Any:
        return self.extend(values)


class Sequential(_Sequence):
    """Modules applied one after another: ``Sequential(Linear(3, 8), ReLU(), Linear(8, 1))``.

    Also ``Sequential(OrderedDict(fc=Linear(3, 8), act=ReLU()))`` to name them.
    Indexing: ``model[0]``, ``model[-1]``, ``model[1:]`` (a new Sequential of the
    same modules, keeping their names, as in PyTorch); ``len``, iteration,
    ``append`` (returns self), ``extend``, ``insert``.
    Input: whatever the first module takes; output: what the last returns.

    A ``Linear`` (or ``EnsembleLinear``) followed directly by an activation layer
    that declares ``fused_as`` (``ReLU``, ``LeakyReLU``, ``Sigmoid``, ``Tanh``,
    ``GELU(approximate="tanh")``, or your own) runs as one fused op
    (``linear.forward(x, activation=...)``): the same numbers and gradients, one
    graph node and one pass fewer. The modules, their names and the state dict do
    not change; set ``model.fuse_activations = False`` to run the layers one by one.
    Which layers fuse is decided once (:func:`xpnet.nn.fusion.plan`) and kept until
    the layers change or a hook is added or removed.
    """

    _kind = "module"
    fuse_activations: bool = True
    _plan: tuple[int, tuple[fusion.Step, ...]] | None = None  # (hooks.EPOCH, steps)

    def __init__(self, *modules: Any) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            for name, m in modules[0].items():
                if not isinstance(name, str):
                    raise TypeError(f"Sequential: module names must be str, got {name!r}")
                self._store[name] = self._check(m)
        else:
            for m in modules:
                self.append(m)

    def _check(self, value: Any) -> Module:
        return _module(value, type(self).__name__)

    def _changed(self) -> None:
        self._plan = None

    def _slice(self, idx: slice) -> Sequential:
        return type(self)(OrderedDict(list(self._store.items())[idx]))

    def forward(self, x: Any) -> Any:
        if not self.fuse_activations:
            for m in self._store.values():
                x = m(x)
            return x
        plan = self._plan
        if plan is None or plan[0] != EPOCH[0]:  # the layers or some hooks changed
            plan = self._plan = (EPOCH[0], fusion.plan(tuple(self._store.values())))
        for call, act, spec in plan[1]:
            if act is None:
                x = call(x)
            elif spec is not None:
                x = call(x, *spec)
            else:  # fused_as from a property, or a negative_slope: read now
                name = act.fused_as
                x = act(call(x)) if name is None else call(x, name, getattr(act, "negative_slope", 0.01))
        return x


class ModuleList(_Sequence):
    """A list of modules whose parameters the model sees (a plain list would hide them).

    No ``forward``: loop over it in your own. Slicing gives a new ModuleList.
    """

    _kind = "module"

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _check(self, value: Any) -> Module:
        return _module(value, type(self).__name__)


class ParameterList(_Sequence):
    """A list of parameters the model sees, named ``"0"``, ``"1"``, ...

    Items given as Tensors or raw arrays become Parameters (sharing their data).

    Args:
        values: an iterable of Parameters, Tensors or arrays (None: empty).
    """

    _kind = "parameter"

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        if values is not None:
            self.extend(values)

    def _check(self, value: Any) -> Parameter:
        return _parameter(value, type(self).__name__)

    def extra_repr(self) -> str:
        return "\n".join(f"({k}): {_describe(p)}" for k, p in self._store.items())


class _Dict(_Store):
    """What ModuleDict and ParameterDict share: str keys, in insertion order."""

    def __init__(self, values: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None) -> None:
        super().__init__()
        if values is not None:
            self.update(values)

    def __getitem__(self, key: str) -> Any:
        try:
            return self._store[key]
        except KeyError:
            raise KeyError(f"{key!r} is not in the {type(self).__name__}; its keys are "
                           f"{list(self._store)}") from None

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, str):
            raise TypeError(f"{type(self).__name__} keys must be str, got {key!r}")
        self._store[key] = self._check(value)

    def __delitem__(self, key: str) -> None:
        del self._store[key]

    def __contains__(self, key: object) -> bool:
        return key in self._store

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._store))

    def keys(self) -> list[str]:
        return list(self._store.keys())

    def items(self) -> list[tuple[str, Any]]:
        return list(self._store.items())

    def values(self) -> list[Any]:
        return list(self._store.values())

    def pop(self, key: str) -> Any:
        value = self[key]
        del self._store[key]
        return value

    def clear(self) -> None:
        self._store.clear()

    def update(self, values: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        pairs = values.items() if isinstance(values, Mapping) else values
        for key, value in pairs:
            self[key] = value


class ModuleDict(_Dict):
    """A dict ``name -> module`` whose parameters the model sees (``"name.weight"``).

    Args:
        values: a mapping ``name -> Module`` or an iterable of ``(name, Module)`` pairs
            (None: empty).

    Raises:
        TypeError: a key is not a str, or a value is not a Module.
    """

    def _check(self, value: Any) -> Module:
        return _module(value, type(self).__name__)


class ParameterDict(_Dict):
    """A dict ``name -> parameter`` the model sees; Tensors and arrays become Parameters.

    Args:
        values: a mapping ``name -> Parameter`` (or Tensor, or array), or an iterable of
            ``(name, value)`` pairs (None: empty).

    Raises:
        TypeError: a key is not a str.
    """

    def _check(self, value: Any) -> Parameter:
        return _parameter(value, type(self).__name__)

    def extra_repr(self) -> str:
        return "\n".join(f"({k}): {_describe(p)}" for k, p in self._store.items())


def _module(value: Any, container: str) -> Module:
    if not isinstance(value, Module):
        raise TypeError(f"{container} holds Modules, got {type(value).__name__}"
                        + (" (call the class: nn.ReLU(), not nn.ReLU)"
                           if isinstance(value, type) and issubclass(value, Module) else ""))
    return value


def _parameter(value: Any, container: str) -> Parameter:
    if isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):
        return Parameter(value.array, requires_grad=True)
    try:
        return Parameter(value)
    except TypeError as exc:
        raise TypeError(f"{container}: {exc}") from None


def _describe(p: Parameter) -> str:
    from .. import _backend

    return (f"Parameter of shape {tuple(p.shape)}, {p.dtype}, on "
            f"{_backend.describe(p.xp, _backend.device(p.array))}")
