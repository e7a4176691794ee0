"""``xn.device``: where a tensor lives, as torch names it (``"cpu"``, ``"cuda:0"``).

A :class:`device` has torch's ``.type`` and ``.index`` and compares equal to its
string (``x.device == "cpu"``), to another ``xn.device`` of the same name, and to a
native device object of the same name (``torch.device("cpu")``). One read from a
tensor (``x.device``) also remembers the array library and native device, so
``y.to(x.device)`` and ``xn.zeros(3, device=x.device)`` go to x's very place
(torch stays torch, array-api-strict stays array-api-strict).

``set_default_device`` sets where creation functions without ``device=`` make
their tensors (NumPy's cpu until then).
"""

from __future__ import annotations

from typing import Any

from . import _backend


class device:
    """A device: ``xn.device("cuda:0")``, ``xn.device("cuda", 1)``, ``xn.device("cpu")``.

    Also accepts a device object of an array library (``torch.device``,
    ``array_api_strict.Device``, ``cupy.cuda.Device``). ``.type`` is ``"cpu"`` or
    ``"cuda"`` (or the library's own name, such as array-api-strict's ``"device1"``);
    ``.index`` is the GPU number, or None. Raises ValueError for an unknown name.
    """

    __slots__ = ("type", "index", "_native")

    type: str
    index: int | None

    def __init__(self, type: Any, index: int | None = None) -> None:
        self._native: tuple[Any, Any] | None = None
        if isinstance(type, device):
            self.type, self.index, self._native = type.type, type.index, type._native
            return
        if isinstance(type, str):
            text = type.strip().lower()
            kind, _, number = text.partition(":")
            if number:
                if not number.isdigit() or index is not None:
                    raise ValueError(f"invalid device {type!r}: expected 'cpu', 'cuda' or 'cuda:N'")
                index = int(number)
            if kind not in ("cpu", "cuda", "numpy", "meta", "mps") and not kind.startswith("device"):
                raise ValueError(f"unknown device type {type!r}: expected 'cpu', 'cuda' or 'cuda:N'")
            self.type, self.index = ("cpu" if kind == "numpy" else kind), index
            return
        xp, native = _backend.resolve(type)
        self.type, self.index = _name(xp, native)
        self._native = (xp, native)

    @classmethod
    def of(cls, xp: Any, native: Any) -> device:
        """The device of an array of namespace ``xp`` on native device ``native``."""
        d = object.__new__(cls)
        d.type, d.index = _name(xp, native)
        d._native = (xp, native)
        return d

    def __xpnet_device__(self) -> tuple[Any, Any] | None:
        """``(namespace, native device)`` when known: how ``_backend.resolve`` reads it."""
        return self._native

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __hash__(self) -> int:
        return hash(str(self))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, device):
            return str(self) == str(other)
        if isinstance(other, str):
            return str(self) == other.strip().lower()
        try:
            return str(self) == str(device(other))
        except (ValueError, TypeError):
            return NotImplemented


def _name(xp: Any, native: Any) -> tuple[str, int | None]:
    """torch's ``(type, index)`` of a native device of namespace ``xp``."""
    return xp.device_name(native)


def set_default_device(spec: Any) -> None:
    """Where creation functions without ``device=`` put tensors (``"cpu"``, ``"cuda"``, ...).

    Accepts what ``device=`` accepts: ``"cpu"``, ``"cuda"``, ``"cuda:N"``, an
    ``xn.device``, or a device object of an array library (``torch.device("cpu")``
    makes torch tensors). ``None`` restores NumPy's cpu. Raises as ``device=`` does.

    Args:
        spec: the device (above), or None.

    Raises:
        ValueError: an unknown device.
        RuntimeError: its library cannot reach the device (CuPy without a GPU).
    """
    _backend.set_default_device(None if spec is None else _backend.resolve(spec))


def get_default_device() -> device:
    """The device creation functions use when given no ``device=`` (torch's name)."""
    return device.of(*_backend.resolve(None))
