"""Safe checkpoints: ``xn.save(obj, path)`` and ``xn.load(path, device=None)``.

>>> xn.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 7}, "ckpt.npz")
>>> state = xn.load("ckpt.npz", device="cuda")
>>> model.load_state_dict(state["model"]); opt.load_state_dict(state["optimizer"])

What can be saved: model and optimizer state dicts, and any tree of dicts,
lists, tuples, numbers, strings, None and arrays (or Tensors) of any backend.
The file is a ``.npz`` archive with a JSON manifest (see :mod:`.archive`):
**never a pickle**, so loading a file cannot run code. Writes are atomic;
reads verify checksums, dtypes and shapes and raise :class:`CheckpointError`
on anything wrong.
"""

from __future__ import annotations

import os
from typing import Any

from .. import _backend
from ..tensor import Tensor
from .archive import CheckpointError, atomic_write, read_archive, write_archive
from .tree import flatten, unflatten

__all__ = ["CheckpointError", "load", "save"]


def save(obj: Any, path: str | os.PathLike[str]) -> None:
    """Write ``obj`` to ``path`` atomically (the old file stays whole if this fails midway).

    Arrays of any backend and device are copied to host NumPy for writing.
    Raises TypeError, naming where, for an object that is not data (a function,
    a module: save its ``state_dict()``).
    """
    tree, arrays = flatten(obj)
    atomic_write(path, lambda f: write_archive(f, tree, arrays))


def load(path: str | os.PathLike[str], device: Any = None) -> Any:
    """Read a checkpoint written by :func:`save`; arrays go to ``device`` (default: NumPy cpu).

    ``device`` is what ``xn.tensor`` takes: ``"cpu"``, ``"cuda"``, ``torch.device(...)``,
    ``array_api_strict.Device(...)``. Saved Tensors come back as Tensors (not requiring grad).
    Raises :class:`CheckpointError` (a ValueError) for a truncated, corrupted, altered or
    foreign file, before using any of its values; nothing in the file is ever executed.
    """
    tree, host = read_archive(path)
    xp, dev = _backend.resolve(device)
    arrays = [_backend.move(a, xp, dev) for a in host]
    try:
        return unflatten(tree, arrays, Tensor)
    except (ValueError, RecursionError) as exc:  # a tree xn.save could not have written
        raise CheckpointError(f"{os.fspath(path)}: {exc}") from None
