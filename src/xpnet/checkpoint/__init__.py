"""Safe checkpoints: ``xn.save(obj, f)`` and ``xn.load(f, map_location=None)``, as torch's.

>>> xn.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 7}, "ckpt.pth")
>>> state = xn.load("ckpt.pth", map_location="cuda")
>>> model.load_state_dict(state["model"]); opt.load_state_dict(state["optimizer"])

What can be saved: model and optimizer state dicts, and any tree of dicts,
lists, tuples, numbers, strings, None and arrays (or Tensors) of any backend.
The file is a ``.npz`` archive with a JSON manifest (see :mod:`.archive`),
whatever its name (``.pt``, ``.pth``, ``.npz``...), except a name ending in
``.safetensors``: a flat ``state_dict()`` in the format torch users share
(:mod:`.safetensors_file`, optional extra ``pip install "xpnet[safetensors]"``).
Both are **never a pickle**, so loading a file cannot run code; a torch
``.pt`` pickle is refused with the safetensors route. Writes are atomic and keep
the replaced file's permissions (:mod:`.files`); reads are bounded by the file's
size, verify checksums, dtypes and shapes and raise :class:`CheckpointError` on
anything wrong.
"""

from __future__ import annotations

import os
from typing import Any

from .. import _backend
from ..tensor import Tensor
from . import safetensors_file
from .archive import read_archive, write_archive
from .files import CheckpointError, atomic_write, describe, read_source
from .foreign import refuse_pickles
from .tree import flatten, unflatten

__all__ = ["CheckpointError", "load", "save"]


def save(obj: Any, f: Any) -> None:
    """Write ``obj`` to ``f`` (a path, or a binary file object) as ``torch.save`` does, without pickle.

    A path is written atomically (the old file stays whole if this fails midway)
    and keeps the old file's permissions (a new file gets the umask's). A path
    ending in ``.safetensors`` gets a safetensors file, which holds a flat dict
    ``name -> array`` (a ``state_dict()``); any other name gets xpnet's format.
    Arrays of any backend and device are copied to host NumPy for writing.
    Raises TypeError, naming where, for an object that is not data (a function,
    a module: save its ``state_dict()``), or that a safetensors file cannot hold.
    """
    if _is_safetensors(f):
        data = safetensors_file.to_bytes(obj)
        _write(f, lambda out: out.write(data))
        return
    tree, arrays = flatten(obj)
    _write(f, lambda out: write_archive(out, tree, arrays))


def load(f: Any, map_location: Any = None, *, weights_only: bool | None = None,
         device: Any = None) -> Any:
    """Read a file written by :func:`save` (or a safetensors file) onto ``map_location``.

    Args:
        f: a path, or a seekable binary file object (``open(path, "rb")``, ``io.BytesIO``).
        map_location: where the arrays go, what ``xn.tensor`` takes as ``device``:
            ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``torch.device(...)``,
            ``array_api_strict.Device(...)``; None (default): NumPy on the cpu.
            ``device=`` is the same argument under xpnet's name.
        weights_only: accepted for torch programs and ignored: xn.load never
            unpickles, so it is always as safe as torch's ``weights_only=True``
            (``False`` cannot make it run a pickle).

    Returns the saved object; Tensors come back as Tensors (not requiring
    grad), arrays as arrays of the chosen library. A safetensors file gives a
    dict ``name -> array`` that ``load_state_dict`` takes. The format is told by
    the file's bytes, not its name.

    Raises :class:`CheckpointError` (a ValueError) for a truncated, corrupted,
    altered, ambiguous or foreign file (a torch ``.pt`` pickle: the message
    gives the safetensors route), and for a path that is not a regular file
    (a FIFO, ``/dev/zero``), before using any of its values; nothing in the file
    is ever executed, and no read goes past the file's size.
    FileNotFoundError and PermissionError stay themselves.
    """
    del weights_only  # always effectively True: see the docstring
    xp, dev = _backend.resolve(_device(map_location, device))
    raw = read_source(f)
    where = describe(f)
    refuse_pickles(raw, where)
    if not raw.startswith(b"PK") and (safetensors_file.looks_like(raw) or _is_safetensors(f)):
        return {k: _backend.move(a, xp, dev) for k, a in safetensors_file.from_bytes(raw, where).items()}
    tree, host = read_archive(raw, where)
    arrays = [_backend.move(a, xp, dev) for a in host]
    try:
        return unflatten(tree, arrays, Tensor)
    except (ValueError, TypeError, RecursionError) as exc:  # a tree xn.save could not have written
        # (TypeError: a "tensor" leaf of a dtype no tensor holds, such as complex)
        raise CheckpointError(f"{where}: {exc}") from None


def _device(map_location: Any, device: Any) -> Any:
    if callable(map_location) or isinstance(map_location, dict):
        raise TypeError(
            f"map_location={map_location!r}: torch's remapping of saved devices (a dict or a function) "
            f"does not apply, xpnet files record no device; give the one device to load onto, e.g. "
            f"map_location='cpu' or 'cuda'")
    if map_location is not None and device is not None and map_location != device:
        raise TypeError(f"xn.load got map_location={map_location!r} and device={device!r}: give one")
    return device if map_location is None else map_location


def _is_safetensors(f: Any) -> bool:
    name = getattr(f, "name", None) if hasattr(f, "read") or hasattr(f, "write") else f
    return isinstance(name, (str, bytes, os.PathLike)) and os.fsdecode(name).lower().endswith(
        safetensors_file.SUFFIX)


def _write(f: Any, write: Any) -> None:
    if hasattr(f, "write"):  # a file object, as torch.save takes: written in place, not atomically
        write(f)
    else:
        atomic_write(f, write)

