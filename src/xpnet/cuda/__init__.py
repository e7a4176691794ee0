"""``torch.cuda``'s counterpart, for a program renamed from torch (CuPy underneath).

``is_available()``, ``device_count()``, ``current_device()``, ``set_device(n)``,
``device(n)`` (a context manager), ``synchronize()``, ``manual_seed(n)``,
``manual_seed_all(n)``. ``is_available``, ``device_count`` and the seeds never
raise without a GPU; the others raise a RuntimeError saying what is missing.
"""

from __future__ import annotations

from typing import Any

from .. import _backend

__all__ = ["current_device", "device", "device_count", "is_available", "manual_seed",
           "manual_seed_all", "set_device", "synchronize"]


def is_available() -> bool:
    """Whether a CUDA GPU is usable through CuPy (False without CuPy, a driver or a GPU; never raises)."""
    return _backend.cuda_available()


def device_count() -> int:
    """How many GPUs CuPy sees (0 without CuPy, a driver or a GPU; never raises)."""
    return _backend.cuda_device_count()


def current_device() -> int:
    """The index of the current GPU: where CuPy allocates and runs ops. Raises RuntimeError without one."""
    return int(_backend.cuda_device().id)


def device(device: Any) -> Any:
    """A context manager making ``device`` current (``with xpnet.cuda.device(1): ...``), as torch's.

    ``device``: an int, ``"cuda"``, ``"cuda:N"`` or a ``cupy.cuda.Device``. Ops on
    tensors of ``cuda:N`` for ``N != 0`` run under it (CuPy runs on the current GPU).
    Raises ValueError for a GPU that does not exist, RuntimeError without any.
    """
    return _backend.cuda_device(device)


def set_device(device: Any) -> None:
    """Make ``device`` the current GPU for the rest of the program (as ``torch.cuda.set_device``)."""
    _backend.cuda_device(device).use()


def synchronize(device: Any = None) -> None:
    """Wait until every queued kernel on ``device`` (default: the current GPU) has finished."""
    _backend.cuda_device(device).synchronize()


def manual_seed(seed: int) -> None:
    """Seed the random draws on every GPU (CuPy); CPU draws keep their seed. Never raises without a GPU."""
    _backend.manual_seed(seed, library="cupy")


manual_seed_all = manual_seed  # one seed drives every GPU's generator (each its own stream)
