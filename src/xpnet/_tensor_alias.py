"""``.data`` and ``detach()`` of a tensor whose arrays never change (JAX): an alias.

torch's ``w.data`` and ``w.detach()`` share memory with ``w``: writing one writes
the other (``w.data -= lr * w.grad.data``, ``w.grad.data.zero_()``,
``d = w.detach(); d.add_(1)``). A JAX array cannot be written, so in-place ops
rebind the Tensor to a new array; a second Tensor holding the same array would
then drift apart from ``w``. An :class:`Alias` holds no array of its own: its
``array`` (and ``xp``) *are* its owner's, read and written through, so the two
can never differ. Only backends whose arrays are immutable make aliases
(``xp.immutable``); everywhere else ``.data`` is a plain Tensor over the same
memory, as before (no cost on NumPy's path).
"""

from __future__ import annotations

from typing import Any

from .tensor import Tensor, next_seq


def _get_array(self: Alias) -> Any:
    return self._owner.array


def _set_array(self: Alias, value: Any) -> None:
    self._owner.array = value


def _get_xp(self: Alias) -> Any:
    return self._owner.xp


def _set_xp(self: Alias, value: Any) -> None:
    self._owner.xp = value


class Alias(Tensor):
    """A Tensor outside the graph whose array is its owner's (see the module docstring)."""

    __slots__ = ("_owner",)
    _owner: Tensor
    array = property(_get_array, _set_array)
    xp = property(_get_xp, _set_xp)


def alias(owner: Tensor) -> Tensor:
    """A leaf Tensor, cut from the graph, that reads and writes ``owner``'s array."""
    t: Alias = object.__new__(Alias)
    t._owner = owner
    t._grad = None
    t._op = ""
    t._retains_grad = False
    t._seq = next_seq()
    t._version = 0
    t.requires_grad = False
    t._parents = ()
    t._backward = None
    t._saved = None
    return t
