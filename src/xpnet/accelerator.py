"""``torch.accelerator``'s counterpart: the current accelerator, which for xpnet is CUDA via CuPy.

A program written for any accelerator (``device = xn.accelerator.current_accelerator()
or "cpu"``) runs unchanged: ``is_available()``, ``current_accelerator()`` and
``device_count()`` answer without a GPU (False, None, 0) and never raise;
``current_device_index()``, ``set_device_index(i)`` and ``synchronize()`` need a GPU
and, as torch's, raise RuntimeError without one. Each defers to :mod:`xpnet.cuda`.
"""

from __future__ import annotations

from typing import Any

from ._device import device

__all__ = ["current_accelerator", "current_device_index", "device_count", "is_available",
           "set_device_index", "synchronize"]

_NONE = "Cannot access accelerator device when none is available (xpnet: no GPU seen through CuPy)."


def _cuda() -> Any:
    import importlib

    return importlib.import_module("xpnet.cuda")  # loaded on first use, as ``xn.cuda``


def is_available() -> bool:
    """Whether an accelerator (a CUDA GPU through CuPy) is usable. Never raises."""
    return bool(_cuda().is_available())


def current_accelerator(check_available: bool = False) -> device | None:
    """``xn.device("cuda")`` when a GPU is usable, else None (``check_available`` as torch's)."""
    return device("cuda") if is_available() else None


def device_count() -> int:
    """How many accelerators (GPUs) there are: 0 without one. Never raises."""
    return int(_cuda().device_count()) if is_available() else 0


def _require() -> Any:
    if not is_available():
        raise RuntimeError(_NONE)
    return _cuda()


def current_device_index() -> int:
    """The index of the current GPU. Raises RuntimeError without one, as torch."""
    return int(_require().current_device())


def _index(dev: Any) -> Any:
    """A device given as int, ``"cuda:N"`` or :class:`xn.device` as what ``xn.cuda`` takes."""
    if isinstance(dev, device):
        if dev.type != "cuda":
            raise ValueError(f"{dev} is not an accelerator: expected 'cuda', 'cuda:N' or an int")
        return dev.index
    return dev


def set_device_index(device: Any, /) -> None:
    """Make GPU ``device`` (an int, ``"cuda:N"``, ``xn.device``) current. RuntimeError without one."""
    _require().set_device(_index(device))


def synchronize(device: Any = None, /) -> None:
    """Wait for every queued kernel on ``device`` (default: the current GPU). RuntimeError without one."""
    _require().synchronize(_index(device))
